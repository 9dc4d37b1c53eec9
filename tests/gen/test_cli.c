/*
 * test_cli.c: the ajc command as a user runs it: options and exit codes,
 * an input not named .job refused, where outputs go, atomic writes
 * (nothing left behind on a rejected input, a missing directory, a file
 * size limit or a full stdout), DOT accepted by Graphviz, and #line
 * directives that make a C compiler point at the .job.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "asyncjob.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char job_text[] =
    "include \"lib.h\";\n"
    "job j(int seed) {\n"
    "    step A() -> int;\n"
    "    step B(int a = A) -> long;\n"
    "    result B;\n"
    "}\n";

static int setup(void **state)
{
    *state = cli_fixture_new(job_text);
    return 0;
}

static int teardown(void **state)
{
    cli_fixture_free(*state);
    return 0;
}

static void test_cli_version_and_help(void **state)
{
    cli_fixture *f = *state;
    assert_int_equal(cli_ajc(f, "--version", NULL, NULL, NULL), 0);
    char *out = read_file(f->out, NULL);
    assert_string_equal(out, "ajc " AJ_VERSION_STRING "\n");
    free(out);
    assert_int_equal(cli_ajc(f, "--help", NULL, NULL, NULL), 0);
    out = read_file(f->out, NULL);
    assert_non_null(strstr(out, "usage: ajc [OPTION]... FILE.job"));
    assert_non_null(strstr(out, "  -Werror "));
    assert_non_null(strstr(out, "  --color[=WHEN] "));
    free(out);
}

/* -h and -V are --help and --version, byte for byte. */
static void test_cli_short_help_and_version(void **state)
{
    cli_fixture *f = *state;
    assert_int_equal(cli_ajc(f, "--help", NULL, NULL, NULL), 0);
    char *long_help = read_file(f->out, NULL);
    assert_int_equal(cli_ajc(f, "-h", NULL, NULL, NULL), 0);
    char *short_help = read_file(f->out, NULL);
    assert_string_equal(short_help, long_help);
    free(long_help);
    free(short_help);
    assert_int_equal(cli_ajc(f, "-V", NULL, NULL, NULL), 0);
    char *out = read_file(f->out, NULL);
    assert_string_equal(out, "ajc " AJ_VERSION_STRING "\n");
    free(out);
}

static void test_cli_usage_errors(void **state)
{
    cli_fixture *f = *state;
    assert_int_equal(cli_ajc(f, NULL, NULL, NULL, NULL), 2);
    cli_one_line_reason(f, "no input file");
    assert_int_equal(cli_ajc(f, "--frobnicate", f->job, NULL, NULL), 2);
    cli_one_line_reason(f, "unknown option --frobnicate");
    assert_int_equal(cli_ajc(f, f->job, f->job, NULL, NULL), 2);
    cli_one_line_reason(f, "one input file at a time");
    assert_int_equal(cli_ajc(f, f->job, "-o", NULL, NULL), 2);
    cli_one_line_reason(f, "-o needs a directory");
    assert_int_equal(cli_ajc(f, cli_in_dir(f, "missing.job"), NULL, NULL, NULL), 2);
    cli_one_line_reason(f, "cannot read");
    assert_int_equal(mkdir(cli_in_dir(f, "d.job"), 0755), 0);
    assert_int_equal(cli_ajc(f, cli_in_dir(f, "d.job"), NULL, NULL, NULL), 2); /* a directory */
    cli_one_line_reason(f, "cannot read");
    assert_int_equal(cli_ajc(f, "--color=sometimes", f->job, NULL, NULL), 2);
    cli_one_line_reason(f, "--color takes auto, always or never, not 'sometimes'");
    assert_int_equal(cli_ajc(f, "-W", f->job, NULL, NULL), 2);
    cli_one_line_reason(f, "unknown option -W");
}

/* Step A's output is never used: a warning, and only that. */
static const char warning_job[] = "job j() {\n    step A() -> int;\n    step B() after A;\n}\n";

/* -Werror turns the warning into an error, marked as gcc marks it, and
 * the input is then rejected like any other: exit 1, nothing written. */
static void test_cli_werror(void **state)
{
    cli_fixture *f = *state;
    write_file(f->job, warning_job, strlen(warning_job));
    assert_int_equal(cli_ajc(f, f->job, NULL, NULL, NULL), 0);
    char *err = read_file(f->err, NULL);
    assert_int_equal(count_lines(err, ": warning: output 'int' of step 'A' is never used"), 1);
    free(err);
    remove(cli_in_dir(f, "j.job.h"));
    remove(cli_in_dir(f, "j.job.c"));
    assert_int_equal(cli_ajc(f, "-Werror", f->job, NULL, NULL), 1);
    err = read_file(f->err, NULL);
    char want[600];
    snprintf(want, sizeof want, "%s:2:10: error: output 'int' of step 'A' is never used", f->job);
    if (strncmp(err, want, strlen(want)) != 0 || count_lines(err, "[-Werror]") != 1 ||
        count_lines(err, "warning") != 0)
        fail_msg("want '%s... [-Werror]', got: %s", want, err);
    free(err);
    assert_false(file_exists(cli_in_dir(f, "j.job.h")));
    assert_false(file_exists(cli_in_dir(f, "j.job.c")));
    assert_int_equal(cli_ajc(f, "-Werror", "--check", f->job, NULL), 1);
    assert_int_equal(cli_ajc(f, "-Werror", "--dot", f->job, NULL), 1);
    char *dot = read_file(f->out, NULL);
    assert_string_equal(dot, "");
    free(dot);
    write_file(f->job, job_text, strlen(job_text));
    assert_int_equal(cli_ajc(f, "-Werror", f->job, NULL, NULL), 0); /* no warning, no error */
}

/* gcc's colours: bold place, red error, magenta warning, cyan note, green
 * caret; each coloured span ends with a reset. */
#define BOLD "\33[01m"
#define RED "\33[01;31m"
#define MAGENTA "\33[01;35m"
#define CYAN "\33[01;36m"
#define GREEN "\33[01;32m"
#define RESET "\33[m"

static void test_cli_color_always(void **state)
{
    cli_fixture *f = *state;
    static const char text[] = "job j() {\n    step A() -> int;\n    step A();\n}\n";
    write_file(f->job, text, strlen(text));
    assert_int_equal(cli_ajc(f, "--color=always", f->job, NULL, NULL), 1);
    char *err = read_file(f->err, NULL), want[2000];
    snprintf(want, sizeof want,
             BOLD "%s:3:10:" RESET " " RED "error:" RESET " duplicate step 'A'\n"
             "    3 |     step A();\n"
             "      |          " GREEN "^" RESET "\n"
             BOLD "%s:2:10:" RESET " " CYAN "note:" RESET " 'A' is first declared here\n"
             "    2 |     step A() -> int;\n"
             "      |          " GREEN "^" RESET "\n", f->job, f->job);
    assert_string_equal(err, want);
    free(err);
    assert_int_equal(cli_ajc(f, "--color", f->job, NULL, NULL), 1); /* no WHEN: always */
    err = read_file(f->err, NULL);
    assert_string_equal(err, want);
    free(err);
    write_file(f->job, warning_job, strlen(warning_job));
    assert_int_equal(cli_ajc(f, "--color=always", "--check", f->job, NULL), 0);
    err = read_file(f->err, NULL);
    snprintf(want, sizeof want, BOLD "%s:2:10:" RESET " " MAGENTA "warning:" RESET " output 'int'",
             f->job);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "      |          " GREEN "^" RESET "\n"));
    free(err);
    assert_int_equal(cli_ajc(f, "--color=always", "-Werror", "--check", f->job), 1);
    err = read_file(f->err, NULL);
    assert_non_null(strstr(err, " " RED "error:" RESET " output 'int' of step 'A' is never used: "
                                "no step takes it and it is not the job's result "
                                "[" RED "-Werror" RESET "]\n"));
    free(err);
}

/* Never, and by default when stderr is not a terminal (as in every test):
 * no escape at all, whatever TERM says. */
static void test_cli_color_never_and_not_a_terminal(void **state)
{
    cli_fixture *f = *state;
    static const char text[] = "job j() {\n    step A() -> int;\n    step A();\n}\n";
    write_file(f->job, text, strlen(text));
    setenv("TERM", "xterm-256color", 1);
    unsetenv("NO_COLOR");
    const char *ways[] = { "--color=never", "--color=auto", "--check" };
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        assert_int_equal(cli_ajc(f, ways[i], f->job, NULL, NULL), 1);
        char *err = read_file(f->err, NULL);
        assert_non_null(strstr(err, ": error: duplicate step 'A'"));
        assert_null(strchr(err, '\33'));
        free(err);
    }
    assert_int_equal(cli_ajc(f, "--color=always", "--color=never", f->job, NULL), 1);
    char *err = read_file(f->err, NULL);
    assert_null(strchr(err, '\33')); /* the last one counts */
    free(err);
}

/* The outputs are named after the input: `ajc pipeline` would write
 * pipeline.c, likely the user's own. */
static void test_cli_input_without_job_suffix(void **state)
{
    cli_fixture *f = *state;
    static const char mine[] = "int main(void) { return 0; }\n";
    char *input = cli_in_dir(f, "pipeline");

    write_file(input, job_text, strlen(job_text));
    write_file(cli_in_dir(f, "pipeline.c"), mine, strlen(mine));
    assert_int_equal(cli_ajc(f, input, NULL, NULL, NULL), 2);
    char *err = read_file(f->err, NULL), want[700];
    snprintf(want, sizeof want, "ajc: %s: input file name must end in .job\n", input);
    assert_string_equal(err, want);
    free(err);
    assert_int_equal(cli_ajc(f, "--check", input, NULL, NULL), 2);
    cli_one_line_reason(f, "must end in .job");
    char *c = read_file(cli_in_dir(f, "pipeline.c"), NULL);
    assert_string_equal(c, mine);
    free(c);
    assert_dir_holds(f->dir, "j.job pipeline pipeline.c stderr stdout ");
}

static void test_cli_writes_beside_the_input(void **state)
{
    cli_fixture *f = *state;
    assert_int_equal(cli_ajc(f, f->job, NULL, NULL, NULL), 0);
    assert_true(file_exists(cli_in_dir(f, "j.job.h")));
    assert_true(file_exists(cli_in_dir(f, "j.job.c")));
    assert_dir_holds(f->dir, "j.job j.job.c j.job.h stderr stdout ");
    char *c = read_file(cli_in_dir(f, "j.job.c"), NULL);
    char want[600];
    snprintf(want, sizeof want, "#line 3 \"%s\"\n", f->job);
    assert_non_null(strstr(c, want));
    snprintf(want, sizeof want, " \"%s/j.job.c\"\n", f->dir);
    assert_non_null(strstr(c, want)); /* #line back names the file written */
    free(c);
}

static void test_cli_output_dir_check_and_no_line(void **state)
{
    cli_fixture *f = *state;
    char *sub = cli_in_dir(f, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(cli_ajc(f, "-o", sub, "--no-line", f->job), 0);
    char *h = read_file(cli_in_dir(f, "sub/j.job.h"), NULL);
    char *c = read_file(cli_in_dir(f, "sub/j.job.c"), NULL);
    assert_null(strstr(h, "#line"));
    assert_null(strstr(c, "#line"));
    free(h);
    free(c);
    assert_int_equal(cli_ajc(f, "--check", f->job, NULL, NULL), 0);
    assert_false(file_exists(cli_in_dir(f, "j.job.c")));
}

static void test_cli_same_bytes_every_run(void **state)
{
    cli_fixture *f = *state;
    assert_int_equal(cli_ajc(f, f->job, NULL, NULL, NULL), 0);
    char *h1 = read_file(cli_in_dir(f, "j.job.h"), NULL), *c1 = read_file(cli_in_dir(f, "j.job.c"), NULL);
    assert_int_equal(cli_ajc(f, f->job, NULL, NULL, NULL), 0);
    char *h2 = read_file(cli_in_dir(f, "j.job.h"), NULL), *c2 = read_file(cli_in_dir(f, "j.job.c"), NULL);
    assert_string_equal(h1, h2);
    assert_string_equal(c1, c2);
    free(h1);
    free(c1);
    free(h2);
    free(c2);
}

static void test_cli_rejected_input_leaves_old_outputs(void **state)
{
    cli_fixture *f = *state;
    write_file(cli_in_dir(f, "j.job.h"), "old\n", 4);
    write_file(f->job, "job j() { step A(int x = B); }\n", 31);
    assert_int_equal(cli_ajc(f, f->job, NULL, NULL, NULL), 1);
    char *h = read_file(cli_in_dir(f, "j.job.h"), NULL);
    assert_string_equal(h, "old\n");
    free(h);
    assert_dir_holds(f->dir, "j.job j.job.h stderr stdout ");
}

static void test_cli_unwritable_directory(void **state)
{
    cli_fixture *f = *state;
    assert_int_equal(cli_ajc(f, "-o", cli_in_dir(f, "nowhere"), f->job, NULL), 2);
    cli_one_line_reason(f, "cannot write");
    assert_false(file_exists(cli_in_dir(f, "nowhere")));
}

/* A file size limit makes the second write fail half-way, as a full disk
 * would: exit 2 and neither output nor temporary file left. */
static void test_cli_file_size_limit(void **state)
{
    cli_fixture *f = *state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit lim = { 2000, 2000 };
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0 || freopen(f->err, "w", stderr) == NULL)
            _exit(127);
        execl(ajc_path(), ajc_path(), f->job, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    cli_one_line_reason(f, "cannot write");
    assert_dir_holds(f->dir, "j.job stderr ");
}

static void test_cli_dot_to_full_device(void **state)
{
    cli_fixture *f = *state;
    char *const argv[] = { (char *)ajc_path(), "--dot", f->job, NULL };
    assert_int_equal(run(argv, "/dev/full", f->err), 2);
    cli_one_line_reason(f, "cannot write the DOT output");
}

/* Every DOT keyword, in any case, as a step name: Graphviz must accept it. */
static void test_cli_dot_accepted_by_graphviz(void **state)
{
    cli_fixture *f = *state;
    static const char text[] =
        "job graph() {\n    step node() -> int;\n    step edge(int n = node) -> int;\n"
        "    step Graph(int e = edge) -> int after node;\n    step DIGRAPH() after Graph;\n"
        "    step subgraph(int g = Graph);\n    step Strict() after subgraph, DIGRAPH;\n"
        "    step Node();\n    step EDGE() after Node;\n}\njob strict() { step digraph(); }\n";
    write_file(f->job, text, strlen(text));
    assert_int_equal(cli_ajc(f, "--dot", f->job, NULL, NULL), 0);
    char *dot = read_file(f->out, NULL);
    assert_non_null(strstr(dot, "digraph \"graph\" {\n"));
    assert_non_null(strstr(dot, "digraph \"strict\" {\n"));
    free(dot);
    assert_false(file_exists(cli_in_dir(f, "j.job.c"))); /* --dot writes no C */
    char *const argv[] = { "/usr/bin/dot", "-Tsvg", f->out, NULL };
    assert_int_equal(run(argv, cli_in_dir(f, "out.svg"), NULL), 0);
}

/* A user header that declares a step function with another signature: the
 * C compiler's error must name the .job file and the step's line. */
static void test_cli_line_points_at_the_job(void **state)
{
    cli_fixture *f = *state;
    static const char lib[] = "int j_B(void *ctx, int seed, int a, long *out);\n";
    write_file(cli_in_dir(f, "lib.h"), lib, strlen(lib));
    assert_int_equal(cli_ajc(f, f->job, NULL, NULL, NULL), 0);
    char inc[600];
    snprintf(inc, sizeof inc, "-I%s", f->dir);
    char *const argv[] = { "/usr/bin/gcc", "-std=c11", "-Iruntime", inc, "-c", "-o", "/dev/null",
                           cli_in_dir(f, "j.job.c"), NULL };
    assert_int_not_equal(run(argv, NULL, f->err), 0);
    char *err = read_file(f->err, NULL), want[600];
    snprintf(want, sizeof want, "%s:4:", f->job); /* step B is on line 4 */
    if (strstr(err, want) == NULL || strstr(err, "conflicting types for") == NULL)
        fail_msg("want '%s' and 'conflicting types' in: %s", want, err);
    free(err);
}

/* A path with '"' and '\\' in it is escaped in #line and .source, and the
 * generated C still compiles; a file name that #include "..." cannot spell
 * is refused. */
static void test_cli_odd_path_is_escaped(void **state)
{
    cli_fixture *f = *state;
    char *dir = cli_in_dir(f, "q\"d\\ir");
    assert_int_equal(mkdir(dir, 0755), 0);
    char odd[600], src[700], inc[700];
    snprintf(odd, sizeof odd, "%s/x\\y.job", dir);
    static const char text[] = "job j() { step A() -> int; result A; }\n";
    write_file(odd, text, strlen(text));
    assert_int_equal(cli_ajc(f, odd, NULL, NULL, NULL), 0);
    snprintf(src, sizeof src, "%s.c", odd);
    snprintf(inc, sizeof inc, "-I%s", dir);
    char *c = read_file(src, NULL);
    assert_non_null(strstr(c, "q\\\"d\\\\ir/x\\\\y.job\"\n")); /* #line, .source */
    assert_non_null(strstr(c, "#include \"x\\y.job.h\"\n"));
    free(c);
    char *const argv[] = { "/usr/bin/gcc", "-std=c11", "-Wall", "-Werror", "-Iruntime", inc,
                           "-c", "-o", "/dev/null", src, NULL };
    assert_int_equal(run(argv, NULL, f->err), 0);
    char *quoted = cli_in_dir(f, "a\"b.job");
    write_file(quoted, text, strlen(text));
    assert_int_equal(cli_ajc(f, quoted, NULL, NULL, NULL), 2);
    cli_one_line_reason(f, "rename the file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cli_version_and_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_short_help_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_input_without_job_suffix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_werror, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_color_always, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_color_never_and_not_a_terminal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_writes_beside_the_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_output_dir_check_and_no_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_same_bytes_every_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_rejected_input_leaves_old_outputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_unwritable_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_file_size_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_dot_to_full_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_dot_accepted_by_graphviz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_line_points_at_the_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_odd_path_is_escaped, setup, teardown),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
