/*
 * sched.c: where runnable steps wait and who is told about them. Steps a
 * runner makes runnable stay with it (exec.c); what other threads may take
 * is an instance's unclaimed roots and its shared ready list. The runtime
 * has a queue of instances with such work, a timer heap of steps waiting
 * out a retry delay, and parked workers to wake. Nothing here runs a step
 * or decides a state: runners (exec.c), workers (pool.c) and waiters
 * (wait.c) call in to put steps down and pick them up.
 *
 * DESIGN
 * Lock order: inst->mu, then rt->mu; never the other way round.
 * - inst->mu guards the shared ready list and the waiting on inst->cv.
 * - rt->mu guards the instance queue, the timer heap (and every step's
 *   in_timer), the parked count, the sentinel and the stop flag. An async
 *   attempt's deadline (AJ__TIMER_DEADLINE) expires under it too, so that
 *   disarming it (under it) leaves no expiry in flight for a later
 *   attempt.
 * Locality first. A new instance joins the queue with a grace period
 * (GRACE_NS): its waiter, which runs the instance's steps itself, usually
 * comes and takes everything before any worker may, so the instance never
 * moves between cores. A spinning worker waits out the grace; a wake-up
 * is never spent on a new instance while a worker spins or the sentinel
 * (one parked worker that polls every POLL_NS while instances start)
 * will see it anyway. Roots are claimed from a cursor in runs sized to
 * about BATCH_NS of work, one at a time while steps are long, so that
 * long steps spread over every thread. Steps a runner made runnable are
 * offered to others (the shared list, at the head of the queue, with a
 * wake-up) once they have waited AJ__SHARE_NS (aj_exec.h), and all of them
 * before a step when the last one took that long: steps that wait (on
 * I/O, say) then run side by side, while short steps never leave their
 * core. Waiters and finishers meet through n_waiting and n_final, both
 * seq_cst, so that neither a wake-up nor the end is missed without a lock
 * on the fast path.
 * Lifetime: once n_final reaches n_steps the owner may free the instance.
 * Any other thread that may touch an instance after that point holds it
 * (holders): workers while they drain it or run one of its timers,
 * blocking threads while they run one of its steps (blocking.c), and
 * aj_instance_cancel. A worker takes its hold under rt->mu as it pops the
 * instance from the queue, and an instance may end while still queued, so
 * aj__wait_release (wait.c) waits until it is out of the queue and
 * holders is 0. The runtime outlives an instance until its n_live
 * decrement, the finisher's last touch of the runtime.
 */
#include "aj_queue.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#define GRACE_NS 50000      /* a new instance is the waiter's alone this long */
#define BATCH_NS 2000       /* a run of roots is about this much work */
#define MAX_BATCH 64        /* roots claimed at once, at most */
#define POP_MORE 64         /* elements taken from the shared list at once, at most */

/* ------------------------------------------------------------------------ */
/* The runtime queue                                                         */

static void rq_changed_locked(aj_runtime *rt)
{
    atomic_store(&rt->rq_visible_ns, rt->rq_head != NULL ? rt->rq_head->visible_ns : INT64_MAX);
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
    /* Release: an owner that reads false sees the hold a pop took first. */
    atomic_store_explicit(&inst->in_rq, false, memory_order_release);
    rq_changed_locked(rt);
}

/* Queues inst for the workers. Work to take now goes first; a new
 * instance goes last, so the queue stays ordered by visible_ns. */
static void rq_push_locked(aj_runtime *rt, aj_instance *inst, bool now)
{
    if (atomic_load_explicit(&inst->in_rq, memory_order_relaxed)) {
        if (!now || inst->visible_ns == 0)
            return;
        rq_unlink_locked(rt, inst);
    }
    inst->visible_ns = now ? 0 : aj__add_sat(inst->start_ns, GRACE_NS);
    inst->rq_prev = now ? NULL : rt->rq_tail;
    inst->rq_next = now ? rt->rq_head : NULL;
    if (inst->rq_prev != NULL)
        inst->rq_prev->rq_next = inst;
    else
        rt->rq_head = inst;
    if (inst->rq_next != NULL)
        inst->rq_next->rq_prev = inst;
    else
        rt->rq_tail = inst;
    atomic_store_explicit(&inst->in_rq, true, memory_order_relaxed);
    rq_changed_locked(rt);
}

/* Someone will look at the queue soon: a spinning worker, or the sentinel;
 * else a parked worker is woken. */
void aj__sched_wake_locked(aj_runtime *rt)
{
    if (rt->n_parked > 0 && !rt->sentinel && atomic_load(&rt->n_spinning) == 0)
        pthread_cond_signal(&rt->work_cv);
}

/* Work waiting now: wake a parked worker unless one spins. */
static void wake_now_locked(aj_runtime *rt)
{
    if (rt->n_parked > 0 && atomic_load(&rt->n_spinning) == 0)
        pthread_cond_signal(&rt->work_cv);
}

/* inst has work to take now: at the head of the queue, and a parked
 * worker woken unless one spins. */
static void queue_now_locked(aj_runtime *rt, aj_instance *inst)
{
    rq_push_locked(rt, inst, true);
    wake_now_locked(rt);
}

aj_instance *aj__sched_rq_pop(aj_runtime *rt, int64_t now_ns)
{
    aj_instance *inst = rt->rq_head;

    if (inst == NULL || inst->visible_ns > now_ns)
        return NULL;
    /* Held before it leaves the queue: aj__wait_release waits for both. */
    atomic_fetch_add_explicit(&inst->holders, 1, memory_order_relaxed);
    rq_unlink_locked(rt, inst);
    /* More work waits: pass the wake-up on rather than serialise. A new
     * instance still in its grace was pushed without one, for the spinner
     * or the sentinel that took this one: someone must look once its
     * grace ends (a worker woken now parks as the sentinel). */
    if (rt->rq_head != NULL && rt->rq_head->visible_ns <= now_ns)
        wake_now_locked(rt);
    else if (rt->rq_head != NULL)
        aj__sched_wake_locked(rt);
    return inst;
}

void aj__sched_unhold(aj_instance *inst)
{
    uint32_t was = atomic_fetch_sub_explicit(&inst->holders, 1, memory_order_release);

    /* A release without its hold: the owner would wait for ever. */
    assert(was > 0);
    (void)was;
}

/* ------------------------------------------------------------------------ */
/* Starting, roots and the shared ready list                                 */

void aj__sched_live(aj_instance *inst)
{
    if (inst->rt != NULL && inst->def->n_steps > 0)
        atomic_fetch_add_explicit(&inst->rt->n_live, 1, memory_order_relaxed);
}

void aj__sched_start(aj_instance *inst)
{
    aj_runtime *rt = inst->rt;

    if (inst->def->n_steps == 0)
        return;
    pthread_mutex_lock(&rt->mu);
    rt->last_start_ns = inst->start_ns;
    rq_push_locked(rt, inst, false);
    aj__sched_wake_locked(rt);
    pthread_mutex_unlock(&rt->mu);
}

void aj__sched_hand_over(aj_instance *inst)
{
    aj_runtime *rt = inst->rt;

    if (rt == NULL || !atomic_load_explicit(&inst->in_rq, memory_order_acquire))
        return;
    pthread_mutex_lock(&rt->mu);
    /* Still queued under rt->mu, so aj__sched_done has yet to unlink it. */
    if (atomic_load_explicit(&inst->in_rq, memory_order_relaxed))
        queue_now_locked(rt, inst);
    pthread_mutex_unlock(&rt->mu);
}

/* Every root is claimed: the queue needs the instance no more, unless it
 * was queued again (visible at once) for steps shared since. */
static void retire(aj_instance *inst)
{
    aj_runtime *rt = inst->rt;

    if (rt == NULL || !atomic_load_explicit(&inst->in_rq, memory_order_relaxed))
        return;
    pthread_mutex_lock(&rt->mu);
    if (atomic_load_explicit(&inst->in_rq, memory_order_relaxed) && inst->visible_ns != 0)
        rq_unlink_locked(rt, inst);
    pthread_mutex_unlock(&rt->mu);
}

/* Long roots remain: the instance goes back to the head of the queue,
 * to be taken at once, and a parked worker is woken unless one spins.
 * A worker that takes an instance takes it out of the queue, so without
 * this the parked ones would never hear of the roots left; each thread
 * that joins does the same at its first claim (roots_long), so that the
 * workers join one after another, a wake-up apart. Only while fewer
 * threads run the instance than the runtime has workers: its waiter may
 * be one of them, and a thread more than the cores would only take turns
 * with the others (bench W5). */
static void offer_roots(aj_instance *inst)
{
    aj_runtime *rt = inst->rt;

    if (rt == NULL || inst->sequential ||
        atomic_load_explicit(&inst->runners, memory_order_relaxed) >> 1 >= rt->n_workers)
        return;
    pthread_mutex_lock(&rt->mu);
    queue_now_locked(rt, inst);
    pthread_mutex_unlock(&rt->mu);
}

bool aj__sched_claim_roots(aj__runner *r)
{
    aj_instance *inst = r->inst;
    uint32_t n_roots = inst->def->n_roots, want = 1, first;
    bool roots_long;

    if (atomic_load_explicit(&inst->next_root, memory_order_relaxed) >= n_roots)
        return false;
    /* About BATCH_NS of work at the pace of the last step; one at a time
     * until a step has been timed. */
    if (r->step_ns >= 0)
        want = r->step_ns * MAX_BATCH <= BATCH_NS ? MAX_BATCH
                                                  : (uint32_t)(BATCH_NS / (r->step_ns + 1)) + 1;
    first = atomic_fetch_add_explicit(&inst->next_root, want, memory_order_relaxed);
    if (first >= n_roots)
        return false;
    r->root = first;
    r->root_end = n_roots - first > want ? first + want : n_roots;
    if (r->root_end == n_roots) {
        retire(inst);
        return true;
    }
    roots_long = atomic_load_explicit(&inst->roots_long, memory_order_relaxed);
    if (!roots_long && r->step_ns >= AJ__SHARE_NS)
        atomic_store_explicit(&inst->roots_long, roots_long = true, memory_order_relaxed);
    if (roots_long)
        offer_roots(inst);
    return true;
}

/* Appends list .. tail (n steps, linked by next) to the shared list, then
 * queues the instance for the workers at once. */
static void share(aj_instance *inst, aj__step *list, aj__step *tail, uint32_t n)
{
    aj_runtime *rt = inst->rt;

    tail->next = NULL;
    pthread_mutex_lock(&inst->mu);
    if (inst->ready_tail != NULL)
        inst->ready_tail->next = list;
    else
        inst->ready_head = list;
    inst->ready_tail = tail;
    atomic_fetch_add_explicit(&inst->n_ready, n, memory_order_relaxed);
    if (atomic_load(&inst->n_waiting) > 0)
        pthread_cond_signal(&inst->cv);
    pthread_mutex_lock(&rt->mu);
    queue_now_locked(rt, inst);
    pthread_mutex_unlock(&rt->mu);
    pthread_mutex_unlock(&inst->mu);
}

void aj__sched_offer(aj__runner *r, uint32_t keep)
{
    aj__step *first = r->stack, *last_kept = NULL, *tail;

    if (r->inst->rt == NULL || r->inst->sequential || keep >= r->n_stack)
        return;
    /* Keep the newest steps (the top), give away the older ones. */
    for (uint32_t k = 0; k < keep; k++) {
        last_kept = first;
        first = first->next;
    }
    for (tail = first; tail->next != NULL;)
        tail = tail->next;
    share(r->inst, first, tail, r->n_stack - keep);
    if (last_kept != NULL)
        last_kept->next = NULL;
    else
        r->stack = NULL;
    r->n_stack = keep;
    r->stack_since_ns = r->now_ns;
}

void aj__sched_pop_more(aj__runner *r)
{
    aj_instance *inst = r->inst;
    aj__step *list = NULL;
    uint32_t n = atomic_load_explicit(&inst->n_ready, memory_order_relaxed) / 2;

    if (n == 0)
        return;
    if (n > POP_MORE)
        n = POP_MORE;
    pthread_mutex_lock(&inst->mu);
    for (uint32_t k = 0; k < n && inst->ready_head != NULL; k++) {
        aj__step *s = inst->ready_head;
        inst->ready_head = s->next;
        s->next = list;
        list = s;
        atomic_fetch_sub_explicit(&inst->n_ready, 1, memory_order_relaxed);
    }
    if (inst->ready_head == NULL)
        inst->ready_tail = NULL;
    pthread_mutex_unlock(&inst->mu);
    aj__runner_adopt(r, list);
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

/* ------------------------------------------------------------------------ */
/* Timers                                                                    */


static void timers_changed_locked(aj_runtime *rt)
{
    atomic_store(&rt->next_due, rt->timers != NULL ? rt->timers->due_ns : INT64_MAX);
}

static void timer_unlink_locked(aj_runtime *rt, aj__step *s)
{
    aj__timer_remove(&rt->timers, aj__step_timer(s));
    s->in_timer = 0;
    atomic_fetch_sub(&s->inst->n_delayed, 1);
    timers_changed_locked(rt);
}

/* Takes s's due timer out of the heap: true when the caller now owns s,
 * which is always so for a retry. A deadline expires the async attempt,
 * and its step is the caller's only if that ends the attempt. */
static bool timer_take_locked(aj_runtime *rt, aj__step *s)
{
    bool deadline = s->in_timer == AJ__TIMER_DEADLINE;

    timer_unlink_locked(rt, s);
    return !deadline || aj__async_expire(s);
}

aj__step *aj__sched_timer_pop(aj_runtime *rt, int64_t now_ns)
{
    while (rt->timers != NULL && rt->timers->due_ns <= now_ns) {
        aj__step *s = rt->timers->item;
        if (!timer_take_locked(rt, s))
            continue;
        atomic_fetch_add_explicit(&s->inst->holders, 1, memory_order_relaxed);
        return s;
    }
    return NULL;
}

/* Puts s's node in the heap until due_ns, as kind; with rt->mu held. */
static void timer_insert_locked(aj_runtime *rt, aj__step *s, int64_t due_ns, uint8_t kind)
{
    aj__timer *t = aj__step_timer(s);

    t->due_ns = due_ns;
    t->item = s;
    s->in_timer = kind;
    aj__timer_insert(&rt->timers, t);
    atomic_fetch_add(&s->inst->n_delayed, 1);
    if (rt->timers == t) {
        timers_changed_locked(rt);
        if (rt->n_parked > 0)
            pthread_cond_signal(&rt->work_cv);
    }
}

void aj__sched_arm(aj_instance *inst, aj__step *s, int64_t due_ns)
{
    aj_runtime *rt = inst->rt;

    pthread_mutex_lock(&rt->mu);
    timer_insert_locked(rt, s, due_ns, AJ__TIMER_DEADLINE);
    pthread_mutex_unlock(&rt->mu);
}

void aj__sched_disarm(aj_instance *inst, aj__step *s)
{
    aj_runtime *rt = inst->rt;

    pthread_mutex_lock(&rt->mu);
    if (s->in_timer == AJ__TIMER_DEADLINE)
        timer_unlink_locked(rt, s);
    pthread_mutex_unlock(&rt->mu);
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
    timer_insert_locked(rt, s, due_ns, AJ__TIMER_RETRY);
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
        aj__cond_wait_until(&inst->cv, &inst->mu, due_ns);
    pthread_mutex_unlock(&inst->mu);
    return cancelled;
}

/* s, waiting out a retry delay in the heap, goes on cut; with rt->mu. */
static aj__step *cut_retry_locked(aj_runtime *rt, aj__step *s, aj__step *cut)
{
    if (s->in_timer != AJ__TIMER_RETRY)
        return cut;
    timer_unlink_locked(rt, s);
    s->next = cut;
    return s;
}

/* Takes the instance's steps out of the timer heap, but for the deadlines
 * of async attempts, which end when their done comes or they expire. */
static aj__step *cut_timers(aj_instance *inst)
{
    aj_runtime *rt = inst->rt;
    aj__step *cut = NULL;

    if (rt == NULL)
        return NULL;
    pthread_mutex_lock(&rt->mu);
    for (uint32_t i = 0; i < inst->def->n_steps && atomic_load(&inst->n_delayed) > 0; i++)
        cut = cut_retry_locked(rt, &inst->steps[i], cut);
    /* Elements of mapped steps wait in the heap as steps do. */
    uint32_t k = 0;
    size_t e = 0;
    for (aj__step *s; atomic_load(&inst->n_delayed) > 0 && (s = aj__inst_next_elem(inst, &k, &e));)
        cut = cut_retry_locked(rt, s, cut);
    pthread_mutex_unlock(&rt->mu);
    return cut;
}

/* s if its timer is due and taking it makes s the caller's; else NULL,
 * with *next_due_ns lowered to its due time; with rt->mu. */
static aj__step *own_due_locked(aj_runtime *rt, aj__step *s, int64_t now_ns,
                                int64_t *next_due_ns)
{
    int64_t at = aj__step_timer(s)->due_ns;

    if (!s->in_timer)
        return NULL;
    if (at <= now_ns)
        return timer_take_locked(rt, s) ? s : NULL;
    if (at < *next_due_ns)
        *next_due_ns = at;
    return NULL;
}

aj__step *aj__sched_own_timer(aj_instance *inst, int64_t now_ns, int64_t *next_due_ns)
{
    aj_runtime *rt = inst->rt;
    aj__step *due = NULL;

    *next_due_ns = INT64_MAX;
    if (rt == NULL || atomic_load(&inst->n_delayed) == 0)
        return NULL;
    pthread_mutex_lock(&rt->mu);
    for (uint32_t i = 0; i < inst->def->n_steps && due == NULL; i++)
        due = own_due_locked(rt, &inst->steps[i], now_ns, next_due_ns);
    uint32_t k = 0;
    size_t e = 0;
    for (aj__step *s; due == NULL && (s = aj__inst_next_elem(inst, &k, &e)) != NULL;)
        due = own_due_locked(rt, s, now_ns, next_due_ns);
    pthread_mutex_unlock(&rt->mu);
    return due;
}

/* ------------------------------------------------------------------------ */
/* Cancelling and ending                                                     */

void aj__sched_take_all(aj__runner *r)
{
    aj_instance *inst = r->inst;
    uint32_t n_roots = inst->def->n_roots, first;

    aj__runner_adopt(r, cut_timers(inst));
    pthread_mutex_lock(&inst->mu);
    aj__runner_adopt(r, inst->ready_head);
    inst->ready_head = inst->ready_tail = NULL;
    atomic_store_explicit(&inst->n_ready, 0, memory_order_relaxed);
    /* A waiter blocked on cv sees the cancel. */
    pthread_cond_broadcast(&inst->cv);
    pthread_mutex_unlock(&inst->mu);
    /* The roots r claimed and has not run yet go on its stack, so that the
     * rest of the cursor can take their place. */
    for (; r->root < r->root_end; r->root++) {
        aj__step *s = &inst->steps[inst->def->order[r->root]];
        s->next = NULL;
        aj__runner_adopt(r, s);
    }
    first = atomic_exchange_explicit(&inst->next_root, n_roots, memory_order_relaxed);
    if (first < n_roots) {
        r->root = first;
        r->root_end = n_roots;
    }
}

void aj__sched_done(aj_instance *inst)
{
    aj_runtime *rt = inst->rt;

    /* Nothing queues a final instance again, and it may outlive rt. */
    if (rt != NULL && atomic_load_explicit(&inst->in_rq, memory_order_relaxed)) {
        pthread_mutex_lock(&rt->mu);
        if (atomic_load_explicit(&inst->in_rq, memory_order_relaxed))
            rq_unlink_locked(rt, inst);
        pthread_mutex_unlock(&rt->mu);
    }
    if (atomic_load(&inst->n_waiting) > 0) {
        pthread_mutex_lock(&inst->mu);
        pthread_cond_broadcast(&inst->cv);
        pthread_mutex_unlock(&inst->mu);
    }
    /* The last touch of rt: aj_runtime_free may free it once n_live is 0. */
    if (rt != NULL)
        atomic_fetch_sub_explicit(&rt->n_live, 1, memory_order_release);
    /* Last: everything wait reads is final and waiters are woken; rt is
     * touched no more, so a thread the callback tells may free both. */
    aj__inst_on_done(inst);
}
