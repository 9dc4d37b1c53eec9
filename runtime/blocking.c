/*
 * blocking.c: the runtime's blocking pool, where the attempts of steps
 * declared `blocking` run, so that a step waiting on I/O never holds a
 * worker (go's goroutines and tokio's spawn_blocking serve the same end).
 * A runner that reaches a blocking step queues it here (exec.c); a thread
 * of the pool takes it, runs it as a runner of its instance
 * (aj__exec_blocking) and goes back to the queue.
 *
 * DESIGN
 * Threads are made on demand: a queued attempt wakes an idle thread that
 * no earlier attempt has claimed, else makes a new one while there are
 * fewer than max. A thread idle for keep_alive_ns exits; it never exits
 * while attempts are queued. A failed creation leaves the queue to the
 * threads there are; when there are none, the thread that failed runs
 * what is queued itself, so that an instance never fails for want of a
 * thread. Lock: the pool's mu (aj_data.h) guards the queue, the counts,
 * every step's in_pool and the stop flag; it is a leaf lock. Lifetime: a
 * thread holds an instance (holders, sched.c) from the moment it takes an
 * attempt out of the queue, before the step is final, until its runner
 * has let go of the instance. Threads are joinable: a thread that leaves
 * puts itself in gone and joins the one it found there, and stop joins
 * the last, so that every thread is joined and at most one waits for it.
 */
#if defined(__linux__)
#define _GNU_SOURCE /* SCHED_BATCH */
#endif
#include "aj_exec.h"

#include <errno.h>
#include <sched.h>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#define DEFAULT_MAX 512
#define DEFAULT_KEEP_ALIVE_NS 10000000000LL

/* Room for the step, its observers and the libc calls it makes; threads
 * of sanitized builds need more for the sanitizer's own frames. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STACK_SIZE (1024 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define STACK_SIZE (1024 * 1024)
#endif
#endif
#ifndef STACK_SIZE
#define STACK_SIZE (256 * 1024)
#endif

/* A thread of the pool, allocated by its creator, freed by its joiner. */
typedef struct bthread {
    aj_runtime *rt;
    pthread_t self;                /* written by the thread as it leaves */
} bthread;

/* ------------------------------------------------------------------------ */
/* The queue: steps linked through their timer nodes, under mu              */

/* aj__step.in_pool: the queue a step is in. An attempt that holds limits'
 * slots goes before the others, so that no slot waits behind steps that
 * need none (or other limits') while others wait for it. */
#define IN_QUEUE 1
#define IN_HELD 2

static void push_locked(aj__bpool *p, aj__step *s)
{
    aj__timer *t = aj__step_timer(s);
    bool held = (s->inst->def->exec[s->index].flags & AJ_STEP_LIMITED) && aj__limit_holds(s);

    t->item = s;
    if (held)
        aj__tlist_push(&p->held_head, &p->held_tail, t);
    else
        aj__tlist_push(&p->head, &p->tail, t);
    s->in_pool = held ? IN_HELD : IN_QUEUE;
    p->n_queued++;
    atomic_fetch_add_explicit(&s->inst->n_pooled, 1, memory_order_relaxed);
}

static void unlink_locked(aj__bpool *p, aj__step *s)
{
    if (s->in_pool == IN_HELD)
        aj__tlist_unlink(&p->held_head, &p->held_tail, aj__step_timer(s));
    else
        aj__tlist_unlink(&p->head, &p->tail, aj__step_timer(s));
    s->in_pool = 0;
    p->n_queued--;
    atomic_fetch_sub_explicit(&s->inst->n_pooled, 1, memory_order_relaxed);
}

/* The oldest queued attempt that holds slots, else the oldest, its
 * instance held; or NULL. */
static aj__step *pop_locked(aj__bpool *p)
{
    aj__step *s;

    if (p->held_head != NULL)
        s = p->held_head->item;
    else if (p->head != NULL)
        s = p->head->item;
    else
        return NULL;
    unlink_locked(p, s);
    /* Before the step can be final, so before the instance can end. */
    atomic_fetch_add_explicit(&s->inst->holders, 1, memory_order_relaxed);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */

/* Runs the attempt s on this thread, then lets go of its instance. */
static void run_attempt(aj__step *s)
{
    aj_instance *inst = s->inst;
    aj__runner r;

    aj__runner_init(&r, inst);
    r.blocking = true;
    s->next = NULL;
    aj__runner_adopt(&r, s);
    aj__exec_blocking(&r);
    aj__sched_unhold(inst);
}

/* Waits on idle_cv for work or keep_alive_ns, with mu held. False when
 * the thread should leave: idle that long with nothing queued. */
static bool rest_locked(aj__bpool *p)
{
    int rc;

    p->n_idle++;
    rc = aj__cond_wait_until(&p->idle_cv, &p->mu, aj__add_sat(aj_now_ns(), p->keep_alive_ns));
    p->n_idle--;
    /* Whoever wakes takes a claim: an attempt waits for it. */
    if (p->n_notified > 0) {
        p->n_notified--;
        return true;
    }
    return rc != ETIMEDOUT || p->n_queued > 0;
}

/* The thread leaves, with mu held, which it drops: it waits in gone to be
 * joined, and joins the one that waited there. */
static void leave_locked(aj__bpool *p, bthread *me)
{
    bthread *prev = p->gone;

    me->self = pthread_self();
    p->gone = me;
    p->n_alive--;
    if (--p->n_threads == 0)
        pthread_cond_broadcast(&p->gone_cv);
    pthread_mutex_unlock(&p->mu);
    if (prev != NULL) {
        aj__thread_join(prev->self);
        aj__free(prev);
    }
}

/* Names this thread, and has it wait for its turn when it wakes rather
 * than preempt the thread running (SCHED_BATCH, which needs no privilege):
 * its steps wait on I/O, and thousands of them waking every millisecond
 * would leave the thread that starts instances, and the workers' compute
 * steps, a sliver of the CPU (W6b: 10,000 instances took 2.05x the same
 * naps on plain threads, now 1.14x). Elsewhere, names and policy stay. */
static void become_pool_thread(void)
{
#if defined(__linux__)
    struct sched_param none = { 0 };

    (void)prctl(PR_SET_NAME, "aj-block", 0, 0, 0);
    (void)sched_setscheduler(0, SCHED_BATCH, &none);
#endif
}

static void *bthread_main(void *arg)
{
    bthread *me = arg;
    aj__bpool *p = &me->rt->blocking;

    become_pool_thread();
    pthread_mutex_lock(&p->mu);
    if (++p->n_alive > p->peak)
        p->peak = p->n_alive;
    for (;;) {
        aj__step *s = pop_locked(p);
        if (s != NULL) {
            pthread_mutex_unlock(&p->mu);
            run_attempt(s);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        if (p->stopping || !rest_locked(p))
            break;
    }
    leave_locked(p, me);
    return NULL;
}

/* Creates a thread counted in n_threads already; false when it fails. */
static bool spawn(aj_runtime *rt)
{
    bthread *b = aj__alloc(sizeof *b, 0);
    pthread_t t;

    if (b == NULL)
        return false;
    b->rt = rt;
    if (aj__thread_create_sized(&t, STACK_SIZE, bthread_main, b) == 0)
        return true;
    aj__free(b);
    return false;
}

/* A creation counted in n_threads failed. With threads left, they serve
 * the queue. With none, nobody would: s, if still queued, goes back to
 * the caller (false), and this thread runs whatever else is queued. */
static bool spawn_failed(aj__bpool *p, aj__step *s)
{
    bool queued;

    pthread_mutex_lock(&p->mu);
    if (--p->n_threads > 0) {
        pthread_mutex_unlock(&p->mu);
        return true;
    }
    queued = s->in_pool;
    if (queued)
        unlink_locked(p, s);
    for (aj__step *other; p->n_threads == 0 && (other = pop_locked(p)) != NULL;) {
        pthread_mutex_unlock(&p->mu);
        run_attempt(other);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    /* Taken by a thread meanwhile: it is that thread's. */
    return !queued;
}

bool aj__blocking_submit(aj__runner *r, aj__step *s)
{
    aj_runtime *rt = r->inst->rt;
    aj__bpool *p = &rt->blocking;
    bool wake = false, make = false;

    pthread_mutex_lock(&p->mu);
    push_locked(p, s);
    if (p->n_idle > p->n_notified) {
        p->n_notified++;
        wake = true;
    } else if (p->n_threads < p->max) {
        make = true;
        p->n_threads++;
    }
    /* Else every thread is busy; the first to finish takes it. */
    pthread_mutex_unlock(&p->mu);
    /* After the unlock, or the woken thread would block on mu at once. An
     * idle thread counted under mu waits on idle_cv already. */
    if (wake)
        pthread_cond_signal(&p->idle_cv);
    if (!make || spawn(rt))
        return true;
    return spawn_failed(p, s);
}

/* s, queued, goes on cut; with p->mu. */
static aj__step *cut_locked(aj__bpool *p, aj__step *s, aj__step *cut)
{
    if (!s->in_pool)
        return cut;
    unlink_locked(p, s);
    s->next = cut;
    return s;
}

void aj__blocking_cut(aj__runner *r)
{
    aj_instance *inst = r->inst;
    aj__bpool *p;
    aj__step *cut = NULL;

    if (inst->rt == NULL || atomic_load_explicit(&inst->n_pooled, memory_order_relaxed) == 0)
        return;
    p = &inst->rt->blocking;
    pthread_mutex_lock(&p->mu);
    for (uint32_t i = 0; i < inst->def->n_steps && atomic_load(&inst->n_pooled) > 0; i++)
        cut = cut_locked(p, &inst->steps[i], cut);
    /* Elements of mapped steps queue as steps do. */
    uint32_t k = 0;
    size_t e = 0;
    for (aj__step *s; atomic_load(&inst->n_pooled) > 0 && (s = aj__inst_next_elem(inst, &k, &e));)
        cut = cut_locked(p, s, cut);
    pthread_mutex_unlock(&p->mu);
    aj__runner_adopt(r, cut);
}

/* ------------------------------------------------------------------------ */
/* The pool's life                                                           */

void aj__blocking_init(aj_runtime *rt, const aj_runtime_opts *opts)
{
    aj__bpool *p = &rt->blocking;

    p->max = opts != NULL && opts->max_blocking > 0 ? opts->max_blocking : DEFAULT_MAX;
    p->keep_alive_ns = opts != NULL && opts->blocking_keep_alive_ns > 0
                           ? opts->blocking_keep_alive_ns
                           : DEFAULT_KEEP_ALIVE_NS;
    aj__mutex_init(&p->mu);
    aj__cond_init(&p->idle_cv);
    aj__cond_init(&p->gone_cv);
}

void aj__blocking_stop(aj_runtime *rt)
{
    aj__bpool *p = &rt->blocking;
    bthread *last;

    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->idle_cv);
    while (p->n_threads > 0)
        aj__cond_wait_until(&p->gone_cv, &p->mu, INT64_MAX);
    last = p->gone;
    p->gone = NULL;
    pthread_mutex_unlock(&p->mu);
    if (last != NULL) {
        aj__thread_join(last->self);
        aj__free(last);
    }
    pthread_cond_destroy(&p->gone_cv);
    pthread_cond_destroy(&p->idle_cv);
    pthread_mutex_destroy(&p->mu);
}

int aj_runtime_get_stats(aj_runtime *rt, aj_runtime_stats *out)
{
    aj__bpool *p;

    if (out == NULL)
        return AJ_EINVAL;
    if (rt == NULL && (rt = aj__runtime_default()) == NULL)
        return AJ_EAGAIN;
    p = &rt->blocking;
    pthread_mutex_lock(&p->mu);
    *out = (aj_runtime_stats){
        .n_workers = rt->n_workers,
        .blocking_threads = p->n_alive,
        .blocking_idle = p->n_idle,
        .blocking_queued = p->n_queued,
        .blocking_peak = p->peak,
        .max_blocking = p->max,
    };
    pthread_mutex_unlock(&p->mu);
    return AJ_OK;
}
