/*
 * test_logstats.c: the logstats example on generated logs whose exact
 * tally is known: parallel and sequential runs agree with the truth, the
 * report is written, a held lock is waited out by retrying, every file
 * is counted by an element of its own, an empty directory is no error, and
 * failures name their step (and the file's element).
 */
#define _DEFAULT_SOURCE /* flock, mkdtemp */
#include "logstats.job.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

enum { STEP_Scan, STEP_Count, STEP_Merge, STEP_Report };

#define N_FILES 9

typedef struct fixture {
    char dir[64];          /* generated logs */
    char report[96];
    char lock[112];
    LogTally *expect;
    aj_runtime *rt;
} fixture;

static int setup(void **state)
{
    static fixture fx;
    aj_runtime_opts o = { .n_workers = 2 };

    strcpy(fx.dir, "/tmp/logstats-test-XXXXXX");
    if (mkdtemp(fx.dir) == NULL || (fx.expect = log_tally_new()) == NULL)
        return -1;
    snprintf(fx.report, sizeof fx.report, "%s/report.txt", fx.dir);
    snprintf(fx.lock, sizeof fx.lock, "%s.lock", fx.report);
    if (log_generate(fx.dir, N_FILES, 3000, 7, fx.expect) != 0 || (fx.rt = aj_runtime_new(&o)) == NULL)
        return -1;
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[128];

    aj_runtime_free(fx->rt);
    log_tally_free(fx->expect);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    return system(cmd) != 0;
}

static void assert_same_tally(const LogTally *got, const LogTally *want)
{
    assert_int_equal(got->lines, want->lines);
    assert_int_equal(got->malformed, want->malformed);
    assert_int_equal(got->bytes, want->bytes);
    for (int k = 1; k <= 5; k++)
        assert_int_equal(got->status[k], want->status[k]);
    assert_int_equal(got->n_paths, want->n_paths);
    for (size_t i = 0; i < want->cap; i++)
        if (want->paths[i].path != NULL)
            assert_int_equal(log_tally_hits(got, want->paths[i].path), want->paths[i].hits);
}

static logstats *run(fixture *fx, const LogJob *cfg, const aj_start_opts *opts, int want)
{
    logstats *job = NULL;
    assert_int_equal(logstats_start(fx->rt, cfg, opts, &job), AJ_OK);
    assert_int_equal(logstats_wait(job, -1), want);
    return job;
}

static aj_step_info step_info(logstats *job, uint32_t step)
{
    aj_step_info info;
    assert_int_equal(aj_instance_step_info(logstats_instance(job), step, &info), AJ_OK);
    return info;
}

static uint32_t attempts(logstats *job, uint32_t step)
{
    return step_info(job, step).attempts;
}

static void test_logstats_parallel_and_sequential_match_truth(void **state)
{
    fixture *fx = *state;
    LogJob cfg = { fx->dir, fx->report };
    aj_start_opts seq = { .sequential = true };
    Tally par_total, seq_total;

    logstats *par = run(fx, &cfg, NULL, AJ_OK);
    logstats *sq = run(fx, &cfg, &seq, AJ_OK);
    assert_int_equal(logstats_result(par, &par_total), AJ_OK);
    assert_int_equal(logstats_result(sq, &seq_total), AJ_OK);
    assert_int_equal(fx->expect->lines, 27000);
    assert_true(fx->expect->malformed > 0);
    assert_same_tally(par_total, fx->expect);
    assert_same_tally(seq_total, fx->expect);
    assert_int_equal(access(fx->report, R_OK), 0);
    assert_int_equal(attempts(par, STEP_Report), 1);
    logstats_free(par);
    logstats_free(sq);
}

static void test_logstats_report_lists_totals(void **state)
{
    fixture *fx = *state;
    LogJob cfg = { fx->dir, fx->report };
    char want[64], line[256];
    bool found = false;

    logstats_free(run(fx, &cfg, NULL, AJ_OK));
    FILE *f = fopen(fx->report, "r");
    assert_non_null(f);
    snprintf(want, sizeof want, "lines      %llu\n", (unsigned long long)fx->expect->lines);
    while (fgets(line, sizeof line, f) != NULL)
        found = found || strcmp(line, want) == 0;
    fclose(f);
    assert_true(found);
}

/* Releases the test's hold on the report lock when Report first fails. */
static void release_on_retry(void *arg, const aj_step_event *ev)
{
    int *fd = arg;
    if (ev->step_index == STEP_Report && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int hold_lock(const char *lock)
{
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    return fd;
}

static void test_logstats_report_retries_while_locked(void **state)
{
    fixture *fx = *state;
    LogJob cfg = { fx->dir, fx->report };
    int fd = hold_lock(fx->lock);
    aj_observer obs = { .step_retry = release_on_retry, .arg = &fd };
    aj_start_opts opts = { .observer = &obs };

    logstats *job = run(fx, &cfg, &opts, AJ_OK);
    assert_int_equal(fd, -1);
    assert_int_equal(attempts(job, STEP_Report), 2);
    logstats_free(job);
}

static void test_logstats_report_gives_up_after_retries(void **state)
{
    fixture *fx = *state;
    LogJob cfg = { fx->dir, fx->report };
    int fd = hold_lock(fx->lock);
    aj_failure f;

    logstats *job = run(fx, &cfg, NULL, EWOULDBLOCK);
    assert_int_equal(aj_instance_failure(logstats_instance(job), &f), EWOULDBLOCK);
    assert_string_equal(f.step_name, "Report");
    assert_int_equal(f.attempts, 6);
    assert_non_null(strstr(f.message, "is locked by another writer"));
    logstats_free(job);
    close(fd);
}

static void test_logstats_missing_directory_fails_scan(void **state)
{
    fixture *fx = *state;
    LogJob cfg = { "/nonexistent/logstats", fx->report };
    aj_failure f;
    aj_step_info info;

    logstats *job = run(fx, &cfg, NULL, ENOENT);
    assert_int_equal(aj_instance_failure(logstats_instance(job), &f), ENOENT);
    assert_string_equal(f.step_name, "Scan");
    assert_non_null(strstr(f.message, "cannot list /nonexistent/logstats"));
    for (uint32_t s = STEP_Count; s <= STEP_Report; s++) {
        assert_int_equal(aj_instance_step_info(logstats_instance(job), s, &info), AJ_OK);
        assert_int_equal(info.state, AJ_STEP_SKIPPED);
    }
    logstats_free(job);
}

/* Scan's array has one element per file, and Count one run per element. */
static void test_logstats_counts_each_file_in_its_own_element(void **state)
{
    fixture *fx = *state;
    LogJob cfg = { fx->dir, fx->report };
    aj_array files, tallies;

    logstats *job = run(fx, &cfg, NULL, AJ_OK);
    assert_int_equal(logstats_Scan_output(job, &files), AJ_OK);
    assert_int_equal(files.n, N_FILES);
    for (size_t i = 1; i < files.n; i++)
        assert_true(strcmp(((LogFile *)files.items)[i - 1], ((LogFile *)files.items)[i]) < 0);
    assert_int_equal(logstats_Count_output(job, &tallies), AJ_OK);
    assert_int_equal(tallies.n, N_FILES);
    for (size_t i = 0; i < tallies.n; i++)
        assert_int_equal(((Tally *)tallies.items)[i]->lines, 3000);
    assert_int_equal(step_info(job, STEP_Count).state, AJ_STEP_COMPLETED);
    logstats_free(job);
}

/* No logs: Count runs no element and the report says 0 lines. */
static void test_logstats_empty_directory_reports_nothing(void **state)
{
    fixture *fx = *state;
    char dir[] = "/tmp/logstats-empty-XXXXXX", report[64], cmd[64];
    Tally total;

    assert_non_null(mkdtemp(dir));
    snprintf(report, sizeof report, "%s/report.txt", dir);
    LogJob cfg = { dir, report };
    logstats *job = run(fx, &cfg, NULL, AJ_OK);
    assert_int_equal(logstats_result(job, &total), AJ_OK);
    assert_int_equal(total->lines, 0);
    assert_int_equal(total->n_paths, 0);
    assert_int_equal(step_info(job, STEP_Count).state, AJ_STEP_COMPLETED);
    assert_int_equal(access(report, R_OK), 0);
    logstats_free(job);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A "log" that cannot be read (a directory) fails its element, which is
 * the root cause, named with its index; Merge and Report do not run. */
static void test_logstats_unreadable_file_names_its_element(void **state)
{
    fixture *fx = *state;
    LogJob cfg = { fx->dir, fx->report };
    char bad[128];
    aj_failure f;

    /* Sorted after every generated file: the last element. */
    snprintf(bad, sizeof bad, "%s/zz.log", fx->dir);
    assert_int_equal(mkdir(bad, 0755), 0);
    logstats *job = run(fx, &cfg, NULL, EISDIR);
    assert_int_equal(rmdir(bad), 0);
    assert_int_equal(aj_instance_failure(logstats_instance(job), &f), EISDIR);
    snprintf(bad, sizeof bad, "Count[%d]", N_FILES);
    assert_string_equal(f.step_name, bad);
    assert_non_null(strstr(f.message, "zz.log"));
    assert_int_equal(step_info(job, STEP_Count).state, AJ_STEP_FAILED);
    assert_int_equal(step_info(job, STEP_Merge).state, AJ_STEP_SKIPPED);
    assert_int_equal(step_info(job, STEP_Report).state, AJ_STEP_SKIPPED);
    logstats_free(job);
}

static void test_logstats_unwritable_report_is_not_retried(void **state)
{
    fixture *fx = *state;
    LogJob cfg = { fx->dir, "/nonexistent/dir/report.txt" };

    logstats *job = run(fx, &cfg, NULL, ENOENT);
    assert_int_equal(attempts(job, STEP_Report), 1);
    logstats_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logstats_parallel_and_sequential_match_truth),
        cmocka_unit_test(test_logstats_report_lists_totals),
        cmocka_unit_test(test_logstats_report_retries_while_locked),
        cmocka_unit_test(test_logstats_report_gives_up_after_retries),
        cmocka_unit_test(test_logstats_missing_directory_fails_scan),
        cmocka_unit_test(test_logstats_unwritable_report_is_not_retried),
        cmocka_unit_test(test_logstats_counts_each_file_in_its_own_element),
        cmocka_unit_test(test_logstats_empty_directory_reports_nothing),
        cmocka_unit_test(test_logstats_unreadable_file_names_its_element),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
