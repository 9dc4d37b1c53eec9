/*
 * test_docs.c: the man pages render without a single warning, under groff
 * (what man uses) and mandoc's lint where they are installed, and carry the
 * release's version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asyncjob.h"
#include "project.h"
#include "shell.h"

static const char *const pages[] = { "man/ajc.1", "man/asyncjob.3", "man/asyncjob.7" };

/* groff's and mandoc's complaints about page, "" when there are none. */
static char *complaints(const char *tool, const char *page)
{
    char cmd[512], *out;
    if (strcmp(tool, "groff") == 0)
        snprintf(cmd, sizeof cmd, "groff -ww -man -Tutf8 %s 2>&1 >/dev/null", page);
    else
        snprintf(cmd, sizeof cmd, "mandoc -T lint -W warning %s 2>&1", page);
    if (shell_run(cmd, &out) != 0 && *out == '\0') {
        free(out);
        out = strdup("non-zero exit");
    }
    return out;
}

static void check_pages_with(const char *tool)
{
    char bad[256];
    char *out;

    if (!project_have(tool, tool))
        skip();
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        out = complaints(tool, pages[i]);
        if (*out != '\0')
            fail_msg("%s on %s:\n%s", tool, pages[i], out);
        free(out);
    }
    /* The check sees a warning: an unknown macro. */
    snprintf(bad, sizeof bad, "%s/tests/build/bad-%s.7", shell_build_dir(), tool);
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs(".TH BAD 7 2026-01-01\n.SH NAME\nbad \\- bad\n.XX unknown\n", f);
    assert_int_equal(fclose(f), 0);
    out = complaints(tool, bad);
    remove(bad);
    assert_true(*out != '\0');
    free(out);
}

static void test_docs_man_pages_render_without_warnings_under_groff(void **state)
{
    (void)state;
    check_pages_with("groff");
}

static void test_docs_man_pages_pass_mandoc_lint(void **state)
{
    (void)state;
    check_pages_with("mandoc");
}

static void test_docs_man_pages_carry_the_version(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char *text = shell_slurp(pages[i]);
        const char *th = strstr(text, ".TH ");
        const char *eol = th != NULL ? strchr(th, '\n') : NULL;
        const char *v = th != NULL ? strstr(th, "\"asyncjob " AJ_VERSION_STRING "\"") : NULL;
        if (th != text || v == NULL || v > eol)
            fail_msg("%s: its .TH line does not say \"asyncjob " AJ_VERSION_STRING "\"", pages[i]);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_man_pages_render_without_warnings_under_groff),
        cmocka_unit_test(test_docs_man_pages_pass_mandoc_lint),
        cmocka_unit_test(test_docs_man_pages_carry_the_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
