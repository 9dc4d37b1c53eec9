/*
 * test_docs.c: the man pages render without a single warning, under groff
 * (what man uses) and mandoc's lint where they are installed, and carry the
 * release's version. The editor grammars (vim, VS Code, Emacs) know exactly
 * the language's keywords, checked by scripts/check-editor-keywords, which
 * is shown to catch each kind of drift; VS Code's JSON files parse.
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

/* The checker's inputs, in the order of its arguments. */
static const char *const keyword_files[] = {
    "grammar/lexer.l", "editors/reserved-keywords", "editors/vim/syntax/asyncjob.vim",
    "editors/vscode/syntaxes/asyncjob.tmLanguage.json", "editors/emacs/asyncjob-mode.el",
};
enum { LEXER, RESERVED, VIM, VSCODE, EMACS, N_KEYWORD_FILES };

/* Runs the checker with file `which` passed through the sed script `edit`
 * (or every file as it is when edit is NULL); its exit status, its output
 * in *out. */
static int check_keywords(int which, const char *edit, char **out)
{
    char cmd[2048], copy[256];
    const char *name = strrchr(keyword_files[which], '/') + 1;
    size_t len;

    /* The copy keeps the file's name, which the complaints show. */
    snprintf(copy, sizeof copy, "%s/tests/build/keywords/%s", shell_build_dir(), name);
    if (edit != NULL) {
        snprintf(cmd, sizeof cmd, "mkdir -p %s/tests/build/keywords && sed '%s' %s > %s",
                 shell_build_dir(), edit, keyword_files[which], copy);
        assert_int_equal(system(cmd), 0);
    }
    len = (size_t)snprintf(cmd, sizeof cmd, "scripts/check-editor-keywords");
    for (int i = 0; i < N_KEYWORD_FILES; i++)
        len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s",
                                edit != NULL && i == which ? copy : keyword_files[i]);
    return shell_run(cmd, out);
}

static void expect_complaint(int which, const char *edit, const char *complaint)
{
    char *out;
    assert_int_equal(check_keywords(which, edit, &out), 1);
    if (strstr(out, complaint) == NULL)
        fail_msg("no \"%s\" in:\n%s", complaint, out);
    free(out);
}

static void test_docs_editor_grammars_know_exactly_the_keywords(void **state)
{
    char *out;
    (void)state;
    if (check_keywords(0, NULL, &out) != 0)
        fail_msg("%s", out);
    assert_non_null(strstr(out, " keywords in each grammar\n"));
    free(out);
}

static void test_docs_keyword_check_catches_drift(void **state)
{
    (void)state;
    expect_complaint(VIM, "s/ jitter / /", "asyncjob.vim: missing keyword 'jitter'");
    expect_complaint(VSCODE, "s/(?:max|/(?:max|bogus|/",
                     "asyncjob.tmLanguage.json: 'bogus' is not a keyword");
    expect_complaint(EMACS, "s/ \"uses\"//", "asyncjob-mode.el: missing keyword 'uses'");
    /* A keyword the lexer learns leaves the reserved list. */
    expect_complaint(RESERVED, "$a step", "'step' is known by the lexer now");
    /* A lexer whose keywords cannot be found fails, never passes empty. */
    expect_complaint(LEXER, "/TOKEN(/d", "no keyword found");
}

static void test_docs_vscode_extension_files_parse_and_carry_the_version(void **state)
{
    static const char *const json[] = { "editors/vscode/package.json",
                                        "editors/vscode/language-configuration.json",
                                        "editors/vscode/syntaxes/asyncjob.tmLanguage.json" };
    char cmd[512], *out;
    (void)state;
    if (!project_have("cmake", "cmake"))
        skip();
    for (size_t i = 0; i < sizeof json / sizeof json[0]; i++) {
        snprintf(cmd, sizeof cmd, "cmake -DF=%s -P tests/build/json_version.cmake 2>&1",
                 json[i]);
        if (shell_run(cmd, &out) != 0)
            fail_msg("%s:\n%s", json[i], out);
        if (i == 0)
            assert_string_equal(out, AJ_VERSION_STRING "\n");
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_man_pages_render_without_warnings_under_groff),
        cmocka_unit_test(test_docs_man_pages_pass_mandoc_lint),
        cmocka_unit_test(test_docs_man_pages_carry_the_version),
        cmocka_unit_test(test_docs_editor_grammars_know_exactly_the_keywords),
        cmocka_unit_test(test_docs_keyword_check_catches_drift),
        cmocka_unit_test(test_docs_vscode_extension_files_parse_and_carry_the_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
