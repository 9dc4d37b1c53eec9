/*
 * test_build.c: the build as a user meets it. Installs into a temporary
 * prefix and builds a small project with nothing but the installed ajc and
 * pkg-config, the way README.md tells; checks that a missing build tool
 * stops make with the command that installs it, and that clean needs none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "project.h"
#include "shell.h"

#define HINT "apt-get install -y flex bison libcmocka-dev clang g++ graphviz pkg-config"

static const char *tmp;

static int setup(void **state)
{
    (void)state;
    tmp = project_tmp_setup();
    return *tmp == '\0';
}

/* The Makefile of README.md's "Using ajc in your project". */
static const char hello_makefile[] =
    "CFLAGS += -std=c11 -Wall -Wextra -Wpedantic -Werror $(shell pkg-config --cflags asyncjob)\n"
    "LDLIBS += $(shell pkg-config --libs asyncjob)\n"
    "%.job.c %.job.h: %.job\n"
    "\tajc $<\n"
    "%.job: ;\n"
    "hello: main.o hello.job.o\n"
    "\t$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)\n"
    "main.o: hello.job.h\n";

static void test_build_install_and_build_a_user_project(void **state)
{
    char cmd[2048], path[256], *out;
    (void)state;

    snprintf(cmd, sizeof cmd, "make -s install B=%s DESTDIR=%s/stage PREFIX=/opt/aj 2>&1",
             shell_build_dir(), tmp);
    project_run_ok(cmd);
    const char *installed[] = { "bin/ajc", "include/asyncjob.h", "lib/libasyncjob.a",
                                "lib/pkgconfig/asyncjob.pc" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/stage/opt/aj/%s", tmp, installed[i]);
        assert_int_equal(access(path, R_OK), 0);
    }
    snprintf(path, sizeof path, "%s/proj", tmp);
    project_hello(path);
    snprintf(path, sizeof path, "%s/proj/Makefile", tmp), project_write(path, hello_makefile);
    /* The program links the shared library: the loader finds it through
     * LD_LIBRARY_PATH, as it would after ldconfig in a system prefix. */
    snprintf(cmd, sizeof cmd,
             "cd %s/proj && PATH=%s/stage/opt/aj/bin:/usr/bin:/bin "
             "PKG_CONFIG_PATH=%s/stage/opt/aj/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s/stage "
             "make -s hello CC='cc %s' 2>&1 && LD_LIBRARY_PATH=%s/stage/opt/aj/lib ./hello",
             tmp, tmp, tmp, tmp, project_sanflags(), tmp);
    if (shell_run(cmd, &out) != 0)
        fail_msg("building the user project failed:\n%s", out);
    assert_string_equal(out, "HELLO, INSTALLED WORLD\n");
    free(out);
}

static void make_path_without_grammar_tools(char *dir, size_t size)
{
    project_path_without(dir, size, PROJECT_GRAMMAR_TOOLS);
}

static void test_build_missing_tool_names_the_install_command(void **state)
{
    char dir[128], cmd[1024], *out;
    (void)state;

    /* An unpacked tarball ships the generated grammar and needs neither
     * flex nor bison (test_dist); a git tree needs both. */
    if (access("generated/grammar/parser.c", F_OK) != 0) {
        make_path_without_grammar_tools(dir, sizeof dir);
        snprintf(cmd, sizeof cmd, "PATH=%s make B=%s/b %s/b/ajc 2>&1", dir, tmp, tmp);
        assert_int_not_equal(shell_run(cmd, &out), 0);
        assert_non_null(strstr(out, "not found"));
        assert_non_null(strstr(out, HINT));
        free(out);
    }

    snprintf(cmd, sizeof cmd, "make B=%s/b CMOCKA_H= %s/b/tests/examples/test_sql_summary_defs 2>&1",
             tmp, tmp);
    assert_int_not_equal(shell_run(cmd, &out), 0);
    assert_non_null(strstr(out, "cmocka not found"));
    assert_non_null(strstr(out, HINT));
    free(out);

    /* make test stops before building anything when a checking tool is
     * missing, not halfway through the suite. */
    project_path_without(dir, sizeof dir, "clang|clang-[0-9]*");
    snprintf(cmd, sizeof cmd, "PATH=%s make B=%s/b test 2>&1", dir, tmp);
    assert_int_not_equal(shell_run(cmd, &out), 0);
    assert_non_null(strstr(out, "clang not found"));
    assert_non_null(strstr(out, HINT));
    assert_null(strstr(out, "  CC "));
    assert_null(strstr(out, "cc "));
    free(out);
}

static void test_build_clean_needs_no_tools(void **state)
{
    char dir[128], cmd[1024];
    (void)state;

    make_path_without_grammar_tools(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/b/x && PATH=%s make -s clean B=%s/b 2>&1", tmp, dir, tmp);
    project_run_ok(cmd);
    snprintf(cmd, sizeof cmd, "%s/b", tmp);
    assert_int_not_equal(access(cmd, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_install_and_build_a_user_project),
        cmocka_unit_test(test_build_missing_tool_names_the_install_command),
        cmocka_unit_test(test_build_clean_needs_no_tools),
    };
    return cmocka_run_group_tests(tests, setup, project_teardown);
}
