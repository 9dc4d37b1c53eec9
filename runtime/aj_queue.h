/*
 * aj_queue.h: layer 6 of the runtime (see aj_internal.h), where runnable
 * steps wait and who is told about them (sched.c): an instance's unclaimed
 * roots and shared ready list, the runtime's queue of instances with work
 * to share, the timer heap of steps waiting out a retry delay, the
 * wake-ups of parked workers and waiters; and the limits' slots and the
 * steps waiting for them (limit.c). It moves steps between places; it
 * runs none.
 */
#ifndef AJ_QUEUE_H
#define AJ_QUEUE_H

#include "aj_data.h"

/* A runner hands part of its own runnable steps to other threads once they
 * have waited this long (exec.c), and a root that took this long calls
 * the other workers to the roots left (sched.c): long enough that short
 * steps never pay for moving between cores, short against a step worth
 * running apart. */
#define AJ__SHARE_NS 20000

/* The runtime outlives the instance (and its observer the instance's
 * steps) until aj__sched_done: counted in its live instances, sequential
 * ones included, whose steps run on their starter's thread. */
void aj__sched_live(aj_instance *inst);
/* A new instance joins the runtime's queue. */
void aj__sched_start(aj_instance *inst);
/* Steps nobody has begun go to the workers at once, with no grace left
 * for a waiter that will not run them (a waiter with a timeout). */
void aj__sched_hand_over(aj_instance *inst);
/* Claims the next run of roots for r; false when none are left. */
bool aj__sched_claim_roots(aj__runner *r);
/* Hands r's stack but its top keep steps to other threads. */
void aj__sched_offer(aj__runner *r, uint32_t keep);
/* A step from the shared ready list, or NULL. */
/* Moves up to half of the shared list (POP_MORE at most) onto r's stack,
 * in their order: for elements of mapped steps, which come in thousands. */
void aj__sched_pop_more(aj__runner *r);
aj__step *aj__sched_pop(aj_instance *inst);
/* Puts s in the timer heap until due_ns. False when the instance was
 * cancelled: the caller still owns s. */
bool aj__sched_delay(aj_instance *inst, aj__step *s, int64_t due_ns);
/* An async attempt of s (not sequential) may expire at due_ns: its
 * deadline's timer goes in the heap, where a worker or a waiter expires
 * the attempt (aj__async_expire) and judges it if it must. */
void aj__sched_arm(aj_instance *inst, aj__step *s, int64_t due_ns);
/* The attempt ended otherwise: its deadline leaves the heap, if still
 * there. After it no expiry of that attempt is in flight. */
void aj__sched_disarm(aj_instance *inst, aj__step *s);
/* Sequential mode: waits until due_ns or a cancel; true if cancelled. */
bool aj__sched_sleep(aj_instance *inst, int64_t due_ns);
/* A timer of inst that is due, taken out of the heap (the caller owns the
 * step), or NULL and the earliest due time of inst's in *next_due_ns. A
 * due deadline expires its attempt; its step is the caller's when that
 * ends the attempt, to judge. */
aj__step *aj__sched_own_timer(aj_instance *inst, int64_t now_ns, int64_t *next_due_ns);
/* The instance is cancelled: every step waiting anywhere (the timer heap,
 * the shared list, the roots) becomes r's, which may own steps already. */
void aj__sched_take_all(aj__runner *r);
/* Every step is final: out of the queue, waiters woken; the last touch of
 * the runtime; then aj_start_opts.on_done. */
void aj__sched_done(aj_instance *inst);

/* For the workers (pool.c), with rt->mu held. A timer popped is a retry
 * to run or an expired async attempt to judge (aj__async_run). */
aj_instance *aj__sched_rq_pop(aj_runtime *rt, int64_t now_ns);
aj__step *aj__sched_timer_pop(aj_runtime *rt, int64_t now_ns);
void aj__sched_wake_locked(aj_runtime *rt);
/* Lets go of a hold taken by a pop (or by aj_instance_cancel). */
void aj__sched_unhold(aj_instance *inst);

/* ------------------------------------------------------------------------ */
/* limit.c: a runtime's limits and the steps waiting for their slots. A
 * list of granted steps is linked by next, oldest first, each holding its
 * instance (holders) for the caller to hand on, then let go.               */

typedef struct aj__limit aj__limit;

/* What an attempt's taking of s's slots came to. */
typedef enum aj__take {
    AJ__TAKE_HELD,      /* s holds every limit it uses: run it */
    AJ__TAKE_QUEUED,    /* s waits in a limit's queue: no longer the caller's */
    AJ__TAKE_CANCELLED  /* the instance is cancelled: s holds nothing, waits
                           nowhere and is still the caller's */
} aj__take;

/* s (a step or an element), owned by the caller's thread, holds its
 * slots (before an attempt). */
static inline bool aj__limit_holds(const aj__step *s)
{
    return atomic_load_explicit(aj__step_slots(s), memory_order_relaxed) == AJ__SLOTS_HELD;
}

/* Before an attempt of s (a step with AJ_STEP_LIMITED, or an element of
 * one, owned by the caller's thread): takes a slot of every limit it
 * uses, in order. */
aj__take aj__limit_take(aj__step *s);
/* s lets go of what it holds, and leaves the queue it waits in (a
 * sequential instance's step, whose thread waits): returns the steps
 * that this lets in. */
aj__step *aj__limit_drop(aj__step *s);
/* inst is cancelled: its steps and elements waiting for slots leave the
 * queues and are returned (linked by next), now the caller's, holding
 * nothing; the steps of other instances that the slots they held let in
 * are in *granted. */
aj__step *aj__limit_cut(aj_instance *inst, aj__step **granted);

/* The runtime's limits: init cannot fail; free after the last instance. */
void aj__limits_init(aj_runtime *rt);
void aj__limits_free(aj_runtime *rt);
/* inst->limits[k] for each of inst->def's limits, on inst->rt, made with
 * the definition's size if rt has not met the name yet. AJ_OK, AJ_ENOMEM. */
int aj__limits_resolve(aj_instance *inst);
/* aj_runtime_set_limit without the handing on: the steps a larger size
 * lets in are in *granted. AJ_OK or AJ_ENOMEM. */
int aj__limit_set(aj_runtime *rt, const char *name, uint32_t size, aj__step **granted);

/* A limit's state, for tests: AJ_OK, or AJ_EINVAL when rt has none of
 * that name. */
typedef struct aj__limit_stat {
    uint32_t size, in_use, n_waiting;
} aj__limit_stat;
int aj__limit_peek(aj_runtime *rt, const char *name, aj__limit_stat *out);

#endif
