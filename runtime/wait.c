/*
 * wait.c: waiting for an instance and cancelling it, from any thread. A
 * waiter without a time limit is a runner too: it takes the instance's
 * work (roots, shared steps, its own due timers) and runs it on this
 * thread, spins a while when there is none and another thread is likely
 * to end soon (the waiters' budget of spin.c: at most what a wake-up
 * costs, a token when steps have lately taken longer), then blocks on
 * inst->cv. A waiter with a time limit runs nothing, since a step could
 * outlast it: it hands the instance to the workers and blocks. A cancel marks
 * the instance and settles on this thread every step that has not started
 * (exec.c); running steps see the flag.
 *
 * DESIGN
 * Lock order: inst->mu, then rt->mu (sched.c); here only inst->mu is
 * taken, to block. A waiter counts itself in n_waiting (seq_cst) before
 * it looks at the end, the shared list and the timers under inst->mu, and
 * whoever changes those reads n_waiting after the change: one of the two
 * sees the other, so no wake-up is lost. aj_instance_cancel holds the
 * instance while it works, since the instance may end, and its owner free
 * it, as soon as the last step is settled.
 */
#include "aj_wait.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

/* Sleeps until something may have changed: a ready step, the end, a new
 * timer, until_ns. */
static void block(aj_instance *inst, uint32_t delayed_seen, int64_t until_ns)
{
    pthread_mutex_lock(&inst->mu);
    atomic_fetch_add(&inst->n_waiting, 1);
    if (!aj__inst_done(inst) && inst->ready_head == NULL &&
        atomic_load(&inst->n_delayed) == delayed_seen)
        aj__cond_wait_until(&inst->cv, &inst->mu, until_ns);
    atomic_fetch_sub(&inst->n_waiting, 1);
    pthread_mutex_unlock(&inst->mu);
}

/* The instance ended or has work for this thread. */
static bool news(void *arg)
{
    aj_instance *inst = arg;

    return aj__inst_done(inst) || atomic_load_explicit(&inst->n_ready, memory_order_relaxed) > 0 ||
           atomic_load_explicit(&inst->next_root, memory_order_relaxed) < inst->def->n_roots;
}

/* Spins, then blocks, until something may have changed; learns from how
 * long that took how long the next waiter should spin. */
static void rest(aj_instance *inst, uint32_t delayed_seen, int64_t now_ns, int64_t until_ns)
{
    aj__spin *budget = inst->rt != NULL ? &inst->rt->wait_spin : NULL;
    int64_t spin_end = budget != NULL ? now_ns + aj__spin_budget(budget) : now_ns;

    if (budget != NULL &&
        aj__spin_until(budget, news, inst, spin_end < until_ns ? spin_end : until_ns) ==
            AJ__SPIN_FOUND) {
        aj__spin_learn(budget, aj__now_ns() - now_ns);
        return;
    }
    block(inst, delayed_seen, until_ns);
    if (budget != NULL)
        aj__spin_learn(budget, news(inst) ? aj__now_ns() - now_ns : -1);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* A waiter with a timeout runs no step: a step may take longer than the
 * time left. It hands the instance to the workers and sleeps until the end
 * or the deadline. AJ_OK when the instance ended. */
static int sleep_until_done(aj_instance *inst, int64_t deadline_ns)
{
    aj__sched_hand_over(inst);
    pthread_mutex_lock(&inst->mu);
    atomic_fetch_add(&inst->n_waiting, 1);
    while (!aj__inst_done(inst) &&
           aj__cond_wait_until(&inst->cv, &inst->mu, deadline_ns) != ETIMEDOUT)
        ;
    atomic_fetch_sub(&inst->n_waiting, 1);
    pthread_mutex_unlock(&inst->mu);
    return aj__inst_done(inst) ? AJ_OK : AJ_ETIMEDOUT;
}

int aj__wait_until(aj_instance *inst, int64_t deadline_ns)
{
    aj__runner r;

    if (deadline_ns != INT64_MAX)
        return sleep_until_done(inst, deadline_ns);
    aj__runner_init(&r, inst);
    for (;;) {
        aj__step *s;
        int64_t next_due;
        uint32_t delayed;

        aj__exec_drain(&r);
        if (aj__inst_done(inst))
            return AJ_OK;
        r.now_ns = aj_now_ns();
        delayed = atomic_load(&inst->n_delayed);
        if ((s = aj__sched_own_timer(inst, r.now_ns, &next_due)) != NULL) {
            s->next = NULL;
            aj__runner_adopt(&r, s);
            continue;
        }
        if (r.now_ns >= deadline_ns)
            return AJ_ETIMEDOUT;
        rest(inst, delayed, r.now_ns, min64(next_due, deadline_ns));
    }
}

/* What wait reports once the instance is final. */
static int outcome(const aj_instance *inst)
{
    if (atomic_load_explicit(&((aj_instance *)inst)->failed, memory_order_acquire))
        return inst->fail_code;
    if (atomic_load(&((aj_instance *)inst)->cut))
        return AJ_ECANCELED;
    return AJ_OK;
}

int aj_instance_wait(aj_instance *inst, int64_t timeout_ns)
{
    int64_t deadline;

    if (inst == NULL)
        return AJ_EINVAL;
    if (aj__observing(inst) && !aj__inst_done(inst))
        return AJ_EDEADLK;
    deadline = timeout_ns < 0 ? INT64_MAX : aj__add_sat(aj_now_ns(), timeout_ns);
    if (!aj__inst_done(inst) && aj__wait_until(inst, deadline) != AJ_OK)
        return AJ_ETIMEDOUT;
    return outcome(inst);
}

void aj_instance_cancel(aj_instance *inst)
{
    /* A final instance has nothing to cancel, and its runtime may be gone. */
    if (inst == NULL || aj__inst_done(inst))
        return;
    atomic_fetch_add(&inst->holders, 1);
    aj__exec_cancel(inst);
    aj__sched_unhold(inst);
}

void aj__wait_release(aj_instance *inst)
{
    /* An instance can end while still queued (its steps were shared), and
     * a worker may take it from the queue until aj__sched_done takes it
     * out: freeing it before then would hand the worker freed memory, and
     * its release would land on whatever is allocated there next. So wait
     * until it is out of the queue, then until every holder has left;
     * both happen within a few instructions of the end. A pop holds before
     * it unlinks, so an in_rq of false shows its hold. An async attempt
     * holds it until its done, which may come much later (a timed-out
     * attempt's): after a while, nap rather than yield. */
    for (unsigned spins = 0; atomic_load_explicit(&inst->in_rq, memory_order_acquire) ||
                             atomic_load_explicit(&inst->holders, memory_order_acquire) != 0;
         spins++) {
        struct timespec nap = { 0, 50000 };
        if (spins < 1000)
            sched_yield();
        else
            nanosleep(&nap, NULL);
    }
}
