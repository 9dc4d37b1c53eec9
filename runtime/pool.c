/*
 * pool.c: the runtime's worker threads, and the process-wide default
 * runtime. A worker only moves between three things: a due timer (it runs
 * that step), an instance in the runtime queue whose grace has passed (it
 * runs what it can of that instance, as a runner of exec.c), and rest.
 *
 * DESIGN
 * Resting comes in stages, and each must pay for itself (spin.c). A
 * worker out of work first spins, reading two atomics (when the queue's
 * head may be taken, the next timer) without the lock, for as long as the
 * workers' spin budget says: up to AJ__SPIN_MAX_NS while work has lately
 * come that soon after a worker ran out of it (steps shared within an
 * instance, the next instance of a tight loop), a token microsecond when
 * it comes in milliseconds or not at all, and not at all once half the
 * workers spin already (Go's scheduler caps its spinning threads the same
 * way: more of them only burn CPU). A thread that queues work sees
 * n_spinning > 0 and skips the wake-up. Then the worker parks on work_cv,
 * under rt->mu, after looking at the queue once more: a pusher changes
 * the queue and reads n_parked/n_spinning/sentinel under the same lock,
 * so no wake-up is lost. While instances keep starting (within WARM_NS of
 * the last start), one parked worker is the sentinel: it wakes now and
 * then to look at the queue, so that starting an instance never pays for
 * a wake-up. Its period starts at POLL_NS and doubles, up to POLL_MAX_NS,
 * each time it finds nothing (the instances' own waiters ran them): an
 * instance started and left alone is then taken within POLL_MAX_NS, after
 * which the period is short again. Parked workers sleep until the
 * earliest timer when there is one. A worker leaves only when stopping is
 * set, which aj_runtime_free does once every instance started on the
 * runtime is final. Lock order: a worker holds rt->mu only between runs
 * and drops it before it drains an instance, whose inst->mu comes first
 * (sched.c).
 */
#include "aj_exec.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#define POLL_NS 250000      /* the sentinel's first period, */
#define POLL_MAX_NS 4000000 /* and its longest */
#define WARM_NS 50000000    /* there is a sentinel this long after a start */
#define MAX_WORKERS 1024

/* Runs what this thread can get of inst, starting with s if not NULL, then
 * lets go of it. */
static void drain(aj_instance *inst, aj__step *s)
{
    aj__runner r;

    aj__runner_init(&r, inst);
    if (s != NULL) {
        s->next = NULL;
        r.stack = s;
        r.n_stack = 1;
        r.stack_since_ns = r.now_ns;
    }
    aj__exec_drain(&r);
    aj__sched_unhold(inst);
}

/* Something for a spinning worker: the queue's head may be taken, or a
 * timer is due. */
static bool work_seen(void *arg)
{
    aj_runtime *rt = arg;
    int64_t now = aj__now_ns();

    return atomic_load_explicit(&rt->rq_visible_ns, memory_order_relaxed) <= now ||
           atomic_load_explicit(&rt->next_due, memory_order_relaxed) <= now;
}

/* Spins for work with rt->mu released, unless enough workers spin
 * already. Returns with it held. */
static void spin(aj_runtime *rt)
{
    unsigned cap = rt->n_workers > 1 ? rt->n_workers / 2 : 1;
    int64_t budget = aj__spin_budget(&rt->spin);

    if (atomic_fetch_add(&rt->n_spinning, 1) >= cap) {
        atomic_fetch_sub(&rt->n_spinning, 1);
        return;
    }
    pthread_mutex_unlock(&rt->mu);
    (void)aj__spin_until(&rt->spin, work_seen, rt, aj_now_ns() + budget);
    pthread_mutex_lock(&rt->mu);
    atomic_fetch_sub(&rt->n_spinning, 1);
}

/* Parks until woken, the next timer, or the sentinel's next look. Returns
 * true when a wake-up ended it; *looked: it was the sentinel's look. */
static bool park(aj_runtime *rt, bool *looked)
{
    int64_t now = aj_now_ns(), due = rt->timers != NULL ? rt->timers->due_ns : INT64_MAX;
    bool sentinel = false;
    int rc;

    if (now - rt->last_start_ns >= WARM_NS)
        rt->poll_ns = POLL_NS;   /* the next start begins afresh */
    else if (!rt->sentinel) {
        sentinel = rt->sentinel = true;
        due = due < now + rt->poll_ns ? due : now + rt->poll_ns;
    }
    rt->n_parked++;
    rc = aj__cond_wait_until(&rt->work_cv, &rt->mu, due);
    rt->n_parked--;
    if (sentinel)
        rt->sentinel = false;
    *looked = sentinel && rc != 0;
    return rc == 0;
}

/* After the sentinel's look: short periods while it finds instances left
 * to the workers, longer ones while their waiters run them all. */
static void sentinel_learn(aj_runtime *rt, bool found)
{
    if (found)
        rt->poll_ns = POLL_NS;
    else if (rt->poll_ns < POLL_MAX_NS)
        rt->poll_ns *= 2;
}

/* One step of the worker loop, with rt->mu held: false when there was
 * nothing to do. */
static bool work_once(aj_runtime *rt)
{
    int64_t now = aj_now_ns();
    aj_instance *inst;
    aj__step *s;

    if (rt->timers != NULL && (s = aj__sched_timer_pop(rt, now)) != NULL) {
        pthread_mutex_unlock(&rt->mu);
        drain(s->inst, s);
        pthread_mutex_lock(&rt->mu);
        return true;
    }
    if ((inst = aj__sched_rq_pop(rt, now)) != NULL) {
        pthread_mutex_unlock(&rt->mu);
        drain(inst, NULL);
        pthread_mutex_lock(&rt->mu);
        return true;
    }
    return false;
}

/* With rt->mu held: work_once would find something. */
static bool work_once_ready(aj_runtime *rt)
{
    int64_t now = aj_now_ns();

    return (rt->timers != NULL && rt->timers->due_ns <= now) ||
           (rt->rq_head != NULL && rt->rq_head->visible_ns <= now);
}

/* Rests with rt->mu held: spins when the last rest ended with work or a
 * wake-up, else parks. A spin that saw nothing returns too, so that the
 * loop looks at the queue under the lock (a pusher skipped the wake-up
 * for this spinner) and at stopping before it parks. Returns whether the
 * next rest may spin. */
static bool rest(aj_runtime *rt, bool spin_next, int64_t *idle_since)
{
    bool woken, looked;

    if (*idle_since == 0)
        *idle_since = aj_now_ns();
    if (spin_next) {
        (void)spin(rt);
        return false;
    }
    woken = park(rt, &looked);
    if (looked)
        sentinel_learn(rt, work_once_ready(rt));
    return woken;
}

static void *worker_main(void *arg)
{
    aj_runtime *rt = arg;
    bool spin_next = true;
    int64_t idle_since = 0;   /* when this worker last ran out of work */

    aj__spin_init(&rt->spin);
    aj__spin_init(&rt->wait_spin);
    pthread_mutex_lock(&rt->mu);
    if (rt->poll_ns == 0)
        rt->poll_ns = POLL_NS;
    for (;;) {
        if (work_once(rt)) {
            /* How long work took to come, from the first rest on. */
            if (idle_since != 0)
                aj__spin_learn(&rt->spin, aj_now_ns() - idle_since);
            idle_since = 0;
            spin_next = true;
            continue;
        }
        if (rt->stopping)
            break;
        spin_next = rest(rt, spin_next, &idle_since);
    }
    pthread_mutex_unlock(&rt->mu);
    return NULL;
}

static unsigned default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
}

/* Stops and joins the threads started so far, then frees rt. */
static void stop_and_free(aj_runtime *rt)
{
    pthread_mutex_lock(&rt->mu);
    rt->stopping = true;
    pthread_cond_broadcast(&rt->work_cv);
    pthread_mutex_unlock(&rt->mu);
    for (unsigned i = 0; i < rt->n_started; i++)
        aj__thread_join(rt->threads[i]);
    aj__blocking_stop(rt);
    aj__canceller_stop(rt);
    aj__limits_free(rt);
    pthread_cond_destroy(&rt->work_cv);
    pthread_mutex_destroy(&rt->mu);
    aj__free(rt);
}

aj_runtime *aj_runtime_new(const aj_runtime_opts *opts)
{
    unsigned n = opts != NULL && opts->n_workers > 0 ? opts->n_workers : default_workers();
    aj_runtime *rt;

    if (n > MAX_WORKERS)
        n = MAX_WORKERS;
    rt = aj__alloc(sizeof *rt + n * sizeof(pthread_t), AJ__CACHE_LINE);
    if (rt == NULL)
        return NULL;
    *rt = (aj_runtime){ .n_workers = n, .last_start_ns = INT64_MIN / 2 };
    atomic_init(&rt->next_due, INT64_MAX);
    atomic_init(&rt->rq_visible_ns, INT64_MAX);
    if (opts != NULL && opts->observer != NULL) {
        rt->obs = *opts->observer;
        rt->has_obs = true;
    }
    aj__mutex_init(&rt->mu);
    aj__cond_init(&rt->work_cv);
    aj__blocking_init(rt, opts);
    aj__limits_init(rt);
    if (aj__canceller_start(rt) != AJ_OK) {
        stop_and_free(rt);
        return NULL;
    }
    for (; rt->n_started < n; rt->n_started++) {
        if (aj__thread_create(&rt->threads[rt->n_started], worker_main, rt) != 0) {
            stop_and_free(rt);
            return NULL;
        }
    }
    return rt;
}

void aj_runtime_free(aj_runtime *rt)
{
    if (rt == NULL)
        return;
    /* The last finisher's decrement of n_live is its last touch of rt, so
     * nobody can signal the end: look every 100 microseconds. */
    while (atomic_load_explicit(&rt->n_live, memory_order_acquire) > 0) {
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
    }
    stop_and_free(rt);
}

/* Process-wide: the default runtime (aj_internal.h lists every such state). */
static _Atomic(aj_runtime *) default_rt;
static pthread_mutex_t default_mu = PTHREAD_MUTEX_INITIALIZER;

/* fork(): only the forking thread goes on in the child, so the parent's
 * default runtime has no workers there; the child forgets it (freeing it
 * would join threads that do not exist) and makes its own on first use.
 * default_mu is held across the fork, so no creation is caught halfway. */
static void before_fork(void)
{
    pthread_mutex_lock(&default_mu);
}

static void in_parent(void)
{
    pthread_mutex_unlock(&default_mu);
}

static void in_child(void)
{
    atomic_store_explicit(&default_rt, NULL, memory_order_relaxed);
    pthread_mutex_unlock(&default_mu);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void watch_fork(void)
{
    (void)pthread_atfork(before_fork, in_parent, in_child);
}

/* Created on first use. Not under pthread_once: a creation that fails for
 * want of memory or threads is tried again by the next use, not
 * remembered for the life of the process. */
aj_runtime *aj__runtime_default(void)
{
    aj_runtime *rt = atomic_load_explicit(&default_rt, memory_order_acquire);

    if (rt != NULL)
        return rt;
    pthread_once(&fork_once, watch_fork);
    pthread_mutex_lock(&default_mu);
    rt = atomic_load_explicit(&default_rt, memory_order_relaxed);
    if (rt == NULL) {
        rt = aj_runtime_new(NULL);
        atomic_store_explicit(&default_rt, rt, memory_order_release);
    }
    pthread_mutex_unlock(&default_mu);
    return rt;
}

unsigned aj_runtime_workers(aj_runtime *rt)
{
    if (rt == NULL)
        rt = aj__runtime_default();
    return rt != NULL ? rt->n_workers : 0;
}
