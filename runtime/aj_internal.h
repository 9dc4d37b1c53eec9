/*
 * aj_internal.h: what the runtime's files share, and the hooks its tests
 * reach. Not installed.
 *
 * An instance is one allocation: this header's aj_instance, then one
 * aj__step record per step, the per-instance retry overrides, the job
 * inputs and the output slots. Names with two underscores (aj__) are the
 * runtime's own cross-file functions.
 */
#ifndef AJ_INTERNAL_H
#define AJ_INTERNAL_H

#include "asyncjob.h"

#include <pthread.h>
#include <stdatomic.h>

#define AJ__CACHE_LINE 64

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

/*
 * One step of one instance. Whoever owns the step writes its record: the
 * thread that made it runnable (and then runs, skips or cancels it), or the
 * thread that took it from a ready list or the timer heap. Readers (DOT,
 * step_info, the timeline) copy the record between two equal even values
 * of seq, so every record field is an atomic read and written relaxed.
 */
struct aj__step {
    /* Aligned, so that threads working on neighbouring steps of one
     * instance never share a cache line. */
    _Alignas(AJ__CACHE_LINE) _Atomic uint32_t pending; /* predecessors not final;
                                                          by their finishers */
    _Atomic uint32_t doomed;       /* non-zero: a predecessor failed or was skipped */
    _Atomic uint32_t seq;          /* odd while the owner writes the record */
    _Atomic uint32_t state;        /* aj_step_state */
    _Atomic uint32_t kind;         /* aj_fail_kind of the last attempt */
    _Atomic uint32_t attempts;     /* runs started */
    _Atomic int err;               /* code of the last attempt */
    _Atomic int64_t start_ns;      /* monotonic, first attempt; 0: never started */
    _Atomic int64_t end_ns;        /* monotonic, final state; 0 until then */
    _Atomic bool taken;            /* output handed over by aj_instance_output */
    bool in_timer;                 /* in the runtime's timer heap; under rt->mu */
    uint32_t index;                /* in def->steps */
    uint32_t pos;                  /* in def->order */
    aj_instance *inst;
    const aj_retry_policy *retry;  /* the definition's, or the instance's override */
    aj__step *next;                /* ready list (under inst->mu) or the owner's list */
    aj__step *t_child;             /* timer heap links, under rt->mu */
    aj__step *t_sibling;
    aj__step *t_prev;              /* parent if leftmost child, else left sibling */
    int64_t due_ns;                /* monotonic end of the retry delay */
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

/* ------------------------------------------------------------------------ */
/* Instances and runtimes                                                    */

struct aj_instance {
    /* Set by start, read-only afterwards. */
    const aj_job_def *def;
    aj_runtime *rt;                /* NULL: sequential without a runtime */
    aj__step *steps;               /* def->n_steps records, in this allocation */
    void *inputs;                  /* def->inputs_size bytes, in this allocation */
    void *outputs;                 /* def->outputs_size bytes, in this allocation */
    aj_observer obs;               /* the instance's observer (zero: none) */
    const aj_observer *rt_obs;     /* the runtime's, or NULL */
    bool has_obs;
    bool sequential;
    bool fail_fast;
    void *user;
    int64_t start_ns;              /* monotonic, at start */
    int64_t start_wall_ns;         /* realtime, same instant */
    char id[AJ_ID_MAX];

    /* Root cause: root is claimed once by CAS; the fields below are written
     * by the winner, then failed is set (release). */
    _Atomic int32_t root;          /* step index, -1 while none */
    _Atomic bool failed;           /* the root-cause fields are readable */
    int fail_code;
    aj_fail_kind fail_kind;
    uint32_t fail_attempts;
    char message[AJ_MESSAGE_MAX];

    /* Waiting and the ready list. */
    _Alignas(AJ__CACHE_LINE) pthread_mutex_t mu;
    pthread_cond_t cv;             /* done, ready steps, cancel; monotonic clock */
    aj__step *ready_head;          /* runnable steps; under mu */
    aj__step *ready_tail;
    _Atomic uint32_t n_ready;      /* length of the ready list (peeked unlocked) */
    _Atomic uint32_t n_waiting;    /* threads blocked on cv */

    /* Progress, written by every thread that finishes a step. */
    _Alignas(AJ__CACHE_LINE) _Atomic uint32_t n_final;  /* done at def->n_steps */
    _Atomic bool cancelled;
    _Atomic bool cut;              /* a step was settled as cancelled */
    _Atomic uint32_t n_delayed;    /* steps in the runtime's timer heap */
    _Atomic uint32_t holders;      /* threads that may touch it after done */

    /* Runtime queue of instances with ready steps; under rt->mu. */
    aj_instance *rq_next;
    aj_instance *rq_prev;
    bool in_rq;
};

struct aj_runtime {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;        /* parked workers; monotonic clock */
    pthread_cond_t idle_cv;        /* aj_runtime_free waiting for n_live 0 */
    aj_instance *rq_head;          /* instances with ready steps; under mu */
    aj_instance *rq_tail;
    aj__step *timers;              /* pairing heap by due_ns; under mu */
    unsigned n_parked;             /* under mu */
    unsigned long n_live;          /* instances started and not final; under mu */
    bool freeing;                  /* under mu */
    bool stopping;                 /* under mu */
    aj_observer obs;
    bool has_obs;
    unsigned n_workers;
    unsigned n_started;            /* threads created */
    _Atomic unsigned n_spinning;   /* workers looking for work before parking */
    _Atomic uint32_t n_rq;         /* instances in the queue (peeked unlocked) */
    _Atomic int64_t next_due;      /* earliest timer, INT64_MAX: none */
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
/* The caller owns s and starts attempt number s->attempts + 1. */
uint32_t aj__inst_begin_attempt(aj__step *s, int64_t now_ns);
/* Records a failed attempt that will be retried. */
void aj__inst_note_retry(aj__step *s, int err, aj_fail_kind kind);
/* Final transition of s (owned by the caller): records it, claims the root
 * cause, tells the observers, resolves the successors. Returns the steps
 * that became runnable (linked by next), which the caller now owns. */
aj__step *aj__inst_finish(aj__step *s, aj_step_state state, aj_fail_kind kind,
                          int err, const char *message, int64_t end_ns);
bool aj__inst_done(const aj_instance *inst);
/* Frees the outputs of completed steps that were not taken. */
void aj__inst_free_outputs(aj_instance *inst);

/* exec.c: running steps. */
/* Runs s, owned and runnable, then the steps it makes runnable, keeping one
 * as its continuation and handing the others to the scheduler. */
void aj__exec_run(aj_instance *inst, aj__step *s);
/* Sequential mode: every step on this thread, in def->order. */
void aj__exec_sequential(aj_instance *inst);
/* Observer events. */
enum { AJ__EV_START, AJ__EV_RETRY, AJ__EV_FINISH };
void aj__emit_finish(aj__step *s, aj_step_state state, int err,
                     const char *message, int64_t end_ns);
/* Settles s (owned) as cancelled, keeping the code of its last attempt. */
aj__step *aj__exec_cancel_step(aj__step *s, int64_t now_ns);

/* sched.c: ready lists, the runtime queue, timers, waiting, waking. */
void aj__sched_start(aj_instance *inst);
void aj__sched_ready(aj_instance *inst, aj__step *list);
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
aj_instance *aj__sched_rq_pop(aj_runtime *rt);
aj__step *aj__sched_timer_pop(aj_runtime *rt, int64_t now_ns);
void aj__sched_wake_locked(aj_runtime *rt);
void aj__sched_unhold(aj_instance *inst);

/* timer.c: an intrusive pairing heap ordered by due_ns. */
void aj__timer_insert(aj__step **root, aj__step *s);
aj__step *aj__timer_pop(aj__step **root);
void aj__timer_remove(aj__step **root, aj__step *s);

/* pool.c */
aj_runtime *aj__runtime_default(void);
/* pthread setup that cannot fail short of a broken system: aborts if it does. */
void aj__mutex_init(pthread_mutex_t *mu);
void aj__cond_init(pthread_cond_t *cv);  /* times out on CLOCK_MONOTONIC */

/* fmt.c: times and durations for the pictures. */
#define AJ__FMT_MAX 48
/* Go's time.Duration.String(): "1.5ms", "154.825µs", "2m3s", "0s". */
const char *aj__fmt_duration(char buf[AJ__FMT_MAX], int64_t ns);
/* RFC 3339 in UTC with microseconds: "2026-11-29T11:25:45.123456Z". */
const char *aj__fmt_wall(char buf[AJ__FMT_MAX], int64_t wall_ns);
/* Wall-clock time of a monotonic instant of the instance. */
int64_t aj__inst_wall(const aj_instance *inst, int64_t mono_ns);

#endif
