/*
 * test_stress.c: many instances of random DAGs (hundreds of steps) with
 * random failures, retries (immediate and delayed), fail-fast and
 * cancellations at random moments, several in flight at once, on 1, 2
 * and 4 workers. After each wait the main thread checks the ledger the
 * steps wrote: no step started before all its predecessors completed, no
 * step succeeded twice, attempts = 1 + retries used, no dependent of a
 * step that did not complete ever ran, every step is final, outputs carry
 * the right values, the root cause is a failed step and wait returned its
 * code. Boxed outputs check that nothing leaks (and ASan checks the rest).
 * One step in eight is blocking: each of its attempts ran on the blocking
 * pool (on the caller's thread in sequential mode), and no other step's
 * did. Half the jobs have a memo with room, as generated ones do, so that
 * their skipped steps take their trees (aj_def.h); a skipped step gives
 * the worst reason among its predecessors either way.
 *
 * AJ_STRESS_INSTANCES (default 200 per worker count) makes it longer,
 * AJ_STRESS_SEED replays a run.
 */
#include "tjob.h"

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define IN_FLIGHT 4

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
    return tj_rnd(&rng, n);
}

static const aj_retry_policy retry_now = { .max_retries = 2 };
static const aj_retry_policy retry_later = { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                             .delay_ns = 50000, .jitter_pct = 50 };

static void script(tj_job *j, tj_run *r)
{
    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        tj_behave *b = &r->behave[i];
        uint32_t dice = rnd(100);
        b->code = -(int)(100 + i);
        j->steps[i].retry = rnd(2) ? &retry_now : &retry_later;
        if (dice < 2)
            b->fails = -1;             /* fails for good after 3 attempts */
        else if (dice < 4)
            b->permanent = true, b->fails = 1;
        else if (dice < 10)
            b->fails = 1 + (int)rnd(2); /* recovers on a retry */
        if (rnd(8) == 0)
            tj_box(j, r, i);
        if (rnd(8) == 0)
            tj_set_blocking(j, i, true);
    }
}

typedef struct slot {
    tj_job *job;
    tj_run *run;
    aj_instance *inst;
    bool cancel;
    bool sequential;
} slot;

static void launch(slot *s, aj_runtime *rt)
{
    tj_inputs in;
    aj_start_opts o = { .fail_fast = rnd(5) == 0, .sequential = rnd(10) == 0 };

    s->job = tj_random(100 + rnd(300), &rng);
    assert_non_null(s->job);
    s->run = tj_run_new(s->job);
    script(s->job, s->run);
    /* Half of them as generated jobs are: skipped steps take their trees. */
    if (rnd(2))
        tj_remember(s->job);
    in.run = s->run;
    s->cancel = rnd(5) == 0;
    s->sequential = o.sequential;
    assert_int_equal(aj_instance_start(rt, &s->job->def, &in, &o, &s->inst), AJ_OK);
}

static int64_t expected_value(const tj_job *j, aj_instance *inst, uint32_t i)
{
    int64_t v = 1;

    for (uint32_t e = 0; e < j->def.n_edges; e++) {
        const aj_edge_def *ed = &j->edges[e];
        void *p;
        if (ed->to != i || !(ed->kind & AJ_EDGE_DATA))
            continue;
        assert_int_equal(aj_instance_output(inst, ed->from, false, &p), AJ_OK);
        v += j->steps[ed->from].free_output != NULL ? **(int64_t **)p : *(int64_t *)p;
    }
    return v;
}

static uint32_t allowed_attempts(const tj_behave *b)
{
    if (b->permanent)
        return 1;
    if (b->fails < 0 || b->fails > 2)
        return 3;
    return (uint32_t)b->fails + 1;
}

/* Blocking attempts ran on the pool, but in sequential mode; others never. */
static void check_thread(const slot *s, uint32_t i, uint32_t attempts)
{
    bool blocking = (s->job->exec[i].flags & AJ_STEP_BLOCKING) != 0;

    assert_int_equal(atomic_load(&s->run->on_pool[i]), blocking && !s->sequential ? attempts : 0);
}

/* Why a skipped step i was: the worst way a predecessor did not complete. */
static aj_skip_reason upstream_reason(const slot *s, uint32_t i)
{
    bool failed = false, cancelled = false;

    for (uint32_t k = 0; k < s->job->exec[i].n_preds; k++) {
        aj_step_info p;
        aj_instance_step_info(s->inst, s->job->preds[i][k], &p);
        failed |= p.state == AJ_STEP_FAILED || p.skip_reason == AJ_SKIP_UPSTREAM_FAILED;
        cancelled |= p.state == AJ_STEP_CANCELLED || p.skip_reason == AJ_SKIP_UPSTREAM_CANCELLED;
    }
    return failed ? AJ_SKIP_UPSTREAM_FAILED
                  : cancelled ? AJ_SKIP_UPSTREAM_CANCELLED : AJ_SKIP_UPSTREAM_SKIPPED;
}

/* One step's entry in the ledger against its final state. */
static void check_step(slot *s, uint32_t i, bool *any_failed, bool *any_cancelled)
{
    const tj_job *j = s->job;
    aj_step_info info;
    bool preds_ok = true;

    assert_int_equal(aj_instance_step_info(s->inst, i, &info), AJ_OK);
    assert_int_equal(info.attempts, atomic_load(&s->run->attempts[i]));
    assert_true(info.attempts <= allowed_attempts(&s->run->behave[i]));
    for (uint32_t k = 0; k < j->exec[i].n_preds; k++) {
        aj_step_info p;
        aj_instance_step_info(s->inst, j->preds[i][k], &p);
        preds_ok &= p.state == AJ_STEP_COMPLETED;
    }
    if (!preds_ok)
        assert_int_equal(info.attempts, 0);
    check_thread(s, i, info.attempts);
    switch (info.state) {
    case AJ_STEP_COMPLETED:
        assert_int_equal(atomic_load(&s->run->successes[i]), 1);
        assert_int_equal(info.attempts, allowed_attempts(&s->run->behave[i]));
        if (j->steps[i].free_output == NULL)
            assert_int_equal(tj_output(s->inst, i), expected_value(j, s->inst, i));
        break;
    case AJ_STEP_FAILED:
        *any_failed = true;
        assert_int_equal(atomic_load(&s->run->successes[i]), 0);
        assert_int_equal(info.err, s->run->behave[i].code);
        break;
    case AJ_STEP_SKIPPED:
        assert_false(preds_ok);
        assert_int_equal(info.skip_reason, upstream_reason(s, i));
        break;
    case AJ_STEP_CANCELLED:
        *any_cancelled = true;
        assert_int_equal(atomic_load(&s->run->successes[i]), 0);
        break;
    default:
        fail_msg("step %u not final after wait", (unsigned)i);
    }
}

static void finish(slot *s)
{
    int rc = aj_instance_wait(s->inst, -1);
    bool any_failed = false, any_cancelled = false;
    aj_failure f;

    assert_true(aj_instance_done(s->inst));
    assert_int_equal(atomic_load(&s->run->violations), 0);
    for (uint32_t i = 0; i < s->job->def.n_steps; i++)
        check_step(s, i, &any_failed, &any_cancelled);
    aj_instance_failure(s->inst, &f);
    if (any_failed) {
        aj_step_info root;
        assert_true(f.step >= 0);
        aj_instance_step_info(s->inst, (uint32_t)f.step, &root);
        assert_int_equal(root.state, AJ_STEP_FAILED);
        assert_int_equal(rc, s->run->behave[f.step].code);
    } else {
        assert_int_equal(f.step, -1);
        assert_int_equal(rc, any_cancelled ? AJ_ECANCELED : AJ_OK);
    }
    aj_instance_free(s->inst);
    tj_run_free(s->run);
    tj_free(s->job);
}

static void stress(unsigned workers)
{
    const char *env = getenv("AJ_STRESS_INSTANCES");
    int total = env != NULL ? atoi(env) : 200;
    aj_runtime_opts ro = { .n_workers = workers };
    aj_runtime *rt = aj_runtime_new(&ro);
    long made = atomic_load(&tj_boxes_made), freed = atomic_load(&tj_boxes_freed);
    slot slots[IN_FLIGHT];

    assert_non_null(rt);
    for (int done = 0; done < total; done += IN_FLIGHT) {
        for (int k = 0; k < IN_FLIGHT; k++)
            launch(&slots[k], rt);
        for (int k = 0; k < IN_FLIGHT; k++) {
            if (!slots[k].cancel)
                continue;
            /* A random moment: anything from before the first step to
             * after the last. */
            for (uint32_t y = rnd(200); y > 0; y--)
                sched_yield();
            aj_instance_cancel(slots[k].inst);
        }
        for (int k = 0; k < IN_FLIGHT; k++)
            finish(&slots[k]);
    }
    aj_runtime_free(rt);
    assert_int_equal(atomic_load(&tj_boxes_made) - made, atomic_load(&tj_boxes_freed) - freed);
}

static void test_stress_one_worker(void **state)
{
    (void)state;
    stress(1);
}

static void test_stress_two_workers(void **state)
{
    (void)state;
    stress(2);
}

static void test_stress_four_workers(void **state)
{
    (void)state;
    stress(4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress_one_worker),
        cmocka_unit_test(test_stress_two_workers),
        cmocka_unit_test(test_stress_four_workers),
    };

    rng = tj_rng_seed("AJ_STRESS_SEED");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
