/*
 * test_blocking.c: blocking steps on the runtime's elastic blocking pool.
 * Thousands of sleeping steps finish on two workers in a time only a pool
 * that grows can meet; a compute instance runs on a worker while 500
 * blocking steps hold their threads; the pool grows, its idle threads
 * leave, max_blocking caps it; failed thread creations degrade down to no
 * thread at all; cancels settle queued attempts without running them;
 * retries come back to the pool; its threads yield to others when woken.
 * Steps record (tjob.c), the main thread asserts.
 */
#if defined(__linux__)
#define _GNU_SOURCE /* SCHED_BATCH */
#endif
#include "aj_internal.h"
#include "tjob.h"

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define MS 1000000LL

static aj_runtime *new_runtime(unsigned workers, unsigned max_blocking, int64_t keep_alive_ns)
{
    aj_runtime_opts o = { .n_workers = workers, .max_blocking = max_blocking,
                          .blocking_keep_alive_ns = keep_alive_ns };
    aj_runtime *rt = aj_runtime_new(&o);

    assert_non_null(rt);
    return rt;
}

static aj_instance *start(aj_runtime *rt, tj_job *j, tj_run *r)
{
    return tj_start(rt, j, r, NULL);
}

static aj_runtime_stats stats_of(aj_runtime *rt)
{
    aj_runtime_stats st;

    assert_int_equal(aj_runtime_get_stats(rt, &st), AJ_OK);
    return st;
}

/* n independent steps, all blocking. */
static tj_job *blocking_roots(uint32_t n)
{
    tj_job *j = tj_new("roots", n, NULL, NULL, NULL, 0);

    assert_non_null(j);
    for (uint32_t i = 0; i < n; i++)
        tj_set_blocking(j, i, true);
    return j;
}

/* The seed job with every step blocking. */
static tj_job *blocking_seed(void)
{
    tj_job *j = tj_seed();

    for (uint32_t i = 0; i < j->def.n_steps; i++)
        tj_set_blocking(j, i, true);
    return j;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = { 0, (long)(ms * MS) };

    nanosleep(&ts, NULL);
}

/* Polls until the pool has n threads that are not idle, or 10 s. */
static void await_busy(aj_runtime *rt, unsigned n)
{
    for (int i = 0; i < 10000; i++) {
        aj_runtime_stats st = stats_of(rt);
        if (st.blocking_threads - st.blocking_idle >= n && st.blocking_queued == 0)
            return;
        sleep_ms(1);
    }
    fail_msg("the pool never had %u busy threads", n);
}

/* ------------------------------------------------------------------------ */

/* 2,000 instances of 8 steps sleeping 1-5 ms each (42 s of sleep): two
 * workers would need 21 s, and never run more than two at once. The pool
 * must run many at once (a peak of at least 16 threads) and finish sooner
 * than two workers could; it takes about 1 s on a quiet machine, but the
 * bound is the workers' own, so that a loaded machine (a sanitizer build
 * beside other jobs) does not fail it. */
static void test_blocking_elastic_pool_beats_the_workers(void **state)
{
    enum { N = 2000 };
    tj_job *j = blocking_seed();
    aj_runtime *rt = new_runtime(2, 0, 0);
    tj_run **runs = calloc(N, sizeof *runs);
    aj_instance **insts = calloc(N, sizeof *insts);
    int64_t t0 = aj_now_ns(), took;

    (void)state;
    assert_non_null(runs);
    assert_non_null(insts);
    for (int k = 0; k < N; k++) {
        runs[k] = tj_run_new(j);
        for (uint32_t i = 0; i < j->def.n_steps; i++)
            runs[k]->behave[i].sleep_ns = (int64_t)(1 + i % 5) * MS;
        insts[k] = start(rt, j, runs[k]);
    }
    for (int k = 0; k < N; k++)
        assert_int_equal(aj_instance_wait(insts[k], -1), AJ_OK);
    took = aj_now_ns() - t0;
    print_message("2,000 sleeping instances: %.0f ms, %u blocking threads at most\n",
                  (double)took / MS, stats_of(rt).blocking_peak);
    assert_true(stats_of(rt).blocking_peak >= 16);
    assert_true(took < (int64_t)N * 21 * MS / 2);
    for (int k = 0; k < N; k++) {
        for (uint32_t i = 0; i < j->def.n_steps; i++)
            assert_int_equal(runs[k]->on_pool[i], 1);
        assert_int_equal(runs[k]->violations, 0);
        aj_instance_free(insts[k]);
        tj_run_free(runs[k]);
    }
    aj_runtime_free(rt);
    free(runs);
    free(insts);
    tj_free(j);
}

/* 500 blocking steps hold their threads on a gate; a compute instance,
 * waited for with a timeout (so the waiter runs none of it), still runs
 * on the workers and is done before the gate opens. */
static void test_blocking_compute_runs_beside_500_blocked(void **state)
{
    enum { N = 500 };
    tj_job *blocker = blocking_roots(1), *seed = tj_seed();
    aj_runtime *rt = new_runtime(2, 0, 0);
    tj_run *br[N], *cr = tj_run_new(seed);
    aj_instance *insts[N], *compute;
    tj_gate gate;
    int64_t t0, took;

    (void)state;
    tj_gate_init(&gate);
    for (int k = 0; k < N; k++) {
        br[k] = tj_run_new(blocker);
        br[k]->behave[0].gate = &gate;
        insts[k] = start(rt, blocker, br[k]);
    }
    await_busy(rt, N);
    t0 = aj_now_ns();
    compute = start(rt, seed, cr);
    assert_int_equal(aj_instance_wait(compute, 10000 * MS), AJ_OK);
    took = aj_now_ns() - t0;
    /* Still closed: the sleepers have not woken. */
    for (int k = 0; k < N; k++)
        assert_int_equal(atomic_load(&br[k]->successes[0]), 0);
    print_message("compute instance beside %d blocked steps: %.0f us\n", N, (double)took / 1000);
    for (uint32_t i = 0; i < seed->def.n_steps; i++) {
        assert_int_equal(cr->on_pool[i], 0);
        assert_false(pthread_equal(cr->thread[i], pthread_self()));
    }
    tj_gate_open(&gate);
    for (int k = 0; k < N; k++) {
        assert_int_equal(aj_instance_wait(insts[k], -1), AJ_OK);
        assert_int_equal(br[k]->successes[0], 1);
        assert_int_equal(br[k]->on_pool[0], 1);
        aj_instance_free(insts[k]);
        tj_run_free(br[k]);
    }
    aj_instance_free(compute);
    aj_runtime_free(rt);
    tj_gate_destroy(&gate);
    tj_run_free(cr);
    tj_free(blocker);
    tj_free(seed);
}

#if defined(__linux__)
/* Whether this system lets a thread take SCHED_BATCH (a sandbox may not):
 * tried on a thread of its own, which ends with it. */
static void *try_batch(void *ok)
{
    struct sched_param none = { 0 };

    *(bool *)ok = sched_setscheduler(0, SCHED_BATCH, &none) == 0;
    return NULL;
}

static bool batch_allowed(void)
{
    bool ok = false;
    pthread_t t;

    assert_int_equal(pthread_create(&t, NULL, try_batch, &ok), 0);
    pthread_join(t, NULL);
    return ok;
}
#endif

/* A pool thread that wakes from its step's sleep waits for its turn
 * rather than preempt a running thread (SCHED_BATCH): with thousands of
 * steps waking each millisecond, the thread that starts instances, and
 * the workers' compute steps, would otherwise get a sliver of the CPU.
 * Plain steps keep the workers' normal policy. */
static void test_blocking_threads_do_not_preempt_on_wake_up(void **state)
{
    tj_job *blocker = blocking_roots(1), *seed = tj_seed();
    aj_runtime *rt = new_runtime(2, 0, 0);
    tj_run *br = tj_run_new(blocker), *cr = tj_run_new(seed);
    _Atomic int pool_policy = -1, worker_policy = -1;
    aj_instance *a, *b;

    (void)state;
    br->behave[0].policy = &pool_policy;
    cr->behave[SEED_GETCONNECTION].policy = &worker_policy;
    a = start(rt, blocker, br);
    b = start(rt, seed, cr);
    assert_int_equal(aj_instance_wait(a, -1), AJ_OK);
    assert_int_equal(aj_instance_wait(b, -1), AJ_OK);
    assert_int_equal(br->on_pool[0], 1);
    assert_int_equal(cr->on_pool[SEED_GETCONNECTION], 0);
#if defined(__linux__)
    assert_int_equal(atomic_load(&worker_policy), SCHED_OTHER);
    /* Where the system refuses it, the pool goes on without it. */
    assert_int_equal(atomic_load(&pool_policy), batch_allowed() ? SCHED_BATCH : SCHED_OTHER);
#endif
    aj_instance_free(a);
    aj_instance_free(b);
    aj_runtime_free(rt);
    tj_run_free(br);
    tj_run_free(cr);
    tj_free(blocker);
    tj_free(seed);
}

/* The pool grows to what is asked of it, its idle threads leave after the
 * keep-alive, and every thread it made is joined. */
static void test_blocking_pool_grows_then_idles_out(void **state)
{
    enum { N = 8 };
    tj_job *j = blocking_roots(N);
    long created = aj__test_threads_created(), joined = aj__test_threads_joined();
    aj_runtime *rt = new_runtime(1, 0, 20 * MS);
    tj_run *r = tj_run_new(j);
    aj_instance *inst;
    aj_runtime_stats st = stats_of(rt);
    tj_gate gate;
    int waited = 0;

    (void)state;
    assert_int_equal(st.n_workers, 1);
    assert_int_equal(st.max_blocking, 512);
    assert_int_equal(st.blocking_threads, 0);
    tj_gate_init(&gate);
    for (uint32_t i = 0; i < N; i++)
        r->behave[i].gate = &gate;
    inst = start(rt, j, r);
    await_busy(rt, N);
    st = stats_of(rt);
    assert_int_equal(st.blocking_threads, N);
    assert_int_equal(st.blocking_queued, 0);
    tj_gate_open(&gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    while ((st = stats_of(rt)).blocking_threads > 0 && waited++ < 5000)
        sleep_ms(1);
    assert_int_equal(st.blocking_threads, 0);
    assert_int_equal(st.blocking_peak, N);
    aj_instance_free(inst);
    aj_runtime_free(rt);
    assert_int_equal(aj__test_threads_created() - created, aj__test_threads_joined() - joined);
    assert_int_equal(aj_runtime_get_stats(NULL, NULL), AJ_EINVAL);
    tj_gate_destroy(&gate);
    tj_run_free(r);
    tj_free(j);
}

/* max_blocking = 4: never more than 4 blocking steps at once, as the
 * steps themselves count. */
static void test_blocking_max_caps_the_pool(void **state)
{
    enum { N = 100, STEPS = 3 };
    tj_job *j = blocking_roots(STEPS);
    aj_runtime *rt = new_runtime(2, 4, 0);
    tj_run *runs[N];
    aj_instance *insts[N];
    _Atomic int inside = 0, peak = 0;

    (void)state;
    for (int k = 0; k < N; k++) {
        runs[k] = tj_run_new(j);
        for (uint32_t i = 0; i < STEPS; i++)
            runs[k]->behave[i] = (tj_behave){ .sleep_ns = MS, .inside = &inside, .peak = &peak };
        insts[k] = start(rt, j, runs[k]);
    }
    for (int k = 0; k < N; k++) {
        assert_int_equal(aj_instance_wait(insts[k], -1), AJ_OK);
        for (uint32_t i = 0; i < STEPS; i++)
            assert_int_equal(runs[k]->on_pool[i], 1);
        aj_instance_free(insts[k]);
        tj_run_free(runs[k]);
    }
    assert_true(atomic_load(&peak) <= 4);
    assert_true(atomic_load(&peak) >= 2);
    assert_true(stats_of(rt).blocking_peak <= 4);
    aj_runtime_free(rt);
    tj_free(j);
}

/* Runs n instances of the blocking seed on rt; all must complete. */
static void run_seeds(aj_runtime *rt, int n)
{
    tj_job *j = blocking_seed();
    tj_run *runs[64];
    aj_instance *insts[64];

    assert_true(n <= 64);
    for (int k = 0; k < n; k++) {
        runs[k] = tj_run_new(j);
        for (uint32_t i = 0; i < j->def.n_steps; i++)
            runs[k]->behave[i].sleep_ns = MS / 10;
        insts[k] = start(rt, j, runs[k]);
    }
    for (int k = 0; k < n; k++) {
        assert_int_equal(aj_instance_wait(insts[k], -1), AJ_OK);
        for (uint32_t i = 0; i < j->def.n_steps; i++)
            assert_int_equal(runs[k]->successes[i], 1);
        assert_int_equal(runs[k]->violations, 0);
        aj_instance_free(insts[k]);
        tj_run_free(runs[k]);
    }
    tj_free(j);
}

/* Thread creation fails: after two threads, and from the first on. The
 * pool works with what it has; with nothing, the steps run where they
 * were reached. No instance fails. */
static void test_blocking_thread_failures_degrade(void **state)
{
    aj_runtime *rt = new_runtime(2, 0, 0);
    long failed = aj__test_thread_failed();

    (void)state;
    aj__test_fail_thread_from(3);
    run_seeds(rt, 32);
    assert_true(stats_of(rt).blocking_peak <= 2);
    aj__test_fail_thread(0);
    aj_runtime_free(rt);

    rt = new_runtime(2, 0, 0);
    aj__test_fail_thread_from(1);
    run_seeds(rt, 32);
    assert_int_equal(stats_of(rt).blocking_peak, 0);
    assert_int_equal(stats_of(rt).blocking_queued, 0);
    aj__test_fail_thread(0);
    assert_true(aj__test_thread_failed() > failed);
    aj_runtime_free(rt);
}

/* Attempts of steps 0 .. n-1 of r so far. */
static uint32_t attempts_of(tj_run *r, uint32_t n)
{
    uint32_t sum = 0;

    for (uint32_t i = 0; i < n; i++)
        sum += atomic_load(&r->attempts[i]);
    return sum;
}

/* Whether the pool's one thread runs one of r's n steps and the others
 * wait in its queue. Before, all n may be queued (the thread is not up
 * yet), or n - 2 (the last is not submitted yet). */
static bool one_runs(aj_runtime *rt, tj_run *r, uint32_t n)
{
    return attempts_of(r, n) == 1 && stats_of(rt).blocking_queued == n - 1;
}

/* One thread, four blocking steps waiting for the cancel: one runs, three
 * wait in the queue. The cancel settles the three as cancelled without
 * running them; the running one sees the flag. */
static void test_blocking_cancel_queued_and_running(void **state)
{
    enum { N = 4 };
    tj_job *j = blocking_roots(N);
    aj_runtime *rt = new_runtime(2, 1, 0);
    tj_run *r = tj_run_new(j);
    aj_instance *inst;
    uint32_t ran = N, cancelled = 0;

    (void)state;
    for (uint32_t i = 0; i < N; i++)
        r->behave[i].until_cancelled = true;
    inst = start(rt, j, r);
    for (int i = 0; i < 10000 && !one_runs(rt, r, N); i++)
        sleep_ms(1);
    assert_int_equal(attempts_of(r, N), 1);
    assert_int_equal(stats_of(rt).blocking_queued, N - 1);
    assert_int_equal(stats_of(rt).blocking_threads, 1);
    aj_instance_cancel(inst);
    assert_int_equal(stats_of(rt).blocking_queued, 0);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    for (uint32_t i = 0; i < N; i++) {
        if (r->attempts[i] == 1) {
            ran = i;
            assert_int_equal(r->cancel_seen[i], 1);
            assert_int_equal(r->on_pool[i], 1);
        } else {
            assert_int_equal(r->attempts[i], 0);
            assert_int_equal(tj_state(inst, i), AJ_STEP_CANCELLED);
            cancelled++;
        }
    }
    assert_true(ran < N);
    assert_int_equal(cancelled, N - 1);
    aj_instance_free(inst);
    aj_runtime_free(rt);
    tj_run_free(r);
    tj_free(j);
}

/* Retries of a blocking step, at once and after a delay (through the
 * timer heap), all run on the pool, and the observers see them. */
static void test_blocking_retries_come_back_to_the_pool(void **state)
{
    static const aj_retry_policy now = { .max_retries = 3, .factor = 2.0 };
    static const aj_retry_policy later = { .max_retries = 3, .backoff = AJ_BACKOFF_FIXED,
                                           .delay_ns = 2 * MS, .factor = 2.0 };
    tj_job *j = blocking_roots(2);
    aj_runtime *rt = new_runtime(2, 0, 0);
    tj_run *r = tj_run_new(j);
    tj_rec *rec = calloc(1, sizeof *rec);
    aj_observer obs = tj_rec_init(rec);
    aj_start_opts o = { .observer = &obs };
    tj_inputs in = { r };
    aj_instance *inst;

    (void)state;
    j->steps[0].retry = &now;
    j->steps[1].retry = &later;
    r->behave[0].fails = 2;
    r->behave[1].fails = 2;
    assert_int_equal(aj_instance_start(rt, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(r->attempts[i], 3);
        assert_int_equal(r->on_pool[i], 3);
        assert_int_equal(tj_rec_count(rec, 1, i), 2);
        assert_int_equal(tj_state(inst, i), AJ_STEP_COMPLETED);
    }
    aj_instance_free(inst);
    aj_runtime_free(rt);
    free(rec);
    tj_run_free(r);
    tj_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocking_elastic_pool_beats_the_workers),
        cmocka_unit_test(test_blocking_compute_runs_beside_500_blocked),
        cmocka_unit_test(test_blocking_threads_do_not_preempt_on_wake_up),
        cmocka_unit_test(test_blocking_pool_grows_then_idles_out),
        cmocka_unit_test(test_blocking_max_caps_the_pool),
        cmocka_unit_test(test_blocking_thread_failures_degrade),
        cmocka_unit_test(test_blocking_cancel_queued_and_running),
        cmocka_unit_test(test_blocking_retries_come_back_to_the_pool),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
