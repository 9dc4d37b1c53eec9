/*
 * test_time.c: time at its boundaries.
 * - Waits with timeouts of 0, 1 ns, 999,999,999 ns, 10^18 ns, INT64_MAX and
 *   negative values; retry delays of 1 ns, 10^18 ns and INT64_MAX in the
 *   runtime's timer heap; every timed wait the runtime makes is checked as
 *   it happens (a valid timespec, a condition variable on CLOCK_MONOTONIC,
 *   never EINVAL) by wrapping pthread_cond_init/wait/timedwait at link
 *   time (-Wl,--wrap).
 * - Step deadlines of 0, 1 ns, 999,999,999 ns, very large and negative, on
 *   a fake monotonic clock (clock_gettime wrapped too) that the steps move
 *   by hand: a step that ends exactly at its deadline is on time, one
 *   nanosecond later it is late; deadlines saturate instead of wrapping.
 * - Retry delays for retries 0 to 1,000 of many policies: within
 *   [0, cap], never decreasing without jitter, never 0 once the base is
 *   not, and a step retried 1,000 times.
 * - What a late step leaves behind.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define NS 1000000000

/* ------------------------------------------------------------------------ */
/* Link-time wrappers: a fake clock and a watch on every condition wait     */

int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);
int __real_pthread_cond_init(pthread_cond_t *cv, const pthread_condattr_t *attr);
int __wrap_pthread_cond_init(pthread_cond_t *cv, const pthread_condattr_t *attr);
int __real_pthread_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu);
int __wrap_pthread_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu);
int __real_pthread_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *mu,
                                  const struct timespec *ts);
int __wrap_pthread_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *mu,
                                  const struct timespec *ts);

static _Atomic int64_t fake_now;        /* 0: the real monotonic clock */
static _Atomic long bad_waits;          /* EINVAL, bad timespec, not monotonic */
static _Atomic long timed_waits;
static pthread_t main_thread;
static _Atomic int main_waiting;        /* 1: untimed; 2: timed, past 10^9 s */

#define MAX_CVS 256
static pthread_mutex_t cvs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t *monotonic_cvs[MAX_CVS];  /* made on CLOCK_MONOTONIC */

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
    int64_t f = atomic_load(&fake_now);

    if (id != CLOCK_MONOTONIC || f == 0)
        return __real_clock_gettime(id, ts);
    ts->tv_sec = (time_t)(f / NS);
    ts->tv_nsec = (long)(f % NS);
    return 0;
}

/* Remembers which condition variables wait on the monotonic clock. */
int __wrap_pthread_cond_init(pthread_cond_t *cv, const pthread_condattr_t *attr)
{
    clockid_t clock = CLOCK_REALTIME;
    int slot = -1;

    if (attr != NULL && pthread_condattr_getclock(attr, &clock) != 0)
        clock = CLOCK_REALTIME;
    pthread_mutex_lock(&cvs_mu);
    for (int i = 0; i < MAX_CVS; i++) {
        if (monotonic_cvs[i] == cv)
            monotonic_cvs[i] = NULL; /* the address is reused */
        if (monotonic_cvs[i] == NULL && slot < 0)
            slot = i;
    }
    if (clock == CLOCK_MONOTONIC && slot >= 0)
        monotonic_cvs[slot] = cv;
    pthread_mutex_unlock(&cvs_mu);
    return __real_pthread_cond_init(cv, attr);
}

static bool is_monotonic(const pthread_cond_t *cv)
{
    bool found = false;

    pthread_mutex_lock(&cvs_mu);
    for (int i = 0; i < MAX_CVS && !found; i++)
        found = monotonic_cvs[i] == cv;
    pthread_mutex_unlock(&cvs_mu);
    return found;
}

int __wrap_pthread_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu)
{
    bool on_main = pthread_equal(pthread_self(), main_thread);
    int rc;

    if (on_main)
        atomic_store(&main_waiting, 1);
    rc = __real_pthread_cond_wait(cv, mu);
    if (on_main)
        atomic_store(&main_waiting, 0);
    return rc;
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *mu,
                                  const struct timespec *ts)
{
    bool on_main = pthread_equal(pthread_self(), main_thread);
    int rc;

    atomic_fetch_add(&timed_waits, 1);
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS || !is_monotonic(cv))
        atomic_fetch_add(&bad_waits, 1);
    if (on_main && ts->tv_sec > NS)
        atomic_store(&main_waiting, 2);
    rc = __real_pthread_cond_timedwait(cv, mu, ts);
    if (on_main)
        atomic_store(&main_waiting, 0);
    if (rc == EINVAL)
        atomic_fetch_add(&bad_waits, 1);
    return rc;
}

static _Atomic long boxes_made, boxes_freed;

static void box_free(void *slot)
{
    free(*(int64_t **)slot);
    atomic_fetch_add(&boxes_freed, 1);
}

/* Stores a boxed output and returns 0, but only once its deadline passed. */
static int late_step(aj_ctx *ctx, void *inputs, void *outputs, const size_t *slots)
{
    int64_t *b = malloc(sizeof *b);

    (void)inputs;
    (void)slots;
    while (!aj_ctx_expired(ctx))
        ;
    assert_non_null(b); /* on the calling thread: sequential mode */
    *b = 42;
    memcpy(outputs, &b, sizeof b);
    atomic_fetch_add(&boxes_made, 1);
    return 0;
}

/* A step that stores its output and returns 0 after its deadline failed:
 * the output it stored is freed, on every attempt, not leaked. */
static void test_time_late_output_is_freed(void **state)
{
    static const aj_retry_policy twice = { .max_retries = 2 };
    tj_job *j = tj_new("late", 1, NULL, NULL, NULL, 0);
    aj_start_opts o = { .sequential = true };
    tj_inputs in = { NULL };
    aj_instance *inst;
    aj_step_info info;

    (void)state;
    j->exec[0].run = late_step;
    j->steps[0].free_output = box_free;
    tj_set_timeout(j, 0, 1000);
    j->steps[0].retry = &twice;
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ESTEPTIMEOUT);
    assert_int_equal(aj_instance_step_info(inst, 0, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_FAILED);
    assert_int_equal(info.kind, AJ_FAIL_TIMEOUT);
    assert_int_equal(info.attempts, 3);
    aj_instance_free(inst);
    assert_int_equal(atomic_load(&boxes_made), 3);
    assert_int_equal(atomic_load(&boxes_freed), 3);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Waits                                                                     */

/* Opens a gate once the main thread sleeps in the kind of wait wanted. */
typedef struct opener {
    tj_gate *gate;
    int want;
    pthread_t thread;
} opener;

static void *open_when_waiting(void *arg)
{
    opener *o = arg;

    while (atomic_load(&main_waiting) != o->want)
        sched_yield();
    tj_gate_open(o->gate);
    return NULL;
}

/* A one-step instance on rt whose step runs until the gate opens. */
static aj_instance *gated(aj_runtime *rt, tj_job *j, tj_run *r, tj_gate *gate, sem_t *started)
{
    tj_inputs in = { r };
    aj_instance *inst;

    tj_gate_init(gate);
    r->behave[0].gate = gate;
    r->behave[0].started = started;
    assert_int_equal(aj_instance_start(rt, &j->def, &in, NULL, &inst), AJ_OK);
    sem_wait(started);
    return inst;
}

/* wait(timeout) returns AJ_OK only once the step ends: the gate opens
 * when the main thread is asleep in the wait that timeout gives. */
static void wait_blocks(aj_runtime *rt, int64_t timeout, int want)
{
    tj_job *j = tj_new("w", 1, NULL, NULL, NULL, 0);
    tj_run *r = tj_run_new(j);
    tj_gate gate;
    sem_t started;
    opener o = { &gate, want, 0 };
    aj_instance *inst;

    sem_init(&started, 0, 0);
    inst = gated(rt, j, r, &gate, &started);
    assert_int_equal(pthread_create(&o.thread, NULL, open_when_waiting, &o), 0);
    assert_int_equal(aj_instance_wait(inst, timeout), AJ_OK);
    assert_int_equal(pthread_join(o.thread, NULL), 0);
    assert_int_equal(tj_state(inst, 0), AJ_STEP_COMPLETED);
    aj_instance_free(inst);
    tj_gate_destroy(&gate);
    sem_destroy(&started);
    tj_run_free(r);
    tj_free(j);
}

static void test_time_wait_timeouts(void **state)
{
    static const int64_t forever[] = { INT64_MAX, INT64_MAX - 1, -1, INT64_MIN };
    static const int64_t short_ones[] = { 0, 1, 999999999 };
    aj_runtime_opts ro = { .n_workers = 1 };
    aj_runtime *rt = aj_runtime_new(&ro);
    tj_job *j = tj_new("w", 1, NULL, NULL, NULL, 0);
    tj_run *r = tj_run_new(j);
    tj_gate gate;
    sem_t started;
    aj_instance *inst;

    (void)state;
    sem_init(&started, 0, 0);
    inst = gated(rt, j, r, &gate, &started);
    for (size_t k = 0; k < sizeof short_ones / sizeof *short_ones; k++)
        assert_int_equal(aj_instance_wait(inst, short_ones[k]), AJ_ETIMEDOUT);
    tj_gate_open(&gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    for (size_t k = 0; k < sizeof short_ones / sizeof *short_ones; k++)
        assert_int_equal(aj_instance_wait(inst, short_ones[k]), AJ_OK); /* done: at once */
    aj_instance_free(inst);
    /* 10^18 ns: a timed wait whose timespec is 31 years away. */
    wait_blocks(rt, 1000000000000000000, 2);
    for (size_t k = 0; k < sizeof forever / sizeof *forever; k++)
        wait_blocks(rt, forever[k], 1);
    aj_runtime_free(rt);
    assert_int_equal(atomic_load(&bad_waits), 0);
    assert_true(atomic_load(&timed_waits) > 0);
    tj_gate_destroy(&gate);
    sem_destroy(&started);
    tj_run_free(r);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Retry delays in the timer heap                                           */

static _Atomic int64_t custom_delay;

static bool custom_retry(const aj_ctx *ctx, int err, uint32_t retry, int64_t *delay_ns)
{
    (void)ctx;
    (void)err;
    *delay_ns = atomic_load(&custom_delay);
    return retry < 1;
}

/* The step fails once; its one retry waits delay. Huge delays end only by
 * a cancel; small ones (and negative, taken as 0) run the retry. */
static void retry_after(aj_runtime *rt, int64_t delay)
{
    static const aj_retry_policy custom = { .custom = custom_retry };
    tj_job *j = tj_new("d", 1, NULL, NULL, NULL, 0);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_instance *inst;
    bool huge = delay > 60 * (int64_t)NS;

    atomic_store(&custom_delay, delay);
    j->steps[0].retry = &custom;
    r->behave[0].fails = 1;
    assert_int_equal(aj_instance_start(rt, &j->def, &in, NULL, &inst), AJ_OK);
    if (huge) {
        /* A waiter with a timeout runs no step: a worker runs the first
         * attempt. Cancelled while it runs or once it waits in the heap,
         * the step ends cancelled after one attempt either way. */
        while (atomic_load(&r->attempts[0]) == 0)
            sched_yield();
        assert_int_equal(aj_instance_wait(inst, 0), AJ_ETIMEDOUT);
        assert_int_equal(aj_instance_wait(inst, 1000), AJ_ETIMEDOUT);
        aj_instance_cancel(inst);
    }
    assert_int_equal(aj_instance_wait(inst, -1), huge ? AJ_ECANCELED : AJ_OK);
    assert_int_equal(atomic_load(&r->attempts[0]), huge ? 1 : 2);
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

static void test_time_retry_delays_in_the_timer_heap(void **state)
{
    static const int64_t delays[] = { INT64_MAX, INT64_MAX - 1, 1000000000000000000, 1, 0, -5,
                                      INT64_MIN };
    aj_runtime_opts ro = { .n_workers = 2 };
    aj_runtime *rt = aj_runtime_new(&ro);

    (void)state;
    for (size_t k = 0; k < sizeof delays / sizeof *delays; k++)
        retry_after(rt, delays[k]);
    aj_runtime_free(rt);
    assert_int_equal(atomic_load(&bad_waits), 0);
}

/* ------------------------------------------------------------------------ */
/* Step deadlines on a fake clock                                           */

/* What a step does with the frozen clock, and what it saw. */
typedef struct deadline_case {
    int64_t timeout_ns;
    int64_t end_offset;    /* the clock at return: deadline + this */
    int64_t deadline;      /* seen by the step */
    bool expired_at, expired_after;  /* at the deadline, 1 ns after it */
} deadline_case;

static deadline_case *cases;

static int clock_step(aj_ctx *ctx, void *inputs, void *outputs, const size_t *slots)
{
    deadline_case *c = &cases[aj_ctx_step_index(ctx)];
    int64_t d = aj_ctx_deadline_ns(ctx), base = atomic_load(&fake_now);

    (void)inputs;
    (void)slots;
    (void)outputs;
    c->deadline = d;
    if (d != INT64_MAX) {
        atomic_store(&fake_now, d);
        c->expired_at = aj_ctx_expired(ctx);
        atomic_store(&fake_now, d + 1);
        c->expired_after = aj_ctx_expired(ctx);
        atomic_store(&fake_now, d + c->end_offset);
    } else {
        /* No deadline: a long time passes (up to the clock's top), and it
         * is never late. */
        atomic_store(&fake_now, base + (INT64_MAX - base) / 2);
        c->expired_after = aj_ctx_expired(ctx);
    }
    return 0;
}
/* Runs the cases as independent steps of one sequential instance, the
 * fake clock starting at start_ns; returns each step's final state. */
static void run_deadlines(deadline_case *cs, uint32_t n, int64_t start_ns, int *states)
{
    tj_job *j = tj_new("deadlines", n, NULL, NULL, NULL, 0);
    aj_start_opts o = { .sequential = true };
    tj_inputs in = { NULL };
    aj_instance *inst;

    cases = cs;
    for (uint32_t i = 0; i < n; i++) {
        j->exec[i].run = clock_step;
        tj_set_timeout(j, i, cs[i].timeout_ns);
    }
    atomic_store(&fake_now, start_ns);
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    atomic_store(&fake_now, 0);
    for (uint32_t i = 0; i < n; i++)
        states[i] = tj_state(inst, i);
    aj_instance_free(inst);
    tj_free(j);
}

static void test_time_step_deadlines_on_a_fake_clock(void **state)
{
    deadline_case cs[] = {
        { 1, 0, 0, 0, 0 },         { 1, 1, 0, 0, 0 },        { 1, -1, 0, 0, 0 },
        { 999999999, 0, 0, 0, 0 }, { 999999999, 1, 0, 0, 0 },
        { 1000000000000000000, 0, 0, 0, 0 }, { 1000000000000000000, 1, 0, 0, 0 },
        { 0, 0, 0, 0, 0 },         { -1, 0, 0, 0, 0 },       { INT64_MIN, 0, 0, 0, 0 },
        { INT64_MAX, 0, 0, 0, 0 },
    };
    uint32_t n = sizeof cs / sizeof *cs;
    int states[sizeof cs / sizeof *cs];

    (void)state;
    run_deadlines(cs, n, 1000 * (int64_t)NS, states);
    for (uint32_t i = 0; i < n; i++) {
        bool none = cs[i].timeout_ns <= 0 || cs[i].timeout_ns == INT64_MAX;
        if (none) {
            assert_true(cs[i].deadline == INT64_MAX);
            assert_false(cs[i].expired_after);
        } else {
            assert_false(cs[i].expired_at);
            assert_true(cs[i].expired_after);
        }
        assert_int_equal(states[i], cs[i].end_offset > 0 ? AJ_STEP_FAILED : AJ_STEP_COMPLETED);
    }
    /* Each deadline is the attempt's start plus its timeout, exactly. */
    assert_true(cs[0].deadline == 1000 * (int64_t)NS + 1);
    assert_true(cs[1].deadline == cs[0].deadline + 1);
}

/* Near the top of the clock a deadline saturates to "none" instead of
 * wrapping into the past (which would fail every step at once). */
static void test_time_deadline_saturates_near_the_clock_top(void **state)
{
    deadline_case cs[] = { { 999999999, 0, 0, 0, 0 }, { INT64_MAX / 2, 0, 0, 0, 0 } };
    int states[2];

    (void)state;
    run_deadlines(cs, 2, INT64_MAX - 500000000, states);
    assert_true(cs[0].deadline == INT64_MAX);
    assert_true(cs[1].deadline == INT64_MAX);
    assert_int_equal(states[0], AJ_STEP_COMPLETED);
    assert_int_equal(states[1], AJ_STEP_COMPLETED);
}

/* ------------------------------------------------------------------------ */
/* Retry delays for retries 0 to 1,000                                      */

/* Every delay of p, and of p with jitter, for k = 0..1000. */
static void sweep(aj_retry_policy p)
{
    int64_t limit = p.cap_ns > 0 ? p.cap_ns : INT64_MAX, prev = 0;
    uint32_t pct = p.jitter_pct > 100 ? 100 : p.jitter_pct;

    for (uint32_t k = 0; k <= 1000; k++) {
        aj_retry_policy plain = p;
        int64_t v, d, j;
        plain.jitter_pct = 0;
        v = aj_retry_delay_ns(&plain, k, k);
        d = aj_retry_delay_ns(&p, k, 0x9e3779b97f4a7c15u * (k + 1));
        assert_true(v >= 0 && v <= limit);
        assert_true(d >= 0 && d <= limit);
        if (p.backoff != AJ_BACKOFF_NONE && p.delay_ns > 0)
            assert_true(v > 0);            /* never 0 through overflow */
        assert_true(v >= prev);            /* never decreasing */
        /* Jitter moves v by at most pct% of it (differences: no overflow). */
        j = v / 100 * pct + v % 100 * pct / 100;
        assert_true(d >= v ? d - v <= j : v - d <= j);
        if (pct < 100 && p.backoff != AJ_BACKOFF_NONE && p.delay_ns > 0)
            assert_true(d > 0);
        prev = v;
    }
}

static void test_time_retry_delays_up_to_a_thousand_retries(void **state)
{
    static const int64_t bases[] = { 1, 3, 1000, 999999999, INT64_MAX / 3, INT64_MAX - 1,
                                     INT64_MAX };
    static const double factors[] = { 1.0, 1.0000001, 1.5, 2.0, 10.0, 1e300, INFINITY };
    static const int64_t caps[] = { 0, 1, 50000000, INT64_MAX };
    static const uint32_t jitters[] = { 0, 20, 100, 250 };
    unsigned n = 0;

    (void)state;
    for (size_t b = 0; b < sizeof bases / sizeof *bases; b++)
        for (size_t c = 0; c < sizeof caps / sizeof *caps; c++)
            for (size_t q = 0; q < sizeof jitters / sizeof *jitters; q++) {
                aj_retry_policy p = { .delay_ns = bases[b], .cap_ns = caps[c],
                                      .jitter_pct = jitters[q] };
                for (int kind = AJ_BACKOFF_NONE; kind <= AJ_BACKOFF_LINEAR; kind++, n++) {
                    p.backoff = (aj_backoff)kind;
                    sweep(p);
                }
                p.backoff = AJ_BACKOFF_EXPONENTIAL;
                for (size_t f = 0; f < sizeof factors / sizeof *factors; f++, n++) {
                    p.factor = factors[f];
                    sweep(p);
                }
            }
    print_message("%u policies, each for retries 0 to 1000\n", n);
}

/* A step that fails 1,001 times runs 1 + 1,000 retries, each delay in
 * [0, cap] and never shorter than the one before. */
static void test_time_a_thousand_retries(void **state)
{
    static const aj_retry_policy p = { .max_retries = 1000, .backoff = AJ_BACKOFF_EXPONENTIAL,
                                       .delay_ns = 1, .factor = 2.0, .cap_ns = 1000 };
    tj_job *j = tj_new("r", 1, NULL, NULL, NULL, 0);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    static tj_rec rec;
    aj_observer obs = tj_rec_init(&rec);
    aj_start_opts o = { .sequential = true, .observer = &obs };
    aj_instance *inst;
    int64_t prev = 0;

    (void)state;
    j->steps[0].retry = &p;
    r->behave[0].fails = -1;
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), -7);
    assert_int_equal(atomic_load(&r->attempts[0]), 1001);
    assert_int_equal(tj_rec_count(&rec, 1, 0), 1000);
    for (uint32_t k = 0; k < rec.n; k++) {
        if (rec.ev[k].which != 1)
            continue;
        assert_true(rec.ev[k].delay_ns >= prev && rec.ev[k].delay_ns <= 1000);
        prev = rec.ev[k].delay_ns;
    }
    assert_int_equal(prev, 1000);
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_wait_timeouts),
        cmocka_unit_test(test_time_retry_delays_in_the_timer_heap),
        cmocka_unit_test(test_time_step_deadlines_on_a_fake_clock),
        cmocka_unit_test(test_time_deadline_saturates_near_the_clock_top),
        cmocka_unit_test(test_time_retry_delays_up_to_a_thousand_retries),
        cmocka_unit_test(test_time_a_thousand_retries),
        cmocka_unit_test(test_time_late_output_is_freed),
    };

    main_thread = pthread_self();
    /* The runtime reads its clock through clock_gettime(), which the fake
     * clock wraps, not through the TSC. */
    setenv("AJ_CLOCK", "monotonic", 1);
    return cmocka_run_group_tests_name("time", tests, NULL, NULL);
}
