/*
 * test_release.c: what a release carries besides the code. The version is
 * written once (asyncjob.h) and every place that shows it agrees: the
 * library, ajc --version, the changelog; the licence is there.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_version_macros_make_the_string),
        cmocka_unit_test(test_release_ajc_prints_the_same_version),
        cmocka_unit_test(test_release_changelog_has_this_version),
        cmocka_unit_test(test_release_licence_is_mit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
