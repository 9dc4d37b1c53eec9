/*
 * test_build.c: the build as a user meets it. Installs into a temporary
 * prefix and builds a small project with nothing but the installed ajc and
 * pkg-config, the way README.md tells; checks that a missing build tool
 * stops make with the command that installs it, and that clean needs none.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define HINT "apt-get install -y flex bison libcmocka-dev"

static char tmp[64];

static int setup(void **state)
{
    (void)state;
    /* Run by make test, the makes started here would inherit its flags
     * (--no-builtin-rules among them), which a user's make does not have. */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    strcpy(tmp, "/tmp/asyncjob-build-XXXXXX");
    return mkdtemp(tmp) == NULL;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) != 0;
}

/* Runs cmd with sh; returns its exit status, its output in *out. */
static int run(const char *cmd, char **out)
{
    char buf[4096];
    size_t len = 0, n;
    FILE *p = popen(cmd, "r");
    char *text = malloc(1);
    int status;

    assert_non_null(p);
    assert_non_null(text);
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        char *more = realloc(text, len + n + 1);
        assert_non_null(more);
        text = more;
        memcpy(text + len, buf, n);
        len += n;
    }
    text[len] = '\0';
    status = pclose(p);
    *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void run_ok(const char *cmd)
{
    char *out;
    int rc = run(cmd, &out);
    if (rc != 0)
        fail_msg("'%s' exited with %d:\n%s", cmd, rc, out);
    free(out);
}

static const char *build_dir(void)
{
    const char *b = getenv("B");
    return b != NULL ? b : "build";
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static const char hello_job[] =
    "include \"greeting.h\";\n"
    "job hello(const char *who) {\n"
    "    step Greet() -> Greeting;\n"
    "    step Shout(Greeting g = Greet) -> Greeting;\n"
    "    result Shout;\n"
    "}\n";

static const char greeting_h[] = "typedef struct { char text[64]; } Greeting;\n";

static const char hello_main[] =
    "#include \"hello.job.h\"\n"
    "#include <ctype.h>\n#include <stdio.h>\n#include <string.h>\n"
    "int hello_Greet(aj_ctx *ctx, const char *who, Greeting *out)\n"
    "{ (void)ctx; snprintf(out->text, sizeof out->text, \"hello, %s\", who); return 0; }\n"
    "int hello_Shout(aj_ctx *ctx, const char *who, Greeting g, Greeting *out)\n"
    "{ (void)ctx; (void)who; for (size_t i = 0; g.text[i]; i++)\n"
    "      g.text[i] = (char)toupper((unsigned char)g.text[i]);\n"
    "  *out = g; return 0; }\n"
    "int main(void)\n"
    "{ hello *job; Greeting g;\n"
    "  if (hello_start(NULL, \"installed world\", NULL, &job) != AJ_OK) return 1;\n"
    "  int rc = hello_wait(job, -1);\n"
    "  if (rc == AJ_OK && hello_result(job, &g) == AJ_OK) puts(g.text);\n"
    "  hello_free(job); return rc != AJ_OK; }\n";

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
    const char *san = getenv("SAN");
    char sanflags[128] = "";
    (void)state;

    if (san != NULL && *san != '\0')
        snprintf(sanflags, sizeof sanflags, "-fsanitize=%s", san);
    snprintf(cmd, sizeof cmd, "make -s install B=%s DESTDIR=%s/stage PREFIX=/opt/aj 2>&1",
             build_dir(), tmp);
    run_ok(cmd);
    const char *installed[] = { "bin/ajc", "include/asyncjob.h", "lib/libasyncjob.a",
                                "lib/pkgconfig/asyncjob.pc" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/stage/opt/aj/%s", tmp, installed[i]);
        assert_int_equal(access(path, R_OK), 0);
    }
    snprintf(path, sizeof path, "%s/proj", tmp);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/proj/hello.job", tmp), write_file(path, hello_job);
    snprintf(path, sizeof path, "%s/proj/greeting.h", tmp), write_file(path, greeting_h);
    snprintf(path, sizeof path, "%s/proj/main.c", tmp), write_file(path, hello_main);
    snprintf(path, sizeof path, "%s/proj/Makefile", tmp), write_file(path, hello_makefile);
    snprintf(cmd, sizeof cmd,
             "cd %s/proj && PATH=%s/stage/opt/aj/bin:/usr/bin:/bin "
             "PKG_CONFIG_PATH=%s/stage/opt/aj/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s/stage "
             "make -s hello CC='cc %s' 2>&1 && ./hello",
             tmp, tmp, tmp, tmp, sanflags);
    if (run(cmd, &out) != 0)
        fail_msg("building the user project failed:\n%s", out);
    assert_string_equal(out, "HELLO, INSTALLED WORLD\n");
    free(out);
    snprintf(cmd, sizeof cmd, "grep -c -- -pthread %s/stage/opt/aj/lib/pkgconfig/asyncjob.pc", tmp);
    assert_int_equal(run(cmd, &out), 0);
    assert_string_equal(out, "2\n");
    free(out);
}

/* A PATH holding every command of /usr/bin and /bin but flex and bison. */
static void make_path_without_grammar_tools(char *dir, size_t size)
{
    char cmd[1024];
    snprintf(dir, size, "%s/bin", tmp);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && for f in /usr/bin/* /bin/*; do "
             "n=${f##*/}; case $n in flex|flex++|bison|yacc) continue;; esac; "
             "[ -e %s/$n ] || ln -s $f %s/$n; done", dir, dir, dir);
    run_ok(cmd);
}

static void test_build_missing_tool_names_the_install_command(void **state)
{
    char dir[128], cmd[1024], *out;
    (void)state;

    make_path_without_grammar_tools(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "PATH=%s make B=%s/b %s/b/ajc 2>&1", dir, tmp, tmp);
    assert_int_not_equal(run(cmd, &out), 0);
    assert_non_null(strstr(out, "not found"));
    assert_non_null(strstr(out, HINT));
    free(out);

    snprintf(cmd, sizeof cmd, "make B=%s/b CMOCKA_H= %s/b/tests/examples/test_sql_summary_defs 2>&1",
             tmp, tmp);
    assert_int_not_equal(run(cmd, &out), 0);
    assert_non_null(strstr(out, "cmocka not found"));
    assert_non_null(strstr(out, HINT));
    free(out);
}

static void test_build_clean_needs_no_tools(void **state)
{
    char dir[128], cmd[1024];
    (void)state;

    make_path_without_grammar_tools(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/b/x && PATH=%s make -s clean B=%s/b 2>&1", tmp, dir, tmp);
    run_ok(cmd);
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
    return cmocka_run_group_tests(tests, setup, teardown);
}
