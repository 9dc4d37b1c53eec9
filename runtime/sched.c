/*
 * sched.c: where runnable steps wait and who is told about them. Each
 * instance has a ready list; the runtime has a queue of instances whose
 * list is not empty, a timer heap of steps waiting out a retry delay, and
 * parked workers to wake.
 *
 * DESIGN
 * Lock order: inst->mu, then rt->mu; never the other way round.
 * - inst->mu guards the ready list and the waiting on inst->cv.
 * - rt->mu guards the instance queue, the timer heap (and every step's
 *   in_timer), the parked count, n_live and the stop flags.
 * A thread that makes steps runnable keeps one and appends the others to
 * the instance's ready list; that instance then joins the runtime queue.
 * The thread waiting on the instance (aj_instance_wait) takes steps from
 * that list itself, so it is woken first; a parked worker is woken only
 * when no worker is already spinning for work and the new steps outnumber
 * the waiter. Waiters and finishers meet through n_waiting and n_final,
 * both seq_cst, so that neither a wake-up nor the end is missed without a
 * lock on the fast path.
 * Lifetime: once n_final reaches n_steps the owner may free the instance.
 * Any other thread that may touch an instance after that point holds it
 * (holders): workers while they drain it or run one of its timers, and
 * aj_instance_cancel. aj__sched_release waits until holders is 0.
 */
#include "aj_internal.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

static struct timespec abs_time(int64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };

    return ts;
}

/* Waits on cv until woken or, when until_ns is finite, until that
 * monotonic time. */
static void cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_ns)
{
    if (until_ns == INT64_MAX) {
        pthread_cond_wait(cv, mu);
    } else {
        struct timespec ts = abs_time(until_ns);
        pthread_cond_timedwait(cv, mu, &ts);
    }
}

static void rq_push_locked(aj_runtime *rt, aj_instance *inst)
{
    if (inst->in_rq)
        return;
    inst->in_rq = true;
    inst->rq_next = NULL;
    inst->rq_prev = rt->rq_tail;
    if (rt->rq_tail != NULL)
        rt->rq_tail->rq_next = inst;
    else
        rt->rq_head = inst;
    rt->rq_tail = inst;
    atomic_fetch_add_explicit(&rt->n_rq, 1, memory_order_relaxed);
}

static void rq_unlink_locked(aj_runtime *rt, aj_instance *inst)
{
    if (inst->rq_prev != NULL)
        inst->rq_prev->rq_next = inst->rq_next;
    else
        rt->rq_head = inst->rq_next;
    if (inst->rq_next != NULL)
        inst->rq_next->rq_prev = inst->rq_prev;
    else
        rt->rq_tail = inst->rq_prev;
    inst->in_rq = false;
    atomic_fetch_sub_explicit(&rt->n_rq, 1, memory_order_relaxed);
}

void aj__sched_wake_locked(aj_runtime *rt)
{
    if (rt->n_parked > 0 && atomic_load(&rt->n_spinning) == 0)
        pthread_cond_signal(&rt->work_cv);
}

aj_instance *aj__sched_rq_pop(aj_runtime *rt)
{
    aj_instance *inst = rt->rq_head;

    if (inst == NULL)
        return NULL;
    rq_unlink_locked(rt, inst);
    atomic_fetch_add_explicit(&inst->holders, 1, memory_order_relaxed);
    /* More instances wait: pass the wake-up on rather than serialise. */
    if (rt->rq_head != NULL)
        aj__sched_wake_locked(rt);
    return inst;
}

void aj__sched_unhold(aj_instance *inst)
{
    atomic_fetch_sub_explicit(&inst->holders, 1, memory_order_release);
}

static void timers_changed_locked(aj_runtime *rt)
{
    atomic_store(&rt->next_due, rt->timers != NULL ? rt->timers->due_ns : INT64_MAX);
}

static void timer_unlink_locked(aj_runtime *rt, aj__step *s)
{
    aj__timer_remove(&rt->timers, s);
    s->in_timer = false;
    atomic_fetch_sub(&s->inst->n_delayed, 1);
    timers_changed_locked(rt);
}

aj__step *aj__sched_timer_pop(aj_runtime *rt, int64_t now_ns)
{
    aj__step *s = rt->timers;

    if (s == NULL || s->due_ns > now_ns)
        return NULL;
    timer_unlink_locked(rt, s);
    atomic_fetch_add_explicit(&s->inst->holders, 1, memory_order_relaxed);
    return s;
}

/* Appends list (linked by next) to the ready list and tells who must know.
 * starting: the instance's first steps, counted live on the runtime. */
static void push_ready(aj_instance *inst, aj__step *list, bool starting)
{
    aj_runtime *rt = inst->rt;
    aj__step *tail = list;
    uint32_t n = 1;
    bool waiter;

    while (tail->next != NULL) {
        tail = tail->next;
        n++;
    }
    pthread_mutex_lock(&inst->mu);
    if (inst->ready_tail != NULL)
        inst->ready_tail->next = list;
    else
        inst->ready_head = list;
    inst->ready_tail = tail;
    atomic_fetch_add_explicit(&inst->n_ready, n, memory_order_relaxed);
    waiter = atomic_load(&inst->n_waiting) > 0;
    if (waiter)
        pthread_cond_signal(&inst->cv);
    pthread_mutex_lock(&rt->mu);
    if (starting)
        rt->n_live++;
    rq_push_locked(rt, inst);
    if (n > (waiter ? 1u : 0u))
        aj__sched_wake_locked(rt);
    pthread_mutex_unlock(&rt->mu);
    pthread_mutex_unlock(&inst->mu);
}

void aj__sched_ready(aj_instance *inst, aj__step *list)
{
    push_ready(inst, list, false);
}

void aj__sched_start(aj_instance *inst)
{
    const aj_job_def *def = inst->def;
    aj__step *head = NULL;

    /* A valid job with steps has a root (aj__inst_init_steps checks it). */
    if (def->n_roots == 0)
        return;
    /* Linked back to front so that the list keeps order[]. */
    for (uint32_t k = def->n_roots; k-- > 0;) {
        aj__step *s = &inst->steps[def->order[k]];
        s->next = head;
        head = s;
    }
    push_ready(inst, head, true);
}

aj__step *aj__sched_pop(aj_instance *inst)
{
    aj__step *s;

    if (atomic_load_explicit(&inst->n_ready, memory_order_relaxed) == 0)
        return NULL;
    pthread_mutex_lock(&inst->mu);
    s = inst->ready_head;
    if (s != NULL) {
        inst->ready_head = s->next;
        if (inst->ready_head == NULL)
            inst->ready_tail = NULL;
        s->next = NULL;
        atomic_fetch_sub_explicit(&inst->n_ready, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&inst->mu);
    return s;
}

bool aj__sched_delay(aj_instance *inst, aj__step *s, int64_t due_ns)
{
    aj_runtime *rt = inst->rt;

    pthread_mutex_lock(&rt->mu);
    /* Checked under rt->mu: a cancel either sees this timer or is seen. */
    if (atomic_load(&inst->cancelled)) {
        pthread_mutex_unlock(&rt->mu);
        return false;
    }
    s->due_ns = due_ns;
    s->in_timer = true;
    aj__timer_insert(&rt->timers, s);
    atomic_fetch_add(&inst->n_delayed, 1);
    if (rt->timers == s) {
        timers_changed_locked(rt);
        if (rt->n_parked > 0)
            pthread_cond_signal(&rt->work_cv);
    }
    pthread_mutex_unlock(&rt->mu);
    /* A waiter blocked without a time limit must learn of the new timer. */
    if (atomic_load(&inst->n_waiting) > 0) {
        pthread_mutex_lock(&inst->mu);
        pthread_cond_broadcast(&inst->cv);
        pthread_mutex_unlock(&inst->mu);
    }
    return true;
}

bool aj__sched_sleep(aj_instance *inst, int64_t due_ns)
{
    bool cancelled;

    pthread_mutex_lock(&inst->mu);
    while (!(cancelled = atomic_load(&inst->cancelled)) && aj_now_ns() < due_ns)
        cond_wait_until(&inst->cv, &inst->mu, due_ns);
    pthread_mutex_unlock(&inst->mu);
    return cancelled;
}

/* Takes the instance's steps out of the timer heap. */
static aj__step *cut_timers(aj_instance *inst)
{
    aj_runtime *rt = inst->rt;
    aj__step *cut = NULL;

    if (rt == NULL)
        return NULL;
    pthread_mutex_lock(&rt->mu);
    for (uint32_t i = 0; i < inst->def->n_steps && atomic_load(&inst->n_delayed) > 0; i++) {
        aj__step *s = &inst->steps[i];
        if (!s->in_timer)
            continue;
        timer_unlink_locked(rt, s);
        s->next = cut;
        cut = s;
    }
    pthread_mutex_unlock(&rt->mu);
    return cut;
}

void aj__sched_cancel(aj_instance *inst)
{
    aj__step *cut, *drained;
    int64_t now;

    if (atomic_exchange(&inst->cancelled, true))
        return;
    cut = cut_timers(inst);
    pthread_mutex_lock(&inst->mu);
    drained = inst->ready_head;
    inst->ready_head = inst->ready_tail = NULL;
    atomic_store_explicit(&inst->n_ready, 0, memory_order_relaxed);
    pthread_cond_broadcast(&inst->cv);
    pthread_mutex_unlock(&inst->mu);
    now = aj_now_ns();
    /* These steps are ours now; what they release is cancelled too, so no
     * step comes back runnable. */
    for (aj__step *lists[2] = { cut, drained }, **l = lists; l < lists + 2; l++) {
        while (*l != NULL) {
            aj__step *s = *l;
            *l = s->next;
            s->next = NULL;
            aj__exec_cancel_step(s, now);
        }
    }
}

void aj__sched_done(aj_instance *inst)
{
    aj_runtime *rt = inst->sequential ? NULL : inst->rt;

    if (atomic_load(&inst->n_waiting) > 0) {
        pthread_mutex_lock(&inst->mu);
        pthread_cond_broadcast(&inst->cv);
        pthread_mutex_unlock(&inst->mu);
    }
    if (rt != NULL) {
        pthread_mutex_lock(&rt->mu);
        /* Nothing enqueues a final instance again, and it may outlive rt. */
        if (inst->in_rq)
            rq_unlink_locked(rt, inst);
        if (--rt->n_live == 0 && rt->freeing)
            pthread_cond_broadcast(&rt->idle_cv);
        pthread_mutex_unlock(&rt->mu);
    }
}

/* A timer of this instance that is due, or NULL and *next_due_ns. */
static aj__step *own_timer(aj_instance *inst, int64_t now_ns, int64_t *next_due_ns)
{
    aj_runtime *rt = inst->rt;
    aj__step *due = NULL;

    *next_due_ns = INT64_MAX;
    if (rt == NULL || atomic_load(&inst->n_delayed) == 0)
        return NULL;
    pthread_mutex_lock(&rt->mu);
    for (uint32_t i = 0; i < inst->def->n_steps && due == NULL; i++) {
        aj__step *s = &inst->steps[i];
        if (!s->in_timer)
            continue;
        if (s->due_ns <= now_ns) {
            timer_unlink_locked(rt, s);
            due = s;
        } else if (s->due_ns < *next_due_ns) {
            *next_due_ns = s->due_ns;
        }
    }
    pthread_mutex_unlock(&rt->mu);
    return due;
}

/* Sleeps until something may have changed: a ready step, the end, a new
 * timer, until_ns. */
static void block(aj_instance *inst, uint32_t delayed_seen, int64_t until_ns)
{
    pthread_mutex_lock(&inst->mu);
    atomic_fetch_add(&inst->n_waiting, 1);
    if (!aj__inst_done(inst) && inst->ready_head == NULL &&
        atomic_load(&inst->n_delayed) == delayed_seen)
        cond_wait_until(&inst->cv, &inst->mu, until_ns);
    atomic_fetch_sub(&inst->n_waiting, 1);
    pthread_mutex_unlock(&inst->mu);
}

int aj__sched_wait(aj_instance *inst, int64_t deadline_ns)
{
    for (;;) {
        aj__step *s;
        int64_t now, next_due;
        uint32_t delayed;

        if (aj__inst_done(inst))
            return AJ_OK;
        if ((s = aj__sched_pop(inst)) != NULL) {
            aj__exec_run(inst, s);
            continue;
        }
        now = aj_now_ns();
        delayed = atomic_load(&inst->n_delayed);
        if ((s = own_timer(inst, now, &next_due)) != NULL) {
            aj__exec_run(inst, s);
            continue;
        }
        if (now >= deadline_ns)
            return AJ_ETIMEDOUT;
        block(inst, delayed, next_due < deadline_ns ? next_due : deadline_ns);
    }
}

void aj__sched_release(aj_instance *inst)
{
    /* aj__sched_done took it out of the runtime queue; holders leave
     * within a few instructions of the end. */
    while (atomic_load_explicit(&inst->holders, memory_order_acquire) != 0)
        sched_yield();
}
