/*
 * test_cancel.c: cancellation (before steps start, while they seed_run, during
 * a retry delay, twice, after the end, by freeing), fail-fast, step
 * deadlines and wait timeouts. Ordered by gates and semaphores only.
 */
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static aj_instance *start(aj_runtime *rt, const aj_start_opts *o)
{
    tj_inputs in = { seed_run };
    aj_instance *inst = NULL;

    assert_int_equal(aj_instance_start(rt, &seed_job->def, &in, o, &inst), AJ_OK);
    return inst;
}

static aj_step_info info_of(aj_instance *inst, uint32_t step)
{
    aj_step_info info;

    assert_int_equal(aj_instance_step_info(inst, step, &info), AJ_OK);
    return info;
}

/* The only worker is in GetConnection; everything else is cancelled
 * before it starts and never runs. */
static void test_cancel_steps_not_started_never_run(void **state)
{
    aj_runtime *rt = tj_workers(1);
    aj_instance *inst;

    (void)state;
    seed_run->behave[SEED_GETCONNECTION].gate = &seed_gate;
    seed_run->behave[SEED_GETCONNECTION].started = &seed_started;
    inst = start(rt, NULL);
    sem_wait(&seed_started);
    aj_instance_cancel(inst);
    assert_int_equal(info_of(inst, SEED_CHECKAUTH).state, AJ_STEP_CANCELLED);
    tj_gate_open(&seed_gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(info_of(inst, SEED_GETCONNECTION).state, AJ_STEP_COMPLETED);
    for (uint32_t i = 1; i < 8; i++) {
        assert_int_equal(info_of(inst, i).state, AJ_STEP_CANCELLED);
        assert_int_equal(info_of(inst, i).attempts, 0);
        assert_int_equal(atomic_load(&seed_run->attempts[i]), 0);
    }
    aj_instance_free(inst);
    aj_runtime_free(rt);
}

static void test_cancel_running_step_sees_flag(void **state)
{
    aj_runtime *rt = tj_workers(2);
    aj_instance *inst;
    aj_failure f;

    (void)state;
    seed_run->behave[SEED_SUMMARIZE].until_cancelled = true;
    seed_run->behave[SEED_SUMMARIZE].started = &seed_started;
    inst = start(rt, NULL);
    sem_wait(&seed_started);
    aj_instance_cancel(inst);
    aj_instance_cancel(inst); /* twice: no change */
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(atomic_load(&seed_run->cancel_seen[SEED_SUMMARIZE]), 1);
    /* It saw the flag and still returned 0: it completed. */
    assert_int_equal(info_of(inst, SEED_SUMMARIZE).state, AJ_STEP_COMPLETED);
    assert_int_equal(info_of(inst, SEED_EMAIL).state, AJ_STEP_CANCELLED);
    assert_int_equal(aj_instance_failure(inst, &f), AJ_ECANCELED);
    assert_int_equal(f.step, -1);
    assert_null(f.step_name);
    assert_int_equal(f.kind, AJ_FAIL_CANCELLED);
    aj_instance_cancel(inst);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    aj_instance_free(inst);
    aj_runtime_free(rt);
}

/* The README's own pattern: a step that sees the flag returns ECANCELED.
 * It ends cancelled, not failed, and is no root cause; what had not
 * started ends cancelled, never skipped. */
static void test_cancel_step_failing_after_cancel_is_cancelled(void **state)
{
    aj_runtime *rt = tj_workers(2);
    aj_instance *inst;
    aj_failure f;

    (void)state;
    seed_run->behave[SEED_QUERY1].until_cancelled = true;
    seed_run->behave[SEED_QUERY1].started = &seed_started;
    seed_run->behave[SEED_QUERY1].fails = -1;
    seed_run->behave[SEED_QUERY1].code = 125; /* ECANCELED */
    inst = start(rt, NULL);
    sem_wait(&seed_started);
    aj_instance_cancel(inst);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(info_of(inst, SEED_QUERY1).state, AJ_STEP_CANCELLED);
    assert_int_equal(info_of(inst, SEED_QUERY1).err, 125);
    assert_int_equal(info_of(inst, SEED_QUERY1).kind, AJ_FAIL_CANCELLED);
    assert_int_equal(info_of(inst, SEED_SUMMARIZE).state, AJ_STEP_CANCELLED);
    assert_int_equal(info_of(inst, SEED_EMAIL).state, AJ_STEP_CANCELLED);
    assert_int_equal(aj_instance_failure(inst, &f), AJ_ECANCELED);
    assert_int_equal(f.step, -1);
    aj_instance_free(inst);
    aj_runtime_free(rt);
}

/* A step may return AJ_ECANCELED by itself: it ends cancelled, not failed
 * with code -1001, and what depends on it is skipped (the instance goes
 * on); wait reports the cancel. */
static void test_step_returning_aj_ecanceled_is_cancelled(void **state)
{
    aj_start_opts o = { .sequential = true };
    aj_instance *inst;
    aj_failure f;

    (void)state;
    seed_run->behave[SEED_CHECKAUTH].fails = -1;
    seed_run->behave[SEED_CHECKAUTH].code = AJ_ECANCELED;
    inst = start(NULL, &o);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(info_of(inst, SEED_CHECKAUTH).state, AJ_STEP_CANCELLED);
    assert_int_equal(info_of(inst, SEED_CLIENT1).state, AJ_STEP_COMPLETED);
    assert_int_equal(info_of(inst, SEED_QUERY1).state, AJ_STEP_SKIPPED);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_QUERY1]), 0);
    assert_int_equal(aj_instance_failure(inst, &f), AJ_ECANCELED);
    assert_int_equal(f.step, -1);
    aj_instance_free(inst);
}

typedef struct finish_log {
    _Atomic int finished[8];
    _Atomic int state[8];
} finish_log;

static void log_finish(void *arg, const aj_step_event *ev)
{
    finish_log *l = arg;

    atomic_fetch_add(&l->finished[ev->step_index], 1);
    atomic_store(&l->state[ev->step_index], (int)ev->state);
}

/* Observers agree with the records: once each, with the final state. */
static void test_cancel_observers_see_cancelled(void **state)
{
    finish_log l = { 0 };
    aj_observer obs = { NULL, NULL, log_finish, &l };
    aj_start_opts o = { .sequential = true, .fail_fast = true, .observer = &obs };
    aj_instance *inst;

    (void)state;
    seed_run->behave[SEED_CHECKAUTH].fails = -1;
    inst = start(NULL, &o);
    assert_int_equal(aj_instance_wait(inst, -1), -7);
    for (uint32_t i = 0; i < 8; i++) {
        assert_int_equal(atomic_load(&l.finished[i]), 1);
        assert_int_equal(atomic_load(&l.state[i]), info_of(inst, i).state);
    }
    assert_int_equal(atomic_load(&l.state[SEED_SUMMARIZE]), AJ_STEP_CANCELLED);
    aj_instance_free(inst);
}

static void test_cancel_after_completion_changes_nothing(void **state)
{
    aj_instance *inst = start(NULL, NULL);
    aj_failure f;

    (void)state;
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    aj_instance_cancel(inst);
    aj_instance_cancel(inst);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(aj_instance_failure(inst, &f), 0);
    assert_int_equal(f.step, -1);
    assert_int_equal(tj_output(inst, SEED_SUMMARIZE), 7);
    aj_instance_free(inst);
}

static sem_t retried;

static void on_retry(void *arg, const aj_step_event *ev)
{
    (void)arg;
    (void)ev;
    sem_post(&retried);
}

static void *cancel_after_retry(void *arg)
{
    sem_wait(&retried);
    aj_instance_cancel(atomic_load((_Atomic(aj_instance *) *)arg));
    return NULL;
}

static void *cancel_after_start(void *arg)
{
    sem_wait(&seed_started);
    aj_instance_cancel(atomic_load((_Atomic(aj_instance *) *)arg));
    return NULL;
}

/* Sequential mode: the instance pointer exists only once start returns,
 * so the canceller finds it through the observer's event. */
static _Atomic(aj_instance *) seq_inst;

static void remember(void *arg, const aj_step_event *ev)
{
    (void)arg;
    atomic_store(&seq_inst, (aj_instance *)ev->instance);
}

static void test_cancel_cuts_sequential_retry_delay(void **state)
{
    static const aj_retry_policy hour = { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                          .delay_ns = 3600000000000 };
    aj_observer obs = { .step_start = remember, .step_retry = on_retry };
    aj_start_opts o = { .sequential = true, .observer = &obs };
    aj_instance *inst;
    pthread_t t;

    (void)state;
    sem_init(&retried, 0, 0);
    seed_job->steps[SEED_CHECKAUTH].retry = &hour;
    seed_run->behave[SEED_CHECKAUTH].fails = 1;
    pthread_create(&t, NULL, cancel_after_retry, (void *)&seq_inst);
    inst = start(NULL, &o);
    pthread_join(t, NULL);
    assert_int_equal(aj_instance_wait(inst, 0), AJ_ECANCELED);
    assert_int_equal(info_of(inst, SEED_CHECKAUTH).state, AJ_STEP_CANCELLED);
    assert_int_equal(info_of(inst, SEED_CHECKAUTH).attempts, 1);
    assert_int_equal(info_of(inst, SEED_GETCONNECTION).state, AJ_STEP_COMPLETED);
    assert_int_equal(info_of(inst, SEED_EMAIL).state, AJ_STEP_CANCELLED);
    aj_instance_free(inst);
    sem_destroy(&retried);
}

static void test_cancel_sequential_running_step(void **state)
{
    aj_observer obs = { .step_start = remember };
    aj_start_opts o = { .sequential = true, .observer = &obs };
    aj_instance *inst;
    pthread_t t;

    (void)state;
    seed_run->behave[SEED_CLIENT1].until_cancelled = true;
    seed_run->behave[SEED_CLIENT1].started = &seed_started;
    pthread_create(&t, NULL, cancel_after_start, (void *)&seq_inst);
    inst = start(NULL, &o);
    pthread_join(t, NULL);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(atomic_load(&seed_run->cancel_seen[SEED_CLIENT1]), 1);
    assert_int_equal(info_of(inst, SEED_CLIENT2).state, AJ_STEP_CANCELLED);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_CLIENT2]), 0);
    aj_instance_free(inst);
}

static void test_cancel_fail_fast_sequential(void **state)
{
    aj_start_opts o = { .sequential = true, .fail_fast = true };
    aj_instance *inst;

    (void)state;
    seed_run->behave[SEED_CHECKAUTH].fails = -1;
    seed_run->behave[SEED_CHECKAUTH].code = 31;
    inst = start(NULL, &o);
    assert_int_equal(aj_instance_wait(inst, -1), 31);
    assert_int_equal(info_of(inst, SEED_GETCONNECTION).state, AJ_STEP_COMPLETED);
    assert_int_equal(info_of(inst, SEED_CHECKAUTH).state, AJ_STEP_FAILED);
    /* Independent of CheckAuth, yet cancelled: that is fail-fast. */
    assert_int_equal(info_of(inst, SEED_CLIENT1).state, AJ_STEP_CANCELLED);
    assert_int_equal(info_of(inst, SEED_CLIENT2).state, AJ_STEP_CANCELLED);
    /* Downstream of the failure, but not started when fail-fast cancelled
     * the instance: cancelled, never skipped. */
    assert_int_equal(info_of(inst, SEED_QUERY1).state, AJ_STEP_CANCELLED);
    assert_int_equal(info_of(inst, SEED_SUMMARIZE).state, AJ_STEP_CANCELLED);
    aj_instance_free(inst);

    /* Without fail-fast the independent branch runs to the end. */
    o.fail_fast = false;
    inst = start(NULL, &o);
    assert_int_equal(aj_instance_wait(inst, -1), 31);
    assert_int_equal(info_of(inst, SEED_CLIENT1).state, AJ_STEP_COMPLETED);
    aj_instance_free(inst);
}

/* A fails while B runs: fail-fast raises B's cancelled flag. */
static void test_cancel_fail_fast_running_step_sees_flag(void **state)
{
    aj_runtime *rt = tj_workers(2);
    aj_start_opts o = { .fail_fast = true };
    aj_instance *inst;

    (void)state;
    seed_run->behave[SEED_GETCONNECTION].until_cancelled = true;
    seed_run->behave[SEED_GETCONNECTION].started = &seed_started;
    seed_run->behave[SEED_CHECKAUTH].gate = &seed_gate;
    seed_run->behave[SEED_CHECKAUTH].fails = -1;
    inst = start(rt, &o);
    sem_wait(&seed_started);
    tj_gate_open(&seed_gate);
    assert_int_equal(aj_instance_wait(inst, -1), -7);
    assert_int_equal(atomic_load(&seed_run->cancel_seen[SEED_GETCONNECTION]), 1);
    assert_int_equal(info_of(inst, SEED_CLIENT1).state, AJ_STEP_CANCELLED);
    aj_instance_free(inst);
    aj_runtime_free(rt);
}

static void test_cancel_free_of_running_instance(void **state)
{
    aj_runtime *rt = tj_workers(2);
    long freed = atomic_load(&tj_boxes_freed), made;
    aj_instance *inst;

    (void)state;
    tj_box(seed_job, seed_run, SEED_GETCONNECTION);
    seed_run->behave[SEED_CLIENT2].until_cancelled = true;
    seed_run->behave[SEED_CLIENT2].started = &seed_started;
    made = atomic_load(&tj_boxes_made);
    inst = start(rt, NULL);
    sem_wait(&seed_started);
    aj_instance_free(inst); /* cancels, waits, frees GetConnection's box */
    assert_int_equal(atomic_load(&seed_run->cancel_seen[SEED_CLIENT2]), 1);
    assert_int_equal(atomic_load(&tj_boxes_made) - made, 1);
    assert_int_equal(atomic_load(&tj_boxes_freed) - freed, 1);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_EMAIL]), 0);
    aj_runtime_free(rt);
}

static void test_timeout_zero_after_deadline_fails_and_retries(void **state)
{
    static const aj_retry_policy once = { .max_retries = 1 };
    aj_start_opts o = { .sequential = true };
    aj_instance *inst;
    aj_failure f;

    (void)state;
    tj_set_timeout(seed_job, SEED_CLIENT1, 1000);
    seed_job->steps[SEED_CLIENT1].retry = &once;
    seed_run->behave[SEED_CLIENT1].until_expired = true;
    inst = start(NULL, &o);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ESTEPTIMEOUT);
    assert_int_equal(aj_instance_failure(inst, &f), AJ_ESTEPTIMEOUT);
    assert_int_equal(f.step, SEED_CLIENT1);
    assert_int_equal(f.kind, AJ_FAIL_TIMEOUT);
    assert_int_equal(f.attempts, 2);
    assert_int_equal(info_of(inst, SEED_QUERY1).state, AJ_STEP_SKIPPED);
    aj_instance_free(inst);
}

static void test_timeout_own_code_after_deadline(void **state)
{
    aj_start_opts o = { .sequential = true };
    aj_instance *inst;
    aj_failure f;

    (void)state;
    tj_set_timeout(seed_job, SEED_CLIENT2, 1000);
    seed_run->behave[SEED_CLIENT2].until_expired = true;
    seed_run->behave[SEED_CLIENT2].after_expired = 55;
    inst = start(NULL, &o);
    assert_int_equal(aj_instance_wait(inst, -1), 55);
    aj_instance_failure(inst, &f);
    assert_int_equal(f.kind, AJ_FAIL_TIMEOUT);
    assert_int_equal(info_of(inst, SEED_CLIENT2).kind, AJ_FAIL_TIMEOUT);
    aj_instance_free(inst);
}

static void test_timeout_met_deadline_completes(void **state)
{
    aj_start_opts o = { .sequential = true };
    aj_instance *inst;

    (void)state;
    /* EmailNotification has the seed's 2 s deadline; a no-op meets it. */
    inst = start(NULL, &o);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(info_of(inst, SEED_EMAIL).state, AJ_STEP_COMPLETED);
    aj_instance_free(inst);
}

static void test_wait_timeout_does_not_cancel(void **state)
{
    aj_runtime *rt = tj_workers(2);
    aj_instance *inst;

    (void)state;
    seed_run->behave[SEED_QUERY2].gate = &seed_gate;
    seed_run->behave[SEED_QUERY2].started = &seed_started;
    inst = start(rt, NULL);
    sem_wait(&seed_started);
    assert_int_equal(aj_instance_wait(inst, 1000000), AJ_ETIMEDOUT);
    assert_int_equal(aj_instance_wait(inst, 0), AJ_ETIMEDOUT);
    assert_false(aj_instance_done(inst));
    tj_gate_open(&seed_gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(tj_output(inst, SEED_SUMMARIZE), 7);
    aj_instance_free(inst);
    aj_runtime_free(rt);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, seed_gate_setup, seed_gate_teardown)
    const struct CMUnitTest tests[] = {
        T(test_cancel_steps_not_started_never_run),
        T(test_cancel_running_step_sees_flag),
        T(test_cancel_step_failing_after_cancel_is_cancelled),
        T(test_step_returning_aj_ecanceled_is_cancelled),
        T(test_cancel_observers_see_cancelled),
        T(test_cancel_after_completion_changes_nothing),
        T(test_cancel_cuts_sequential_retry_delay),
        T(test_cancel_sequential_running_step),
        T(test_cancel_fail_fast_sequential),
        T(test_cancel_fail_fast_running_step_sees_flag),
        T(test_cancel_free_of_running_instance),
        T(test_timeout_zero_after_deadline_fails_and_retries),
        T(test_timeout_own_code_after_deadline),
        T(test_timeout_met_deadline_completes),
        T(test_wait_timeout_does_not_cancel),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
