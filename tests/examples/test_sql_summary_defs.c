/*
 * test_sql_summary_defs.c: go-asyncjob's definition-time errors, which it
 * reports when the Go program runs, are ajc diagnostics here: the job never
 * compiles. Each case is the sql_summary job with one mistake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#define DEFS "tests/examples/defs/"

/* Runs a shell command; returns its exit status and its output (stdout and
 * stderr together) in a malloc'd string. */
static int run(const char *cmd, char **output)
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
    assert_true(WIFEXITED(status));
    *output = text;
    return WEXITSTATUS(status);
}

static const char *ajc(void)
{
    static char path[512];
    const char *b = getenv("B");
    snprintf(path, sizeof path, "%s/ajc", b != NULL ? b : "build");
    return path;
}

/* ajc --check rejects the file with exit 1 and prints want among its
 * diagnostics (each want is one "file:line:col: kind: text" prefix). */
static void assert_rejected(const char *file, const char *want1, const char *want2)
{
    char cmd[1024], *out;

    snprintf(cmd, sizeof cmd, "%s --check " DEFS "%s 2>&1", ajc(), file);
    assert_int_equal(run(cmd, &out), 1);
    if (strstr(out, want1) == NULL || (want2 != NULL && strstr(out, want2) == NULL))
        fail_msg("ajc output for %s lacks '%s'%s%s:\n%s", file, want1,
                 want2 ? " or " : "", want2 ? want2 : "", out);
    free(out);
}

/* ErrRefStepNotInJob: "trying to reference to step %q, but it is not
 * registered in job". */
static void test_defs_reference_to_step_not_in_job(void **state)
{
    (void)state;
    assert_rejected("ref_step_not_in_job.job",
                    DEFS "ref_step_not_in_job.job:21:38: error: ", "'GetTableClient3'");
}

/* ErrAddExistingStep: "trying to add step %q to job definition, but it
 * already exists"; the note points at the first declaration. */
static void test_defs_add_existing_step(void **state)
{
    (void)state;
    assert_rejected("add_existing_step.job",
                    DEFS "add_existing_step.job:19:10: error: ",
                    DEFS "add_existing_step.job:17:10: note: ");
}

/* ErrDuplicateInputParentStep: "at least 2 input parentSteps are same". */
static void test_defs_same_parent_twice(void **state)
{
    (void)state;
    assert_rejected("duplicate_input_parent.job",
                    DEFS "duplicate_input_parent.job:25:53: error: ", "'QueryTable1'");
}

/* ErrAddStepInSealedJob cannot happen here: a job is complete when ajc
 * reads its file, and the generated definition is a const object, so adding
 * to it or changing it after the fact does not compile. */
static void test_defs_sealed_definition_cannot_change(void **state)
{
    char cmd[1024], *out;
    const char *b = getenv("B") != NULL ? getenv("B") : "build";
    (void)state;

    snprintf(cmd, sizeof cmd,
             "printf '#include \"sql_summary.job.h\"\\nvoid f(void);\\n"
             "void f(void) { sql_summary_def.n_steps = 9; }\\n' | "
             "cc -std=c11 -fsyntax-only -Iruntime -Iexamples/sql_summary "
             "-I%s/examples/sql_summary -x c - 2>&1", b);
    assert_int_not_equal(run(cmd, &out), 0);
    assert_non_null(strstr(out, "read-only"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defs_reference_to_step_not_in_job),
        cmocka_unit_test(test_defs_add_existing_step),
        cmocka_unit_test(test_defs_same_parent_twice),
        cmocka_unit_test(test_defs_sealed_definition_cannot_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
