/*
 * aj_base.h: layer 1 of the runtime (see aj_internal.h), the services every
 * other layer may use: memory and threads, locks and their waits, the
 * clocks, random numbers, the barrier, the timer heap, retry policies and
 * saturating arithmetic, formatting of times. Nothing here knows what an
 * instance is. Not installed.
 */
#ifndef AJ_BASE_H
#define AJ_BASE_H

#include "asyncjob.h"

#include <pthread.h>
#include <stdatomic.h>

#define AJ__CACHE_LINE 64

/* For the few functions every step runs through: inline wherever they are
 * called, even where the compiler would rather make one copy. */
#if defined(__GNUC__) || defined(__clang__)
#define AJ__ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define AJ__ALWAYS_INLINE static inline
#endif

/* ------------------------------------------------------------------------ */
/* alloc.c: every byte and every thread the runtime asks for (the test
 * build of the library can fail them: aj_test_hooks.h)                     */

void *aj__alloc(size_t size, size_t align);
void aj__free(void *p);
int aj__thread_create(pthread_t *t, void *(*fn)(void *), void *arg);
int aj__thread_join(pthread_t t);
/* A thread with a stack of stack_size bytes (the default when that size
 * cannot be set). */
int aj__thread_create_sized(pthread_t *t, size_t stack_size, void *(*fn)(void *), void *arg);

/* ------------------------------------------------------------------------ */
/* sync.c: pthread setup that cannot fail short of a broken system (it
 * aborts if it does), and timed waits                                       */

void aj__mutex_init(pthread_mutex_t *mu);
void aj__cond_init(pthread_cond_t *cv);  /* times out on CLOCK_MONOTONIC */
/* Waits on cv until woken or, when until_ns is finite, until that
 * monotonic time. Returns ETIMEDOUT or 0. */
int aj__cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_ns);

/* A pause inside a spin loop: lets the other hyperthread run, saves power. */
static inline void aj__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* a + b for non-negative values, INT64_MAX instead of an overflow. */
static inline int64_t aj__add_sat(int64_t a, int64_t b)
{
    if (a < 0)
        a = 0;
    if (b < 0)
        b = 0;
    return b > INT64_MAX - a ? INT64_MAX : a + b;
}

/* ------------------------------------------------------------------------ */
/* clock.c                                                                   */

/* aj_now_ns() without waiting for the instructions before it: for the end
 * of a step, on the thread that ran it. */
int64_t aj__now_ns(void);

/* A copy of the clock's line, kept by a thread that reads the clock after
 * every step: inside its span a reading is a TSC read, a multiply and a
 * shift (aj__line_now), and exactly what aj__now_ns() reads then, since
 * the clock's next line starts where this one's span ends. span 0: no
 * line, read aj__now_ns(). */
typedef struct aj__clock_line {
    uint64_t tsc0;
    int64_t ns0;
    uint64_t mult;                 /* ns per tick << 32 */
    uint64_t span;                 /* ticks after tsc0 it is valid for */
} aj__clock_line;

/* aj__now_ns(), and a copy of the current line in *l (span 0 when the
 * clock does not read the TSC). */
int64_t aj__clock_refresh(aj__clock_line *l);

/* aj__now_ns() on the copy of a line while it lasts, else through
 * aj__clock_refresh(), which renews the copy. Inline: a runner reads it
 * after every step. */
static inline int64_t aj__line_now(aj__clock_line *l)
{
#if defined(__x86_64__)
    __extension__ typedef unsigned __int128 u128;
    uint32_t lo, hi;
    uint64_t d;

    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    d = ((uint64_t)hi << 32 | lo) - l->tsc0;
    if (d < l->span)
        return l->ns0 + (int64_t)(((u128)d * l->mult) >> 32);
#endif
    return aj__clock_refresh(l);
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, as of the latest anchor. */
int64_t aj__wall_offset_ns(void);

/* ------------------------------------------------------------------------ */
/* rand.c: a per-thread generator, seeded once per thread from the kernel.  */

uint64_t aj__rand64(void);
/* 36 characters and a NUL: a random (version 4) UUID. */
void aj__uuid_v4(char out[37]);

/* ------------------------------------------------------------------------ */
/* retry.c: whether to run again after a failed attempt, and after how long. */

bool aj__retry_next(const aj_retry_policy *p, const aj_ctx *ctx, int err,
                    uint32_t retry, int64_t *delay_ns);

/* ------------------------------------------------------------------------ */
/* barrier.c: the heavy side of an asymmetric barrier. Ready: membarrier
 * works here (else nothing may run alone).                                  */

bool aj__barrier_ready(void);
void aj__barrier_heavy(void);

/* ------------------------------------------------------------------------ */
/* spin.c: how long a thread out of work spins before it sleeps, learnt
 * from the idle gaps seen lately, and the spin itself.                     */

#define AJ__SPIN_MAX_NS 50000 /* about what a wake-up costs: the most a spin lasts */
#define AJ__SPIN_MIN_NS 1000  /* the least */

typedef struct aj__spin {
    _Atomic int64_t budget_ns;     /* the next spin's length; relaxed */
} aj__spin;

typedef enum { AJ__SPIN_FOUND, AJ__SPIN_MISSED, AJ__SPIN_LOST } aj__spin_end;

/* Starts from the longest spin; safe while others use it. */
void aj__spin_init(aj__spin *s);
int64_t aj__spin_budget(const aj__spin *s);
/* Work came gap_ns after the thread ran out of it; < 0: it did not come
 * (the thread slept until a timeout). */
void aj__spin_learn(aj__spin *s, int64_t gap_ns);
/* Spins until found(arg) (FOUND), until_ns (MISSED), or until the thread
 * is seen to lose its CPU (LOST, and the budget drops to its minimum). */
aj__spin_end aj__spin_until(aj__spin *s, bool (*found)(void *), void *arg, int64_t until_ns);

/* ------------------------------------------------------------------------ */
/* timer.c: an intrusive pairing heap ordered by due_ns. The caller embeds
 * the nodes and guards the heap.                                            */

typedef struct aj__timer aj__timer;
struct aj__timer {
    int64_t due_ns;                /* aj_now_ns() at the end of the delay */
    aj__timer *child;
    aj__timer *sibling;
    aj__timer *prev;               /* parent if leftmost child, else left sibling */
    void *item;                    /* what waits: the caller's */
};

void aj__timer_insert(aj__timer **root, aj__timer *t);
aj__timer *aj__timer_pop(aj__timer **root);
void aj__timer_remove(aj__timer **root, aj__timer *t);
/* A FIFO queue of nodes from head to tail, linked through sibling and prev
 * (a node is in a queue or a heap, never both): t goes last, or leaves. */
void aj__tlist_push(aj__timer **head, aj__timer **tail, aj__timer *t);
void aj__tlist_unlink(aj__timer **head, aj__timer **tail, aj__timer *t);

/* ------------------------------------------------------------------------ */
/* fmt.c: times and durations for the pictures.                             */

#define AJ__FMT_MAX 48
/* Go's time.Duration.String(): "1.5ms", "154.825µs", "2m3s", "0s". */
const char *aj__fmt_duration(char buf[AJ__FMT_MAX], int64_t ns);
/* RFC 3339 in UTC with microseconds: "2026-11-29T11:25:45.123456Z". */
const char *aj__fmt_wall(char buf[AJ__FMT_MAX], int64_t wall_ns);

#endif
