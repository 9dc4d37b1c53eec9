/*
 * pool.c: the runtime's worker threads, and the process-wide default
 * runtime. A worker only moves between three things: a due timer (it runs
 * that step), an instance in the runtime queue (it runs that instance's
 * ready steps until there are none), and rest. What a step does and what
 * follows it is decided in exec.c and instance.c.
 *
 * DESIGN
 * Resting comes in two stages. A worker with nothing to do first spins for
 * a few tens of microseconds, reading two atomics (queue length, next
 * timer) without the lock and yielding now and then; a thread that pushes
 * work sees n_spinning > 0 and skips the wake-up, which costs tens of
 * microseconds on a VM. Only then does it park on work_cv, under rt->mu,
 * after looking at the queue once more: a pusher changes the queue and
 * reads n_parked/n_spinning under the same lock, so no wake-up is lost.
 * Parked workers sleep until the earliest timer when there is one. A
 * worker leaves only when stopping is set, which aj_runtime_free does once
 * every instance started on the runtime is final.
 */
#include "aj_internal.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#define SPIN_ROUNDS 4096 /* pauses before parking, a yield every 64 */
#define MAX_WORKERS 1024

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Failing to set up a mutex breaks the runtime's invariants: abort, as
 * libuv does. */
void aj__mutex_init(pthread_mutex_t *mu)
{
    if (pthread_mutex_init(mu, NULL) != 0)
        abort();
}

/* Condition variables time out on the monotonic clock. */
void aj__cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t attr;

    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(cv, &attr) != 0)
        abort();
    pthread_condattr_destroy(&attr);
}

static void drain(aj_instance *inst)
{
    aj__step *s;

    while ((s = aj__sched_pop(inst)) != NULL)
        aj__exec_run(inst, s);
    aj__sched_unhold(inst);
}

/* Spins for work with rt->mu released. Returns with it held. */
static void spin(aj_runtime *rt)
{
    atomic_fetch_add(&rt->n_spinning, 1);
    pthread_mutex_unlock(&rt->mu);
    for (unsigned i = 1; i <= SPIN_ROUNDS; i++) {
        if (atomic_load_explicit(&rt->n_rq, memory_order_relaxed) > 0)
            break;
        if (i % 64 == 0) {
            if (atomic_load_explicit(&rt->next_due, memory_order_relaxed) <= aj_now_ns())
                break;
            sched_yield();
        }
        cpu_relax();
    }
    pthread_mutex_lock(&rt->mu);
    atomic_fetch_sub(&rt->n_spinning, 1);
}

static void park(aj_runtime *rt)
{
    struct timespec ts;
    int64_t due = rt->timers != NULL ? rt->timers->due_ns : INT64_MAX;

    rt->n_parked++;
    if (due == INT64_MAX) {
        pthread_cond_wait(&rt->work_cv, &rt->mu);
    } else {
        ts.tv_sec = (time_t)(due / 1000000000);
        ts.tv_nsec = (long)(due % 1000000000);
        pthread_cond_timedwait(&rt->work_cv, &rt->mu, &ts);
    }
    rt->n_parked--;
}

/* One step of the worker loop, with rt->mu held: false when there was
 * nothing to do. */
static bool work_once(aj_runtime *rt)
{
    aj_instance *inst;
    aj__step *s;

    if (rt->timers != NULL && (s = aj__sched_timer_pop(rt, aj_now_ns())) != NULL) {
        inst = s->inst;
        pthread_mutex_unlock(&rt->mu);
        aj__exec_run(inst, s);
        aj__sched_unhold(inst);
        pthread_mutex_lock(&rt->mu);
        return true;
    }
    if ((inst = aj__sched_rq_pop(rt)) != NULL) {
        pthread_mutex_unlock(&rt->mu);
        drain(inst);
        pthread_mutex_lock(&rt->mu);
        return true;
    }
    return false;
}

static void *worker_main(void *arg)
{
    aj_runtime *rt = arg;
    bool rested = false;

    pthread_mutex_lock(&rt->mu);
    for (;;) {
        if (work_once(rt)) {
            rested = false;
            continue;
        }
        if (rt->stopping)
            break;
        /* Spin once after work, then park; a wake-up starts over. */
        if (!rested)
            spin(rt);
        else
            park(rt);
        rested = !rested;
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
    pthread_cond_destroy(&rt->idle_cv);
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
    *rt = (aj_runtime){ .n_workers = n };
    atomic_init(&rt->next_due, INT64_MAX);
    if (opts != NULL && opts->observer != NULL) {
        rt->obs = *opts->observer;
        rt->has_obs = true;
    }
    aj__mutex_init(&rt->mu);
    aj__cond_init(&rt->work_cv);
    aj__cond_init(&rt->idle_cv);
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
    pthread_mutex_lock(&rt->mu);
    rt->freeing = true;
    while (rt->n_live > 0)
        pthread_cond_wait(&rt->idle_cv, &rt->mu);
    pthread_mutex_unlock(&rt->mu);
    stop_and_free(rt);
}

static _Atomic(aj_runtime *) default_rt;
static pthread_mutex_t default_mu = PTHREAD_MUTEX_INITIALIZER;

/* Created on first use. Not under pthread_once: a creation that fails for
 * want of memory or threads is tried again by the next use, not
 * remembered for the life of the process. */
aj_runtime *aj__runtime_default(void)
{
    aj_runtime *rt = atomic_load_explicit(&default_rt, memory_order_acquire);

    if (rt != NULL)
        return rt;
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
