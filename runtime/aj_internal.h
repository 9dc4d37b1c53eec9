/*
 * aj_internal.h: what the runtime's files share, and the hooks its tests
 * reach. Not installed.
 *
 * An instance is one allocation: this header's aj_instance, then one
 * aj__step record (a cache line) per step, one timer node per step
 * (touched only while the step waits to retry), the per-instance retry
 * overrides, the job inputs and the output slots. Names with two
 * underscores (aj__) are the runtime's own cross-file functions.
 */
#ifndef AJ_INTERNAL_H
#define AJ_INTERNAL_H

#include "asyncjob.h"

#include <pthread.h>
#include <stdatomic.h>

#define AJ__CACHE_LINE 64

/* A runner hands part of its own runnable steps to other threads once they
 * have waited this long (sched.c): long enough that short steps never pay
 * for moving between cores, short against a step worth running apart. */
#define AJ__SHARE_NS 20000

/* In an instance's runners word: counters need read-modify-writes. */
#define AJ__SHARED 1u

/* ------------------------------------------------------------------------ */
/* alloc.c: every byte the runtime allocates, with fault injection         */

void *aj__alloc(size_t size, size_t align);
void aj__free(void *p);
/* The nth allocation from now fails (1: the next one); 0 turns it off. */
void aj__test_fail_alloc(long nth);
/* The nth allocation from now and every one after it fail, until
 * aj__test_fail_alloc(0). */
void aj__test_fail_alloc_from(long nth);
/* Allocations made since the process started (successful ones). */
long aj__test_alloc_count(void);
/* Allocations failed by the hooks since the process started. */
long aj__test_alloc_failed(void);
/* pthread_create and pthread_join, with the same kind of hooks and
 * counters of the threads created and joined. */
int aj__thread_create(pthread_t *t, void *(*fn)(void *), void *arg);
int aj__thread_join(pthread_t t);
void aj__test_fail_thread(long nth);
void aj__test_fail_thread_from(long nth);
long aj__test_thread_failed(void);
long aj__test_threads_created(void);
long aj__test_threads_joined(void);

/* rand.c: a per-thread generator, seeded once per thread from the kernel. */
uint64_t aj__rand64(void);
/* 36 characters and a NUL: a random (version 4) UUID. */
void aj__uuid_v4(char out[37]);

/* retry.c: whether to run again after a failed attempt, and after how long. */
bool aj__retry_next(const aj_retry_policy *p, const aj_ctx *ctx, int err,
                    uint32_t retry, int64_t *delay_ns);
/* a + b for non-negative values, INT64_MAX instead of an overflow. */
int64_t aj__add_sat(int64_t a, int64_t b);

/* ------------------------------------------------------------------------ */
/* Step records                                                              */

typedef struct aj__step aj__step;
typedef struct aj__timer aj__timer;
typedef struct aj__runner aj__runner;

/*
 * One step of one instance: one cache line, so that threads working on
 * different steps never share a line. Whoever owns the step writes its
 * record: the thread that made it runnable (and then runs, skips or
 * cancels it), or the thread that took it from a shared list, the roots or
 * the timer heap. Readers (DOT, step_info, the timeline) copy the record
 * between two equal even values of seq, so every record field is an atomic
 * read and written relaxed. A new record is all zeros but inst and index.
 */
struct aj__step {
    _Alignas(AJ__CACHE_LINE) _Atomic uint32_t arrived; /* predecessors final so far;
                                                          by their finishers */
    _Atomic uint32_t seq;          /* odd while the owner writes the record */
    _Atomic uint32_t state;        /* aj_step_state */
    _Atomic uint32_t kind;         /* aj_fail_kind of the last attempt */
    _Atomic uint32_t attempts;     /* runs started */
    _Atomic int err;               /* code of the last attempt */
    _Atomic int64_t start_ns;      /* aj_now_ns(), first attempt; 0: never started */
    _Atomic int64_t end_ns;        /* aj_now_ns(), final state; 0 until then */
    aj__step *next;                /* the owner's list, or a shared ready list */
    aj_instance *inst;
    uint32_t index;                /* in def->steps */
    _Atomic bool doomed;           /* a predecessor failed or was skipped */
    _Atomic bool taken;            /* output handed over by aj_instance_output */
    bool in_timer;                 /* in the runtime's timer heap; under rt->mu */
};

/* A step's place in the runtime's timer heap while it waits out a retry
 * delay: an intrusive pairing heap ordered by due_ns, under rt->mu. Kept
 * apart from the records, which the hot loop touches, and never touched
 * for a step that is not delayed. */
struct aj__timer {
    int64_t due_ns;                /* aj_now_ns() at the end of the delay */
    aj__timer *child;
    aj__timer *sibling;
    aj__timer *prev;               /* parent if leftmost child, else left sibling */
    aj__step *step;
};

/* A consistent copy of a record. */
typedef struct aj__snap {
    aj_step_state state;
    aj_fail_kind kind;
    int err;
    uint32_t attempts;
    int64_t start_ns;
    int64_t end_ns;
} aj__snap;

/* A per-instance retry policy that replaces a step's. */
typedef struct aj__override {
    uint32_t index;
    aj_retry_policy policy;
} aj__override;

/* A copy of the clock's line (clock.c), kept by a thread that reads the
 * clock after every step: inside its span a reading is a TSC read, a
 * multiply and a shift (aj__line_now), and exactly what
 * aj__now_ns() reads then, since the clock's next line starts where this
 * one's span ends. span 0: no line, read aj__now_ns(). */
typedef struct aj__clock_line {
    uint64_t tsc0;
    int64_t ns0;
    uint64_t mult;                 /* ns per tick << 32 */
    uint64_t span;                 /* ticks after tsc0 it is valid for */
} aj__clock_line;

/*
 * What one thread holds while it runs steps of one instance, on its own
 * stack: steps it made runnable and will run itself, roots it claimed,
 * one successor whose arrivals it holds back, and the steps it settled but
 * has not yet counted in n_final. None of it is shared; aj__runner_end
 * hands back what is left.
 */
struct aj__runner {
    aj_instance *inst;
    aj__step *stack;           /* runnable steps it owns, last in first out */
    uint32_t n_stack;
    uint32_t n_final;          /* settled here, not yet added to inst->n_final */
    aj__step *held;            /* a step with more than one predecessor ... */
    uint32_t n_held;           /* ... and this many arrivals not yet added */
    uint32_t root;             /* claimed roots: def->order[root..root_end) */
    uint32_t root_end;
    int64_t now_ns;            /* latest clock reading */
    int64_t stack_since_ns;    /* when the stack last became non-empty */
    int64_t step_ns;           /* how long the last step it ran took */
    aj__clock_line clock;      /* for the end of each step it runs */
    bool solo;                 /* no other thread runs the instance: counters
                                  are plain loads and stores (step.h) */
};

/* ------------------------------------------------------------------------ */
/* Instances and runtimes                                                    */

struct aj_instance {
    /* Set by start, read-only afterwards. */
    const aj_job_def *def;
    aj_runtime *rt;                /* NULL: sequential without a runtime */
    aj__step *steps;               /* def->n_steps records, in this allocation */
    aj__timer *timers;             /* def->n_steps heap nodes, in this allocation */
    void *inputs;                  /* def->inputs_size bytes, in this allocation */
    void *outputs;                 /* def->outputs_size bytes, in this allocation */
    const aj__override *overrides; /* n_overrides, in this allocation */
    uint32_t n_overrides;
    _Atomic uint32_t runners;      /* 2 x threads running its steps (exec.c),
                                      | AJ__SHARED while counters need
                                      read-modify-writes (step.h) */
    bool can_solo;                 /* a lone runner may use plain counters */
    bool frees;                    /* some step's output has a free function */
    bool observed;                 /* rt_obs or obs is set */
    bool has_obs;
    bool sequential;
    bool fail_fast;
    aj_observer obs;               /* the instance's observer (zero: none) */
    const aj_observer *rt_obs;     /* the runtime's, or NULL */
    void *user;
    int64_t start_ns;              /* aj_now_ns() at start */
    int64_t start_wall_ns;         /* realtime, same instant */
    char id[AJ_ID_MAX];            /* given, or made on first use: aj__inst_id */
    _Atomic uint32_t id_state;     /* 0: not made yet; 1: being made; 2: made */

    /* Root cause: root is claimed once by CAS; the fields below are written
     * by the winner, then failed is set (release). */
    _Atomic int32_t root;          /* step index, -1 while none */
    _Atomic bool failed;           /* the root-cause fields are readable */
    int fail_code;
    aj_fail_kind fail_kind;
    uint32_t fail_attempts;
    char message[AJ_MESSAGE_MAX];

    /* Waiting and the shared ready list. */
    _Alignas(AJ__CACHE_LINE) pthread_mutex_t mu;
    pthread_cond_t cv;             /* done, ready steps, cancel; monotonic clock */
    aj__step *ready_head;          /* runnable steps anyone may take; under mu */
    aj__step *ready_tail;
    _Atomic uint32_t n_ready;      /* length of the ready list (peeked unlocked) */
    _Atomic uint32_t n_waiting;    /* threads blocked on cv */

    /* Progress, written by every thread that runs steps. */
    _Alignas(AJ__CACHE_LINE) _Atomic uint32_t n_final;  /* done at def->n_steps */
    _Atomic uint32_t next_root;    /* roots handed out: a position in order[] */
    _Atomic bool cancelled;
    _Atomic bool cut;              /* a step was settled as cancelled */
    _Atomic uint32_t n_delayed;    /* steps in the runtime's timer heap */
    _Atomic uint32_t holders;      /* threads that may touch it after done */

    /* The solo runner's: set while it may touch counters (exec.c). */
    _Alignas(AJ__CACHE_LINE) _Atomic bool solo_busy;

    /* Runtime queue of instances with work to share; under rt->mu, but
     * in_rq may be peeked by a thread that knows nothing sets it. */
    aj_instance *rq_next;
    aj_instance *rq_prev;
    int64_t visible_ns;            /* workers may take it from then on */
    _Atomic bool in_rq;
};

struct aj_runtime {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;        /* parked workers; monotonic clock */
    aj_instance *rq_head;          /* instances with work to share; under mu */
    aj_instance *rq_tail;
    aj__timer *timers;             /* pairing heap by due_ns; under mu */
    unsigned n_parked;             /* under mu */
    bool sentinel;                 /* a parked worker polls the queue; under mu */
    bool stopping;                 /* under mu */
    int64_t last_start_ns;         /* latest instance start; under mu */
    aj_observer obs;
    bool has_obs;
    unsigned n_workers;
    unsigned n_started;            /* threads created */

    /* Peeked by spinning workers without the lock. */
    _Alignas(AJ__CACHE_LINE) _Atomic unsigned n_spinning;
    _Atomic int64_t rq_visible_ns; /* when the queue's head may be taken;
                                      INT64_MAX: empty */
    _Atomic int64_t next_due;      /* earliest timer, INT64_MAX: none */
    _Atomic unsigned long n_live;  /* instances started and not final */
    pthread_t threads[];           /* n_workers */
};

/* The step's view of one attempt, on the stack of the thread running it. */
struct aj_ctx {
    aj_instance *inst;
    aj__step *step;
    uint32_t attempt;
    bool permanent;
    int64_t deadline_ns;           /* INT64_MAX: none */
    char message[AJ_MESSAGE_MAX];
};

/* ------------------------------------------------------------------------ */
/* instance.c: states, counters, skip propagation, root cause (no threads) */

/* Fills the step records; AJ_EINVAL when the tables are inconsistent. */
int aj__inst_init_steps(aj_instance *inst);
/* Reads step i's record consistently, also while it changes. */
void aj__inst_snap(const aj_instance *inst, uint32_t i, aj__snap *out);
/* Every record, in one aj__alloc'd array (aj__free it); NULL: no memory. */
aj__snap *aj__inst_snap_all(const aj_instance *inst);
/* Records a failed attempt that will be retried. */
void aj__inst_note_retry(aj__step *s, int err, aj_fail_kind kind);
/* Final transition of s (owned by r's thread): records it, claims the root
 * cause, tells the observers, resolves the successors. Those that became
 * runnable go on r's stack, which now owns them. */
void aj__inst_finish(aj__runner *r, aj__step *s, aj_step_state state, aj_fail_kind kind,
                     int err, const char *message, int64_t end_ns);
/* Counts the settled steps on work (linked by next) as final and releases
 * their successors, which may settle more. */
void aj__inst_settle_all(aj__runner *r, aj__step *work);
/* Adds every arrival r holds back; what they make runnable goes on r's
 * stack. */
void aj__inst_flush_held(aj__runner *r);
/* Whether s is a predecessor of t (through s's first few edges). */
bool aj__inst_leads_to(const aj_instance *inst, const aj__step *s, const aj__step *t);
bool aj__inst_done(const aj_instance *inst);
/* The retry policy of step i in this instance. */
const aj_retry_policy *aj__inst_retry(const aj_instance *inst, uint32_t i);
/* Frees the outputs of completed steps that were not taken. */
void aj__inst_free_outputs(aj_instance *inst);
/* The instance's id: a random UUID is made the first time it is asked for
 * (most instances are never asked), by any thread. */
const char *aj__inst_id(const aj_instance *inst);

/* exec.c: running steps. */
void aj__runner_init(aj__runner *r, aj_instance *inst);

/* Runs every step r owns or can get of its instance (its stack, claimed
 * roots, the shared list, new roots), then counts what it settled. After
 * it returns, r owns nothing, and the instance may be done: only a holder
 * or the instance's owner may touch it then. */
void aj__exec_drain(aj__runner *r);
/* Sequential mode: every step on this thread, in def->order. */
void aj__exec_sequential(aj_instance *inst);
/* Observer events. */
enum { AJ__EV_START, AJ__EV_RETRY, AJ__EV_FINISH };
void aj__emit_finish(aj__step *s, aj_step_state state, int err,
                     const char *message, int64_t end_ns);
/* Settles s (owned by r's thread) as cancelled, keeping the code of its
 * last attempt. */
void aj__exec_cancel_step(aj__runner *r, aj__step *s, int64_t now_ns);

/* sched.c: shared work, the runtime queue, timers, waiting, waking. */
void aj__sched_start(aj_instance *inst);
/* Claims the next run of roots for r; false when none are left. */
bool aj__sched_claim_roots(aj__runner *r);
/* Hands r's stack but its top keep steps to other threads. */
void aj__sched_offer(aj__runner *r, uint32_t keep);
aj__step *aj__sched_pop(aj_instance *inst);
/* Puts s in the timer heap until due_ns. False when the instance was
 * cancelled: the caller still owns s. */
bool aj__sched_delay(aj_instance *inst, aj__step *s, int64_t due_ns);
/* Sequential mode: waits until due_ns or a cancel; true if cancelled. */
bool aj__sched_sleep(aj_instance *inst, int64_t due_ns);
void aj__sched_cancel(aj_instance *inst);
void aj__sched_done(aj_instance *inst);
int aj__sched_wait(aj_instance *inst, int64_t deadline_ns);
/* Before freeing: waits until no other thread may still touch it. */
void aj__sched_release(aj_instance *inst);
/* For the workers (pool.c), with rt->mu held. */
aj_instance *aj__sched_rq_pop(aj_runtime *rt, int64_t now_ns);
aj__step *aj__sched_timer_pop(aj_runtime *rt, int64_t now_ns);
void aj__sched_wake_locked(aj_runtime *rt);
void aj__sched_unhold(aj_instance *inst);

/* timer.c: an intrusive pairing heap ordered by due_ns. */
void aj__timer_insert(aj__timer **root, aj__timer *t);
aj__timer *aj__timer_pop(aj__timer **root);
void aj__timer_remove(aj__timer **root, aj__timer *t);

/* barrier.c: the heavy side of an asymmetric barrier. Ready: membarrier
 * works here (else nothing may run alone). */
bool aj__barrier_ready(void);
void aj__barrier_heavy(void);

/* A pause inside a spin loop: lets the other hyperthread run, saves power. */
static inline void aj__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* pool.c */
aj_runtime *aj__runtime_default(void);
/* pthread setup that cannot fail short of a broken system: aborts if it does. */
void aj__mutex_init(pthread_mutex_t *mu);
void aj__cond_init(pthread_cond_t *cv);  /* times out on CLOCK_MONOTONIC */

/* clock.c: aj_now_ns() without waiting for the instructions before it:
 * for the end of a step, on the thread that ran it. */
int64_t aj__now_ns(void);


/* aj__now_ns(), and a copy of the current line in *l (span 0 when the
 * clock does not read the TSC). */
int64_t aj__clock_refresh(aj__clock_line *l);

/* aj__now_ns() on the copy of a line while it lasts, else through
 * aj__clock_refresh(), which renews the copy. */
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
/* What aj_now_ns() reads now: "tsc", "calibrating" (its first 2 ms on a
 * TSC) or "monotonic" (clock_gettime). */
const char *aj__test_clock_source(void);

/* fmt.c: times and durations for the pictures. */
#define AJ__FMT_MAX 48
/* Go's time.Duration.String(): "1.5ms", "154.825µs", "2m3s", "0s". */
const char *aj__fmt_duration(char buf[AJ__FMT_MAX], int64_t ns);
/* RFC 3339 in UTC with microseconds: "2026-11-29T11:25:45.123456Z". */
const char *aj__fmt_wall(char buf[AJ__FMT_MAX], int64_t wall_ns);
/* Wall-clock time of a monotonic instant of the instance. */
int64_t aj__inst_wall(const aj_instance *inst, int64_t mono_ns);

#endif
