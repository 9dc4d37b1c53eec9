/*
 * test_rerun.c: aj_instance_rerun. Only what did not complete runs again,
 * with fresh attempts; completed outputs are kept and freed once; the
 * root cause and the cancel are cleared; wait, on_done and the runtime's
 * count of live instances behave as after a start; threaded and
 * sequential.
 */
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

static _Atomic int dones;

static void count_done(aj_instance *inst, void *user)
{
    (void)inst;
    (void)user;
    atomic_fetch_add(&dones, 1);
}

/* Every output of the seed job boxed, so that frees are counted. */
static void box_all(void)
{
    for (uint32_t i = 0; i < seed_job->def.n_steps; i++)
        if (seed_job->steps[i].output_type != NULL)
            tj_box(seed_job, seed_run, i);
}

static aj_instance *start_seed(aj_runtime *on, bool sequential)
{
    aj_start_opts o = { .sequential = sequential, .on_done = count_done };

    atomic_store(&dones, 0);
    return tj_start(sequential ? NULL : on, seed_job, seed_run, &o);
}

static uint32_t aj_attempts(const aj_instance *inst, uint32_t step)
{
    aj_step_info info;

    assert_int_equal(aj_instance_step_info(inst, step, &info), AJ_OK);
    return info.attempts;
}

/* GetTableClient2 fails once (leaving an output behind): QueryTable2,
 * Summarize and EmailNotification are skipped. A rerun runs those four
 * only, and ends as a clean run would. */
static void rerun_after_flaky(bool sequential)
{
    long made = atomic_load(&tj_boxes_made), freed = atomic_load(&tj_boxes_freed);
    aj_instance *inst;
    aj_failure f;

    box_all();
    seed_run->behave[SEED_CLIENT2].fails = 1;
    seed_run->behave[SEED_CLIENT2].store_on_fail = true;
    inst = start_seed(tj_rt, sequential);
    assert_int_equal(aj_instance_wait(inst, -1), -7);
    assert_int_equal(tj_state(inst, SEED_SUMMARIZE), AJ_STEP_SKIPPED);
    assert_int_equal(aj_instance_rerun(inst), AJ_OK);
    /* Sequential: run again inside the call. */
    if (sequential)
        assert_true(aj_instance_done(inst));
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(aj_instance_failure(inst, &f), AJ_OK);
    assert_int_equal(f.step, -1);
    for (uint32_t i = 0; i < seed_job->def.n_steps; i++) {
        assert_int_equal(tj_state(inst, i), AJ_STEP_COMPLETED);
        /* Fresh attempts: one each, the flaky step's included. */
        assert_int_equal(aj_attempts(inst, i), 1);
        assert_int_equal(atomic_load(&seed_run->successes[i]), 1);
    }
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_CLIENT2]), 2);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_CLIENT1]), 1);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_QUERY1]), 1);
    assert_int_equal(atomic_load(&dones), 2);
    assert_int_equal(atomic_load(&seed_run->violations), 0);
    aj_instance_free(inst);
    /* The failed attempt's leftover and every output, each freed once. */
    assert_int_equal(atomic_load(&tj_boxes_made) - made, 7);
    assert_int_equal(atomic_load(&tj_boxes_freed) - freed, 7);
}

static void test_rerun_runs_only_what_did_not_complete(void **state)
{
    (void)state;
    rerun_after_flaky(false);
}

static void test_rerun_sequential_runs_again_inside_the_call(void **state)
{
    (void)state;
    rerun_after_flaky(true);
}

static void test_rerun_before_the_end_is_busy(void **state)
{
    aj_instance *inst;

    (void)state;
    assert_int_equal(aj_instance_rerun(NULL), AJ_EINVAL);
    seed_run->behave[SEED_QUERY1].gate = &seed_gate;
    seed_run->behave[SEED_QUERY1].started = &seed_started;
    inst = start_seed(tj_rt, false);
    assert_int_equal(sem_wait(&seed_started), 0);
    assert_int_equal(aj_instance_rerun(inst), AJ_EBUSY);
    tj_gate_open(&seed_gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    /* Nothing left to run: nothing changes, on_done is not called. */
    assert_int_equal(aj_instance_rerun(inst), AJ_OK);
    assert_true(aj_instance_done(inst));
    assert_int_equal(aj_attempts(inst, SEED_QUERY1), 1);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_QUERY1]), 1);
    assert_int_equal(atomic_load(&dones), 1);
    aj_instance_free(inst);
}

static void test_rerun_of_a_cancelled_instance(void **state)
{
    aj_instance *inst;
    aj_failure f;

    (void)state;
    seed_run->behave[SEED_QUERY1].gate = &seed_gate;
    seed_run->behave[SEED_QUERY1].started = &seed_started;
    seed_run->behave[SEED_QUERY1].fails = 1;
    inst = start_seed(tj_rt, false);
    assert_int_equal(sem_wait(&seed_started), 0);
    aj_instance_cancel(inst);
    tj_gate_open(&seed_gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(tj_state(inst, SEED_SUMMARIZE), AJ_STEP_CANCELLED);
    assert_int_equal(aj_instance_rerun(inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(aj_instance_failure(inst, &f), AJ_OK);
    for (uint32_t i = 0; i < seed_job->def.n_steps; i++)
        assert_int_equal(tj_state(inst, i), AJ_STEP_COMPLETED);
    assert_int_equal(aj_attempts(inst, SEED_QUERY1), 1);
    assert_int_equal(atomic_load(&dones), 2);
    aj_instance_free(inst);
}

/* An output taken before the rerun (one that no step run again reads)
 * stays taken, and is not freed by the instance. */
static void test_rerun_keeps_taken_outputs_taken(void **state)
{
    long freed;
    aj_instance *inst;
    void *slot;

    (void)state;
    box_all();
    seed_run->behave[SEED_CLIENT2].fails = 1;
    inst = start_seed(NULL, true);
    assert_int_equal(aj_instance_output(inst, SEED_CLIENT1, true, &slot), AJ_OK);
    free(*(int64_t **)slot);
    assert_int_equal(aj_instance_rerun(inst), AJ_OK);
    assert_int_equal(aj_instance_output(inst, SEED_CLIENT1, false, &slot), AJ_ETAKEN);
    assert_int_equal(aj_instance_wait(inst, 0), AJ_OK);
    freed = atomic_load(&tj_boxes_freed);
    aj_instance_free(inst);
    /* Six outputs left: the taken one is the caller's. */
    assert_int_equal(atomic_load(&tj_boxes_freed) - freed, 5);
}

/* A rerun instance counts as live again, and only until its new end:
 * freeing its runtime neither hangs nor comes early. */
static void test_rerun_then_runtime_free_does_not_hang(void **state)
{
    (void)state;
    for (int waited = 0; waited < 2; waited++) {
        aj_runtime *own = tj_workers(2);
        aj_instance *inst;

        seed_run->behave[SEED_CLIENT2].fails = 1;
        atomic_store(&seed_run->attempts[SEED_CLIENT2], 0);
        inst = start_seed(own, false);
        assert_int_equal(aj_instance_wait(inst, -1), -7);
        assert_int_equal(aj_instance_rerun(inst), AJ_OK);
        if (waited)
            assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
        /* Not waited for: free cancels and waits. */
        aj_instance_free(inst);
        aj_runtime_free(own);
    }
}

/* A gated step is judged again: c fails at first, so t (when c) is
 * skipped; on the rerun c says true and t runs. And one whose condition
 * said false is skipped again, without running. */
static void test_rerun_judges_gates_again(void **state)
{
    static const char *const names[] = { "c", "t", "k", "u" };
    const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_CONDITION }, { 2, 3, AJ_EDGE_CONDITION } };

    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        tj_job *j = tj_new("gates", 4, names, NULL, edges, 2);
        tj_run *r = tj_run_new(j);
        aj_start_opts o = { .sequential = mode };
        aj_instance *inst;
        aj_step_info info;

        tj_set_bool(j, r, 0, true);
        tj_set_bool(j, r, 2, false);
        r->behave[0].fails = 1;
        tj_set_gate(j, 1, AJ_ON_SUCCESS, 0, false);
        tj_set_gate(j, 3, AJ_ON_SUCCESS, 2, false);
        inst = tj_start(mode ? NULL : tj_rt, j, r, &o);
        assert_int_equal(aj_instance_wait(inst, -1), -7);
        assert_int_equal(aj_instance_step_info(inst, 1, &info), AJ_OK);
        assert_int_equal(info.skip_reason, AJ_SKIP_UPSTREAM_FAILED);
        assert_int_equal(aj_instance_rerun(inst), AJ_OK);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
        assert_int_equal(tj_state(inst, 1), AJ_STEP_COMPLETED);
        assert_int_equal(aj_instance_step_info(inst, 3, &info), AJ_OK);
        assert_int_equal(info.state, AJ_STEP_SKIPPED);
        assert_int_equal(info.skip_reason, AJ_SKIP_CONDITION);
        assert_int_equal(atomic_load(&r->attempts[3]), 0);
        assert_int_equal(atomic_load(&r->attempts[2]), 1);
        aj_instance_free(inst);
        tj_run_free(r);
        tj_free(j);
    }
}

/* On a rerun a gate may skip a step at once, and its successor learn of
 * it before the step beside it runs again. With a blocking step in the
 * job no runner counts alone: that arrival must not be lost (the rerun
 * would never end). c says false, so g (when c) is skipped; x fails
 * once; t, after both, is skipped each time. */
static void test_rerun_skip_at_once_reaches_a_join(void **state)
{
    static const char *const names[] = { "c", "g", "x", "t", "z" };
    const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_CONDITION }, { 1, 3, AJ_EDGE_AFTER },
                                  { 2, 3, AJ_EDGE_AFTER } };
    tj_job *j = tj_new("join", 5, names, NULL, edges, 3);
    tj_run *r = tj_run_new(j);
    aj_instance *inst;

    (void)state;
    tj_set_bool(j, r, 0, false);
    tj_set_gate(j, 1, AJ_ON_SUCCESS, 0, false);
    tj_set_blocking(j, 4, true);
    r->behave[2].fails = 1;
    inst = tj_start(tj_rt, j, r, NULL);
    assert_int_equal(aj_instance_wait(inst, -1), -7);
    assert_int_equal(aj_instance_rerun(inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, 10 * 1000000000LL), AJ_OK);
    assert_int_equal(tj_state(inst, 1), AJ_STEP_SKIPPED);
    assert_int_equal(tj_state(inst, 2), AJ_STEP_COMPLETED);
    assert_int_equal(tj_state(inst, 3), AJ_STEP_SKIPPED);
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

/* x fails once; d (on done) and f (on failure), after it, complete. The
 * rerun completes x, which releases d and f again: they keep their ends
 * and run no more, and the rerun ends. */
static void test_rerun_keeps_steps_that_completed_after_a_failure(void **state)
{
    static const char *const names[] = { "x", "d", "f" };
    const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_AFTER }, { 0, 2, AJ_EDGE_AFTER } };

    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        tj_job *j = tj_new("kept", 3, names, NULL, edges, 2);
        tj_run *r = tj_run_new(j);
        aj_start_opts o = { .sequential = mode };
        aj_instance *inst;

        tj_set_gate(j, 1, AJ_ON_DONE, -1, false);
        tj_set_gate(j, 2, AJ_ON_FAILURE, -1, false);
        r->behave[0].fails = 1;
        inst = tj_start(mode ? NULL : tj_rt, j, r, &o);
        assert_int_equal(aj_instance_wait(inst, -1), -7);
        assert_int_equal(aj_instance_rerun(inst), AJ_OK);
        assert_int_equal(aj_instance_wait(inst, 10 * 1000000000LL), AJ_OK);
        for (uint32_t i = 0; i < 3; i++) {
            assert_int_equal(tj_state(inst, i), AJ_STEP_COMPLETED);
            assert_int_equal(atomic_load(&r->attempts[i]), i == 0 ? 2 : 1);
        }
        aj_instance_free(inst);
        tj_run_free(r);
        tj_free(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rerun_runs_only_what_did_not_complete, seed_setup,
                                        seed_teardown),
        cmocka_unit_test_setup_teardown(test_rerun_sequential_runs_again_inside_the_call,
                                        seed_setup, seed_teardown),
        cmocka_unit_test_setup_teardown(test_rerun_before_the_end_is_busy, seed_gate_setup,
                                        seed_gate_teardown),
        cmocka_unit_test_setup_teardown(test_rerun_of_a_cancelled_instance, seed_gate_setup,
                                        seed_gate_teardown),
        cmocka_unit_test_setup_teardown(test_rerun_keeps_taken_outputs_taken, seed_setup,
                                        seed_teardown),
        cmocka_unit_test_setup_teardown(test_rerun_then_runtime_free_does_not_hang, seed_setup,
                                        seed_teardown),
        cmocka_unit_test(test_rerun_judges_gates_again),
        cmocka_unit_test(test_rerun_skip_at_once_reaches_a_join),
        cmocka_unit_test(test_rerun_keeps_steps_that_completed_after_a_failure),
    };

    return cmocka_run_group_tests(tests, tj_rt_setup, tj_rt_teardown);
}
