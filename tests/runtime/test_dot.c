/*
 * test_dot.c: the pictures. Definition and instance DOT against golden
 * files byte for byte (instance pictures without times), times and
 * durations in tooltips, escaping of any name (checked with `dot` when it
 * is installed), the Chrome trace JSON and the Mermaid gantt, write
 * failures, and drawing while the instance runs.
 *
 * AJ_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GOLDEN "tests/runtime/golden/"
/* The definition's picture is the one ajc --dot prints for the same job:
 * one golden file for both, kept with the compiler's test case. */
#define GOLDEN_DEF "tests/cases/good/sql/expected.dot"


/* What a writer produced, as a NUL-terminated string (free it). */
typedef int (*draw_fn)(const void *what, FILE *out, unsigned flags);

static char *capture(draw_fn draw, const void *what, unsigned flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(draw(what, f, flags), AJ_OK);
    fclose(f);
    return buf;
}

static int draw_def(const void *what, FILE *out, unsigned flags)
{
    (void)flags;
    return aj_job_def_dot(what, out);
}

static int draw_inst(const void *what, FILE *out, unsigned flags)
{
    return aj_instance_dot(what, out, flags);
}

static int draw_json(const void *what, FILE *out, unsigned flags)
{
    (void)flags;
    return aj_instance_trace_json(what, out);
}

static int draw_mermaid(const void *what, FILE *out, unsigned flags)
{
    (void)flags;
    return aj_instance_mermaid(what, out);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

static void check_golden(const char *text, const char *path)
{
    char *want;

    if (getenv("AJ_UPDATE_GOLDEN") != NULL) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
    }
    want = slurp(path);
    assert_non_null(want);
    assert_string_equal(text, want);
    free(want);
}

/* What draw makes of what holds every string of want (NULL ends it). */
static void check_drawn(draw_fn draw, const void *what, const char *const *want)
{
    char *text = capture(draw, what, 0);

    for (; *want != NULL; want++)
        if (strstr(text, *want) == NULL)
            fail_msg("not drawn: %s\nin: %s", *want, text);
    free(text);
}

/* Runs `dot` on text when it is installed: the graph must be valid. */
static void check_dot_accepts(const char *text)
{
    FILE *p;

    if (system("command -v dot >/dev/null 2>&1") != 0)
        return;
    p = popen("dot -Tcanon >/dev/null 2>&1", "w");
    assert_non_null(p);
    fputs(text, p);
    assert_int_equal(pclose(p), 0);
}

static aj_instance *run_seq(void)
{
    tj_inputs in = { seed_run };
    aj_start_opts o = { .sequential = true, .instance_id = "golden" };
    aj_instance *inst = NULL;

    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &inst), AJ_OK);
    return inst;
}

static void test_dot_definition_golden(void **state)
{
    char *text;

    (void)state;
    tj_seed_limits(seed_job);
    text = capture(draw_def, &seed_job->def, 0);
    check_golden(text, GOLDEN_DEF);
    check_dot_accepts(text);
    free(text);
}

static void test_dot_instance_completed_failed_cancelled(void **state)
{
    aj_instance *inst;
    char *text;
    aj_start_opts o = { .sequential = true, .fail_fast = true, .instance_id = "x" };
    tj_inputs in = { seed_run };

    (void)state;
    inst = run_seq();
    text = capture(draw_inst, inst, AJ_DOT_NO_TIMES);
    check_golden(text, GOLDEN "sql_summary.completed.dot");
    check_dot_accepts(text);
    free(text);
    aj_instance_free(inst);

    seed_run->behave[SEED_CLIENT1].fails = -1;
    inst = run_seq();
    text = capture(draw_inst, inst, AJ_DOT_NO_TIMES);
    check_golden(text, GOLDEN "sql_summary.failed.dot");
    free(text);
    aj_instance_free(inst);

    /* Fail-fast on CheckAuth: cancelled and skipped steps both drawn. */
    seed_run->behave[SEED_CLIENT1].fails = 0;
    seed_run->behave[SEED_CHECKAUTH].fails = -1;
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &inst), AJ_OK);
    text = capture(draw_inst, inst, AJ_DOT_NO_TIMES);
    check_golden(text, GOLDEN "sql_summary.failfast.dot");
    free(text);
    aj_instance_free(inst);
}

static void test_dot_instance_cancelled_and_running(void **state)
{
    aj_runtime_opts ro = { .n_workers = 2 };
    aj_runtime *rt = aj_runtime_new(&ro);
    aj_start_opts o = { .instance_id = "live" };
    tj_inputs in = { seed_run };
    tj_gate gate;
    sem_t started;
    aj_instance *inst = NULL;
    char *text;

    (void)state;
    tj_gate_init(&gate);
    sem_init(&started, 0, 0);
    seed_run->behave[SEED_SUMMARIZE].gate = &gate;
    seed_run->behave[SEED_SUMMARIZE].started = &started;
    assert_int_equal(aj_instance_start(rt, &seed_job->def, &in, &o, &inst), AJ_OK);
    sem_wait(&started);
    text = capture(draw_inst, inst, AJ_DOT_NO_TIMES);
    check_golden(text, GOLDEN "sql_summary.running.dot");
    check_dot_accepts(text);
    free(text);
    aj_instance_cancel(inst);
    tj_gate_open(&gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    text = capture(draw_inst, inst, AJ_DOT_NO_TIMES);
    check_golden(text, GOLDEN "sql_summary.cancelled.dot");
    free(text);
    aj_instance_free(inst);
    aj_runtime_free(rt);
    sem_destroy(&started);
    tj_gate_destroy(&gate);
}

static void test_dot_instance_times(void **state)
{
    aj_instance *inst = run_seq();
    char *text = capture(draw_inst, inst, 0);
    char want[128], wall[AJ__FMT_MAX], dur[AJ__FMT_MAX];
    aj_step_info info;

    (void)state;
    aj_instance_step_info(inst, SEED_QUERY1, &info);
    snprintf(want, sizeof want, "tooltip=\"State: completed\\nStartAt: %s\\nDuration: %s\\n",
             aj__fmt_wall(wall, info.start_wall_ns), aj__fmt_duration(dur, info.duration_ns));
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "\"s2\" -> \"s4\" [style=bold color=green tooltip=\"Time: %s\"]",
             wall);
    assert_non_null(strstr(text, want));
    check_dot_accepts(text);
    free(text);
    aj_instance_free(inst);
}

static void test_dot_escapes_any_name(void **state)
{
    static const char *const names[] = { "a\"b", "back\\slash", "new\nline", "job" };
    static const char *const types[] = { "struct \"q\" *", NULL, "int", NULL };
    static const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_AFTER }, { 0, 2, AJ_EDGE_DATA },
                                         { 2, 3, AJ_EDGE_DATA } };
    tj_job *j = tj_new("digraph \"x\" {", 4, names, types, edges, 3);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_start_opts o = { .sequential = true, .instance_id = "a:b;c" };
    aj_instance *inst = NULL;
    char *text;

    (void)state;
    text = capture(draw_def, &j->def, 0);
    assert_non_null(strstr(text, "digraph \"digraph \\\"x\\\" {\" {"));
    assert_non_null(strstr(text, "[label=\"a\\\"b\""));
    assert_non_null(strstr(text, "[label=\"back\\\\slash\""));
    assert_non_null(strstr(text, "[label=\"new\\nline\""));
    check_dot_accepts(text);
    free(text);
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    text = capture(draw_inst, inst, 0);
    check_dot_accepts(text);
    free(text);
    check_drawn(draw_json, inst,
                (const char *const[]){ "\"name\":\"new\\u000aline\"", "\"name\":\"a\\\"b\"", NULL });
    check_drawn(draw_mermaid, inst,
                (const char *const[]){ "title digraph _x_ _ a_b_c\n", "section new_line\n", NULL });
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

static void test_dot_durations_as_go_prints_them(void **state)
{
    static const struct { int64_t ns; const char *text; } cases[] = {
        { 0, "0s" }, { 1, "1ns" }, { 999, "999ns" }, { 1000, "1µs" }, { 1500, "1.5µs" },
        { 154825, "154.825µs" }, { 1000000, "1ms" }, { 1234567, "1.234567ms" },
        { 1000000000, "1s" }, { 1500000000, "1.5s" }, { 61000000000, "1m1s" },
        { 3600000000000, "1h0m0s" }, { 3661500000000, "1h1m1.5s" }, { -1500, "-1.5µs" },
        { INT64_MAX, "2562047h47m16.854775807s" },
    };
    char buf[AJ__FMT_MAX];

    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        assert_string_equal(aj__fmt_duration(buf, cases[k].ns), cases[k].text);
    assert_string_equal(aj__fmt_wall(buf, 0), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(aj__fmt_wall(buf, 1764415545123456789), "2025-11-29T11:25:45.123456Z");
    assert_string_equal(aj__fmt_wall(buf, -1000), "1969-12-31T23:59:59.999999Z");
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static void test_dot_trace_json_and_mermaid(void **state)
{
    aj_instance *inst;
    char *text;

    (void)state;
    seed_run->behave[SEED_CLIENT2].fails = -1;
    inst = run_seq();
    text = capture(draw_json, inst, 0);
    assert_true(strncmp(text, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n", 40) == 0);
    assert_int_equal(count(text, "\"ph\":\"M\""), 9); /* the process, 8 steps */
    /* Started: 5; Query2, Summarize, Email are skipped, as instants. */
    assert_int_equal(count(text, "\"ph\":\"X\""), 5);
    assert_int_equal(count(text, "\"ph\":\"i\""), 3);
    assert_int_equal(count(text, "\"reason\":\"upstream failed\""), 3);
    assert_int_equal(count(text, "{"), count(text, "}"));
    assert_non_null(strstr(text, "\"tid\":4,\"ts\":"));
    assert_non_null(strstr(text, "\"args\":{\"state\":\"failed\",\"attempts\":1}"));
    assert_string_equal(text + strlen(text) - 4, "\n]}\n");
    free(text);
    text = capture(draw_mermaid, inst, 0);
    assert_true(strncmp(text, "gantt\n    title sql_summary golden\n", 35) == 0);
    assert_non_null(strstr(text, "dateFormat x\n"));
    assert_int_equal(count(text, "    section "), 8);
    assert_non_null(strstr(text, "\n    completed :done, s0r, "));
    assert_non_null(strstr(text, "\n    failed :crit, s3r, "));
    assert_non_null(strstr(text, "section Summarize\n    skipped (upstream failed) :milestone, s6s, "));
    free(text);
    aj_instance_free(inst);
}

/* The branches of DESIGN.md's example: a condition that says false, an
 * optional input, rules, a nonfatal step that fails. */
static tj_job *gates_job(tj_run **run)
{
    static const char *const names[] = {
        "IsLarge", "Query", "Compress", "Store", "Alert", "Close", "Recommend", "Report",
    };
    const aj_edge_def edges[] = {
        { 0, 2, AJ_EDGE_CONDITION }, { 1, 2, AJ_EDGE_DATA }, { 2, 3, AJ_EDGE_DATA | AJ_EDGE_OPTIONAL },
        { 1, 3, AJ_EDGE_DATA },      { 1, 4, AJ_EDGE_AFTER }, { 3, 5, AJ_EDGE_AFTER },
        { 0, 7, AJ_EDGE_CONDITION },
    };
    tj_job *j = tj_new("gates", 8, names, NULL, edges, 7);
    tj_run *r = *run = tj_run_new(j);

    tj_set_bool(j, r, 0, false);
    tj_set_gate(j, 2, AJ_ON_SUCCESS, 0, false);
    tj_set_gate(j, 3, AJ_ON_SUCCESS, -1, false);
    tj_set_gate(j, 4, AJ_ON_FAILURE, -1, false);
    tj_set_gate(j, 5, AJ_ON_DONE, -1, false);
    tj_set_gate(j, 7, AJ_ON_SUCCESS, 0, true);
    tj_set_nonfatal(j, 6, true);
    r->behave[6].fails = -1;
    return j;
}

static void test_dot_instance_gates_golden(void **state)
{
    aj_start_opts o = { .sequential = true, .instance_id = "golden" };
    tj_run *r;
    tj_job *j = gates_job(&r);
    aj_instance *inst = tj_start(NULL, j, r, &o);
    char *text;

    (void)state;
    assert_int_equal(aj_instance_wait(inst, 0), AJ_OK);
    text = capture(draw_inst, inst, AJ_DOT_NO_TIMES);
    check_golden(text, GOLDEN "gates.dot");
    check_dot_accepts(text);
    free(text);
    /* The two skipped steps are instants (milestones) with their reasons. */
    check_drawn(draw_json, inst,
                (const char *const[]){
                    "\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":3,",
                    "\"args\":{\"state\":\"skipped\",\"reason\":\"condition\"}",
                    "\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":5,",
                    "\"args\":{\"state\":\"skipped\",\"reason\":\"no failure\"}", NULL });
    check_drawn(draw_mermaid, inst,
                (const char *const[]){
                    "section Compress\n    skipped (condition) :milestone, s2s, ",
                    "section Alert\n    skipped (no failure) :milestone, s4s, ", NULL });
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

static void test_dot_write_failures_are_eio(void **state)
{
    aj_instance *inst = run_seq();
    FILE *full = fopen("/dev/full", "w");
    char tiny[8];

    (void)state;
    assert_non_null(full);
    assert_int_equal(aj_job_def_dot(&seed_job->def, full), AJ_EIO);
    assert_int_equal(aj_instance_dot(inst, full, 0), AJ_EIO);
    assert_int_equal(aj_instance_trace_json(inst, full), AJ_EIO);
    assert_int_equal(aj_instance_mermaid(inst, full), AJ_EIO);
    fclose(full);
    for (int k = 0; k < 4; k++) {
        FILE *small = fmemopen(tiny, sizeof tiny, "w");
        assert_non_null(small);
        int rc = k == 0   ? aj_job_def_dot(&seed_job->def, small)
                 : k == 1 ? aj_instance_dot(inst, small, AJ_DOT_NO_TIMES)
                 : k == 2 ? aj_instance_trace_json(inst, small)
                          : aj_instance_mermaid(inst, small);
        assert_int_equal(rc, AJ_EIO);
        fclose(small);
    }
    assert_int_equal(aj_job_def_dot(NULL, stdout), AJ_EINVAL);
    assert_int_equal(aj_instance_dot(inst, NULL, 0), AJ_EINVAL);
    assert_int_equal(aj_instance_trace_json(NULL, stdout), AJ_EINVAL);
    assert_int_equal(aj_instance_mermaid(NULL, stdout), AJ_EINVAL);
    aj_instance_free(inst);
}

/* Pictures drawn over and over while a long chain runs: under TSan this
 * is the check that drawing races with nothing. */
static void test_dot_drawing_while_running(void **state)
{
    enum { N = 300 };
    aj_edge_def edges[N - 1];
    tj_job *j;
    tj_run *r;
    tj_inputs in;
    aj_runtime_opts ro = { .n_workers = 2 };
    aj_runtime *rt = aj_runtime_new(&ro);
    aj_instance *inst = NULL;
    FILE *devnull = fopen("/dev/null", "w");
    int drawn = 0;

    (void)state;
    for (uint32_t i = 0; i + 1 < N; i++)
        edges[i] = (aj_edge_def){ i, i + 1, AJ_EDGE_DATA };
    j = tj_new("chain", N, NULL, NULL, edges, N - 1);
    r = tj_run_new(j);
    in.run = r;
    assert_int_equal(aj_instance_start(rt, &j->def, &in, NULL, &inst), AJ_OK);
    do {
        assert_int_equal(aj_instance_dot(inst, devnull, 0), AJ_OK);
        assert_int_equal(aj_instance_trace_json(inst, devnull), AJ_OK);
        assert_int_equal(aj_instance_mermaid(inst, devnull), AJ_OK);
        drawn++;
    } while (!aj_instance_done(inst));
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(tj_output(inst, N - 1), N);
    assert_true(drawn >= 1);
    aj_instance_free(inst);
    aj_runtime_free(rt);
    fclose(devnull);
    tj_run_free(r);
    tj_free(j);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, seed_setup, seed_teardown)
    const struct CMUnitTest tests[] = {
        T(test_dot_definition_golden),
        T(test_dot_instance_completed_failed_cancelled),
        T(test_dot_instance_cancelled_and_running),
        T(test_dot_instance_times),
        T(test_dot_escapes_any_name),
        T(test_dot_durations_as_go_prints_them),
        T(test_dot_trace_json_and_mermaid),
        T(test_dot_instance_gates_golden),
        T(test_dot_write_failures_are_eio),
        T(test_dot_drawing_while_running),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
