/*
 * pool.c: the runtime's worker threads, and the process-wide default
 * runtime. A worker only moves between three things: a due timer (it runs
 * that step), an instance in the runtime queue whose grace has passed (it
 * runs what it can of that instance, as a runner of exec.c), and rest.
 *
 * DESIGN
 * Resting comes in stages. A worker with nothing to do first spins for
 * SPIN_NS (LIVE_SPIN_NS while instances run: their waiters are about to
 * start the next one, or to share steps), reading two atomics (when the queue's head may be taken, the
 * next timer) without the lock and yielding now and then; a thread that
 * queues work sees n_spinning > 0 and skips the wake-up, which costs the
 * waker several microseconds on a VM and the woken tens. Then it parks on
 * work_cv, under rt->mu, after looking at the queue once more: a pusher
 * changes the queue and reads n_parked/n_spinning/sentinel under the same
 * lock, so no wake-up is lost. While instances keep starting (within
 * WARM_NS of the last start), one parked worker is the sentinel: it wakes
 * every POLL_NS to look at the queue, so that starting an instance never
 * pays for a wake-up. Parked workers sleep until the earliest timer when
 * there is one. A worker leaves only when stopping is set, which
 * aj_runtime_free does once every instance started on the runtime is
 * final. Lock order: a worker holds rt->mu only between runs and drops it
 * before it drains an instance, whose inst->mu comes first (sched.c).
 */
#include "aj_exec.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#define SPIN_NS 50000       /* a worker spins this long before parking, */
#define LIVE_SPIN_NS 1000000 /* or this long while instances run */
#define POLL_NS 250000      /* the sentinel looks at the queue this often */
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

/* When a spin started at start_ns should end: SPIN_NS, longer while
 * instances run (their steps may soon be shared, the next one started), or
 * until the grace of an instance that soon may be taken. */
static int64_t spin_end(aj_runtime *rt, int64_t start_ns)
{
    int64_t visible = atomic_load_explicit(&rt->rq_visible_ns, memory_order_relaxed);
    int64_t until = start_ns + (atomic_load_explicit(&rt->n_live, memory_order_relaxed) > 0
                                    ? LIVE_SPIN_NS
                                    : SPIN_NS);

    return visible > until && visible - start_ns <= LIVE_SPIN_NS ? visible : until;
}

/* Spins for work with rt->mu released. Returns with it held. */
static void spin(aj_runtime *rt)
{
    int64_t start = aj_now_ns(), now = start;

    atomic_fetch_add(&rt->n_spinning, 1);
    pthread_mutex_unlock(&rt->mu);
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&rt->rq_visible_ns, memory_order_relaxed) <= now ||
            atomic_load_explicit(&rt->next_due, memory_order_relaxed) <= now)
            break;
        if (i % 16 == 0 && (now = aj_now_ns()) >= spin_end(rt, start))
            break;
        if (i % 256 == 0)
            sched_yield();
        aj__cpu_relax();
    }
    pthread_mutex_lock(&rt->mu);
    atomic_fetch_sub(&rt->n_spinning, 1);
}

/* Parks until woken, the next timer, or the sentinel's next look. Returns
 * true when a wake-up ended it. */
static bool park(aj_runtime *rt)
{
    int64_t now = aj_now_ns(), due = rt->timers != NULL ? rt->timers->due_ns : INT64_MAX;
    bool sentinel = !rt->sentinel && now - rt->last_start_ns < WARM_NS;
    int rc;

    if (sentinel) {
        rt->sentinel = true;
        due = due < now + POLL_NS ? due : now + POLL_NS;
    }
    rt->n_parked++;
    rc = aj__cond_wait_until(&rt->work_cv, &rt->mu, due);
    rt->n_parked--;
    if (sentinel)
        rt->sentinel = false;
    return rc == 0;
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

static void *worker_main(void *arg)
{
    aj_runtime *rt = arg;
    bool spin_next = true;

    pthread_mutex_lock(&rt->mu);
    for (;;) {
        if (work_once(rt)) {
            spin_next = true;
            continue;
        }
        if (rt->stopping)
            break;
        /* Spin after work or a wake-up; a sentinel's look finding nothing
         * parks again at once. */
        if (spin_next) {
            spin(rt);
            spin_next = false;
        } else {
            spin_next = park(rt);
        }
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
