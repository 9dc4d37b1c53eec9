/*
 * test_dist.c: make dist. The tarball holds the tracked files, a MANIFEST
 * and the generated grammar; unpacked on a machine without flex and bison
 * it builds, its programs and a runtime test run, and it makes the same
 * tarball again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asyncjob.h"
#include "project.h"
#include "shell.h"

#define NAME "asyncjob-" AJ_VERSION_STRING

static const char *tmp;
static char nogrammar[128]; /* PATH without flex and bison */

static int setup(void **state)
{
    (void)state;
    tmp = project_tmp_setup();
    if (*tmp == '\0')
        return 1;
    return project_setup_run("make -s dist B=%s DIST_DIR=%s 2>&1", shell_build_dir(), tmp);
}

static void test_dist_tarball_holds_sources_and_the_generated_grammar(void **state)
{
    char cmd[512];
    (void)state;
    snprintf(cmd, sizeof cmd,
             "tar -tzf %s/" NAME ".tar.gz | grep -x -e '" NAME "/generated/grammar/.*\\.[ch]' "
             "-e '" NAME "/LICENSE' -e '" NAME "/MANIFEST' -e '" NAME "/grammar/parser.y' "
             "-e '" NAME "/build/.*' -e '" NAME "/build-.*' -e '" NAME "/\\.git' "
             "-e '" NAME "/\\.git/.*' | LC_ALL=C sort", tmp);
    project_expect(cmd, NAME "/LICENSE\n" NAME "/MANIFEST\n"
                        NAME "/generated/grammar/lexer.c\n" NAME "/generated/grammar/lexer.h\n"
                        NAME "/generated/grammar/parser.c\n" NAME "/generated/grammar/parser.h\n"
                        NAME "/grammar/parser.y\n");
}

static void test_dist_tarball_builds_and_runs_without_flex_and_bison(void **state)
{
    char cmd[2048];
    (void)state;
    project_path_without(nogrammar, sizeof nogrammar, PROJECT_GRAMMAR_TOOLS);
    snprintf(cmd, sizeof cmd,
             "cd %s && tar -xzf " NAME ".tar.gz && cd " NAME " && "
             "! PATH=%s command -v bison && ! PATH=%s command -v flex && "
             "env -u B -u SAN PATH=%s make -j2 all build/tests/runtime/test_instance "
             ">../build.log 2>&1 && "
             "grep -c '^  CP      generated/grammar/' ../build.log && "
             "build/ajc --check examples/sql_summary/sql_summary.job && "
             "build/examples/sql_summary/sql_summary ../instance.dot >/dev/null && "
             "CMOCKA_TEST_ABORT=1 build/tests/runtime/test_instance >/dev/null 2>&1 && "
             "build/ajc --version",
             tmp, nogrammar, nogrammar, nogrammar);
    project_expect(cmd, "4\najc " AJ_VERSION_STRING "\n");
}

/* Inside the tarball, MANIFEST stands for git ls-files. (The makes in the
 * tarball run as a user's would: without the suite's B and SAN.) */
static void test_dist_tarball_makes_the_same_tarball(void **state)
{
    char cmd[2048];
    (void)state;
    snprintf(cmd, sizeof cmd,
             "cd %s/" NAME " && mkdir ../again && "
             "env -u B -u SAN PATH=%s make -s dist DIST_DIR=../again >/dev/null 2>&1 && cd .. && "
             "tar -tzf " NAME ".tar.gz > one && tar -tzf again/" NAME ".tar.gz > two && "
             "cmp one two && wc -l < one | tr -d ' '",
             tmp, nogrammar);
    char *out;
    assert_int_equal(shell_run(cmd, &out), 0);
    assert_true(atoi(out) > 100);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_tarball_holds_sources_and_the_generated_grammar),
        cmocka_unit_test(test_dist_tarball_builds_and_runs_without_flex_and_bison),
        cmocka_unit_test(test_dist_tarball_makes_the_same_tarball),
    };
    return cmocka_run_group_tests(tests, setup, project_teardown);
}
