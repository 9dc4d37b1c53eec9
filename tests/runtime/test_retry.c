/*
 * test_retry.c: retry policies. The delay arithmetic (fixed, linear,
 * exponential, cap, jitter, saturation), then retries as instances see
 * them: attempts, permanent failures, custom policies, per-instance
 * overrides, retry events. Instances run in sequential mode: no threads.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_delay_fixed_linear_none),
        cmocka_unit_test(test_retry_delay_exponential_and_cap),
        cmocka_unit_test(test_retry_delay_saturates),
        cmocka_unit_test(test_retry_delay_jitter_bounds),
        cmocka_unit_test(test_retry_until_success),
        cmocka_unit_test(test_retry_exhausted_fails_with_attempts),
        cmocka_unit_test(test_retry_permanent_stops_retries),
        cmocka_unit_test(test_retry_no_policy_fails_at_once),
        cmocka_unit_test(test_retry_override_and_custom),
        cmocka_unit_test(test_retry_override_unknown_step_is_einval),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
