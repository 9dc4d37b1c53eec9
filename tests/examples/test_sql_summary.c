/*
 * test_sql_summary.c: go-asyncjob's tests, ported to the sql_summary
 * example. Each test names the Go test it answers. Steps run on a real
 * runtime; all assertions run on the main thread after wait.
 */
#include "sql_summary.job.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shell.h"

enum { STEP_GetConnection, STEP_CheckAuth, STEP_GetTableClient1, STEP_GetTableClient2,
       STEP_QueryTable1, STEP_QueryTable2, STEP_Summarize, STEP_EmailNotification,
       STEP_Close, STEP_Alert };

static aj_runtime *rt;

static int setup_runtime(void **state)
{
    aj_runtime_opts o = { .n_workers = 2 };
    (void)state;
    rt = aj_runtime_new(&o);
    return rt == NULL;
}

static int teardown_runtime(void **state)
{
    (void)state;
    aj_runtime_free(rt);
    return 0;
}

static void init_lib(SqlSummaryJobLib *lib, const char *server, const char *t1,
                     const char *q1, const char *t2, const char *q2)
{
    assert_int_equal(sql_lib_init(lib, server, t1, q1, t2, q2, NULL), 0);
}

static void init_lib1(SqlSummaryJobLib *lib)
{
    init_lib(lib, "server1", "table1", "query1", "table2", "query2");
}

static void inject(SqlSummaryJobLib *lib, const char *key, int code, unsigned times,
                   bool permanent)
{
    SqlFault f = { key, code, times, "injected by the test", permanent };
    assert_int_equal(sql_lib_inject(lib, f), 0);
}

static sql_summary *start(SqlSummaryJobLib *lib, const aj_start_opts *opts)
{
    sql_summary *job = NULL;
    assert_int_equal(sql_summary_start(rt, lib, opts, &job), AJ_OK);
    assert_non_null(job);
    return job;
}

static aj_step_info step_info(sql_summary *job, uint32_t step)
{
    aj_step_info info;
    assert_int_equal(aj_instance_step_info(sql_summary_instance(job), step, &info), AJ_OK);
    return info;
}

static void assert_state(sql_summary *job, uint32_t step, aj_step_state want)
{
    assert_string_equal(aj_step_state_name(step_info(job, step).state),
                        aj_step_state_name(want));
}

static void assert_skipped(sql_summary *job, uint32_t step, aj_skip_reason why)
{
    aj_step_info info = step_info(job, step);
    assert_string_equal(aj_step_state_name(info.state), aj_step_state_name(AJ_STEP_SKIPPED));
    assert_string_equal(aj_skip_reason_name(info.skip_reason), aj_skip_reason_name(why));
}

static void assert_query(const SqlQueryResult *r, const char *server, const char *table,
                         const char *query)
{
    assert_string_equal(r->server, server);
    assert_string_equal(r->table, table);
    assert_string_equal(r->query, query);
}

/* TestSimpleJob: three instances in flight at once (ids given for two, the
 * third sequential), each result checked field by field. */
static void test_sql_summary_three_instances(void **state)
{
    SqlSummaryJobLib lib1, lib2, lib3;
    aj_start_opts o1 = { .instance_id = "job-1" }, o2 = { .instance_id = "job-2" };
    aj_start_opts o3 = { .sequential = true };
    Summary s1, s2, s3;
    (void)state;

    init_lib1(&lib1);
    init_lib(&lib2, "server2", "table3", "query3", "table4", "query4");
    init_lib(&lib3, "server3", "table5", "query5", "table6", "query6");
    sql_summary *j1 = start(&lib1, &o1), *j2 = start(&lib2, &o2), *j3 = start(&lib3, &o3);
    assert_true(aj_instance_done(sql_summary_instance(j3)));
    assert_int_equal(sql_summary_wait(j1, -1), AJ_OK);
    assert_int_equal(sql_summary_wait(j2, -1), AJ_OK);
    assert_int_equal(sql_summary_wait(j3, -1), AJ_OK);
    assert_string_equal(aj_instance_id(sql_summary_instance(j1)), "job-1");
    assert_string_equal(aj_instance_id(sql_summary_instance(j2)), "job-2");
    assert_int_equal(strlen(aj_instance_id(sql_summary_instance(j3))), 36);
    assert_int_equal(sql_summary_result(j1, &s1), AJ_OK);
    assert_int_equal(sql_summary_result(j2, &s2), AJ_OK);
    assert_int_equal(sql_summary_result(j3, &s3), AJ_OK);
    assert_query(&s1->r1, "server1", "table1", "query1");
    assert_query(&s1->r2, "server1", "table2", "query2");
    assert_query(&s2->r1, "server2", "table3", "query3");
    assert_query(&s2->r2, "server2", "table4", "query4");
    assert_query(&s3->r1, "server3", "table5", "query5");
    assert_query(&s3->r2, "server3", "table6", "query6");
    for (uint32_t i = 0; i <= STEP_EmailNotification; i++)
        assert_state(j1, i, AJ_STEP_COMPLETED);
    sql_summary_free(j1);
    sql_summary_free(j2);
    sql_summary_free(j3);
    sql_lib_destroy(&lib1);
    sql_lib_destroy(&lib2);
    sql_lib_destroy(&lib3);
}

/* go-asyncjob's context enrichment: every step logs its job, instance and
 * step name through its context. */
static void test_sql_summary_log_names_job_instance_and_step(void **state)
{
    SqlSummaryJobLib lib;
    aj_start_opts o = { .instance_id = "log-1" };
    char *text = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&text, &len);
    (void)state;

    assert_non_null(log);
    assert_int_equal(sql_lib_init(&lib, "server1", "table1", "query1", "table2", "query2", log), 0);
    sql_summary *job = start(&lib, &o);
    assert_int_equal(sql_summary_wait(job, -1), AJ_OK);
    sql_summary_free(job);
    sql_lib_destroy(&lib);
    assert_int_equal(fclose(log), 0);
    assert_non_null(strstr(text, "[Job: sql_summary-log-1, Step: GetConnection] GetConnection to server1\n"));
    assert_non_null(strstr(text, "[Job: sql_summary-log-1, Step: QueryTable2] ExecuteQuery: query2\n"));
    assert_non_null(strstr(text, "[Job: sql_summary-log-1, Step: EmailNotification] EmailNotification\n"));
    free(text);
}

/* Runs one instance of lib's job with a log in memory; returns wait's code
 * and the log (the caller frees it) once the instance is freed. */
static int run_logged(SqlSummaryJobLib *lib, sql_summary **kept, char **log_text)
{
    size_t len = 0;
    FILE *log = open_memstream(log_text, &len);

    assert_non_null(log);
    lib->log = log;
    sql_summary *job = start(lib, NULL);
    int rc = sql_summary_wait(job, -1);
    *kept = job;
    lib->log = NULL;
    assert_int_equal(fclose(log), 0);
    return rc;
}

/* A job that succeeds closes its connection (Close, on done) and raises no
 * alert (Alert, on failure, is skipped for want of one). */
static void test_sql_summary_success_closes_and_does_not_alert(void **state)
{
    SqlSummaryJobLib lib;
    sql_summary *job;
    char *log;
    (void)state;

    init_lib1(&lib);
    assert_int_equal(run_logged(&lib, &job, &log), AJ_OK);
    assert_state(job, STEP_Close, AJ_STEP_COMPLETED);
    assert_skipped(job, STEP_Alert, AJ_SKIP_NO_FAILURE);
    assert_non_null(strstr(log, "Step: Close] Close server1\n"));
    assert_null(strstr(log, "Alert"));
    assert_int_equal(sql_lib_calls(&lib, "Close"), 1);
    sql_summary_free(job);
    sql_lib_destroy(&lib);
    free(log);
}

/* No connection: everything after it is skipped for that failure, but
 * Close still runs (with conn NULL: nothing to close) and Alert raises the
 * alert; the root cause is GetConnection. */
static void test_sql_summary_no_connection_alerts_and_closes_nothing(void **state)
{
    SqlSummaryJobLib lib;
    sql_summary *job;
    aj_failure f;
    char *log;
    (void)state;

    init_lib1(&lib);
    inject(&lib, "GetConnection", SQL_ENOTFOUND, 0, true);
    assert_int_equal(run_logged(&lib, &job, &log), SQL_ENOTFOUND);
    assert_int_equal(aj_instance_failure(sql_summary_instance(job), &f), SQL_ENOTFOUND);
    assert_string_equal(f.step_name, "GetConnection");
    assert_skipped(job, STEP_Summarize, AJ_SKIP_UPSTREAM_FAILED);
    assert_skipped(job, STEP_EmailNotification, AJ_SKIP_UPSTREAM_FAILED);
    assert_state(job, STEP_Close, AJ_STEP_COMPLETED);
    assert_state(job, STEP_Alert, AJ_STEP_COMPLETED);
    assert_non_null(strstr(log, "Step: Close] Close: no connection\n"));
    assert_non_null(strstr(log, "Step: Alert] Alert: the summary could not be made\n"));
    assert_int_equal(sql_lib_calls(&lib, "Close"), 0);
    sql_summary_free(job);
    sql_lib_destroy(&lib);
    free(log);
}

/* The email is nonfatal: when it cannot be sent the step is failed, but
 * the job succeeds with its summary, nothing is the root cause, the
 * connection is closed and no alert is raised. */
static void test_sql_summary_email_failure_is_nonfatal(void **state)
{
    SqlSummaryJobLib lib;
    sql_summary *job;
    aj_failure f;
    Summary s;
    char *log;
    (void)state;

    init_lib1(&lib);
    inject(&lib, "EmailNotification", SQL_EQUERY, 0, true);
    assert_int_equal(run_logged(&lib, &job, &log), AJ_OK);
    assert_state(job, STEP_EmailNotification, AJ_STEP_FAILED);
    assert_int_equal(aj_instance_failure(sql_summary_instance(job), &f), 0);
    assert_int_equal(f.step, -1);
    assert_int_equal(sql_summary_result(job, &s), AJ_OK);
    assert_query(&s->r1, "server1", "table1", "query1");
    assert_state(job, STEP_Close, AJ_STEP_COMPLETED);
    assert_skipped(job, STEP_Alert, AJ_SKIP_NO_FAILURE);
    sql_summary_free(job);
    sql_lib_destroy(&lib);
    free(log);
}

/* TestJobError: GetTableClient1 fails; the error names it, its dependents
 * never run, the other branch runs to the end. */
static void test_sql_summary_step_error_names_step(void **state)
{
    SqlSummaryJobLib lib;
    aj_failure f;
    Summary s;
    (void)state;

    init_lib1(&lib);
    inject(&lib, "GetTableClient.server1.table1", SQL_ENOTFOUND, 0, false);
    sql_summary *job = start(&lib, NULL);
    assert_int_equal(sql_summary_wait(job, -1), SQL_ENOTFOUND);
    assert_int_equal(aj_instance_failure(sql_summary_instance(job), &f), SQL_ENOTFOUND);
    assert_string_equal(f.step_name, "GetTableClient1");
    assert_int_equal(f.kind, AJ_FAIL_ERROR);
    assert_int_equal(f.attempts, 1);
    assert_string_equal(f.message, "GetTableClient.server1.table1: injected by the test");
    assert_state(job, STEP_GetTableClient1, AJ_STEP_FAILED);
    assert_state(job, STEP_QueryTable1, AJ_STEP_SKIPPED);
    assert_state(job, STEP_Summarize, AJ_STEP_SKIPPED);
    assert_state(job, STEP_EmailNotification, AJ_STEP_SKIPPED);
    assert_state(job, STEP_GetTableClient2, AJ_STEP_COMPLETED);
    assert_state(job, STEP_QueryTable2, AJ_STEP_COMPLETED);
    assert_int_equal(sql_lib_calls(&lib, "ExecuteQuery.server1.table1.query1"), 0);
    assert_int_equal(sql_lib_calls(&lib, "ExecuteQuery.server1.table2.query2"), 1);
    assert_int_equal(sql_lib_calls(&lib, "SummarizeQueryResult"), 0);
    assert_int_equal(sql_summary_result(job, &s), AJ_ENORESULT);
    sql_summary_free(job);
    sql_lib_destroy(&lib);
}

/* TestJobPanic: a Go step panics; C has no panic, so the counterpart is a
 * step failing hard, with a message, marked permanent. */
static void test_sql_summary_hard_failure_is_root_cause(void **state)
{
    SqlSummaryJobLib lib;
    SqlFault f = { "GetTableClient.server1.table2", SQL_EQUERY, 0, "as you wish", true };
    aj_failure fail;
    (void)state;

    init_lib1(&lib);
    assert_int_equal(sql_lib_inject(&lib, f), 0);
    sql_summary *job = start(&lib, NULL);
    assert_int_equal(sql_summary_wait(job, -1), SQL_EQUERY);
    assert_int_equal(aj_instance_failure(sql_summary_instance(job), &fail), SQL_EQUERY);
    assert_string_equal(fail.step_name, "GetTableClient2");
    assert_string_equal(fail.message, "GetTableClient.server1.table2: as you wish");
    assert_state(job, STEP_QueryTable2, AJ_STEP_SKIPPED);
    assert_state(job, STEP_QueryTable1, AJ_STEP_COMPLETED);
    sql_summary_free(job);
    sql_lib_destroy(&lib);
}

typedef struct retry_case {
    const char *key;    /* library call that fails */
    uint32_t step;      /* the step that makes that call */
    const char *name;
} retry_case;

static const retry_case retry_cases[] = {
    { "GetConnection", STEP_GetConnection, "GetConnection" },                   /* no input */
    { "ExecuteQuery.server1.table1.query1", STEP_QueryTable1, "QueryTable1" }, /* one */
    { "SummarizeQueryResult", STEP_Summarize, "Summarize" },                   /* two */
};

/* TestJobStepRetry: a policy of 3 retries exhausted; the root cause names
 * the step with 1 + 3 attempts. */
static void test_sql_summary_retries_exhausted(void **state)
{
    for (size_t i = 0; i < sizeof retry_cases / sizeof retry_cases[0]; i++) {
        const retry_case *c = &retry_cases[i];
        SqlSummaryJobLib lib;
        aj_failure f;
        (void)state;

        init_lib1(&lib);
        inject(&lib, c->key, SQL_EQUERY, 0, false);
        sql_summary *job = start(&lib, NULL);
        assert_int_equal(sql_summary_wait(job, -1), SQL_EQUERY);
        assert_int_equal(aj_instance_failure(sql_summary_instance(job), &f), SQL_EQUERY);
        assert_string_equal(f.step_name, c->name);
        assert_int_equal(f.attempts, 4);
        assert_int_equal(step_info(job, c->step).attempts, 4);
        assert_int_equal(sql_lib_calls(&lib, c->key), 4);
        assert_state(job, STEP_EmailNotification, AJ_STEP_SKIPPED);
        sql_summary_free(job);
        sql_lib_destroy(&lib);
    }
}

/* TestJobStepRetry, recovering: the error clears on the third call. */
static void test_sql_summary_retry_recovers_on_third_attempt(void **state)
{
    for (size_t i = 0; i < sizeof retry_cases / sizeof retry_cases[0]; i++) {
        const retry_case *c = &retry_cases[i];
        SqlSummaryJobLib lib;
        Summary s;
        (void)state;

        init_lib1(&lib);
        inject(&lib, c->key, SQL_EQUERY, 2, false);
        sql_summary *job = start(&lib, NULL);
        assert_int_equal(sql_summary_wait(job, -1), AJ_OK);
        assert_int_equal(step_info(job, c->step).attempts, 3);
        assert_int_equal(sql_lib_calls(&lib, c->key), 3);
        assert_int_equal(sql_summary_result(job, &s), AJ_OK);
        assert_query(&s->r1, "server1", "table1", "query1");
        assert_state(job, STEP_EmailNotification, AJ_STEP_COMPLETED);
        sql_summary_free(job);
        sql_lib_destroy(&lib);
    }
}

/* go-asyncjob's retry map passed to BuildJob: here a per-instance override
 * gives QueryTable2, which has no policy in the .job, two retries. */
static void test_sql_summary_retry_override_per_instance(void **state)
{
    SqlSummaryJobLib lib;
    aj_retry_override ov = { "QueryTable2", { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                              .delay_ns = 1000000 } };
    aj_start_opts o = { .n_retry_overrides = 1, .retry_overrides = &ov };
    (void)state;

    init_lib1(&lib);
    inject(&lib, "ExecuteQuery.server1.table2.query2", SQL_EQUERY, 2, false);
    sql_summary *job = start(&lib, &o);
    assert_int_equal(sql_summary_wait(job, -1), AJ_OK);
    assert_int_equal(step_info(job, STEP_QueryTable2).attempts, 3);
    sql_summary_free(job);
    sql_lib_destroy(&lib);

    /* The same fault without the override fails at once. */
    init_lib1(&lib);
    inject(&lib, "ExecuteQuery.server1.table2.query2", SQL_EQUERY, 2, false);
    job = start(&lib, NULL);
    assert_int_equal(sql_summary_wait(job, -1), SQL_EQUERY);
    assert_int_equal(step_info(job, STEP_QueryTable2).attempts, 1);
    sql_summary_free(job);
    sql_lib_destroy(&lib);
}

/* A result taken by the caller is the caller's to free; the instance frees
 * every other output (ASan's leak check holds both to it). */
static void test_sql_summary_take_hands_over_result(void **state)
{
    SqlSummaryJobLib lib;
    Summary s = NULL, again = NULL;
    (void)state;

    init_lib1(&lib);
    sql_summary *job = start(&lib, NULL);
    assert_int_equal(sql_summary_wait(job, -1), AJ_OK);
    assert_int_equal(sql_summary_take(job, &s), AJ_OK);
    assert_int_equal(sql_summary_take(job, &again), AJ_ETAKEN);
    assert_null(again);
    sql_summary_free(job);
    assert_query(&s->r2, "server1", "table2", "query2");
    sql_summarized_result_free(s);
    sql_lib_destroy(&lib);
}

/* Writes with fn into memory and compares with the golden file, or, with
 * AJ_UPDATE_GOLDEN set, rewrites the golden file. */
static void assert_golden(const char *golden, int (*fn)(const void *, FILE *), const void *arg)
{
    char *text = NULL, *want;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    assert_int_equal(fn(arg, f), AJ_OK);
    assert_int_equal(fclose(f), 0);
    if (getenv("AJ_UPDATE_GOLDEN") != NULL) {
        FILE *g = fopen(golden, "w");
        assert_non_null(g);
        assert_int_equal(fputs(text, g) >= 0 && fclose(g) == 0, 1);
    }
    want = shell_slurp(golden);
    assert_string_equal(text, want);
    free(text);
    free(want);
}

static int def_dot(const void *def, FILE *f)
{
    return aj_job_def_dot(def, f);
}

static int instance_dot(const void *job, FILE *f)
{
    return aj_instance_dot(sql_summary_instance((sql_summary *)job), f, AJ_DOT_NO_TIMES);
}

/* Visualize(): the definition and finished instances, success and failure,
 * compared with golden files (times left out so the bytes are stable). */
static void test_sql_summary_dot_golden(void **state)
{
    SqlSummaryJobLib lib;
    (void)state;

    assert_golden("examples/sql_summary/golden/definition.dot", def_dot, &sql_summary_def);
    /* ajc --dot prints the very same bytes from the .job file. */
    char cmd[256], *out, *want = shell_slurp("examples/sql_summary/golden/definition.dot");
    snprintf(cmd, sizeof cmd, "%s/ajc --dot examples/sql_summary/sql_summary.job",
             shell_build_dir());
    assert_int_equal(shell_run(cmd, &out), 0);
    assert_string_equal(out, want);
    free(out);
    free(want);
    init_lib1(&lib);
    sql_summary *job = start(&lib, NULL);
    assert_int_equal(sql_summary_wait(job, -1), AJ_OK);
    assert_golden("examples/sql_summary/golden/completed.dot", instance_dot, job);
    sql_summary_free(job);
    sql_lib_destroy(&lib);

    init_lib1(&lib);
    inject(&lib, "GetTableClient.server1.table1", SQL_ENOTFOUND, 0, false);
    job = start(&lib, NULL);
    assert_int_equal(sql_summary_wait(job, -1), SQL_ENOTFOUND);
    assert_golden("examples/sql_summary/golden/failed.dot", instance_dot, job);
    sql_summary_free(job);
    sql_lib_destroy(&lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_summary_three_instances),
        cmocka_unit_test(test_sql_summary_log_names_job_instance_and_step),
        cmocka_unit_test(test_sql_summary_step_error_names_step),
        cmocka_unit_test(test_sql_summary_success_closes_and_does_not_alert),
        cmocka_unit_test(test_sql_summary_no_connection_alerts_and_closes_nothing),
        cmocka_unit_test(test_sql_summary_email_failure_is_nonfatal),
        cmocka_unit_test(test_sql_summary_hard_failure_is_root_cause),
        cmocka_unit_test(test_sql_summary_retries_exhausted),
        cmocka_unit_test(test_sql_summary_retry_recovers_on_third_attempt),
        cmocka_unit_test(test_sql_summary_retry_override_per_instance),
        cmocka_unit_test(test_sql_summary_take_hands_over_result),
        cmocka_unit_test(test_sql_summary_dot_golden),
    };
    return cmocka_run_group_tests(tests, setup_runtime, teardown_runtime);
}
