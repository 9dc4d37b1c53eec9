/*
 * test_retry.c: retry policies. The delay arithmetic (fixed, linear,
 * exponential, cap, jitter, saturation), then retries as instances see
 * them: attempts, permanent failures, custom policies, per-instance
 * overrides, retry events. Instances run in sequential mode: no threads.
 * Two tests bound costs by CPU time relative to a cheaper call of the same
 * code, never by wall time, with a margin of several times both ways.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static void test_retry_delay_fixed_linear_none(void **state)
{
    aj_retry_policy p = { .max_retries = 5, .backoff = AJ_BACKOFF_FIXED, .delay_ns = 300 };

    (void)state;
    for (uint32_t k = 0; k < 5; k++)
        assert_int_equal(aj_retry_delay_ns(&p, k, k), 300);
    p.backoff = AJ_BACKOFF_LINEAR;
    for (uint32_t k = 0; k < 5; k++)
        assert_int_equal(aj_retry_delay_ns(&p, k, k), 300 * (int64_t)(k + 1));
    p.backoff = AJ_BACKOFF_NONE;
    assert_int_equal(aj_retry_delay_ns(&p, 3, 0), 0);
    assert_int_equal(aj_retry_delay_ns(NULL, 3, 0), 0);
    p.backoff = AJ_BACKOFF_FIXED;
    p.delay_ns = -5;
    assert_int_equal(aj_retry_delay_ns(&p, 0, 0), 0);
}

static void test_retry_delay_exponential_and_cap(void **state)
{
    aj_retry_policy p = { .backoff = AJ_BACKOFF_EXPONENTIAL, .delay_ns = 1000, .factor = 2.0 };

    (void)state;
    for (uint32_t k = 0; k < 10; k++)
        assert_int_equal(aj_retry_delay_ns(&p, k, 0), 1000 * ((int64_t)1 << k));
    p.factor = 3.0;
    assert_int_equal(aj_retry_delay_ns(&p, 2, 0), 9000);
    p.cap_ns = 5000;
    assert_int_equal(aj_retry_delay_ns(&p, 1, 0), 3000);
    assert_int_equal(aj_retry_delay_ns(&p, 2, 0), 5000);
    /* A factor below 1, or not a number, counts as 1. */
    p.cap_ns = 0;
    p.factor = 0.5;
    assert_int_equal(aj_retry_delay_ns(&p, 4, 0), 1000);
    p.factor = NAN;
    assert_int_equal(aj_retry_delay_ns(&p, 4, 0), 1000);
}

static void test_retry_delay_saturates(void **state)
{
    aj_retry_policy p = { .backoff = AJ_BACKOFF_EXPONENTIAL, .delay_ns = INT64_MAX / 3,
                          .factor = 10.0 };

    (void)state;
    /* factor^k with k up to 1000: never wraps, never negative, never 0. */
    for (uint32_t k = 0; k <= 1000; k += 7)
        assert_true(aj_retry_delay_ns(&p, k, k) >= INT64_MAX / 3);
    assert_int_equal(aj_retry_delay_ns(&p, 1000, 0), INT64_MAX);
    p.cap_ns = 123456789;
    assert_int_equal(aj_retry_delay_ns(&p, 1000, 0), 123456789);
    p = (aj_retry_policy){ .backoff = AJ_BACKOFF_LINEAR, .delay_ns = INT64_MAX - 1 };
    assert_int_equal(aj_retry_delay_ns(&p, UINT32_MAX, 0), INT64_MAX);
    p = (aj_retry_policy){ .backoff = AJ_BACKOFF_EXPONENTIAL, .delay_ns = 1, .factor = 1e300 };
    assert_int_equal(aj_retry_delay_ns(&p, 2, 0), INT64_MAX);
}

static void test_retry_delay_jitter_bounds(void **state)
{
    aj_retry_policy p = { .backoff = AJ_BACKOFF_FIXED, .delay_ns = 1000000, .jitter_pct = 20 };
    int64_t lo = INT64_MAX, hi = 0;

    (void)state;
    for (uint64_t seed = 0; seed < 2000; seed++) {
        int64_t d = aj_retry_delay_ns(&p, 0, seed);
        assert_true(d >= 800000 && d <= 1200000);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* It spreads, both ways. */
    assert_true(lo < 900000);
    assert_true(hi > 1100000);
    /* Jitter is clamped to the cap, and to INT64_MAX without one. */
    p.cap_ns = 1050000;
    for (uint64_t seed = 0; seed < 500; seed++)
        assert_true(aj_retry_delay_ns(&p, 0, seed) <= 1050000);
    p = (aj_retry_policy){ .backoff = AJ_BACKOFF_FIXED, .delay_ns = INT64_MAX, .jitter_pct = 100 };
    for (uint64_t seed = 0; seed < 500; seed++)
        assert_true(aj_retry_delay_ns(&p, 0, seed) >= 0);
    p.jitter_pct = 250; /* more than 100 counts as 100 */
    for (uint64_t seed = 0; seed < 500; seed++)
        assert_true(aj_retry_delay_ns(&p, 0, seed) >= 0);
}

/* The exponential delay as it was computed before it took O(1) time: k
 * multiplications. Retries 0 to 64 (and every factor of 2 or more) must
 * give exactly this. */
static int64_t loop_delay(const aj_retry_policy *p, uint32_t k)
{
    int64_t limit = p->cap_ns > 0 ? p->cap_ns : INT64_MAX, v = p->delay_ns;
    double d = (double)p->delay_ns;

    if (p->factor > 1.0 && k > 0) {
        for (uint32_t i = 0; i < k && d > 0 && v != INT64_MAX; i++)
            if ((d *= p->factor) >= 9.2e18)
                v = INT64_MAX;
        if (v != INT64_MAX)
            v = (int64_t)d;
    }
    return v > limit ? limit : v;
}

static int64_t expo(int64_t delay_ns, double factor, int64_t cap_ns, uint32_t k)
{
    aj_retry_policy p = { .backoff = AJ_BACKOFF_EXPONENTIAL, .delay_ns = delay_ns,
                          .factor = factor, .cap_ns = cap_ns };

    return aj_retry_delay_ns(&p, k, 0);
}

/* Exact values at the boundaries. The expected values of the huge retries
 * are delay * factor^k for the factor's exact binary value, computed to 80
 * digits: each lies at least 0.3 ns away from an integer. */
static void test_retry_delay_exponential_exact(void **state)
{
    (void)state;
    /* k = 0, and factors that do not grow, at any k. */
    assert_int_equal(expo(12345, 1.00001, 0, 0), 12345);
    assert_int_equal(expo(12345, 1.0, 0, UINT32_MAX), 12345);
    assert_int_equal(expo(12345, 0.5, 0, UINT32_MAX), 12345);
    assert_int_equal(expo(12345, NAN, 0, UINT32_MAX), 12345);
    assert_int_equal(expo(0, 1.5, 0, UINT32_MAX), 0);
    /* Factor 2: exact powers up to 2^62, then INT64_MAX, whatever k. */
    for (uint32_t k = 0; k < 63; k++)
        assert_int_equal(expo(1, 2.0, 0, k), (int64_t)1 << k);
    assert_int_equal(expo(1, 2.0, 0, 63), INT64_MAX);
    assert_int_equal(expo(1, 2.0, 0, UINT32_MAX), INT64_MAX);
    /* The flapping step: 1.00001, cap 1 us. */
    assert_int_equal(expo(100, 1.00001, 1000, 230000), 997);
    assert_int_equal(expo(100, 1.00001, 1000, 999999), 1000);
    assert_int_equal(expo(100, 1.00001, 1000, UINT32_MAX), 1000);
    assert_int_equal(expo(100, 1.00001, 0, 999999), 2202514);
    assert_int_equal(expo(3, 1.0001, 0, 100000), 66046);
    assert_int_equal(expo(1000, 1.1, 0, 200), 189905276460);
    /* Factors a hair above 1 at the largest k: still growing, exactly. */
    assert_int_equal(expo(1000000000, 1.0 + 0x1p-32, 0, UINT32_MAX), 2718281827);
    assert_int_equal(expo(1000000000, 1.000000000001, 0, UINT32_MAX), 1004304587);
    assert_int_equal(expo(7, 1.0 + 0x1p-40, 0, UINT32_MAX), 7);
    /* Overflow: INT64_MAX, or the cap; never wrapped, never NaN's garbage. */
    assert_int_equal(expo(1000000000000000000, 1.00001, 0, 999999), INT64_MAX);
    assert_int_equal(expo(1000000000000000000, 1.00001, 5000000000000000000, 999999),
                     5000000000000000000);
    assert_int_equal(expo(INT64_MAX, 1.0 + 0x1p-52, 0, UINT32_MAX), INT64_MAX);
    assert_int_equal(expo(1, INFINITY, 0, 65), INT64_MAX);
    assert_int_equal(expo(1, 1e300, 0, 999999), INT64_MAX);
    assert_int_equal(expo(1, 1.98, 77, UINT32_MAX), 77);
}

/* Bit for bit what k multiplications gave, for k up to 65 and for every
 * factor of 2 or more; close to it (the loop's own rounding) beyond. */
static void test_retry_delay_exponential_as_before(void **state)
{
    static const double factors[] = { 1.0000001, 1.001, 1.1, 1.3, 1.5, 1.98, 2.0, 3.0, 10.0 };
    uint64_t rng = 42;

    (void)state;
    for (uint32_t n = 0; n < 3000; n++) {
        aj_retry_policy p = { .backoff = AJ_BACKOFF_EXPONENTIAL,
                              .delay_ns = (int64_t)tj_rnd(&rng, UINT32_MAX) << tj_rnd(&rng, 31),
                              .factor = factors[n % (sizeof factors / sizeof *factors)],
                              .cap_ns = n % 3 == 0 ? (int64_t)tj_rnd(&rng, UINT32_MAX) << 20 : 0 };
        for (uint32_t k = 0; k <= 65; k++)
            assert_int_equal(aj_retry_delay_ns(&p, k, 0), loop_delay(&p, k));
        if (p.factor >= 2.0)
            assert_int_equal(aj_retry_delay_ns(&p, 1000 + n, 0), loop_delay(&p, 1000 + n));
    }
    for (uint32_t k = 66; k < 5000; k += 37) {
        aj_retry_policy p = { .backoff = AJ_BACKOFF_EXPONENTIAL, .delay_ns = 1000,
                              .factor = 1.0001 };
        int64_t v = aj_retry_delay_ns(&p, k, 0), ref = loop_delay(&p, k);
        assert_true(v - ref <= 1 && ref - v <= 1);
    }
}

/* Never shorter than the delay before, also across k = 64 where the
 * arithmetic changes and at the largest k, for factors a hair above 1. */
static void test_retry_delay_exponential_monotonic(void **state)
{
    static const double factors[] = { 1.0 + 0x1p-52, 1.000000000001, 1.000000001, 1.00001,
                                      1.0001, 1.5, 1.98 };
    static const int64_t bases[] = { 1, 1000, 999999999, 1000000000000000000 };

    (void)state;
    for (size_t f = 0; f < sizeof factors / sizeof *factors; f++)
        for (size_t b = 0; b < sizeof bases / sizeof *bases; b++) {
            int64_t prev = 0;
            for (uint32_t k = 0; k < 300; k++) {
                int64_t v = expo(bases[b], factors[f], 0, k);
                assert_true(v >= prev);
                prev = v;
            }
            for (uint64_t k = 1u << 20; k <= UINT32_MAX; k = k * 3 / 2 + 1) {
                int64_t v = expo(bases[b], factors[f], 0, (uint32_t)k);
                assert_true(v >= prev);
                assert_true(expo(bases[b], factors[f], 0, (uint32_t)k + 1) >= v);
                prev = v;
            }
            assert_true(expo(bases[b], factors[f], 0, UINT32_MAX) >= prev);
        }
}

static int64_t cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time of n delays before retry k; stops early once past budget_ns. */
static int64_t delays_cpu_ns(const aj_retry_policy *p, uint32_t k, uint32_t n, int64_t budget_ns)
{
    volatile int64_t sink = 0;
    int64_t t0 = cpu_ns();

    for (uint32_t i = 0; i < n; i++) {
        sink += aj_retry_delay_ns(p, k, i);
        if (i % 64 == 63 && cpu_ns() - t0 > budget_ns)
            break;
    }
    (void)sink;
    return cpu_ns() - t0;
}

/* A delay costs the same at any k: 20,000 delays at k = 999,999 or at
 * k = UINT32_MAX - 1 take at most 50 times (plus 5 ms) the CPU time of
 * 20,000 at k = 64: about 10 times is expected; k multiplications took
 * 16,000 times as long at k = 999,999. */
static void test_retry_delay_cost_does_not_grow_with_k(void **state)
{
    static const uint32_t ks[] = { 999999, UINT32_MAX - 1 };
    aj_retry_policy p = { .backoff = AJ_BACKOFF_EXPONENTIAL, .delay_ns = 100,
                          .factor = 1.000000000001, .cap_ns = 1000 };
    int64_t ref = INT64_MAX, budget;

    (void)state;
    for (int r = 0; r < 3; r++) {
        int64_t t = delays_cpu_ns(&p, 64, 20000, INT64_MAX);
        ref = t < ref ? t : ref;
    }
    budget = 50 * ref + 5000000;
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
        int64_t t = delays_cpu_ns(&p, ks[i], 20000, budget);
        print_message("20,000 delays at k = %u: %lld us of CPU (at k = 64: %lld us)\n",
                      (unsigned)ks[i], (long long)t / 1000, (long long)ref / 1000);
        assert_true(t <= budget);
    }
}

/* One sequential run of the seed job with behaviour b on step `step`. */
typedef struct seq_case {
    tj_job *job;
    tj_run *run;
    aj_instance *inst;
    tj_rec rec;
    aj_observer obs;
} seq_case;

static void seq_setup(seq_case *c)
{
    c->job = tj_seed();
    c->run = tj_run_new(c->job);
    c->obs = tj_rec_init(&c->rec);
}

static int seq_start(seq_case *c, const aj_retry_override *ov, size_t n_ov)
{
    tj_inputs in = { c->run };
    aj_start_opts o = { .sequential = true, .observer = &c->obs,
                        .retry_overrides = ov, .n_retry_overrides = n_ov };

    return aj_instance_start(NULL, &c->job->def, &in, &o, &c->inst);
}

static void seq_teardown(seq_case *c)
{
    aj_instance_free(c->inst);
    tj_run_free(c->run);
    tj_free(c->job);
}

static void test_retry_until_success(void **state)
{
    seq_case c;
    aj_step_info info;

    (void)state;
    seq_setup(&c);
    c.run->behave[SEED_GETCONNECTION].fails = 3; /* quick: max 3, fixed 3ms */
    assert_int_equal(seq_start(&c, NULL, 0), AJ_OK);
    assert_int_equal(aj_instance_wait(c.inst, -1), AJ_OK);
    assert_int_equal(aj_instance_step_info(c.inst, SEED_GETCONNECTION, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_COMPLETED);
    assert_int_equal(info.attempts, 4);
    assert_int_equal(tj_rec_count(&c.rec, 1, SEED_GETCONNECTION), 3);
    for (uint32_t k = 0; k < c.rec.n; k++)
        if (c.rec.ev[k].which == 1)
            assert_int_equal(c.rec.ev[k].delay_ns, 3000000);
    assert_int_equal(tj_output(c.inst, SEED_EMAIL), -1); /* produces nothing */
    seq_teardown(&c);
}

static void test_retry_exhausted_fails_with_attempts(void **state)
{
    seq_case c;
    aj_failure f;

    (void)state;
    seq_setup(&c);
    c.run->behave[SEED_QUERY1].fails = -1;
    c.run->behave[SEED_QUERY1].code = 42;
    c.run->behave[SEED_QUERY1].message = "table1 is gone";
    assert_int_equal(seq_start(&c, NULL, 0), AJ_OK);
    assert_int_equal(aj_instance_wait(c.inst, -1), 42);
    assert_int_equal(aj_instance_failure(c.inst, &f), 42);
    assert_int_equal(f.step, SEED_QUERY1);
    assert_string_equal(f.step_name, "QueryTable1");
    assert_int_equal(f.attempts, 4);
    assert_int_equal(f.kind, AJ_FAIL_ERROR);
    assert_string_equal(f.message, "table1 is gone");
    assert_int_equal(atomic_load(&c.run->attempts[SEED_QUERY1]), 4);
    /* The step's message reaches the retry and finish events. */
    assert_int_equal(tj_rec_count(&c.rec, 1, SEED_QUERY1), 3);
    for (uint32_t k = 0; k < c.rec.n; k++)
        if (c.rec.ev[k].step == SEED_QUERY1 && c.rec.ev[k].which != 0) {
            assert_string_equal(c.rec.ev[k].message, "table1 is gone");
            assert_int_equal(c.rec.ev[k].err, 42);
        }
    seq_teardown(&c);
}

static void test_retry_permanent_stops_retries(void **state)
{
    seq_case c;
    aj_failure f;

    (void)state;
    seq_setup(&c);
    c.run->behave[SEED_SUMMARIZE].fails = -1;
    c.run->behave[SEED_SUMMARIZE].permanent = true;
    assert_int_equal(seq_start(&c, NULL, 0), AJ_OK);
    assert_int_equal(aj_instance_wait(c.inst, -1), -7);
    aj_instance_failure(c.inst, &f);
    assert_int_equal(f.step, SEED_SUMMARIZE);
    assert_int_equal(f.attempts, 1);
    assert_int_equal(tj_rec_count(&c.rec, 1, UINT32_MAX), 0);
    seq_teardown(&c);
}

static void test_retry_no_policy_fails_at_once(void **state)
{
    seq_case c;
    aj_step_info info;

    (void)state;
    seq_setup(&c);
    c.run->behave[SEED_CHECKAUTH].fails = 1;
    assert_int_equal(seq_start(&c, NULL, 0), AJ_OK);
    assert_int_equal(aj_instance_wait(c.inst, -1), -7);
    aj_instance_step_info(c.inst, SEED_CHECKAUTH, &info);
    assert_int_equal(info.attempts, 1);
    assert_int_equal(info.state, AJ_STEP_FAILED);
    seq_teardown(&c);
}

static uint32_t custom_calls[8];

/* Retries err 5 twice with a delay of -1 (taken as 0); gives up otherwise. */
static bool custom_policy(const aj_ctx *ctx, int err, uint32_t retry, int64_t *delay_ns)
{
    custom_calls[retry < 8 ? retry : 7]++;
    *delay_ns = -1;
    return err == 5 && retry < 2 && aj_ctx_attempt(ctx) == retry + 1;
}

static void test_retry_override_and_custom(void **state)
{
    seq_case c;
    aj_step_info info;
    long before;
    aj_retry_override ov[2] = {
        { .step = "CheckAuth", .policy = { .custom = custom_policy } },
        { .step = "GetConnection", .policy = { .max_retries = 0 } },
    };

    (void)state;
    memset(custom_calls, 0, sizeof custom_calls);
    seq_setup(&c);
    c.run->behave[SEED_CHECKAUTH].fails = -1;
    c.run->behave[SEED_CHECKAUTH].code = 5;
    before = aj__test_alloc_count();
    assert_int_equal(seq_start(&c, ov, 2), AJ_OK);
    /* The overrides live in the instance's one allocation. */
    assert_int_equal(aj__test_alloc_count() - before, 1);
    assert_int_equal(aj_instance_wait(c.inst, -1), 5);
    aj_instance_step_info(c.inst, SEED_CHECKAUTH, &info);
    assert_int_equal(info.attempts, 3);
    assert_int_equal(custom_calls[0], 1);
    assert_int_equal(custom_calls[1], 1);
    assert_int_equal(custom_calls[2], 1);
    for (uint32_t k = 0; k < c.rec.n; k++)
        if (c.rec.ev[k].which == 1)
            assert_int_equal(c.rec.ev[k].delay_ns, 0);
    seq_teardown(&c);

    /* GetConnection's policy (3 retries) is overridden to none. */
    seq_setup(&c);
    c.run->behave[SEED_GETCONNECTION].fails = 1;
    assert_int_equal(seq_start(&c, ov + 1, 1), AJ_OK);
    assert_int_equal(aj_instance_wait(c.inst, -1), -7);
    aj_instance_step_info(c.inst, SEED_GETCONNECTION, &info);
    assert_int_equal(info.attempts, 1);
    seq_teardown(&c);
}

static void test_retry_override_unknown_step_is_einval(void **state)
{
    seq_case c;
    aj_retry_override ov = { .step = "NoSuchStep" };

    (void)state;
    seq_setup(&c);
    assert_int_equal(seq_start(&c, &ov, 1), AJ_EINVAL);
    assert_null(c.inst);
    ov.step = NULL;
    assert_int_equal(seq_start(&c, &ov, 1), AJ_EINVAL);
    assert_int_equal(seq_start(&c, NULL, 1), AJ_EINVAL);
    assert_int_equal(atomic_load(&c.run->attempts[0]), 0);
    seq_teardown(&c);
}

/* A step named twice: the last override naming it wins. */
static void test_retry_override_last_one_wins(void **state)
{
    seq_case c;
    aj_step_info info;
    aj_retry_override ov[3] = {
        { .step = "GetConnection", .policy = { .max_retries = 0 } },
        { .step = "CheckAuth", .policy = { .max_retries = 5 } },
        { .step = "GetConnection", .policy = { .max_retries = 2 } },
    };

    (void)state;
    for (int turn = 0; turn < 2; turn++) {
        seq_setup(&c);
        c.run->behave[SEED_GETCONNECTION].fails = -1;
        assert_int_equal(seq_start(&c, turn == 0 ? ov : ov + 1, turn == 0 ? 3 : 1), AJ_OK);
        assert_int_equal(aj_instance_wait(c.inst, -1), -7);
        aj_instance_step_info(c.inst, SEED_GETCONNECTION, &info);
        /* Alone, GetConnection keeps its own policy: 3 retries. */
        assert_int_equal(info.attempts, turn == 0 ? 3 : 4);
        seq_teardown(&c);
    }
}

/* A flat job of n independent steps "s<i>", each failing every attempt. */
static tj_job *flat_failing(uint32_t n, tj_run **run)
{
    tj_job *j = tj_new("flat", n, NULL, NULL, NULL, 0);

    *run = tj_run_new(j);
    for (uint32_t i = 0; i < n; i++)
        (*run)->behave[i].fails = -1;
    return j;
}

static int start_flat(tj_job *j, tj_run *run, const aj_retry_override *ov, size_t n_ov,
                      aj_instance **inst)
{
    tj_inputs in = { run };
    aj_start_opts o = { .sequential = true, .retry_overrides = ov, .n_retry_overrides = n_ov };

    return aj_instance_start(NULL, &j->def, &in, &o, inst);
}

/* 3,000 overrides, many naming the same step, on 5,000 steps: each step
 * retries as its last override says, the others not at all; one unknown
 * name among them starts nothing. */
static void test_retry_override_many(void **state)
{
    enum { N = 5000, N_OV = 3000 };
    static char names[N_OV][16];
    static aj_retry_override ov[N_OV];
    static uint32_t want[N];
    uint64_t rng = 7;
    tj_run *run;
    tj_job *j = flat_failing(N, &run);
    aj_instance *inst;
    aj_step_info info;

    (void)state;
    for (uint32_t i = 0; i < N; i++)
        want[i] = 1;
    for (uint32_t k = 0; k < N_OV; k++) {
        uint32_t i = tj_rnd(&rng, k < N_OV / 2 ? N : 50);
        snprintf(names[k], sizeof names[k], "s%u", (unsigned)i);
        ov[k] = (aj_retry_override){ .step = names[k],
                                     .policy = { .max_retries = tj_rnd(&rng, 4) } };
        want[i] = 1 + ov[k].policy.max_retries;
    }
    assert_int_equal(start_flat(j, run, ov, N_OV, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), -7);
    for (uint32_t i = 0; i < N; i++) {
        aj_instance_step_info(inst, i, &info);
        assert_int_equal(info.attempts, want[i]);
    }
    aj_instance_free(inst);

    for (uint32_t i = 0; i < N; i++)
        atomic_store(&run->attempts[i], 0);
    strcpy(names[N_OV - 1], "s5000");
    assert_int_equal(start_flat(j, run, ov, N_OV, &inst), AJ_EINVAL);
    assert_null(inst);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(atomic_load(&run->attempts[i]), 0);
    tj_run_free(run);
    tj_free(j);
}

/* Two steps called "x": an override of "x" is the first one's. */
static void test_retry_override_names_the_first_of_a_name(void **state)
{
    static const char *const names[] = { "x", "x" };
    tj_job *j = tj_new("twins", 2, names, NULL, NULL, 0);
    tj_run *run = tj_run_new(j);
    aj_retry_override ov = { .step = "x", .policy = { .max_retries = 2 } };
    aj_instance *inst;
    aj_step_info info;

    (void)state;
    run->behave[0].fails = run->behave[1].fails = -1;
    assert_int_equal(start_flat(j, run, &ov, 1, &inst), AJ_OK);
    aj_instance_wait(inst, -1);
    aj_instance_step_info(inst, 0, &info);
    assert_int_equal(info.attempts, 3);
    aj_instance_step_info(inst, 1, &info);
    assert_int_equal(info.attempts, 1);
    aj_instance_free(inst);
    tj_run_free(run);
    tj_free(j);
}

/* Least CPU time of three starts (each runs the job, sequentially). */
static int64_t start_cpu_ns(tj_job *j, tj_run *run, const aj_retry_override *ov, size_t n_ov)
{
    int64_t best = INT64_MAX;

    for (int r = 0; r < 3; r++) {
        aj_instance *inst;
        int64_t t = cpu_ns();
        assert_int_equal(start_flat(j, run, ov, n_ov, &inst), AJ_OK);
        t = cpu_ns() - t;
        best = t < best ? t : best;
        aj_instance_free(inst);
    }
    return best;
}

/* Overrides are indexed, not matched step by step: 4,000 of them on an
 * 8,000-step job make a start cost at most 5 times (plus 10 ms) the CPU
 * time of one without. (A scan of the steps per name: 60 times.) */
static void test_retry_override_cost_is_linear(void **state)
{
    enum { N = 8000, N_OV = 4000 };
    static char names[N_OV][16];
    static aj_retry_override ov[N_OV];
    tj_job *j = tj_new("flat", N, NULL, NULL, NULL, 0);
    tj_run *run = tj_run_new(j);
    uint64_t rng = 11;
    int64_t none, many;

    (void)state;
    for (uint32_t k = 0; k < N_OV; k++) {
        snprintf(names[k], sizeof names[k], "s%u", (unsigned)(N / 2 + tj_rnd(&rng, N / 2)));
        ov[k] = (aj_retry_override){ .step = names[k] };
    }
    none = start_cpu_ns(j, run, NULL, 0);
    many = start_cpu_ns(j, run, ov, N_OV);
    print_message("start of %u steps: %lld us of CPU; with %u overrides: %lld us\n", N,
                  (long long)none / 1000, N_OV, (long long)many / 1000);
    assert_true(many <= 5 * none + 10000000);
    tj_run_free(run);
    tj_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_delay_fixed_linear_none),
        cmocka_unit_test(test_retry_delay_exponential_and_cap),
        cmocka_unit_test(test_retry_delay_saturates),
        cmocka_unit_test(test_retry_delay_jitter_bounds),
        cmocka_unit_test(test_retry_delay_exponential_exact),
        cmocka_unit_test(test_retry_delay_exponential_as_before),
        cmocka_unit_test(test_retry_delay_exponential_monotonic),
        cmocka_unit_test(test_retry_delay_cost_does_not_grow_with_k),
        cmocka_unit_test(test_retry_until_success),
        cmocka_unit_test(test_retry_exhausted_fails_with_attempts),
        cmocka_unit_test(test_retry_permanent_stops_retries),
        cmocka_unit_test(test_retry_no_policy_fails_at_once),
        cmocka_unit_test(test_retry_override_and_custom),
        cmocka_unit_test(test_retry_override_unknown_step_is_einval),
        cmocka_unit_test(test_retry_override_last_one_wins),
        cmocka_unit_test(test_retry_override_many),
        cmocka_unit_test(test_retry_override_names_the_first_of_a_name),
        cmocka_unit_test(test_retry_override_cost_is_linear),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
