/*
 * test_async.c: async steps. Their done comes from the completer thread
 * (tjob.c) or before the step function returns; a deadline fails an
 * attempt whose done is late, the late output is freed exactly once and
 * a retry waits for that done; done twice is ignored; a cancel ends
 * waiting steps as their done comes; failures are retried; thousands of
 * instances wait at once on two workers; sequential mode waits inline.
 * Steps record (tjob.c), the main thread asserts.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define MS 1000000LL

static aj_instance *start(aj_runtime *rt, tj_job *j, tj_run *r)
{
    return tj_start(rt, j, r, NULL);
}

/* Every step of r behaves as b says. */
static void behave_all(tj_run *r, tj_behave b)
{
    for (uint32_t i = 0; i < r->job->def.n_steps; i++)
        r->behave[i] = b;
}

/* The seed job with every step async, each done as b says. */
static void all_async(tj_job *j, tj_run *r, tj_behave b)
{
    for (uint32_t i = 0; i < j->def.n_steps; i++)
        tj_set_async(j, i, true);
    behave_all(r, b);
}

/* What the seed job's result step produces, run with plain steps. */
static int64_t plain_result(void)
{
    tj_job *j = tj_seed();
    tj_run *r = tj_run_new(j);
    aj_instance *inst = start(NULL, j, r);
    int64_t v;

    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    v = tj_output(inst, SEED_SUMMARIZE);
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
    return v;
}

static void assert_all(const aj_instance *inst, uint32_t n, aj_step_state state)
{
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(tj_state(inst, i), state);
}

/* done from the completer thread, 1 ms after each start: the steps wait
 * with no thread, their successors run, observers see each step once. */
static void test_async_done_from_another_thread(void **state)
{
    int64_t want = plain_result();
    aj_runtime *rt = tj_workers(2);
    tj_rec *rec = calloc(1, sizeof *rec);
    aj_observer obs = tj_rec_init(rec);
    aj_start_opts o = { .observer = &obs };
    aj_instance *inst;

    (void)state;
    all_async(seed_job, seed_run, (tj_behave){ .done_later = true, .done_after_ns = MS });
    inst = tj_start(rt, seed_job, seed_run, &o);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_all(inst, 8, AJ_STEP_COMPLETED);
    assert_int_equal(tj_output(inst, SEED_SUMMARIZE), want);
    assert_int_equal(atomic_load(&seed_run->violations), 0);
    assert_int_equal(tj_rec_count(rec, 0, UINT32_MAX), 8);
    assert_int_equal(tj_rec_count(rec, 2, UINT32_MAX), 8);
    aj_instance_free(inst);
    aj_runtime_free(rt);
    free(rec);
}

/* done before the step function returns, and done twice in a row: the
 * second call is ignored. On a runtime and in sequential mode. */
static void test_async_done_before_return_and_twice(void **state)
{
    int64_t want = plain_result();

    (void)state;
    for (int mode = 0; mode < 4; mode++) {
        aj_start_opts o = { .sequential = mode >= 2 };
        aj_instance *inst;
        all_async(seed_job, seed_run, (tj_behave){ .done_twice = mode % 2 == 1 });
        memset((void *)seed_run->successes, 0, 8 * sizeof *seed_run->successes);
        inst = tj_start(NULL, seed_job, seed_run, &o);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
        assert_all(inst, 8, AJ_STEP_COMPLETED);
        assert_int_equal(tj_output(inst, SEED_SUMMARIZE), want);
        for (uint32_t i = 0; i < 8; i++)
            assert_int_equal(atomic_load(&seed_run->successes[i]), 1);
        aj_instance_free(inst);
    }
}

/* One async step, its output boxed: the job, its run and the counters. */
typedef struct boxed {
    tj_job *job;
    tj_run *run;
    long made, freed;
} boxed;

static boxed boxed_new(tj_behave b, int64_t timeout_ns, const aj_retry_policy *retry)
{
    boxed x = { tj_new("one", 1, NULL, NULL, NULL, 0), NULL, 0, 0 };

    assert_non_null(x.job);
    x.run = tj_run_new(x.job);
    tj_set_async(x.job, 0, true);
    tj_set_timeout(x.job, 0, timeout_ns);
    x.job->steps[0].retry = retry;
    x.run->behave[0] = b;
    tj_box(x.job, x.run, 0);
    x.made = atomic_load(&tj_boxes_made);
    x.freed = atomic_load(&tj_boxes_freed);
    return x;
}

/* Boxes made and freed since boxed_new: each one freed exactly once. */
static void boxed_free(boxed *x, long made)
{
    assert_int_equal(atomic_load(&tj_boxes_made) - x->made, made);
    assert_int_equal(atomic_load(&tj_boxes_freed) - x->freed, made);
    tj_run_free(x->run);
    tj_free(x->job);
}

/* The deadline passes 2 ms in, done comes 40 ms in: the attempt failed
 * with AJ_ESTEPTIMEOUT at the deadline, free waits for the late done and
 * its output is freed once. On a runtime and in sequential mode. */
static void test_async_late_done_is_discarded(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        aj_start_opts o = { .sequential = mode == 1 };
        boxed x = boxed_new((tj_behave){ .done_later = true, .done_after_ns = 40 * MS }, 2 * MS,
                            NULL);
        aj_instance *inst = tj_start(NULL, x.job, x.run, &o);
        aj_failure f;
        aj_step_info info;
        assert_int_equal(aj_instance_wait(inst, -1), AJ_ESTEPTIMEOUT);
        assert_int_equal(aj_instance_failure(inst, &f), AJ_ESTEPTIMEOUT);
        assert_int_equal(f.kind, AJ_FAIL_TIMEOUT);
        assert_int_equal(aj_instance_step_info(inst, 0, &info), AJ_OK);
        assert_int_equal(info.state, AJ_STEP_FAILED);
        assert_true(info.duration_ns < 30 * MS);
        aj_instance_free(inst);
        assert_int_equal(tj_done_pending(), 0);
        boxed_free(&x, 1);
    }
}

/* done after the deadline but before the function returns, so before any
 * timer can expire the attempt: the attempt timed out whatever done says,
 * a failure or AJ_ECANCELED as well as a success, just as when the
 * deadline is seen first. In sequential mode, where that order is fixed,
 * and on a runtime. */
static void test_async_done_after_deadline_times_out(void **state)
{
    static const int codes[] = { 0, -5, AJ_ECANCELED };

    (void)state;
    for (int k = 0; k < 6; k++) {
        aj_start_opts o = { .sequential = k < 3 };
        int code = codes[k % 3];
        boxed x = boxed_new((tj_behave){ .until_expired = true, .fails = code != 0 ? -1 : 0,
                                         .code = code }, MS, NULL);
        aj_instance *inst = tj_start(NULL, x.job, x.run, &o);
        aj_step_info info;
        assert_int_equal(aj_instance_wait(inst, -1), AJ_ESTEPTIMEOUT);
        assert_int_equal(aj_instance_step_info(inst, 0, &info), AJ_OK);
        assert_int_equal(info.state, AJ_STEP_FAILED);
        assert_int_equal(info.kind, AJ_FAIL_TIMEOUT);
        assert_int_equal(info.err, AJ_ESTEPTIMEOUT);
        aj_instance_free(inst);
        boxed_free(&x, code == 0);
    }
}

/* The first attempt's done is late; its retry starts only once that done
 * came (not at the deadline), and completes: two outputs, each freed once. */
static void test_async_retry_waits_for_the_late_done(void **state)
{
    static const aj_retry_policy again = { .max_retries = 2, .backoff = AJ_BACKOFF_NONE };

    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        aj_start_opts o = { .sequential = mode == 1 };
        boxed x = boxed_new((tj_behave){ .done_later = true, .done_after_ns = 30 * MS,
                                         .slow_attempts = 1 }, 3 * MS, &again);
        aj_instance *inst = tj_start(NULL, x.job, x.run, &o);
        aj_step_info info;
        assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
        assert_int_equal(aj_instance_step_info(inst, 0, &info), AJ_OK);
        assert_int_equal(info.state, AJ_STEP_COMPLETED);
        assert_int_equal(info.attempts, 2);
        assert_true(info.duration_ns >= 30 * MS);
        aj_instance_free(inst);
        boxed_free(&x, 2);
    }
}

/* Failures through done and through the function's return are retried
 * (each attempt calls the function again); a permanent one is not. */
static void test_async_failures_are_retried(void **state)
{
    (void)state;
    all_async(seed_job, seed_run, (tj_behave){ .done_later = true, .done_after_ns = MS / 4 });
    seed_run->behave[SEED_GETCONNECTION].fails = 2;
    seed_run->behave[SEED_QUERY1] = (tj_behave){ .fails = 1, .done_refuse = true };
    aj_instance *inst = start(NULL, seed_job, seed_run);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_GETCONNECTION]), 3);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_QUERY1]), 2);
    assert_all(inst, 8, AJ_STEP_COMPLETED);
    aj_instance_free(inst);

    seed_run->behave[SEED_CHECKAUTH] = (tj_behave){ .fails = -1, .code = -5, .permanent = true,
                                                    .message = "denied" };
    memset((void *)seed_run->attempts, 0, 8 * sizeof *seed_run->attempts);
    inst = start(NULL, seed_job, seed_run);
    aj_failure f;
    assert_int_equal(aj_instance_wait(inst, -1), -5);
    assert_int_equal(aj_instance_failure(inst, &f), -5);
    assert_int_equal(f.step, SEED_CHECKAUTH);
    assert_string_equal(f.message, "denied");
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_CHECKAUTH]), 1);
    aj_instance_free(inst);
}

/* Cancelled while its roots wait: they end when their done comes,
 * cancelled after a failure and completed after a success, the steps
 * that never started cancelled; wait says AJ_ECANCELED, no root cause. */
static void test_async_cancel_while_waiting(void **state)
{
    aj_instance *inst;
    aj_failure f;
    aj_step_info info;

    (void)state;
    all_async(seed_job, seed_run, (tj_behave){ .done_later = true, .done_after_ns = 20 * MS });
    seed_run->behave[SEED_CHECKAUTH].fails = -1;
    seed_run->behave[SEED_CHECKAUTH].code = -5;
    inst = start(NULL, seed_job, seed_run);
    while (tj_state(inst, SEED_GETCONNECTION) != AJ_STEP_WAITING ||
           tj_state(inst, SEED_CHECKAUTH) != AJ_STEP_WAITING)
        sched_yield();
    aj_instance_cancel(inst);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(tj_state(inst, SEED_GETCONNECTION), AJ_STEP_COMPLETED);
    assert_int_equal(aj_instance_step_info(inst, SEED_CHECKAUTH, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_CANCELLED);
    assert_int_equal(info.err, -5);
    for (uint32_t i = SEED_CLIENT1; i < 8; i++)
        assert_int_equal(tj_state(inst, i), AJ_STEP_CANCELLED);
    assert_int_equal(aj_instance_failure(inst, &f), AJ_ECANCELED);
    assert_int_equal(f.step, -1);
    aj_instance_free(inst);
}

/* An async step whose done only its aj_ctx_on_cancel hook calls: a cancel
 * fires the hook, done comes, and the step ends cancelled (without the
 * hook, done would never come and the instance could not be freed). */
static void test_async_cancel_fires_the_hook(void **state)
{
    aj_instance *inst;

    (void)state;
    all_async(seed_job, seed_run, (tj_behave){ .done_on_hook = true });
    inst = start(NULL, seed_job, seed_run);
    while (tj_state(inst, SEED_GETCONNECTION) != AJ_STEP_WAITING)
        sched_yield();
    aj_instance_cancel(inst);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(tj_state(inst, SEED_GETCONNECTION), AJ_STEP_CANCELLED);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(tj_state(inst, i), AJ_STEP_CANCELLED);
    aj_instance_free(inst);
}

/* The same step under a timeout: at the deadline the hook aborts the
 * operation, its done comes late and is discarded, the step times out. */
static void test_async_deadline_fires_the_hook(void **state)
{
    aj_instance *inst;
    aj_step_info info;

    (void)state;
    all_async(seed_job, seed_run, (tj_behave){ .done_later = true });
    seed_run->behave[SEED_CHECKAUTH] = (tj_behave){ .done_on_hook = true };
    seed_job->steps[SEED_CHECKAUTH].retry = NULL;
    tj_set_timeout(seed_job, SEED_CHECKAUTH, 20 * MS);
    inst = start(NULL, seed_job, seed_run);
    assert_true(aj_instance_wait(inst, -1) != AJ_OK);
    assert_int_equal(aj_instance_step_info(inst, SEED_CHECKAUTH, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_FAILED);
    assert_int_equal(info.kind, AJ_FAIL_TIMEOUT);
    aj_instance_free(inst);
}

/* Cancelled while it waits, then past its deadline before its done: the
 * hook the cancel fired stays registered until the attempt ends, which is
 * when the deadline settles the step as cancelled. The registration must
 * end then (off the instance's list of hooks, and out of the canceller's
 * deadlines), or aj_instance_free leaves the canceller a pointer into
 * the freed instance. The list is read inside the instance, under its
 * lock, as a cancel walks it. */
static void test_async_cancel_then_deadline_ends_the_hook(void **state)
{
    boxed x = boxed_new((tj_behave){ .hook_keep = true, .done_later = true,
                                     .done_after_ns = 150 * MS }, 100 * MS, NULL);
    aj_instance *inst = start(NULL, x.job, x.run);
    aj_step_info info;
    aj_ctx *hooks;

    (void)state;
    while (tj_state(inst, 0) != AJ_STEP_WAITING)
        sched_yield();
    aj_instance_cancel(inst);
    assert_int_equal(atomic_load(&x.run->hook_calls[0]), 1);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(aj_instance_step_info(inst, 0, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_CANCELLED);
    pthread_mutex_lock(&inst->mu);
    hooks = inst->hooks;
    pthread_mutex_unlock(&inst->mu);
    assert_null(hooks);
    aj_instance_free(inst);
    boxed_free(&x, 1);
}

/* A waiting step is drawn in its own colour, and named "waiting". */
static void test_async_waiting_state_is_drawn(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    aj_instance *inst;

    (void)state;
    assert_non_null(f);
    all_async(seed_job, seed_run, (tj_behave){ .done_later = true, .done_after_ns = 30 * MS });
    inst = start(NULL, seed_job, seed_run);
    while (tj_state(inst, SEED_CHECKAUTH) != AJ_STEP_WAITING)
        sched_yield();
    assert_int_equal(aj_instance_dot(inst, f, AJ_DOT_NO_TIMES), AJ_OK);
    fclose(f);
    assert_non_null(strstr(text, "plum"));
    assert_string_equal(aj_step_state_name(AJ_STEP_WAITING), "waiting");
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    aj_instance_free(inst);
    free(text);
}

/* A done finds its step's record through the memo's async places, or by a
 * search when the definition has no memo: with async and plain steps
 * mixed, each async step's record is its own either way, and the job's
 * outputs are right. */
static void test_async_records_found_with_and_without_room(void **state)
{
    static const uint32_t async_steps[] = { SEED_CHECKAUTH, SEED_QUERY1, SEED_QUERY2,
                                            SEED_EMAIL };
    int64_t want = plain_result();
    aj_runtime *rt = tj_workers(2);

    (void)state;
    for (size_t k = 0; k < sizeof async_steps / sizeof *async_steps; k++)
        tj_set_async(seed_job, async_steps[k], true);
    for (int remembered = 0; remembered < 2; remembered++) {
        tj_run *run = tj_run_new(seed_job);
        aj_instance *inst;
        for (size_t k = 0; k < sizeof async_steps / sizeof *async_steps; k++)
            run->behave[async_steps[k]] = (tj_behave){ .done_later = true, .done_after_ns = MS };
        if (remembered)
            tj_remember(seed_job);
        inst = start(rt, seed_job, run);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
        assert_int_equal(inst->room != NULL, remembered);
        assert_int_equal(inst->n_async, 4);
        for (size_t k = 0; k < sizeof async_steps / sizeof *async_steps; k++) {
            aj__step *s = &inst->steps[async_steps[k]];
            assert_ptr_equal(aj__step_async(s)->ctx.step, s);
        }
        assert_all(inst, 8, AJ_STEP_COMPLETED);
        assert_int_equal(tj_output(inst, SEED_SUMMARIZE), want);
        assert_int_equal(atomic_load(&run->violations), 0);
        aj_instance_free(inst);
        tj_run_free(run);
    }
    aj_runtime_free(rt);
}

/* 2,000 instances of the seed job, every step async and done 1 ms after
 * it starts, wait at once on two workers: with no thread per waiting
 * step, they end in about the critical path, well under a second. */
static void test_async_many_instances(void **state)
{
    enum { N = 2000 };
    int64_t want = plain_result(), t0;
    aj_runtime *rt = tj_workers(2);
    aj_instance **insts = calloc(N, sizeof *insts);
    tj_run **runs = calloc(N, sizeof *runs);

    (void)state;
    assert_true(insts != NULL && runs != NULL);
    for (uint32_t i = 0; i < 8; i++)
        tj_set_async(seed_job, i, true);
    t0 = aj_now_ns();
    for (int k = 0; k < N; k++) {
        runs[k] = tj_run_new(seed_job);
        /* The tables are shared by running instances: set once, above. */
        behave_all(runs[k], (tj_behave){ .done_later = true, .done_after_ns = MS });
        insts[k] = start(rt, seed_job, runs[k]);
    }
    for (int k = 0; k < N; k++) {
        assert_int_equal(aj_instance_wait(insts[k], -1), AJ_OK);
        assert_int_equal(tj_output(insts[k], SEED_SUMMARIZE), want);
        assert_int_equal(atomic_load(&runs[k]->violations), 0);
    }
    assert_true(aj_now_ns() - t0 < 5000 * MS);
    for (int k = 0; k < N; k++) {
        aj_instance_free(insts[k]);
        tj_run_free(runs[k]);
    }
    aj_runtime_free(rt);
    free(insts);
    free(runs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_async_done_from_another_thread, seed_setup,
                                        seed_teardown),
        cmocka_unit_test_setup_teardown(test_async_done_before_return_and_twice, seed_setup,
                                        seed_teardown),
        cmocka_unit_test_setup_teardown(test_async_records_found_with_and_without_room,
                                        seed_setup, seed_teardown),
        cmocka_unit_test(test_async_late_done_is_discarded),
        cmocka_unit_test(test_async_done_after_deadline_times_out),
        cmocka_unit_test(test_async_retry_waits_for_the_late_done),
        cmocka_unit_test_setup_teardown(test_async_failures_are_retried, seed_setup,
                                        seed_teardown),
        cmocka_unit_test_setup_teardown(test_async_cancel_while_waiting, seed_setup,
                                        seed_teardown),
        cmocka_unit_test_setup_teardown(test_async_cancel_fires_the_hook, seed_setup,
                                        seed_teardown),
        cmocka_unit_test_setup_teardown(test_async_deadline_fires_the_hook, seed_setup,
                                        seed_teardown),
        cmocka_unit_test(test_async_cancel_then_deadline_ends_the_hook),
        cmocka_unit_test_setup_teardown(test_async_waiting_state_is_drawn, seed_setup,
                                        seed_teardown),
        cmocka_unit_test_setup_teardown(test_async_many_instances, seed_setup, seed_teardown),
    };
    return cmocka_run_group_tests_name("runtime_async", tests, NULL, NULL);
}
