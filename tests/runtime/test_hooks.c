/*
 * test_hooks.c: aj_start_opts.on_done (once, for every way an instance
 * ends; wait(inst, 0) gives the final result from inside it and from a
 * thread it wakes) and aj_ctx_on_cancel (a blocked step woken by a cancel
 * and by its deadline, a hook registered after the cancel, none after the
 * attempt, cancels racing returns). Ordered by gates and semaphores only.
 */
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* What on_done saw; the test asserts on it afterwards, on its thread. */
typedef struct done_log {
    _Atomic uint32_t calls;
    _Atomic int wait_rc;        /* aj_instance_wait(inst, 0) inside on_done */
    _Atomic bool was_done;      /* aj_instance_done inside on_done */
    sem_t told;                 /* posted by on_done, last */
} done_log;

static void done_log_init(done_log *d)
{
    atomic_init(&d->calls, 0);
    atomic_init(&d->wait_rc, 1);
    atomic_init(&d->was_done, false);
    sem_init(&d->told, 0, 0);
}

static void on_done(aj_instance *inst, void *user)
{
    done_log *d = user;

    atomic_store(&d->wait_rc, aj_instance_wait(inst, 0));
    atomic_store(&d->was_done, aj_instance_done(inst));
    atomic_fetch_add(&d->calls, 1);
    sem_post(&d->told);
}

static aj_instance *start_run(aj_runtime *rt, tj_job *job, tj_run *run, const aj_start_opts *o)
{
    tj_inputs in = { run };
    aj_instance *inst = NULL;

    assert_int_equal(aj_instance_start(rt, &job->def, &in, o, &inst), AJ_OK);
    return inst;
}

static aj_instance *start(aj_runtime *rt, const aj_start_opts *o)
{
    return start_run(rt, seed_job, seed_run, o);
}

static aj_instance *start_logged(aj_runtime *rt, tj_job *job, tj_run *run, done_log *d,
                                 bool sequential)
{
    aj_start_opts o = { .on_done = on_done, .user = d, .sequential = sequential };

    return start_run(rt, job, run, &o);
}

/* on_done has been called once, saw the final code, and wait agrees. */
static void assert_told_once(aj_instance *inst, done_log *d, int want)
{
    while (sem_wait(&d->told) != 0)
        ;
    assert_int_equal(aj_instance_wait(inst, 0), want);
    assert_int_equal(atomic_load(&d->wait_rc), want);
    assert_true(atomic_load(&d->was_done));
    assert_int_equal(aj_instance_wait(inst, -1), want);
    aj_instance_free(inst);
    assert_int_equal(atomic_load(&d->calls), 1);
    sem_destroy(&d->told);
}

static void test_hooks_on_done_once_completed(void **state)
{
    aj_runtime *rt = tj_workers(2);
    done_log d;

    (void)state;
    done_log_init(&d);
    assert_told_once(start_logged(rt, seed_job, seed_run, &d, false), &d, AJ_OK);
    aj_runtime_free(rt);
}

static void test_hooks_on_done_once_failed(void **state)
{
    aj_runtime *rt = tj_workers(2);
    done_log d;

    (void)state;
    seed_run->behave[SEED_QUERY1].fails = -1;
    seed_run->behave[SEED_QUERY1].code = -42;
    seed_run->behave[SEED_QUERY1].permanent = true;
    done_log_init(&d);
    assert_told_once(start_logged(rt, seed_job, seed_run, &d, false), &d, -42);
    aj_runtime_free(rt);
}

static void test_hooks_on_done_once_cancelled(void **state)
{
    aj_runtime *rt = tj_workers(2);
    aj_instance *inst;
    done_log d;

    (void)state;
    seed_run->behave[SEED_GETCONNECTION].gate = &seed_gate;
    seed_run->behave[SEED_GETCONNECTION].started = &seed_started;
    done_log_init(&d);
    inst = start_logged(rt, seed_job, seed_run, &d, false);
    sem_wait(&seed_started);
    aj_instance_cancel(inst);
    assert_int_equal(atomic_load(&d.calls), 0);
    tj_gate_open(&seed_gate);
    assert_told_once(inst, &d, AJ_ECANCELED);
    aj_runtime_free(rt);
}

/* Sequential: before start returns; with and without a runtime. */
static void test_hooks_on_done_once_sequential(void **state)
{
    aj_runtime *rt = tj_workers(1);
    aj_runtime *rts[2] = { NULL, rt };
    done_log d;

    (void)state;
    for (int k = 0; k < 2; k++) {
        aj_instance *inst;
        done_log_init(&d);
        inst = start_logged(rts[k], seed_job, seed_run, &d, true);
        assert_int_equal(atomic_load(&d.calls), 1);
        assert_told_once(inst, &d, AJ_OK);
    }
    aj_runtime_free(rt);
}

static void test_hooks_on_done_once_zero_steps(void **state)
{
    tj_job *empty = tj_new("empty", 0, NULL, NULL, NULL, 0);
    aj_runtime *rt = tj_workers(1);
    tj_run *run = tj_run_new(empty);
    done_log d;

    (void)state;
    assert_non_null(empty);
    for (int sequential = 0; sequential < 2; sequential++) {
        aj_instance *inst;
        done_log_init(&d);
        inst = start_logged(rt, empty, run, &d, sequential);
        assert_int_equal(atomic_load(&d.calls), 1);
        assert_told_once(inst, &d, AJ_OK);
    }
    aj_runtime_free(rt);
    tj_run_free(run);
    tj_free(empty);
}

/* The race of the issue: nobody waits, the workers finish the instance,
 * and wait(inst, 0) must give the final code inside on_done and on the
 * thread it wakes, which then frees the instance at once. Every other run
 * fails (permanently: no retry delay). */
static void test_hooks_on_done_race(void **state)
{
    aj_runtime *rt = tj_workers(2);
    uint32_t wrong_inside = 0, wrong_after = 0;

    (void)state;
    for (int k = 0; k < 1000; k++) {
        int want = k % 2 ? -9 : AJ_OK;
        aj_instance *inst;
        done_log d;

        seed_run->behave[SEED_SUMMARIZE].fails = k % 2 ? -1 : 0;
        seed_run->behave[SEED_SUMMARIZE].code = -9;
        seed_run->behave[SEED_SUMMARIZE].permanent = true;
        done_log_init(&d);
        inst = start_logged(rt, seed_job, seed_run, &d, false);
        while (sem_wait(&d.told) != 0)
            ;
        wrong_after += aj_instance_wait(inst, 0) != want;
        wrong_inside += atomic_load(&d.wait_rc) != want;
        aj_instance_free(inst);
        assert_int_equal(atomic_load(&d.calls), 1);
        sem_destroy(&d.told);
    }
    assert_int_equal(wrong_inside, 0);
    assert_int_equal(wrong_after, 0);
    aj_runtime_free(rt);
}

/* ------------------------------------------------------------------------ */
/* aj_ctx_on_cancel                                                          */


/* A step blocked on its semaphore, as on a socket, is woken by the cancel
 * through its hook, once: plain and blocking. */
static void test_hooks_on_cancel_wakes_blocked_step(void **state)
{
    aj_runtime *rt = tj_workers(1);

    (void)state;
    for (int blocking = 0; blocking < 2; blocking++) {
        aj_instance *inst;
        tj_set_blocking(seed_job, SEED_GETCONNECTION, blocking);
        atomic_store(&seed_run->hook_calls[SEED_GETCONNECTION], 0);
        seed_run->behave[SEED_GETCONNECTION].started = &seed_started;
        seed_run->behave[SEED_GETCONNECTION].hook_wait = true;
        inst = start(rt, NULL);
        sem_wait(&seed_started);
        aj_instance_cancel(inst);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
        assert_int_equal(tj_state(inst, SEED_GETCONNECTION), AJ_STEP_CANCELLED);
        assert_int_equal(atomic_load(&seed_run->hook_calls[SEED_GETCONNECTION]), 1);
        aj_instance_free(inst);
    }
    aj_runtime_free(rt);
}

/* A cancel from a signal handler's call reaches the hook through the
 * canceller thread. */
static void test_hooks_on_cancel_async_request(void **state)
{
    aj_runtime *rt = tj_workers(1);
    aj_instance *inst;

    (void)state;
    seed_run->behave[SEED_GETCONNECTION].started = &seed_started;
    seed_run->behave[SEED_GETCONNECTION].hook_wait = true;
    inst = start(rt, NULL);
    sem_wait(&seed_started);
    aj_instance_cancel_async(inst);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(atomic_load(&seed_run->hook_calls[SEED_GETCONNECTION]), 1);
    aj_instance_free(inst);
    aj_runtime_free(rt);
}

/* Registered after the cancel: called at once, on the step's thread. */
static void test_hooks_on_cancel_after_cancel_at_once(void **state)
{
    aj_runtime *rt = tj_workers(1);
    aj_instance *inst;

    (void)state;
    seed_run->behave[SEED_GETCONNECTION].started = &seed_started;
    seed_run->behave[SEED_GETCONNECTION].until_cancelled = true;
    seed_run->behave[SEED_GETCONNECTION].hook_wait = true;
    inst = start(rt, NULL);
    sem_wait(&seed_started);
    aj_instance_cancel(inst);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(atomic_load(&seed_run->hook_calls[SEED_GETCONNECTION]), 1);
    assert_int_equal(atomic_load(&seed_run->hook_inline[SEED_GETCONNECTION]), 1);
    aj_instance_free(inst);
    aj_runtime_free(rt);
}

/* A hook left registered when its step returns is never called: the
 * cancel comes while the next step runs. */
static void test_hooks_on_cancel_not_after_return(void **state)
{
    aj_runtime *rt = tj_workers(1);
    aj_instance *inst;

    (void)state;
    seed_run->behave[SEED_GETCONNECTION].hook_keep = true;
    seed_run->behave[SEED_CHECKAUTH].started = &seed_started;
    seed_run->behave[SEED_CHECKAUTH].gate = &seed_gate;
    inst = start(rt, NULL);
    sem_wait(&seed_started);
    aj_instance_cancel(inst);
    tj_gate_open(&seed_gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(tj_state(inst, SEED_GETCONNECTION), AJ_STEP_COMPLETED);
    assert_int_equal(atomic_load(&seed_run->hook_calls[SEED_GETCONNECTION]), 0);
    aj_instance_free(inst);
    aj_runtime_free(rt);
}

/* The deadline wakes a blocked step with a timeout, through the
 * canceller thread; the step fails by timing out (permanently: one
 * attempt, one call), plain and blocking. */
static void test_hooks_on_cancel_deadline(void **state)
{
    aj_runtime *rt = tj_workers(1);
    aj_failure f;

    (void)state;
    tj_set_timeout(seed_job, SEED_GETCONNECTION, 20 * 1000 * 1000);
    for (int blocking = 0; blocking < 2; blocking++) {
        aj_instance *inst;
        tj_set_blocking(seed_job, SEED_GETCONNECTION, blocking);
        atomic_store(&seed_run->hook_calls[SEED_GETCONNECTION], 0);
        seed_run->behave[SEED_GETCONNECTION].hook_wait = true;
        seed_run->behave[SEED_GETCONNECTION].permanent = true;
        inst = start(rt, NULL);
        assert_int_equal(aj_instance_wait(inst, -1), -7);
        assert_int_equal(aj_instance_failure(inst, &f), -7);
        assert_int_equal(f.kind, AJ_FAIL_TIMEOUT);
        assert_int_equal(atomic_load(&seed_run->hook_calls[SEED_GETCONNECTION]), 1);
        aj_instance_free(inst);
    }
    aj_runtime_free(rt);
}

/* Cancels at random moments against steps that register and return, and
 * steps that block until their hook wakes them: no hook is lost (the
 * blocked step would never return), none is called twice, and under TSan
 * and ASan none touches an attempt that has ended. */
static void test_hooks_on_cancel_races_return(void **state)
{
    aj_runtime *rt = tj_workers(2);
    uint64_t rng = tj_rng_seed("AJ_TEST_SEED");
    uint32_t twice = 0;

    (void)state;
    tj_set_blocking(seed_job, SEED_CLIENT2, true);
    for (int k = 0; k < 2000; k++) {
        aj_instance *inst;
        uint32_t spin = tj_rnd(&rng, 20000);
        for (uint32_t i = 0; i < 8; i++) {
            atomic_store(&seed_run->hook_calls[i], 0);
            seed_run->behave[i].hook_keep = i != SEED_CLIENT1 && i != SEED_CLIENT2;
        }
        seed_run->behave[SEED_CLIENT1].hook_wait = true;
        seed_run->behave[SEED_CLIENT2].hook_wait = true;
        inst = start(rt, NULL);
        for (volatile uint32_t s = 0; s < spin; s++)
            ;
        aj_instance_cancel(inst);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
        for (uint32_t i = 0; i < 8; i++)
            twice += atomic_load(&seed_run->hook_calls[i]) > 1;
        aj_instance_free(inst);
    }
    assert_int_equal(twice, 0);
    aj_runtime_free(rt);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, seed_gate_setup, seed_gate_teardown)
    const struct CMUnitTest tests[] = {
        T(test_hooks_on_done_once_completed),
        T(test_hooks_on_done_once_failed),
        T(test_hooks_on_done_once_cancelled),
        T(test_hooks_on_done_once_sequential),
        T(test_hooks_on_done_once_zero_steps),
        T(test_hooks_on_done_race),
        T(test_hooks_on_cancel_wakes_blocked_step),
        T(test_hooks_on_cancel_async_request),
        T(test_hooks_on_cancel_after_cancel_at_once),
        T(test_hooks_on_cancel_not_after_return),
        T(test_hooks_on_cancel_deadline),
        T(test_hooks_on_cancel_races_return),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
