/*
 * aj_data.h: layer 3 of the runtime (see aj_internal.h), what an instance,
 * a runtime, a runner and a step's context are made of, and the step
 * records' seqlock, which every layer above reads or writes through.
 * record.c: consistent copies of records, the instance's id and times.
 *
 * An instance is one allocation: its aj_instance, then one aj__step record
 * (a cache line) per step, one timer node per step (touched only while
 * the step waits to retry, or while an async attempt with a timeout
 * waits, or while it waits for a limit's slot), one aj__async record (a
 * cache line) per async step, the per-instance retry overrides, for a job
 * with limits a pointer per limit and a word per step, the job inputs and
 * the output slots. Names with two underscores (aj__) are the
 * runtime's own cross-file functions.
 */
#ifndef AJ_DATA_H
#define AJ_DATA_H

#include "aj_base.h"
#include "aj_def.h"

#include <semaphore.h>

/* In an instance's runners word: counters need read-modify-writes. */
#define AJ__SHARED 1u

/* aj__step.in_timer: what the step's node in the runtime's timer heap is. */
#define AJ__TIMER_RETRY 1    /* the end of a retry delay: the step runs then */
#define AJ__TIMER_DEADLINE 2 /* an async attempt's deadline: it expires then */

/* aj__step.doomed: how the predecessors that did not complete ended, one
 * bit each (aj__doom_of), and whether the step has a gate. The hot path
 * tests the byte once: zero means runnable as it is. */
#define AJ__DOOM_FAILED 1u    /* failed, or skipped because of a failure */
#define AJ__DOOM_CANCELLED 2u /* cancelled, or skipped because of that */
#define AJ__DOOM_SKIPPED 4u   /* skipped otherwise */
#define AJ__DOOMS 7u
#define AJ__GATED 8u          /* AJ_STEP_GATED: its gate decides (instance.c) */
#define AJ__MAPPED 16u        /* AJ_STEP_MAPPED: its expansion decides (map.c) */

/* Bytes of aj_instance.fail_name: a step name and an element index. */
#define AJ__NAME_MAX 128

/* aj_instance.slots[i]: what step i holds of the limits it uses (an
 * element's own is aj__elem.slots). Between the two, 1 + k: it holds the
 * limits before its k-th and waits in that one's queue, linked through
 * its timer node. */
#define AJ__SLOTS_NONE 0u
#define AJ__SLOTS_HELD UINT32_MAX

/* aj__step.kind: the skip reason above the fail kind. */
#define AJ__REASON_SHIFT 8

typedef struct aj__step aj__step;
typedef struct aj__runner aj__runner;
typedef struct aj__mapped aj__mapped;

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
    _Atomic uint32_t kind;         /* aj_fail_kind of the last attempt, and a
                                      skipped step's aj_skip_reason in the
                                      bits from AJ__REASON_SHIFT up */
    _Atomic uint32_t attempts;     /* runs started */
    _Atomic int err;               /* code of the last attempt */
    _Atomic int64_t start_ns;      /* aj_now_ns(), first attempt; 0: never started */
    _Atomic int64_t end_ns;        /* aj_now_ns(), final state; 0 until then */
    aj__step *next;                /* the owner's list, or a shared ready list */
    aj_instance *inst;
    uint32_t index;                /* in def->steps */
    _Atomic uint8_t doomed;        /* AJ__DOOM_*: why predecessors did not
                                      complete, by their finishers; and
                                      AJ__GATED, set at start */
    _Atomic bool taken;            /* output handed over by aj_instance_output */
    uint8_t in_timer;              /* 0, or AJ__TIMER_* while in the runtime's
                                      timer heap; under rt->mu */
    uint8_t in_pool;               /* 0, or which of the blocking pool's queues
                                      it is in (blocking.c); under its mu */
};
_Static_assert(sizeof(aj__step) == AJ__CACHE_LINE, "a step record is one cache line");

/* A consistent copy of a record. */
typedef struct aj__snap {
    aj_step_state state;
    aj_fail_kind kind;
    aj_skip_reason reason;
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
    int64_t elem_ns;           /* what the last element it timed took */
    aj__clock_line clock;      /* for the end of each step it runs */
    aj__mapped *counted;       /* elements of this mapped step it settled ... */
    size_t n_counted;          /* ... this many, not yet counted there (map.c) */
    const aj__mapped *skimmed; /* the mapped step of the last element run
                                  here, NULL after a step; its elements ... */
    uint32_t clock_skips;      /* ... ended unread from the clock in a row */
    bool solo;                 /* no other thread runs the instance: counters
                                  are plain loads and stores (aj_state.h) */
    bool blocking;             /* a thread of the blocking pool: it runs
                                  blocking steps only (exec.c) */
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
    const aj__override *overrides; /* n_overrides, one per step, sorted by step;
                                      in this allocation */
    uint32_t n_overrides;
    _Atomic uint32_t runners;      /* 2 x threads running its steps (exec.c),
                                      | AJ__SHARED while counters need
                                      read-modify-writes (aj_state.h) */
    bool can_solo;                 /* a lone runner may use plain counters */
    bool frees;                    /* some step's output has a free function */
    bool blocks;                   /* some step is blocking or async: its
                                      steps end on other threads */
    bool observed;                 /* rt_obs or obs is set */
    bool has_obs;
    bool sequential;
    bool fail_fast;
    aj_observer obs;               /* the instance's observer (zero: none) */
    const aj_observer *rt_obs;     /* the runtime's, or NULL */
    void *user;
    /* After what every step reads, so that those fields keep their lines. */
    struct aj__async *asyncs;      /* n_async records, by step index; in this
                                      allocation; NULL when none */
    uint32_t n_async;
    /* Limits (limit.c): NULL when def->n_limits is 0. */
    struct aj__limit **limits;     /* def->n_limits, resolved by start from
                                      the runtime's; in this allocation */
    _Atomic uint32_t *slots;       /* per step, AJ__SLOTS_* or 1 + the
                                      position in its uses of the limit whose
                                      queue it waits in; under rt->lim_mu but
                                      for its owner's read of HELD; in this
                                      allocation */
    _Atomic uint32_t n_queued;     /* its steps and elements in limits'
                                      queues; changed under rt->lim_mu */
    uint32_t n_maps;
    aj__mapped *maps;              /* n_maps records, one per mapped step in
                                      step order; in this allocation; NULL
                                      when none (expand.c) */
    const uint32_t *room;          /* the memo's room: the steps' trees and
                                      async places (aj_def.h); NULL: none, a
                                      skipped step's successors are settled
                                      one by one, and async records found by
                                      a search */
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
    char fail_name[AJ__NAME_MAX];  /* a mapped root cause's "Query[3]"; "":
                                      the root step's name */

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
    _Atomic bool cancelled;        /* what steps and runners read */
    _Atomic bool cancel_begun;     /* aj__exec_cancel has begun */
    _Atomic bool cut;              /* a step was settled as cancelled */
    _Atomic bool roots_long;       /* a root took AJ__SHARE_NS (sched.c) */
    _Atomic uint32_t n_delayed;    /* steps in the runtime's timer heap */
    _Atomic uint32_t n_pooled;     /* steps in the blocking pool's queue */
    _Atomic uint32_t holders;      /* threads that may touch it after done */

    /* A request from aj_instance_cancel_async (canceller.c). */
    aj_instance *cancel_next;      /* on the runtime's stack of requests */
    _Atomic bool cancel_queued;    /* it is, or was: once is enough */

    /* Hooks (cancel_hook.c, aj_start_opts.on_done). */
    aj_ctx *hooks;                 /* attempts with a cancel hook; under mu */
    void (*on_done)(aj_instance *inst, void *user);  /* set by start */

    /* The solo runner's: set while it may touch counters (exec.c). */
    _Alignas(AJ__CACHE_LINE) _Atomic bool solo_busy;

    /* Runtime queue of instances with work to share; under rt->mu, but
     * in_rq may be peeked by a thread that knows nothing sets it. */
    aj_instance *rq_next;
    aj_instance *rq_prev;
    int64_t visible_ns;            /* workers may take it from then on */
    _Atomic bool in_rq;
};

/*
 * The blocking pool (blocking.c): threads made on demand, up to max, for
 * the attempts of blocking steps, which wait in a queue linked through
 * their steps' timer nodes (a step is never in the timer heap and the
 * queue at once). mu is a leaf lock: nothing else is taken under it, and
 * it is taken under no other.
 */
typedef struct aj__bpool {
    pthread_mutex_t mu;
    pthread_cond_t idle_cv;        /* idle threads; monotonic clock */
    pthread_cond_t gone_cv;        /* the last thread left (stop waits) */
    aj__timer *head;               /* queued attempts, oldest first; under mu */
    aj__timer *tail;
    aj__timer *held_head;          /* the same, for attempts that hold limits'
                                      slots: they go first; under mu */
    aj__timer *held_tail;
    unsigned n_queued;             /* under mu, as the counts below */
    unsigned n_threads;            /* alive or being created */
    unsigned n_alive;              /* running their loop */
    unsigned n_idle;               /* waiting on idle_cv */
    unsigned n_notified;           /* idle ones signalled for queued work */
    unsigned peak;                 /* most alive at once so far */
    unsigned max;                  /* set at creation, read-only */
    int64_t keep_alive_ns;         /* set at creation, read-only */
    bool stopping;
    void *gone;                    /* the last thread that left, not yet
                                      joined (blocking.c's bthread) */
} aj__bpool;

struct aj_runtime {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;        /* parked workers; monotonic clock */
    aj_instance *rq_head;          /* instances with work to share; under mu */
    aj_instance *rq_tail;
    aj__timer *timers;             /* pairing heap by due_ns; under mu */
    unsigned n_parked;             /* under mu */
    bool sentinel;                 /* a parked worker polls the queue; under mu */
    int64_t poll_ns;               /* the sentinel's period now; under mu */
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
    aj__spin spin;                 /* workers' spin budget (spin.c) */
    aj__spin wait_spin;            /* waiters' */

    /* Cancel requests from signal handlers (canceller.c). */
    _Atomic(aj_instance *) cancel_head;
    _Atomic bool cancel_stop;
    bool has_canceller;
    sem_t cancel_sem;
    pthread_t canceller;
    /* Cancel hooks of attempts with a deadline, which the canceller calls
     * when it passes (cancel_hook.c). hook_mu is a leaf lock. */
    pthread_mutex_t hook_mu;
    aj__timer *hook_timers;        /* pairing heap by deadline; under hook_mu */
    /* Limits by name (limit.c). lim_mu is a leaf lock. */
    pthread_mutex_t lim_mu;
    struct aj__limit *limits;      /* made on first use, freed with rt; under lim_mu */
    _Alignas(AJ__CACHE_LINE) aj__bpool blocking;
    pthread_t threads[];           /* n_workers */
};

/* States of an attempt's cancel hook, aj_ctx.hook (cancel_hook.c). */
enum { AJ__HOOK_IDLE, AJ__HOOK_ARMED, AJ__HOOK_FIRING };

/* The step's view of one attempt: on the stack of the thread running it,
 * or, for an async step, in its aj__async record (async true). */
struct aj_ctx {
    aj_instance *inst;
    aj__step *step;
    uint32_t attempt;
    bool permanent;
    bool async;                    /* inside an aj__async record */
    int64_t deadline_ns;           /* INT64_MAX: none */
    char *message;                 /* AJ_MESSAGE_MAX bytes: a plain attempt's
                                      on its runner's stack; an async one's
                                      made by its first aj_ctx_set_message,
                                      NULL until then (records stay small) */

    /* The cancel hook (aj_ctx_on_cancel, cancel_hook.c). Only the
     * attempt's thread arms it (IDLE -> ARMED) and takes it back
     * (ARMED -> IDLE); a firer takes it by CAS (ARMED -> FIRING), calls
     * its fn, then stores IDLE as its last touch of the ctx. */
    _Atomic uint32_t hook;         /* AJ__HOOK_* */
    bool hooked;                   /* armed once in this attempt; its thread's */
    struct aj__hook *hk;           /* where the hook lies: a plain attempt's on
                                      its runner's stack; an async one's made
                                      by its first aj_ctx_on_cancel, NULL
                                      until then (records stay small) */
};

/* A registered cancel hook: kept apart from aj_ctx, which an async step's
 * record holds for every attempt, hook or not. Its fields are set up when
 * the attempt first arms it. */
typedef struct aj__hook {
    bool listed;                   /* on inst->hooks; written under inst->mu */
    bool timed;                    /* was put in rt->hook_timers */
    bool in_timers;                /* is there now; under rt->hook_mu */
    void (*fn)(void *);            /* written by its thread while not ARMED */
    void *arg;
    aj_ctx *prev;                  /* inst->hooks; under inst->mu */
    aj_ctx *next;
    aj_ctx *fired;                 /* the list a firer calls, while FIRING */
    aj__timer timer;               /* due at deadline_ns; under rt->hook_mu */
} aj__hook;

/*
 * An async step's attempt, from its call to its done: the aj_reply handed
 * to the step function is this record. One per async step, reused by
 * every attempt, which is sound because an attempt starts only once the
 * one before has had its done (a retry after a timeout waits for the late
 * done). phase orders the four parties: the runner that called the
 * function (RETURNED), done (CLAIMED, then READY), the deadline's timer
 * (EXPIRED, under rt->mu, only before CLAIMED) and the judge of an expired
 * attempt to be retried (PARKED). Each sets its bit with one
 * read-modify-write and learns from the bits before it whether it acts:
 * the attempt is judged by whoever completes RETURNED with READY or
 * EXPIRED, and only then is the step record written again. ctx.inst and
 * ctx.step are set at start and never change.
 */
#define AJ__ASYNC_RETURNED 1u  /* the function returned AJ_PENDING */
#define AJ__ASYNC_CLAIMED 2u   /* a done came (before the deadline unless EXPIRED) */
#define AJ__ASYNC_READY 4u     /* the winning done's rc and output are written */
#define AJ__ASYNC_EXPIRED 8u   /* the deadline came first: done will be discarded */
#define AJ__ASYNC_PARKED 16u   /* expired, to be retried once the late done came */

typedef struct aj__async {
    _Alignas(AJ__CACHE_LINE) aj_ctx ctx; /* the attempt's context, valid until done */
    _Atomic uint32_t phase;        /* AJ__ASYNC_* of this attempt; 0 before it */
    int rc;                        /* done's code; written before READY */
    int64_t end_ns;                /* when done came; written before READY */
    int64_t retry_ns;              /* PARKED: when the retry is due; before PARKED */
} aj__async;
_Static_assert(sizeof(aj__async) <= 2 * AJ__CACHE_LINE, "an async record is two cache lines");

/* ------------------------------------------------------------------------ */
/* Mapped steps: expansions and their elements (expand.c, map.c)             */

/*
 * One element of a mapped step: a step record of its own (state, attempts,
 * times, the seqlock), so that runners, the timer heap, the blocking pool
 * and observers handle it as they handle a step; its record's index is its
 * step's. Elements lie in their expansion's one allocation, never in
 * inst->steps: aj__is_elem tells them apart by address. An element is
 * claimed once, by the thread that makes it runnable (or settles it
 * unrun), which then owns its record as a step's owner does.
 */
typedef struct aj__elem {
    aj__step rec;                  /* first: an element is reached from it */
    aj__timer timer;               /* retry delay, async deadline, or its place
                                      in the blocking pool's or a limit's
                                      queue */
    aj__mapped *m;                 /* its step's record */
    _Atomic bool claimed;          /* made runnable or settled, once */
    _Atomic uint32_t slots;        /* what it holds of the limits its step
                                      uses, as inst->slots[i] for a step */
} aj__elem;
/* The slots word fits in the padding: elements of steps without limits
 * pay nothing for it. */
_Static_assert(sizeof(aj__elem) == 2 * AJ__CACHE_LINE, "an element is two cache lines");

/*
 * What an instance keeps for one mapped step. The step's own record is the
 * aggregate: final once every element is final and the step was released
 * (its predecessors final), counted by left; whoever brings left to 0 owns
 * it then and settles it. A head (one that maps over an array step)
 * expands its whole chain, itself and every step that maps after it
 * element by element, in one allocation: element records, async records
 * and outputs arrays. elems and the rest are written by the expanding
 * thread before any element is made runnable, and read-only until a rerun.
 */
struct aj__mapped {
    aj__elem *elems;               /* n records; NULL before the expansion or
                                      when n is 0 */
    struct aj__async *asyncs;      /* an async step's: n records, else NULL */
    void *items;                   /* the outputs array, n * element_size */
    void *block;                   /* the head's: the chain's allocation */
    size_t n;
    _Atomic size_t left;           /* elements not final, + 1 until released */
    _Atomic int64_t failed;        /* first element to fail for good; -1 */
    _Atomic int64_t took_ns;       /* what the last element timed took, on
                                      any thread (exec.c); relaxed */
    _Atomic bool open;             /* its other predecessors completed: its
                                      elements may follow their sources' */
    _Atomic bool cancelled;        /* an element ended cancelled */
    uint8_t doom;                  /* its release's doomed bits; by the releaser */
    _Atomic bool expanded;         /* elems, items and n are set (n may be 0);
                                      release, for the scans of a cancel */
    uint32_t index;                /* its step */
    uint32_t source;               /* the step it maps over */
    int32_t follower;              /* first mapped step that maps over this
                                      one, as an index into inst->maps; -1 */
    int32_t sibling;               /* next one with the same source; -1 */
    int fail_err;                  /* failed's code, kind, attempts and
                                      message: written by its claimer */
    aj_fail_kind fail_kind;
    uint32_t fail_attempts;
    char message[AJ_MESSAGE_MAX];
};

/* The next element record of inst's expansions after (*k, *i), starting
 * from (0, 0): for the scans of a cancel. NULL after the last. */
aj__step *aj__inst_next_elem(aj_instance *inst, uint32_t *k, size_t *i);

/* Whether s is an element rather than a step's own record. */
static inline bool aj__is_elem(const aj__step *s)
{
    const aj_instance *inst = s->inst;

    return (uintptr_t)s - (uintptr_t)inst->steps >= (uintptr_t)inst->def->n_steps * sizeof *s;
}

static inline aj__elem *aj__elem_of(aj__step *s)
{
    return (aj__elem *)s;
}

/* Element e's index in its expansion. */
static inline size_t aj__elem_index(const aj__elem *e)
{
    return (size_t)(e - e->m->elems);
}

/* The record of mapped step index (records lie in step order). */
static inline aj__mapped *aj__inst_mapped(const aj_instance *inst, uint32_t index)
{
    uint32_t lo = 0, hi = inst->n_maps;

    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (inst->maps[mid].index <= index)
            lo = mid;
        else
            hi = mid;
    }
    return &inst->maps[lo];
}

/* s's node for the timer heap, the blocking pool's queue and the limits'
 * queues. */
static inline aj__timer *aj__step_timer(aj__step *s)
{
    return aj__is_elem(s) ? &aj__elem_of(s)->timer : &s->inst->timers[s->index];
}

/* What s holds of the limits it uses (AJ__SLOTS_*): its step's word, or
 * its element's. */
static inline _Atomic uint32_t *aj__step_slots(const aj__step *s)
{
    return aj__is_elem(s) ? &aj__elem_of((aj__step *)s)->slots : &s->inst->slots[s->index];
}

/* Where s's output goes: its slot, or its element's place in the outputs
 * array; *size gets its size. */
static inline void *aj__step_slot(aj__step *s, size_t *size)
{
    const aj_step_def *sd = &s->inst->def->steps[s->index];

    if (!aj__is_elem(s)) {
        *size = sd->output_size;
        return (char *)s->inst->outputs + sd->output_offset;
    }
    *size = sd->element_size;
    return (char *)aj__elem_of(s)->m->items + aj__elem_index(aj__elem_of(s)) * sd->element_size;
}

/* s's async record: its step's, or its element's. */
static inline aj__async *aj__step_async(aj__step *s)
{
    const aj_instance *inst = s->inst;
    uint32_t lo = 0, hi = inst->n_async;

    if (aj__is_elem(s))
        return &aj__elem_of(s)->m->asyncs[aj__elem_index(aj__elem_of(s))];
    if (inst->room != NULL)
        return &inst->asyncs[aj__def_async_place(inst->room, inst->def->n_steps, s->index)];
    /* The records' steps are told apart by address: a probe reads no
     * step record. */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (inst->asyncs[mid].ctx.step - inst->steps <= s - inst->steps)
            lo = mid;
        else
            hi = mid;
    }
    return &inst->asyncs[lo];
}

/* ------------------------------------------------------------------------ */
/* The seqlock of step records (the owner writes, anyone reads)              */

#define AJ__SET(s, field, v) atomic_store_explicit(&(s)->field, (v), memory_order_relaxed)
#define AJ__GET(s, field) atomic_load_explicit(&(s)->field, memory_order_relaxed)
/* A record field written under the seqlock: release, so that no reader
 * sees it without the odd seq before it (a plain store on x86). */
#define AJ__PUT(s, field, v) atomic_store_explicit(&(s)->field, (v), memory_order_release)

/* Seqlock writer: the owner brackets every change of a record. */
static inline uint32_t aj__rec_begin(aj__step *s)
{
    uint32_t q = AJ__GET(s, seq);

    AJ__SET(s, seq, q + 1);
    return q + 2;
}

static inline void aj__rec_end(aj__step *s, uint32_t q)
{
    atomic_store_explicit(&s->seq, q, memory_order_release);
}

/* The caller owns s and starts attempt number s->attempts + 1. */
static inline uint32_t aj__rec_attempt(aj__step *s, int64_t now_ns)
{
    uint32_t attempt = AJ__GET(s, attempts) + 1, q = aj__rec_begin(s);

    AJ__PUT(s, attempts, attempt);
    AJ__PUT(s, state, AJ_STEP_RUNNING);
    if (attempt == 1)
        AJ__PUT(s, start_ns, now_ns);
    aj__rec_end(s, q);
    return attempt;
}

/* A failed attempt that will be retried. */
static inline void aj__rec_retry(aj__step *s, int err, aj_fail_kind kind)
{
    uint32_t q = aj__rec_begin(s);

    AJ__PUT(s, err, err);
    AJ__PUT(s, kind, kind);
    aj__rec_end(s, q);
}

static inline void aj__rec_final(aj__step *s, aj_step_state state, aj_fail_kind kind, int err,
                                 int64_t end_ns)
{
    uint32_t q = aj__rec_begin(s);

    AJ__PUT(s, state, state);
    AJ__PUT(s, kind, kind);
    AJ__PUT(s, err, err);
    AJ__PUT(s, end_ns, end_ns);
    aj__rec_end(s, q);
}

/* The upstream reason for doomed bits: a failure first, then a cancel. */
static inline aj_skip_reason aj__upstream(unsigned doomed)
{
    if (doomed & AJ__DOOM_FAILED)
        return AJ_SKIP_UPSTREAM_FAILED;
    if (doomed & AJ__DOOM_CANCELLED)
        return AJ_SKIP_UPSTREAM_CANCELLED;
    return AJ_SKIP_UPSTREAM_SKIPPED;
}

/* s, owned by the caller's thread, ends skipped, for reason. */
static inline void aj__rec_skip(aj__step *s, aj_skip_reason reason)
{
    uint32_t q = aj__rec_begin(s);

    AJ__PUT(s, state, AJ_STEP_SKIPPED);
    AJ__PUT(s, kind, (uint32_t)reason << AJ__REASON_SHIFT);
    AJ__PUT(s, err, 0);
    AJ__PUT(s, end_ns, 0);
    aj__rec_end(s, q);
}

/* The same for a step still pending, as the hot path skips them: its err
 * and end_ns are 0 (start and rerun leave them so) and stay so. */
static inline void aj__rec_skip_pending(aj__step *s, aj_skip_reason reason)
{
    uint32_t q = aj__rec_begin(s);

    AJ__PUT(s, state, AJ_STEP_SKIPPED);
    AJ__PUT(s, kind, (uint32_t)reason << AJ__REASON_SHIFT);
    aj__rec_end(s, q);
}

/* A final s is pending again, as it was before its first attempt (rerun). */
static inline void aj__rec_reset(aj__step *s)
{
    uint32_t q = aj__rec_begin(s);

    AJ__PUT(s, state, AJ_STEP_PENDING);
    AJ__PUT(s, kind, 0);
    AJ__PUT(s, err, 0);
    AJ__PUT(s, attempts, 0);
    AJ__PUT(s, start_ns, 0);
    AJ__PUT(s, end_ns, 0);
    aj__rec_end(s, q);
}

/* ------------------------------------------------------------------------ */
/* record.c and the instance's plain facts                                   */

/* Reads step i's record consistently, also while it changes. */
void aj__inst_snap(const aj_instance *inst, uint32_t i, aj__snap *out);
/* The same for any record: a step's or an element's. */
void aj__rec_snap(const aj__step *s, aj__snap *out);
/* Every record, in one aj__alloc'd array (aj__free it); NULL: no memory. */
aj__snap *aj__inst_snap_all(const aj_instance *inst);
/* The instance's id: a random UUID is made the first time it is asked for
 * (most instances are never asked), by any thread. */
const char *aj__inst_id(const aj_instance *inst);
/* Wall-clock time of a monotonic instant of the instance; saturates, since
 * only a fake clock gives a reading centuries after the start. */
int64_t aj__inst_wall(const aj_instance *inst, int64_t mono_ns);

/* Every step is final. seq_cst: pairs with the finisher's n_final. */
static inline bool aj__inst_done(const aj_instance *inst)
{
    return atomic_load_explicit(&((aj_instance *)inst)->n_final, memory_order_seq_cst) ==
           inst->def->n_steps;
}

/* ------------------------------------------------------------------------ */
/* cancel_hook.c: aj_ctx_on_cancel's callbacks and who calls them            */

/* A new attempt's ctx has no hook. */
static inline void aj__ctx_hook_init(aj_ctx *ctx)
{
    atomic_init(&ctx->hook, AJ__HOOK_IDLE);
    ctx->hooked = false;
}

/* The attempt of ctx has ended (its step function returned, or an async
 * attempt was completed): from now on its hook is never called, and if a
 * firer is calling it, this waits until it has returned. Called by the
 * attempt's thread, once; after it nothing refers to ctx. Costs one
 * branch when no hook was ever registered. */
void aj__ctx_end_slow(aj_ctx *ctx);
static inline void aj__ctx_end(aj_ctx *ctx)
{
    if (ctx->hooked)
        aj__ctx_end_slow(ctx);
}
/* Calls ctx's hook on this thread if it is armed (an async attempt that
 * is abandoned, say). The caller keeps ctx alive until aj__ctx_end. */
void aj__ctx_fire_cancel(aj_ctx *ctx);
/* The instance has just been marked cancelled: calls the hook of every
 * attempt of it that has one armed, on this thread, with no lock held. */
void aj__inst_fire_cancels(aj_instance *inst);
/* The canceller's part: calls the hooks whose deadline is past now_ns;
 * returns the next deadline (INT64_MAX: none). */
int64_t aj__hooks_fire_due(aj_runtime *rt, int64_t now_ns);

/* aj_start_opts.on_done: the very last thing the thread that finished
 * inst does with it (sched.c's aj__sched_done, or start). */
static inline void aj__inst_on_done(aj_instance *inst)
{
    if (inst->on_done != NULL)
        inst->on_done(inst, inst->user);
}

/* The deadline of s's async attempt has come (its timer left the heap
 * under rt->mu): the attempt expires unless done came first. True when
 * the caller must now judge the attempt, as the function has returned. */
static inline bool aj__async_expire(aj__step *s)
{
    aj__async *a = aj__step_async(s);
    uint32_t old = atomic_load_explicit(&a->phase, memory_order_relaxed);

    do {
        if (old & AJ__ASYNC_CLAIMED)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&a->phase, &old, old | AJ__ASYNC_EXPIRED,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed));
    return (old & AJ__ASYNC_RETURNED) != 0;
}

/* A runner of inst that owns nothing yet. */
static inline void aj__runner_init(aj__runner *r, aj_instance *inst)
{
    *r = (aj__runner){ .inst = inst, .now_ns = aj_now_ns(), .step_ns = -1 };
}

/* Pushes list (linked by next), whose steps the caller owns, on r's stack. */
static inline void aj__runner_adopt(aj__runner *r, aj__step *list)
{
    if (r->stack == NULL)
        r->stack_since_ns = r->now_ns;
    while (list != NULL) {
        aj__step *s = list;
        list = s->next;
        s->next = r->stack;
        r->stack = s;
        r->n_stack++;
    }
}

#endif
