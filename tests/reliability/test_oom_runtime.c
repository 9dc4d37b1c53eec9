/*
 * test_oom_runtime.c: the runtime out of memory and out of threads, by
 * SQLite's method. One scenario (a runtime; an instance that retries, with
 * and without a delay; one that is cancelled while a step runs; its DOT,
 * trace and Mermaid pictures; a sequential instance; every free) runs with
 * allocation N failing, for N = 1, 2, ... until a run no longer reaches
 * the failure: once failing allocation N only, once failing N and every
 * allocation after it. Each call must succeed or return its documented
 * error (NULL, AJ_ENOMEM, AJ_EAGAIN), a picture that fails writes
 * nothing, no step runs twice or more often than its script allows,
 * every instance that started ends, and every thread created is joined.
 * Leaks are the ASan build's and valgrind's to find; a hang is the
 * watchdog's.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* What one run of the scenario saw. */
typedef struct outcome {
    bool runtime;          /* aj_runtime_new succeeded */
    int start_retry, start_cancel, start_seq;
    int wait_retry, wait_cancel, wait_seq;
    int pictures[3];       /* DOT, trace JSON, Mermaid of the retrying instance */
} outcome;

static tj_job *job;

/* A fresh script; Query1's output is boxed (freed by the instance), so
 * boxes made and freed tell whether outputs leak. */
static tj_run *new_run(void)
{
    tj_run *r = tj_run_new(job);

    tj_box(job, r, SEED_QUERY1);
    return r;
}

/* Starts job with a script; rc of aj_instance_start. */
static int start(aj_runtime *rt, tj_run *r, bool sequential, aj_instance **inst)
{
    tj_inputs in = { r };
    aj_start_opts o = { .sequential = sequential };
    int rc = aj_instance_start(rt, &job->def, &in, &o, inst);

    if (rc != AJ_OK) {
        assert_true(rc == AJ_ENOMEM);
        assert_null(*inst);
    }
    return rc;
}

/* No step ran more often than its script allows or succeeded twice. */
static void check_ledger(const tj_run *r)
{
    assert_int_equal(atomic_load(&r->violations), 0);
    for (uint32_t i = 0; i < job->def.n_steps; i++) {
        assert_true(atomic_load(&r->successes[i]) <= 1);
        assert_true(atomic_load(&r->attempts[i]) <= 4); /* max 3 retries at most */
    }
}

/* A picture either comes out whole or, out of memory, writes nothing. */
static int picture(aj_instance *inst, int which)
{
    FILE *fp = tmpfile();
    int rc;

    assert_non_null(fp);
    rc = which == 0   ? aj_instance_dot(inst, fp, AJ_DOT_NO_TIMES)
         : which == 1 ? aj_instance_trace_json(inst, fp)
                      : aj_instance_mermaid(inst, fp);
    if (rc == AJ_ENOMEM)
        assert_int_equal(ftell(fp), 0);
    else
        assert_int_equal(rc, AJ_OK);
    fclose(fp);
    return rc;
}

/* GetConnection fails once (delayed retry), Summarize twice (exponential
 * backoff); every step then completes. */
static void run_retrying(aj_runtime *rt, outcome *o)
{
    tj_run *r = new_run();
    aj_instance *inst = NULL;

    r->behave[SEED_GETCONNECTION].fails = 1;
    r->behave[SEED_SUMMARIZE].fails = 2;
    o->start_retry = start(rt, r, false, &inst);
    if (inst != NULL) {
        o->wait_retry = aj_instance_wait(inst, -1);
        for (int k = 0; k < 3; k++)
            o->pictures[k] = picture(inst, k);
        assert_int_equal(atomic_load(&r->attempts[SEED_SUMMARIZE]), 3);
    }
    aj_instance_free(inst);
    check_ledger(r);
    tj_run_free(r);
}

/* CheckAuth runs until cancelled; what depends on it never runs. */
static void run_cancelled(aj_runtime *rt, outcome *o)
{
    tj_run *r = new_run();
    aj_instance *inst = NULL;
    sem_t started;

    sem_init(&started, 0, 0);
    r->behave[SEED_CHECKAUTH].until_cancelled = true;
    r->behave[SEED_CHECKAUTH].started = &started;
    o->start_cancel = start(rt, r, false, &inst);
    if (inst != NULL) {
        sem_wait(&started);
        aj_instance_cancel(inst);
        o->wait_cancel = aj_instance_wait(inst, -1);
        assert_int_equal(atomic_load(&r->attempts[SEED_QUERY1]), 0);
        assert_int_equal(atomic_load(&r->attempts[SEED_EMAIL]), 0);
    }
    aj_instance_free(inst);
    check_ledger(r);
    sem_destroy(&started);
    tj_run_free(r);
}

static void run_sequential(outcome *o)
{
    tj_run *r = new_run();
    aj_instance *inst = NULL;

    r->behave[SEED_QUERY1].fails = 1; /* a delayed retry, slept on this thread */
    o->start_seq = start(NULL, r, true, &inst);
    if (inst != NULL)
        o->wait_seq = aj_instance_wait(inst, -1);
    aj_instance_free(inst);
    check_ledger(r);
    tj_run_free(r);
}

static void scenario(outcome *o)
{
    aj_runtime_opts ro = { .n_workers = 2 };
    long created = aj__test_threads_created(), joined = aj__test_threads_joined();
    long made = atomic_load(&tj_boxes_made), freed = atomic_load(&tj_boxes_freed);
    aj_runtime *rt;

    memset(o, 0, sizeof *o);
    rt = aj_runtime_new(&ro);
    o->runtime = rt != NULL;
    if (rt != NULL) {
        run_retrying(rt, o);
        run_cancelled(rt, o);
    }
    aj_runtime_free(rt);
    run_sequential(o);
    assert_int_equal(aj__test_threads_created() - created, aj__test_threads_joined() - joined);
    assert_int_equal(atomic_load(&tj_boxes_made) - made, atomic_load(&tj_boxes_freed) - freed);
}

/* A run with nothing failing: every call gives its clean result. */
static void check_clean(const outcome *o)
{
    assert_true(o->runtime);
    assert_int_equal(o->start_retry, AJ_OK);
    assert_int_equal(o->start_cancel, AJ_OK);
    assert_int_equal(o->start_seq, AJ_OK);
    assert_int_equal(o->wait_retry, AJ_OK);
    assert_int_equal(o->wait_cancel, AJ_ECANCELED);
    assert_int_equal(o->wait_seq, AJ_OK);
    for (int k = 0; k < 3; k++)
        assert_int_equal(o->pictures[k], AJ_OK);
}

/* A run that reached an injected failure: every call that did not fail
 * gave the clean result. */
static void check_degraded(const outcome *o)
{
    if (o->runtime && o->start_retry == AJ_OK) {
        assert_int_equal(o->wait_retry, AJ_OK);
        for (int k = 0; k < 3; k++)
            assert_true(o->pictures[k] == AJ_OK || o->pictures[k] == AJ_ENOMEM);
    }
    if (o->runtime && o->start_cancel == AJ_OK)
        assert_int_equal(o->wait_cancel, AJ_ECANCELED);
    if (o->start_seq == AJ_OK)
        assert_int_equal(o->wait_seq, AJ_OK);
}

/* Fails allocation N = 1, 2, ... (sticky: N and all after it) until a run
 * does not reach it; returns the number of allocation points. */
static long walk_allocations(bool sticky)
{
    for (long n = 1;; n++) {
        long failed = aj__test_alloc_failed();
        outcome o;
        if (sticky)
            aj__test_fail_alloc_from(n);
        else
            aj__test_fail_alloc(n);
        scenario(&o);
        aj__test_fail_alloc(0);
        if (aj__test_alloc_failed() == failed) {
            check_clean(&o);
            return n - 1;
        }
        check_degraded(&o);
    }
}

static void test_oom_runtime_every_allocation(void **state)
{
    long once, sticky;

    (void)state;
    once = walk_allocations(false);
    sticky = walk_allocations(true);
    /* runtime, 2 threaded instances, 3 pictures, 1 sequential instance:
     * run, retry, cancel and free allocate nothing. */
    assert_int_equal(once, 7);
    assert_int_equal(sticky, once);
    print_message("runtime allocation points: %ld (each failed alone, then from it on)\n",
                  once);
}

/* The same with thread creation: the runtime's canceller, then its
 * workers, fail one by one. */
static long walk_threads(bool sticky)
{
    for (long n = 1;; n++) {
        long failed = aj__test_thread_failed();
        outcome o;
        if (sticky)
            aj__test_fail_thread_from(n);
        else
            aj__test_fail_thread(n);
        scenario(&o);
        aj__test_fail_thread(0);
        if (aj__test_thread_failed() == failed) {
            check_clean(&o);
            return n - 1;
        }
        assert_false(o.runtime);
        check_degraded(&o);
    }
}

static void test_oom_runtime_every_thread(void **state)
{
    long once, sticky;

    (void)state;
    once = walk_threads(false);
    sticky = walk_threads(true);
    assert_int_equal(once, 3);
    assert_int_equal(sticky, once);
    print_message("runtime thread creation points: %ld\n", once);
}

/* The default runtime (rt NULL) cannot be created: start says so, and a
 * later start, with memory and threads back, gets a working runtime. */
static void test_oom_runtime_default_runtime_recovers(void **state)
{
    tj_run *r = new_run();
    tj_inputs in = { r };
    aj_instance *inst = NULL;

    (void)state;
    aj__test_fail_alloc(2); /* 1 is the instance, 2 the default runtime */
    assert_int_equal(aj_instance_start(NULL, &job->def, &in, NULL, &inst), AJ_EAGAIN);
    assert_null(inst);
    aj__test_fail_alloc(0);
    aj__test_fail_thread(1);
    assert_int_equal(aj_instance_start(NULL, &job->def, &in, NULL, &inst), AJ_EAGAIN);
    assert_null(inst);
    aj__test_fail_thread(0);
    assert_int_equal(atomic_load(&r->attempts[SEED_GETCONNECTION]), 0);
    assert_int_equal(aj_instance_start(NULL, &job->def, &in, NULL, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_true(aj_runtime_workers(NULL) >= 1);
    aj_instance_free(inst);
    check_ledger(r);
    tj_run_free(r);
}

static int setup(void **state)
{
    (void)state;
    job = tj_seed();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tj_free(job);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_runtime_every_allocation),
        cmocka_unit_test(test_oom_runtime_every_thread),
        /* Last: it creates the process-wide default runtime. */
        cmocka_unit_test(test_oom_runtime_default_runtime_recovers),
    };

    return cmocka_run_group_tests_name("oom_runtime", tests, setup, teardown);
}
