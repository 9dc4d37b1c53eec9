/*
 * test_pool.c: instances on worker threads. The waiting thread runs ready
 * steps itself, long steps' successors and a mapped step's long elements
 * spread over the workers, a step in its retry delay holds no worker, timers fire
 * without a waiter, aj_runtime_free waits for instances, thread creation
 * failures leak nothing, observers see every step, and an idle runtime
 * burns no CPU. Steps wait on gates
 * that the test opens; the main thread alone asserts.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static void test_pool_runtime_sizes(void **state)
{
    aj_runtime *rt = tj_workers(3);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    (void)state;
    assert_int_equal(aj_runtime_workers(rt), 3);
    aj_runtime_free(rt);
    rt = aj_runtime_new(NULL);
    assert_non_null(rt);
    assert_int_equal(aj_runtime_workers(rt), cpus);
    aj_runtime_free(rt);
    aj_runtime_free(NULL);
    /* The default runtime: created on first use, one worker per CPU. */
    assert_int_equal(aj_runtime_workers(NULL), cpus);
}

static void test_pool_seed_many_times(void **state)
{
    tj_job *j = tj_seed();
    aj_runtime *rt = tj_workers(2);

    (void)state;
    for (int k = 0; k < 200; k++) {
        tj_run *r = tj_run_new(j);
        aj_instance *inst = tj_start(k % 2 ? rt : NULL, j, r, NULL);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
        assert_int_equal(tj_output(inst, SEED_SUMMARIZE), 7);
        assert_int_equal(atomic_load(&r->violations), 0);
        aj_instance_free(inst);
        tj_run_free(r);
    }
    aj_runtime_free(rt);
    tj_free(j);
}

static void test_pool_many_in_flight_one_allocation_each(void **state)
{
    enum { N = 16 };
    tj_job *j = tj_seed();
    aj_runtime *rt = tj_workers(2);
    tj_run *r[N];
    aj_instance *inst[N];
    long before;

    (void)state;
    for (int k = 0; k < N; k++)
        r[k] = tj_run_new(j);
    before = aj__test_alloc_count();
    for (int k = 0; k < N; k++)
        inst[k] = tj_start(rt, j, r[k], NULL);
    for (int k = 0; k < N; k++)
        assert_int_equal(aj_instance_wait(inst[k], -1), AJ_OK);
    assert_int_equal(aj__test_alloc_count() - before, N);
    for (int k = 0; k < N; k++) {
        assert_int_equal(tj_output(inst[k], SEED_SUMMARIZE), 7);
        assert_int_equal(atomic_load(&r[k]->violations), 0);
        aj_instance_free(inst[k]);
        tj_run_free(r[k]);
    }
    aj_runtime_free(rt);
    tj_free(j);
}

/* A job, its script, a runtime, and the test's gate and semaphore. */
typedef struct world {
    tj_job *j;
    tj_run *r;
    aj_runtime *rt;
    tj_gate gate;
    sem_t started;
} world;

static void world_open(world *w, tj_job *j, unsigned workers)
{
    w->j = j;
    w->r = tj_run_new(j);
    w->rt = tj_workers(workers);
    tj_gate_init(&w->gate);
    sem_init(&w->started, 0, 0);
}

static void world_close(world *w, aj_instance *inst)
{
    aj_instance_free(inst);
    aj_runtime_free(w->rt);
    sem_destroy(&w->started);
    tj_gate_destroy(&w->gate);
    tj_run_free(w->r);
    tj_free(w->j);
}

typedef struct opener {
    world *w;
    aj_instance *inst;
    int step1, step0, step2;  /* states seen once step 1 completed */
    bool busy;                /* outputs were busy then */
} opener;

/* Opens the gate once step 1 completed, having looked at the instance. */
static void *open_after_step1(void *arg)
{
    opener *o = arg;
    void *slot;

    while ((o->step1 = tj_state(o->inst, 1)) != AJ_STEP_COMPLETED)
        sched_yield();
    o->step0 = tj_state(o->inst, 0);
    o->step2 = tj_state(o->inst, 2);
    o->busy = aj_instance_output(o->inst, 0, false, &slot) == AJ_EBUSY &&
              !aj_instance_done(o->inst);
    tj_gate_open(&o->w->gate);
    return NULL;
}

/* Two roots; the only worker is stuck in the first, so a waiter without a
 * time limit runs the second. */
static void test_pool_waiter_runs_ready_steps(void **state)
{
    static const aj_edge_def edges[] = { { 0, 2, AJ_EDGE_DATA }, { 1, 2, AJ_EDGE_DATA } };
    world w;
    opener o = { .w = &w };
    pthread_t t;

    (void)state;
    world_open(&w, tj_new("two_roots", 3, NULL, NULL, edges, 2), 1);
    w.r->behave[0].gate = &w.gate;
    w.r->behave[0].started = &w.started;
    o.inst = tj_start(w.rt, w.j, w.r, NULL);
    sem_wait(&w.started);
    assert_int_equal(pthread_create(&t, NULL, open_after_step1, &o), 0);
    assert_int_equal(aj_instance_wait(o.inst, -1), AJ_OK);
    pthread_join(t, NULL);
    assert_true(pthread_equal(w.r->thread[1], pthread_self()));
    /* When step 1 was done: 0 still running, 2 pending, outputs busy. */
    assert_int_equal(o.step0, AJ_STEP_RUNNING);
    assert_int_equal(o.step2, AJ_STEP_PENDING);
    assert_true(o.busy);
    assert_int_equal(tj_output(o.inst, 2), 3);
    assert_false(pthread_equal(w.r->thread[0], pthread_self()));
    world_close(&w, o.inst);
}

/* A waiter with a time limit runs no step: the only worker is stuck in
 * the first root, so the second waits for it, and wait(0) times out with
 * both roots where they were. */
static void test_pool_timed_waiter_runs_no_step(void **state)
{
    static const aj_edge_def edges[] = { { 0, 2, AJ_EDGE_DATA }, { 1, 2, AJ_EDGE_DATA } };
    world w;
    aj_instance *inst;

    (void)state;
    world_open(&w, tj_new("two_roots", 3, NULL, NULL, edges, 2), 1);
    w.r->behave[0].gate = &w.gate;
    w.r->behave[0].started = &w.started;
    inst = tj_start(w.rt, w.j, w.r, NULL);
    sem_wait(&w.started);
    assert_int_equal(aj_instance_wait(inst, 0), AJ_ETIMEDOUT);
    assert_int_equal(aj_instance_wait(inst, 1000000), AJ_ETIMEDOUT);
    assert_int_equal(tj_state(inst, 1), AJ_STEP_PENDING);
    assert_int_equal(tj_state(inst, 0), AJ_STEP_RUNNING);
    tj_gate_open(&w.gate);
    assert_int_equal(aj_instance_wait(inst, 10000000000), AJ_OK);
    assert_false(pthread_equal(w.r->thread[1], pthread_self()));
    world_close(&w, inst);
}

/* After a long step, the steps it released run side by side: A waits for
 * B, and R's thread, which takes A first, would never reach B. */
static void test_pool_after_long_step_released_steps_spread(void **state)
{
    /* R -> A, R -> B: A, the first successor, runs first on R's thread. */
    static const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_DATA }, { 0, 2, AJ_EDGE_DATA } };
    static const char *const names[] = { "R", "A", "B" };
    world w;
    tj_gate b_ran;
    aj_instance *inst;
    int64_t t0;

    (void)state;
    world_open(&w, tj_new("spread", 3, names, NULL, edges, 2), 1);
    tj_gate_init(&b_ran);
    w.r->behave[0].gate = &w.gate;
    w.r->behave[0].started = &w.started;
    w.r->behave[1].gate = &b_ran;
    w.r->behave[2].opens = &b_ran;
    inst = tj_start(w.rt, w.j, w.r, NULL);
    sem_wait(&w.started);
    /* R lasts far longer than AJ__SHARE_NS, whatever the machine. */
    t0 = aj_now_ns();
    while (aj_now_ns() - t0 < 50 * AJ__SHARE_NS)
        sched_yield();
    tj_gate_open(&w.gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_false(pthread_equal(w.r->thread[1], w.r->thread[2]));
    assert_int_equal(atomic_load(&w.r->violations), 0);
    tj_gate_destroy(&b_ran);
    world_close(&w, inst);
}

/* Long roots spread over every worker, not only over the first one to
 * take the instance: 12 roots that sleep 4 ms on 4 workers, with a waiter
 * that runs none of them. Before, that first worker took the instance
 * out of the queue and the others, parked, never heard of its roots. */
static void test_pool_long_roots_reach_every_worker(void **state)
{
    enum { N = 12 };
    world w;
    aj_instance *inst;
    pthread_t seen[N];
    int n_seen = 0;

    (void)state;
    world_open(&w, tj_new("roots", N, NULL, NULL, NULL, 0), 4);
    for (int i = 0; i < N; i++)
        w.r->behave[i].sleep_ns = 200 * AJ__SHARE_NS;
    inst = tj_start(w.rt, w.j, w.r, NULL);
    assert_int_equal(aj_instance_wait(inst, 10000000000), AJ_OK);
    for (int i = 0; i < N; i++) {
        int k = 0;
        while (k < n_seen && !pthread_equal(seen[k], w.r->thread[i]))
            k++;
        if (k == n_seen)
            seen[n_seen++] = w.r->thread[i];
        assert_false(pthread_equal(w.r->thread[i], pthread_self()));
    }
    /* A worker woken late may find every root taken: 3 of 4, not 4. */
    assert_true(n_seen >= 3);
    world_close(&w, inst);
}

/* Step long of w's job, mapped over 6 elements, keeps its thread 4 ms
 * an element: on two workers, at least two run at once. */
static void assert_elements_spread(world *w, uint32_t long_step)
{
    _Atomic int within = 0, peak = 0;
    aj_instance *inst;

    w->r->behave[0].n_items = 6;
    w->r->behave[long_step].busy_ns = 200 * AJ__SHARE_NS;
    w->r->behave[long_step].within = &within;
    w->r->behave[long_step].within_peak = &peak;
    inst = tj_start(w->rt, w->j, w->r, NULL);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(atomic_load(&w->r->attempts[long_step]), 6);
    assert_true(atomic_load(&peak) >= 2);
    world_close(w, inst);
}

/* A mapped step's long elements run side by side, as a long step's
 * successors do: the runner that expands the step shares the elements it
 * has not reached yet. Few elements, so that the runner must learn that
 * they are long from the first one it runs. */
static void test_pool_long_elements_spread(void **state)
{
    static const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_DATA } };
    static const char *const names[] = { "List", "Each" };
    world w;

    (void)state;
    world_open(&w, tj_new("elements", 2, names, NULL, edges, 1), 2);
    tj_set_array(w.j, 0);
    tj_set_map(w.j, 1, 0);
    assert_elements_spread(&w, 1);
}

/* The same when each long element follows a short one of another mapped
 * step, element by element. */
static void test_pool_long_elements_after_short_ones_spread(void **state)
{
    static const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_DATA }, { 1, 2, AJ_EDGE_DATA } };
    static const char *const names[] = { "List", "Quick", "Long" };
    world w;

    (void)state;
    world_open(&w, tj_new("elements", 3, names, NULL, edges, 2), 2);
    tj_set_array(w.j, 0);
    tj_set_map(w.j, 1, 0);
    tj_set_map(w.j, 2, 1);
    assert_elements_spread(&w, 2);
}

/* A runner skips clock readings between short elements of one step, and
 * never at the first element of another step, nor after a long one: that
 * reading is what tells it to share the rest. */
static void test_pool_elem_clock_reads(void **state)
{
    aj__runner r = { .elem_ns = 400 };
    aj__mapped quick, slow;
    int reads = 0;

    (void)state;
    for (int k = 0; k < 16; k++)
        reads += aj__elem_clock_due(&r, &quick, false);
    assert_int_equal(reads, 2);
    /* Short elements of quick, then one of slow: read. */
    assert_true(aj__elem_clock_due(&r, &slow, false));
    assert_true(aj__elem_clock_due(&r, &quick, false));
    assert_false(aj__elem_clock_due(&r, &quick, false));
    /* A deadline or an observer needs every reading. */
    assert_true(aj__elem_clock_due(&r, &quick, true));
    r.elem_ns = 1000;
    for (int k = 0; k < 4; k++)
        assert_true(aj__elem_clock_due(&r, &quick, false));
}

/* What a runner shares of the steps waiting on it: all of them after a
 * long step; after short ones that have waited AJ__SHARE_NS, the older
 * half, if that half holds AJ__HANDOVER_NS of work at the last step's
 * pace; nothing of steps under min_ns. */
static void test_pool_share_rule(void **state)
{
    const int64_t now = 1000000000;
    aj__runner r = { .n_stack = 40, .now_ns = now, .stack_since_ns = now - AJ__SHARE_NS };

    (void)state;
    r.step_ns = AJ__SHARE_NS;
    assert_int_equal(aj__share_keep(&r, 0), 0);
    /* 20 steps of 1 us: 20 us, worth a handover. */
    r.step_ns = 1000;
    assert_int_equal(aj__share_keep(&r, 0), 20);
    /* 20 of 25 ns: 0.5 us, not worth it (a no-op wavefront, bench W4). */
    r.step_ns = 25;
    assert_int_equal(aj__share_keep(&r, 0), AJ__KEEP_ALL);
    r.step_ns = AJ__HANDOVER_NS / 20;
    assert_int_equal(aj__share_keep(&r, 0), 20);
    /* Not waited long enough. */
    r.stack_since_ns = now - AJ__SHARE_NS + 1;
    assert_int_equal(aj__share_keep(&r, 0), AJ__KEEP_ALL);
    /* Steps under min_ns, however long they waited. */
    r.stack_since_ns = now - 100 * AJ__SHARE_NS;
    assert_int_equal(aj__share_keep(&r, r.step_ns + 1), AJ__KEEP_ALL);
    /* One step waiting: no older half. */
    r.n_stack = 1;
    assert_int_equal(aj__share_keep(&r, 0), AJ__KEEP_ALL);
}

/* Between a step's end and the release of what follows it: lets another
 * thread go ahead, so that the last predecessor to end is often not the
 * last one to arrive. */
static void let_others_run(void *arg, const aj_step_event *ev)
{
    (void)arg;
    if (ev->step_index % 2 == 0)
        for (int k = 0; k < 20; k++)
            sched_yield();
}

/* Every step starts after each of its predecessors ended, whichever thread
 * ran them: steps long enough to be spread over both workers and the
 * waiter, checked edge by edge on many instances. */
static void test_pool_times_follow_the_graph(void **state)
{
    enum { WIDE = 6, N = WIDE + 2, ROUNDS = 100 };
    aj_edge_def edges[2 * WIDE];
    aj_observer obs = { .step_finish = let_others_run };
    aj_start_opts o = { .observer = &obs };
    world w;

    (void)state;
    for (uint32_t k = 0; k < WIDE; k++) {
        edges[2 * k] = (aj_edge_def){ 0, k + 1, AJ_EDGE_DATA };
        edges[2 * k + 1] = (aj_edge_def){ k + 1, N - 1, AJ_EDGE_DATA };
    }
    world_open(&w, tj_new("fan", N, NULL, NULL, edges, 2 * WIDE), 2);
    for (int round = 0; round < ROUNDS; round++) {
        tj_run *r = tj_run_new(w.j);
        aj_instance *inst;
        for (uint32_t i = 0; i < N; i++)
            r->behave[i].busy_ns = 2 * AJ__SHARE_NS;
        inst = tj_start(w.rt, w.j, r, &o);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
        assert_int_equal(atomic_load(&r->violations), 0);
        for (uint32_t e = 0; e < 2 * WIDE; e++) {
            aj_step_info from, to;
            aj_instance_step_info(inst, edges[e].from, &from);
            aj_instance_step_info(inst, edges[e].to, &to);
            assert_true(to.start_ns >= from.start_ns + from.duration_ns);
        }
        aj_instance_free(inst);
        tj_run_free(r);
    }
    world_close(&w, NULL);
}

/* One worker: A fails and waits an hour to retry; B still gets the worker.
 * Cancelling cuts A's delay short. */
static void test_pool_delay_holds_no_worker(void **state)
{
    static const aj_retry_policy hour = { .max_retries = 1, .backoff = AJ_BACKOFF_FIXED,
                                          .delay_ns = 3600000000000 };
    world w;
    aj_instance *inst;
    aj_step_info info;
    aj_failure f;

    (void)state;
    world_open(&w, tj_new("delay", 2, NULL, NULL, NULL, 0), 1);
    w.j->steps[0].retry = &hour;
    w.r->behave[0].fails = 1;
    w.r->behave[1].gate = &w.gate;
    w.r->behave[1].started = &w.started;
    inst = tj_start(w.rt, w.j, w.r, NULL);
    sem_wait(&w.started); /* B runs on the only worker */
    assert_int_equal(tj_state(inst, 0), AJ_STEP_RUNNING);
    aj_instance_cancel(inst);
    tj_gate_open(&w.gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(aj_instance_step_info(inst, 0, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_CANCELLED);
    assert_int_equal(info.attempts, 1);
    assert_int_equal(info.err, -7);
    assert_int_equal(tj_state(inst, 1), AJ_STEP_COMPLETED);
    assert_int_equal(aj_instance_failure(inst, &f), AJ_ECANCELED);
    assert_int_equal(f.step, -1);
    assert_int_equal(f.kind, AJ_FAIL_CANCELLED);
    world_close(&w, inst);
}

/* Nobody waits: a worker fires the timer and runs the second attempt. */
static void test_pool_timer_fires_without_waiter(void **state)
{
    static const aj_retry_policy ms = { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                        .delay_ns = 1000000 };
    world w;
    aj_instance *inst;
    aj_step_info info;

    (void)state;
    world_open(&w, tj_new("timer", 1, NULL, NULL, NULL, 0), 2);
    w.j->steps[0].retry = &ms;
    w.r->behave[0].fails = 2;
    w.r->behave[0].started = &w.started;
    inst = tj_start(w.rt, w.j, w.r, NULL);
    for (int k = 0; k < 3; k++)
        sem_wait(&w.started);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    aj_instance_step_info(inst, 0, &info);
    assert_int_equal(info.attempts, 3);
    assert_false(pthread_equal(w.r->thread[0], pthread_self()));
    world_close(&w, inst);
}

/* The waiter fires its own instance's timer while the only worker is
 * stuck in another step. */
static void test_pool_waiter_fires_own_timer(void **state)
{
    static const aj_retry_policy ms = { .max_retries = 1, .backoff = AJ_BACKOFF_FIXED,
                                        .delay_ns = 1000000 };
    world w;
    aj_instance *inst;
    aj_step_info info;

    (void)state;
    world_open(&w, tj_new("own_timer", 2, NULL, NULL, NULL, 0), 1);
    w.j->steps[1].retry = &ms;
    w.r->behave[0].gate = &w.gate;
    w.r->behave[0].started = &w.started;
    w.r->behave[1].fails = 1;
    opener o = { .w = &w };
    pthread_t t;

    inst = o.inst = tj_start(w.rt, w.j, w.r, NULL);
    sem_wait(&w.started);
    /* The worker is stuck in step 0 (first in the ready list); only this
     * thread, waiting without a time limit, can run step 1 and fire its
     * timer. The gate opens once step 1 completed. */
    assert_int_equal(pthread_create(&t, NULL, open_after_step1, &o), 0);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    pthread_join(t, NULL);
    aj_instance_step_info(inst, 1, &info);
    assert_int_equal(info.attempts, 2);
    assert_true(pthread_equal(w.r->thread[1], pthread_self()));
    world_close(&w, inst);
}

typedef struct freer {
    aj_runtime *rt;
    aj_instance *inst;
    bool done_at_return;
} freer;

static void *free_runtime(void *arg)
{
    freer *f = arg;

    aj_runtime_free(f->rt);
    f->done_at_return = aj_instance_done(f->inst);
    return NULL;
}

static void test_pool_runtime_free_waits_for_instances(void **state)
{
    tj_job *j = tj_seed();
    tj_run *r = tj_run_new(j);
    tj_gate gate;
    sem_t started;
    freer f = { .rt = tj_workers(2) };
    pthread_t t;

    (void)state;
    tj_gate_init(&gate);
    sem_init(&started, 0, 0);
    r->behave[SEED_SUMMARIZE].gate = &gate;
    r->behave[SEED_SUMMARIZE].started = &started;
    f.inst = tj_start(f.rt, j, r, NULL);
    sem_wait(&started);
    pthread_create(&t, NULL, free_runtime, &f);
    tj_gate_open(&gate);
    pthread_join(t, NULL);
    assert_true(f.done_at_return);
    /* The instance outlives its runtime and is still freed by its owner. */
    assert_int_equal(aj_instance_wait(f.inst, -1), AJ_OK);
    aj_instance_free(f.inst);
    sem_destroy(&started);
    tj_gate_destroy(&gate);
    tj_run_free(r);
    tj_free(j);
}

static void test_pool_create_failures_leak_nothing(void **state)
{
    aj_runtime_opts o = { .n_workers = 3 };

    (void)state;
    aj__test_fail_thread(3);
    assert_null(aj_runtime_new(&o));
    aj__test_fail_thread(1);
    assert_null(aj_runtime_new(&o));
    aj__test_fail_alloc(1);
    assert_null(aj_runtime_new(&o));
    aj__test_fail_thread(0);
    aj__test_fail_alloc(0);
    aj_runtime_free(tj_workers(3));
}

static void test_pool_observers_runtime_and_instance(void **state)
{
    tj_job *j = tj_seed();
    tj_run *r = tj_run_new(j);
    static tj_rec rt_rec, inst_rec;
    aj_observer rt_obs = tj_rec_init(&rt_rec), inst_obs = tj_rec_init(&inst_rec);
    aj_runtime_opts ro = { .n_workers = 2, .observer = &rt_obs };
    aj_start_opts so = { .observer = &inst_obs };
    aj_runtime *rt = aj_runtime_new(&ro);
    aj_instance *inst;

    (void)state;
    r->behave[SEED_QUERY2].fails = 1;
    j->steps[SEED_QUERY2].retry = &(aj_retry_policy){ .max_retries = 1 };
    inst = tj_start(rt, j, r, &so);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    for (tj_rec *rec = &rt_rec; rec != NULL; rec = rec == &rt_rec ? &inst_rec : NULL) {
        assert_int_equal(tj_rec_count(rec, 0, UINT32_MAX), 9);
        assert_int_equal(tj_rec_count(rec, 1, SEED_QUERY2), 1);
        assert_int_equal(tj_rec_count(rec, 2, UINT32_MAX), 8);
        for (uint32_t k = 0; k < rec->n; k++)
            if (rec->ev[k].which == 2)
                assert_int_equal(rec->ev[k].state, AJ_STEP_COMPLETED);
    }
    aj_instance_free(inst);
    aj_runtime_free(rt);
    tj_run_free(r);
    tj_free(j);
}

static int64_t cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spinning and the sentinel's looks end soon after the last instance: in
 * the 200 ms after it the process uses well under 10 ms of CPU (spinning
 * through them would use 400). The instances before give workers every
 * reason to spin: a tight loop, steps shared between threads, instances
 * left to the workers. */
static void test_pool_idle_burns_no_cpu(void **state)
{
    tj_job *j = tj_seed();
    aj_runtime *rt = tj_workers(2);
    struct timespec pause = { 0, 200000000 };
    int64_t c0;

    (void)state;
    for (int k = 0; k < 300; k++) {
        tj_run *r = tj_run_new(j);
        aj_instance *inst;
        if (k % 3 == 0)
            r->behave[SEED_CLIENT1].busy_ns = r->behave[SEED_CLIENT2].busy_ns = 2 * AJ__SHARE_NS;
        inst = tj_start(rt, j, r, NULL);
        assert_int_equal(aj_instance_wait(inst, k % 2 ? -1 : 1000000000), AJ_OK);
        aj_instance_free(inst);
        tj_run_free(r);
    }
    c0 = cpu_ns();
    nanosleep(&pause, NULL);
    assert_in_range(cpu_ns() - c0, 0, 10000000);
    aj_runtime_free(rt);
    tj_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runtime_sizes),
        cmocka_unit_test(test_pool_seed_many_times),
        cmocka_unit_test(test_pool_many_in_flight_one_allocation_each),
        cmocka_unit_test(test_pool_waiter_runs_ready_steps),
        cmocka_unit_test(test_pool_timed_waiter_runs_no_step),
        cmocka_unit_test(test_pool_after_long_step_released_steps_spread),
        cmocka_unit_test(test_pool_long_roots_reach_every_worker),
        cmocka_unit_test(test_pool_elem_clock_reads),
        cmocka_unit_test(test_pool_share_rule),
        cmocka_unit_test(test_pool_long_elements_spread),
        cmocka_unit_test(test_pool_long_elements_after_short_ones_spread),
        cmocka_unit_test(test_pool_times_follow_the_graph),
        cmocka_unit_test(test_pool_delay_holds_no_worker),
        cmocka_unit_test(test_pool_timer_fires_without_waiter),
        cmocka_unit_test(test_pool_waiter_fires_own_timer),
        cmocka_unit_test(test_pool_runtime_free_waits_for_instances),
        cmocka_unit_test(test_pool_create_failures_leak_nothing),
        cmocka_unit_test(test_pool_observers_runtime_and_instance),
        cmocka_unit_test(test_pool_idle_burns_no_cpu),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
