/*
 * test_release.c: what a release carries besides the code. The version is
 * written once (asyncjob.h) and every place that shows it agrees: the
 * library, ajc --version, the changelog; the licence is there. The shared
 * library exports exactly the functions asyncjob.h declares, and has the
 * soname of its major version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asyncjob.h"
#include "shell.h"

static void test_release_version_macros_make_the_string(void **state)
{
    char want[32];
    (void)state;
    snprintf(want, sizeof want, "%d.%d.%d", AJ_VERSION_MAJOR, AJ_VERSION_MINOR,
             AJ_VERSION_PATCH);
    assert_string_equal(AJ_VERSION_STRING, want);
    assert_string_equal(aj_version(), want);
}

static void test_release_ajc_prints_the_same_version(void **state)
{
    char cmd[256], *out;
    (void)state;
    snprintf(cmd, sizeof cmd, "%s/ajc --version", shell_build_dir());
    assert_int_equal(shell_run(cmd, &out), 0);
    assert_string_equal(out, "ajc " AJ_VERSION_STRING "\n");
    free(out);
}

/* Keep a Changelog: a dated section for release version, under Unreleased. */
static void test_release_changelog_has_this_version(void **state)
{
    char *log = shell_slurp("CHANGELOG.md");
    const char *unreleased = strstr(log, "\n## [Unreleased]\n");
    const char *release = strstr(log, "\n## [" AJ_VERSION_STRING "] - ");
    (void)state;
    assert_non_null(unreleased);
    assert_non_null(release);
    assert_true(unreleased < release);
    free(log);
}

static void test_release_licence_is_mit(void **state)
{
    char *text = shell_slurp("LICENSE");
    (void)state;
    assert_non_null(strstr(text, "MIT License"));
    assert_non_null(strstr(text, "the asyncjob for C authors"));
    free(text);
}

/* Names of the functions asyncjob.h declares, one a line, sorted; and how
 * many declarations carry AJ_API. Comments are left out first. */
static char *declared_functions(int *n_api)
{
    char *h = shell_slurp("runtime/asyncjob.h"), *out, path[256], cmd[600];
    FILE *names;

    snprintf(path, sizeof path, "%s/tests/build/declared.tmp", shell_build_dir());
    names = fopen(path, "w");

    assert_non_null(names);
    for (char *c = strstr(h, "/*"); c != NULL; c = strstr(c, "/*")) {
        char *end = strstr(c + 2, "*/");
        assert_non_null(end);
        memset(c, ' ', (size_t)(end + 2 - c));
    }
    *n_api = 0;
    for (char *p = h; (p = strstr(p, "aj_")) != NULL; p++) {
        size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
        const char *q = p + len;
        if (p > h && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
            continue;
        while (*q == ' ')
            q++;
        if (*q == '(')
            fprintf(names, "%.*s\n", (int)len, p);
    }
    for (char *p = h; (p = strstr(p, "\nAJ_API ")) != NULL; p++)
        (*n_api)++;
    assert_int_equal(fclose(names), 0);
    free(h);
    snprintf(cmd, sizeof cmd, "sort -u %s && rm %s", path, path);
    assert_int_equal(shell_run(cmd, &out), 0);
    return out;
}

/* `nm -D` of the shared library: every symbol it defines is an aj_
 * function declared in asyncjob.h, and every declared function is one. */
static void test_release_shared_library_exports_the_api_only(void **state)
{
    char cmd[512], *exported, *declared;
    int n_api, n_declared = 0;
    (void)state;

    declared = declared_functions(&n_api);
    for (const char *p = declared; *p; p++)
        n_declared += *p == '\n';
    assert_true(n_declared > 30);
    assert_int_equal(n_api, n_declared);
    /* --defined-only, and the symbols of the ELF format itself left out. */
    snprintf(cmd, sizeof cmd,
             "nm -D --defined-only %s/libasyncjob.so | awk '{print $3}' | "
             "grep -v -x -e _init -e _fini -e _edata -e _end -e __bss_start | sort -u",
             shell_build_dir());
    assert_int_equal(shell_run(cmd, &exported), 0);
    assert_string_equal(exported, declared);
    free(exported);
    free(declared);
}

static void test_release_shared_library_has_the_major_soname(void **state)
{
    char cmd[512], *out;
    (void)state;
    snprintf(cmd, sizeof cmd,
             "cd %s && readlink libasyncjob.so libasyncjob.so.%d && "
             "objdump -p libasyncjob.so.%s | awk '$1 == \"SONAME\" {print $2}'",
             shell_build_dir(), AJ_VERSION_MAJOR, AJ_VERSION_STRING);
    assert_int_equal(shell_run(cmd, &out), 0);
    assert_string_equal(out, "libasyncjob.so." AJ_VERSION_STRING "\n"
                             "libasyncjob.so." AJ_VERSION_STRING "\n"
                             "libasyncjob.so." AJ_VERSION_STR_(AJ_VERSION_MAJOR) "\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_version_macros_make_the_string),
        cmocka_unit_test(test_release_ajc_prints_the_same_version),
        cmocka_unit_test(test_release_changelog_has_this_version),
        cmocka_unit_test(test_release_licence_is_mit),
        cmocka_unit_test(test_release_shared_library_exports_the_api_only),
        cmocka_unit_test(test_release_shared_library_has_the_major_soname),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
