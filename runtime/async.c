/*
 * async.c: async steps, whose function starts an operation and returns
 * AJ_PENDING, the operation ending later, on any thread, with the step's
 * done (aj_reply_done). A runner starts an attempt and goes on with other
 * work; no thread waits for the attempt. Whichever thread makes the
 * attempt final settles it with exec.c's pieces: the runner, when done
 * came before the function returned; done's thread, when it came after;
 * the worker or waiter that took the attempt's deadline out of the timer
 * heap (sched.c), when it came first. done's thread then runs what
 * follows as a foreign runner (aj__exec_foreign): it starts async steps,
 * whose functions return at once, and hands the others to the workers.
 *
 * DESIGN
 * One record per async step (aj__async, aj_data.h) holds the attempt's
 * context and is the reply the step function gets. phase orders the
 * parties without a lock; each sets its bit with one read-modify-write:
 * - the runner sets RETURNED after the function returned AJ_PENDING, and
 *   judges if READY or EXPIRED came before;
 * - done sets CLAIMED; before EXPIRED it writes rc and the output, then
 *   sets READY and judges if RETURNED came before; after EXPIRED it is
 *   late: it frees its output and touches nothing else, unless the judge
 *   parked a retry for it (PARKED), which it then schedules;
 * - the deadline sets EXPIRED (sched.c, under rt->mu) only before
 *   CLAIMED, and the taker judges if RETURNED came before. Disarming the
 *   deadline takes rt->mu too, so no expiry of an attempt is in flight
 *   once its judge starts another.
 * A retry after an expired attempt starts once its late done came: so one
 * record per step serves every attempt, and a late done is never taken
 * for the next attempt's. Lifetime: each attempt holds its instance
 * (holders, sched.c) from its call to the end of its done (or to the
 * function's error return), so aj_instance_free waits for every done.
 * The step record is written by the runner until RETURNED, then only by
 * the judge. In sequential mode the starting thread waits for done on
 * inst->cv and judges itself; done wakes it.
 */
#include "aj_exec.h"

#include <string.h>

void aj__attempt_abandoned(aj_ctx *ctx)
{
    /* The attempt's deadline passed while it waited for its done: its
     * aj_ctx_on_cancel callback, if armed, aborts the operation. */
    aj__ctx_fire_cancel(ctx);
    /* Whoever settles the step (a judge, or a cancel's runner), the hook
     * leaves the instance's list and the canceller's deadlines now: the
     * instance may be freed once its late done came, which does not touch
     * the hook. */
    aj__ctx_end(ctx);
}

/* Before RETURNED, or as the judge: this thread alone writes the record. */
static void rec_state(aj__step *s, aj_step_state state)
{
    uint32_t q = aj__rec_begin(s);

    AJ__PUT(s, state, state);
    aj__rec_end(s, q);
}

/* s is to run again after delay: true to start it now on this thread. A
 * step waiting out a retry delay is running, as every step is. */
static bool again(aj__runner *r, aj__step *s, int64_t delay)
{
    rec_state(s, AJ_STEP_RUNNING);
    return aj__exec_wait_out(r, s, delay);
}

static bool timed_here(const aj_instance *inst, const aj__step *s)
{
    return (inst->def->exec[s->index].flags & AJ_STEP_TIMED) && !inst->sequential;
}

/* The winning done's result: true to start s again now. */
static bool judge_done(aj__runner *r, aj__step *s, aj__async *a)
{
    aj_instance *inst = r->inst;
    int rc = a->rc;
    int64_t delay;
    aj_fail_kind kind;

    if (timed_here(inst, s))
        aj__sched_disarm(inst, s);
    /* done came: the attempt's cancel hook is over, and its slots. */
    aj__ctx_end(&a->ctx);
    aj__admit_end(s);
    /* A done after the deadline that beat the timer is late all the same:
     * the attempt timed out whatever done said, as when the timer wins. */
    kind = aj__exec_judge(&a->ctx, &rc, a->end_ns);
    if (kind == AJ_FAIL_TIMEOUT)
        rc = AJ_ESTEPTIMEOUT;
    if (rc != 0)
        aj__exec_discard_output(s, a->rc == 0);
    return aj__exec_conclude(r, s, &a->ctx, rc, kind, a->end_ns, &delay) && again(r, s, delay);
}

/* Sequential mode: waits until the late done of a's attempt came. */
static void wait_claimed(aj_instance *inst, aj__async *a)
{
    pthread_mutex_lock(&inst->mu);
    while (!(atomic_load(&a->phase) & AJ__ASYNC_CLAIMED))
        aj__cond_wait_until(&inst->cv, &inst->mu, INT64_MAX);
    pthread_mutex_unlock(&inst->mu);
}

/* The deadline came before done: the attempt failed with AJ_ESTEPTIMEOUT.
 * A retry starts once the late done came: now if it did, else it is
 * parked for that done to start. True to start s again now. */
static bool judge_expired(aj__runner *r, aj__step *s, aj__async *a)
{
    int64_t delay, now = aj_now_ns();
    uint32_t old;

    aj__attempt_abandoned(&a->ctx);
    aj__admit_end(s);
    if (!aj__exec_conclude(r, s, &a->ctx, AJ_ESTEPTIMEOUT, AJ_FAIL_TIMEOUT, now, &delay))
        return false;
    if (r->inst->sequential) {
        wait_claimed(r->inst, a);
        return again(r, s, delay);
    }
    rec_state(s, AJ_STEP_RUNNING);
    a->retry_ns = aj__add_sat(now, delay);
    old = atomic_fetch_or_explicit(&a->phase, AJ__ASYNC_PARKED, memory_order_acq_rel);
    /* Not come yet: s is the late done's from here on. */
    if (!(old & AJ__ASYNC_CLAIMED))
        return false;
    return aj__exec_wait_out(r, s, delay);
}

/* This thread completed RETURNED; before: the bits before it. */
static bool judge_if_due(aj__runner *r, aj__step *s, aj__async *a, uint32_t before)
{
    if (before & AJ__ASYNC_READY)
        return judge_done(r, s, a);
    if (before & AJ__ASYNC_EXPIRED)
        return judge_expired(r, s, a);
    return false;
}

/* The function returned rc, neither 0 nor AJ_PENDING: the attempt failed
 * and no done comes. CLAIMED makes a done called anyway (a bug) count as
 * a second one; one that came before makes the attempt pending after all. */
static bool failed_call(aj__runner *r, aj__step *s, aj__async *a, int rc)
{
    aj_instance *inst = r->inst;
    uint32_t old = atomic_fetch_or_explicit(&a->phase, AJ__ASYNC_RETURNED | AJ__ASYNC_CLAIMED,
                                            memory_order_acq_rel);
    int64_t delay;
    aj_fail_kind kind;

    r->now_ns = aj_now_ns();
    if (old & AJ__ASYNC_CLAIMED)
        return judge_if_due(r, s, a, old);
    if (timed_here(inst, s))
        aj__sched_disarm(inst, s);
    aj__ctx_end(&a->ctx);
    aj__admit_end(s);
    aj__sched_unhold(inst);
    kind = aj__exec_judge(&a->ctx, &rc, r->now_ns);
    return aj__exec_conclude(r, s, &a->ctx, rc, kind, r->now_ns, &delay) && again(r, s, delay);
}

/* Sequential mode: this thread waits for done, or expires the attempt at
 * its deadline, then judges it. */
static bool wait_here(aj__runner *r, aj__step *s, aj__async *a)
{
    aj_instance *inst = r->inst;
    int64_t deadline = a->ctx.deadline_ns;
    uint32_t phase;

    rec_state(s, AJ_STEP_WAITING);
    pthread_mutex_lock(&inst->mu);
    while (!((phase = atomic_load(&a->phase)) & (AJ__ASYNC_READY | AJ__ASYNC_EXPIRED))) {
        /* Claimed: its result is being written, READY follows. */
        if (!(phase & AJ__ASYNC_CLAIMED) && aj_now_ns() >= deadline)
            (void)aj__async_expire(s);
        else
            aj__cond_wait_until(&inst->cv, &inst->mu,
                                phase & AJ__ASYNC_CLAIMED ? INT64_MAX : deadline);
    }
    pthread_mutex_unlock(&inst->mu);
    phase = atomic_fetch_or_explicit(&a->phase, AJ__ASYNC_RETURNED, memory_order_acq_rel);
    r->now_ns = aj_now_ns();
    return judge_if_due(r, s, a, phase);
}

/* Starts an attempt of s, owned by r's thread: true to start another now
 * (a retry without delay), false once s is final, parked, or waiting. */
static bool attempt(aj__runner *r, aj__step *s, aj__async *a)
{
    aj_instance *inst = r->inst;
    const aj_step_exec *x = &inst->def->exec[s->index];
    uint32_t old;
    int rc;

    /* The slots are held from here to done or the deadline. */
    if ((x->flags & AJ_STEP_LIMITED) && !aj__exec_admit(r, s))
        return false;
    atomic_store_explicit(&a->phase, 0, memory_order_relaxed);
    /* The clock's cheaper reading: nothing before it is timed. */
    aj__exec_open(&a->ctx, aj__now_ns(), x->flags & AJ_STEP_TIMED);
    /* done's hold, taken before done can come: the instance outlives it. */
    atomic_fetch_add_explicit(&inst->holders, 1, memory_order_relaxed);
    if (timed_here(inst, s))
        aj__sched_arm(inst, s, a->ctx.deadline_ns);
    rc = x->run(&a->ctx, inst->inputs, inst->outputs, x->slots);
    if (rc != 0 && rc != AJ_PENDING)
        return failed_call(r, s, a, rc);
    if (inst->sequential)
        return wait_here(r, s, a);
    /* Waiting, unless done came already; after RETURNED the judge alone
     * writes the record. */
    if (!(atomic_load_explicit(&a->phase, memory_order_acquire) & AJ__ASYNC_CLAIMED))
        rec_state(s, AJ_STEP_WAITING);
    old = atomic_fetch_or_explicit(&a->phase, AJ__ASYNC_RETURNED, memory_order_acq_rel);
    return judge_if_due(r, s, a, old);
}

void aj__async_run(aj__runner *r, aj__step *s)
{
    aj__async *a = aj__step_async(s);
    bool more = AJ__GET(s, state) == AJ_STEP_WAITING ? judge_expired(r, s, a) : true;

    while (more)
        more = attempt(r, s, a);
}

/* ------------------------------------------------------------------------ */
/* done                                                                      */

/* done's thread judges the attempt of s, then runs what follows. */
static void judge_here(aj_instance *inst, aj__step *s, aj__async *a)
{
    aj__runner r;

    aj__runner_init(&r, inst);
    aj__exec_enter(&r);
    if (judge_done(&r, s, a)) {
        s->next = NULL;
        aj__runner_adopt(&r, s);
    }
    aj__exec_foreign(&r);
}

/* The late done came for a parked retry: it is due at due_ns. */
static void resume(aj_instance *inst, aj__step *s, int64_t due_ns)
{
    aj__runner r;
    int64_t delay;

    aj__runner_init(&r, inst);
    aj__exec_enter(&r);
    delay = due_ns > r.now_ns ? due_ns - r.now_ns : 0;
    rec_state(s, AJ_STEP_RUNNING);
    if (aj__exec_wait_out(&r, s, delay)) {
        s->next = NULL;
        aj__runner_adopt(&r, s);
    }
    aj__exec_foreign(&r);
}

/* done before the deadline: its result counts. */
static void won(aj_instance *inst, aj__async *a, int rc, const void *out)
{
    aj__step *s = a->ctx.step;
    const aj_step_def *sd = &inst->def->steps[s->index];
    size_t size;
    void *slot = aj__step_slot(s, &size);
    uint32_t old;

    a->rc = rc;
    a->end_ns = aj__now_ns();
    if (rc == 0 && out != NULL && sd->output_type != NULL && size > 0)
        memcpy(slot, out, size);
    old = atomic_fetch_or_explicit(&a->phase, AJ__ASYNC_READY, memory_order_acq_rel);
    if ((old & AJ__ASYNC_RETURNED) && !inst->sequential)
        judge_here(inst, s, a);
}

/* done after the deadline: the attempt is over, its output nobody's. */
static void late(aj_instance *inst, aj__async *a, uint32_t before, int rc, const void *out)
{
    aj__step *s = a->ctx.step;
    const aj_step_def *sd = &inst->def->steps[s->index];

    if (rc == 0 && out != NULL && sd->free_output != NULL && sd->output_type != NULL)
        sd->free_output((void *)out);
    if ((before & AJ__ASYNC_PARKED) && !inst->sequential)
        resume(inst, s, a->retry_ns);
}

void aj_reply_done(aj_reply *reply, int rc, const void *out)
{
    aj__async *a = (aj__async *)reply;
    aj_instance *inst;
    uint32_t old;

    if (a == NULL)
        return;
    inst = a->ctx.inst;
    old = atomic_fetch_or_explicit(&a->phase, AJ__ASYNC_CLAIMED, memory_order_acq_rel);
    /* A second done of one attempt: its first released the hold. */
    if (old & AJ__ASYNC_CLAIMED)
        return;
    if (old & AJ__ASYNC_EXPIRED)
        late(inst, a, old, rc, out);
    else
        won(inst, a, rc, out);
    if (inst->sequential) {
        pthread_mutex_lock(&inst->mu);
        pthread_cond_broadcast(&inst->cv);
        pthread_mutex_unlock(&inst->mu);
    }
    /* The last touch of the instance: its owner may free it now. */
    aj__sched_unhold(inst);
}
