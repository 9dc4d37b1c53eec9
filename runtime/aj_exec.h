/*
 * aj_exec.h: layer 7 of the runtime (see aj_internal.h), doing: runners
 * (exec.c), which run steps and act on what the state machine answers,
 * and the worker threads (pool.c), which find work for runners.
 */
#ifndef AJ_EXEC_H
#define AJ_EXEC_H

#include "aj_observe.h"
#include "aj_queue.h"
#include "aj_state.h"

/* A short element: one that took less than this. Short elements are not
 * shared however many wait, since moving them costs more than running
 * them (bench W9), and most of their ends are not read from the clock. */
#define AJ__SHORT_ELEM_NS 1000
/* One element that took this long shows its step's elements are long,
 * without a second to confirm it (exec.c). */
#define AJ__ELEM_BELIEVED_NS 1000000

/* Sharing the older half of a runner's waiting steps wakes a thread,
 * which then makes every running thread pass a barrier (barrier.c): a few
 * microseconds on bare metal, tens on a VM, where the barrier's IPIs go
 * through the hypervisor. The half is shared only when it holds this much
 * work, at what the last step took (exec.c). */
#define AJ__HANDOVER_NS 5000
/* aj__share_keep: keep every step, share none. */
#define AJ__KEEP_ALL UINT32_MAX

/* How many of its waiting steps r keeps before it runs the next one, to
 * share the rest with other threads (aj__sched_offer), or AJ__KEEP_ALL.
 * After a long step, none: the steps it released may be long too. Short
 * steps that have waited AJ__SHARE_NS: the newer half, when the older one
 * is worth a handover; a 100x100 wavefront of no-op steps (bench W4)
 * shared halves of a few dozen steps, and ran 8 % slower than alone. Steps
 * that take under min_ns are never shared (see AJ__SHORT_ELEM_NS). */
static inline uint32_t aj__share_keep(const aj__runner *r, int64_t min_ns)
{
    uint32_t half = r->n_stack / 2;

    if (r->step_ns >= AJ__SHARE_NS)
        return 0;
    if (r->step_ns >= min_ns && half > 0 && r->now_ns - r->stack_since_ns >= AJ__SHARE_NS &&
        r->step_ns * (int64_t)half >= AJ__HANDOVER_NS)
        return r->n_stack - half;
    return AJ__KEEP_ALL;
}

/* Whether r reads the clock at the end of an element of m (must: a
 * deadline or an observer needs the time). Elements come in thousands,
 * many of them short: after a short one, the next seven ends of the same
 * step's elements are the last reading. The first
 * element of a step r runs, and one after a longer element, is always
 * read: what it took decides whether the rest are shared (exec.c). */
static inline bool aj__elem_clock_due(aj__runner *r, const aj__mapped *m, bool must)
{
    if (must || r->elem_ns >= AJ__SHORT_ELEM_NS || r->skimmed != m || ++r->clock_skips >= 8) {
        r->skimmed = m;
        r->clock_skips = 0;
        return true;
    }
    return false;
}

/* Runs every step r owns or can get of its instance (its stack, claimed
 * roots, the shared list, new roots), then counts what it settled. After
 * it returns, r owns nothing, and the instance may be done: only a holder
 * or the instance's owner may touch it then. */
void aj__exec_drain(aj__runner *r);
/* Sequential mode: every step on this thread, in def->order. */
void aj__exec_sequential(aj_instance *inst);
/* Starts the rerun that aj__state_rerun prepared, from its ready steps
 * (linked by next): they go to the workers, skipped ones are settled; in
 * sequential mode, every step runs on this thread before it returns. The
 * instance must be counted live (aj__sched_live) first. */
void aj__exec_rerun(aj_instance *inst, aj__step *ready);
/* Cancels inst from any thread: the steps not started are settled as
 * cancelled on this thread, running ones see the flag. The caller holds
 * inst or owns it. */
void aj__exec_cancel(aj_instance *inst);

/* A thread of the blocking pool runs r's one step (on its stack) and
 * what follows it: blocking steps here or on other pool threads, the rest
 * offered to the workers. Then as aj__exec_drain. */
void aj__exec_blocking(aj__runner *r);

/* For async.c, the pieces of an attempt that exec.c's run_step is made of:
 * open an attempt in ctx (ctx->inst, ctx->step and ctx->message set),
 * returning its start; judge its end (a timeout past the deadline); free
 * an output a failed attempt stored in step i's slot; conclude (true: run
 * again after *delay); wait out a retry delay (true: run again now). */
int64_t aj__exec_open(aj_ctx *ctx, int64_t now_ns, bool timed);
aj_fail_kind aj__exec_judge(const aj_ctx *ctx, int *rc, int64_t end_ns);
void aj__exec_discard_output(aj__step *s, bool returned_ok);
bool aj__exec_conclude(aj__runner *r, aj__step *s, const aj_ctx *ctx, int rc, aj_fail_kind kind,
                       int64_t end_ns, int64_t *delay);
bool aj__exec_wait_out(aj__runner *r, aj__step *s, int64_t delay);
/* Before an attempt of s that uses limits: true when it holds its slots;
 * false when it is no longer r's (it waits for one, or it was settled as
 * cancelled). */
bool aj__exec_admit(aj__runner *r, aj__step *s);
/* s, owned by r's thread, ends in state (a mapped step, map.c): completed,
 * failed, cancelled, or skipped (its record written already); counted and
 * its successors released. */
void aj__exec_settle(aj__runner *r, aj__step *s, aj_step_state state, aj_fail_kind kind, int err,
                     const char *message, int64_t end_ns);
/* Runs element s of a mapped step, owned by r's thread, as a step is run:
 * attempts until it is final (map.c settles it) or waits in the heap. */
void aj__exec_run_elem(aj__runner *r, aj__step *s);
/* A thread that is no worker (done's, a timer's) joins r's instance
 * (r->now_ns as aj__runner_init read it) ... */
void aj__exec_enter(aj__runner *r);
/* ... settles there what it must, then runs what follows: async steps it
 * starts, the others go to the workers. Then as aj__exec_drain. */
void aj__exec_foreign(aj__runner *r);

/* async.c: async steps. Run starts an attempt of s, owned by r's thread,
 * or judges its attempt when s is waiting (its deadline handed it over);
 * in sequential mode it waits for each attempt's done. */
void aj__async_run(aj__runner *r, aj__step *s);
/* The attempt in ctx is over before its done came (its deadline passed):
 * calls the hook where its step may be told to abort (aj_ctx_on_cancel),
 * then ends the hook's registration, as the end of an attempt does. */
void aj__attempt_abandoned(aj_ctx *ctx);

/* map.c: mapped steps. Run releases a mapped step s (its predecessors
 * are final) or runs its element s, owned by r's thread; cancel settles
 * either once the instance is cancelled; conclude is aj__exec_conclude
 * for an element. */
void aj__map_run(aj__runner *r, aj__step *s);
/* Counts the elements r settled and holds back (map.c); this may settle
 * their step and put what follows it on r's stack. */
void aj__map_flush(aj__runner *r);
void aj__map_cancel(aj__runner *r, aj__step *s, int64_t now_ns);
bool aj__map_conclude(aj__runner *r, aj__step *s, const aj_ctx *ctx, int rc, aj_fail_kind kind,
                      int64_t end_ns, int64_t *delay);

/* blocking.c: the runtime's blocking pool (aj_data.h). Init cannot fail;
 * stop joins every thread (no instance may be live). */
void aj__blocking_init(aj_runtime *rt, const aj_runtime_opts *opts);
void aj__blocking_stop(aj_runtime *rt);
/* Hands s, owned by r's thread, to the pool; false when there is no
 * thread to run it (none could be created): r's thread runs it then. */
bool aj__blocking_submit(aj__runner *r, aj__step *s);
/* The instance is cancelled: its steps in the pool's queue become r's. */
void aj__blocking_cut(aj__runner *r);

/* admit.c: the slots of steps that use limits (AJ_STEP_LIMITED), and of
 * their elements. Admit, before each attempt of s (a step or an element,
 * owned by the caller's thread): HELD, run it;
 * QUEUED, it waits for a slot and is no longer the caller's (it comes
 * back to be run once it holds them); CANCELLED, the caller settles it
 * as cancelled. A sequential instance's step is never QUEUED: this
 * thread waits. Release, after each attempt: lets go of s's slots and
 * hands on the steps that lets in. */
aj__take aj__admit(aj__step *s);
void aj__admit_release(aj__step *s);
/* Hands each step of granted (limit.c's list) back to be run. */
void aj__admit_grant(aj__step *granted);
/* r's instance is cancelled: its steps waiting for slots become r's. */
void aj__admit_cut(aj__runner *r);

/* The attempt of s has ended: its slots, if it uses limits, are let go. */
static inline void aj__admit_end(aj__step *s)
{
    if (s->inst->def->exec[s->index].flags & AJ_STEP_LIMITED)
        aj__admit_release(s);
}

/* s, owned by the caller's thread, is settled with no attempt running: it
 * was let in and is cancelled before its attempt, or its async attempt
 * was abandoned. The slots it holds, if any, are let go. */
static inline void aj__admit_let_go(aj__step *s)
{
    if ((s->inst->def->exec[s->index].flags & AJ_STEP_LIMITED) && aj__limit_holds(s))
        aj__admit_release(s);
}

/* canceller.c: the runtime's thread that makes the cancels signal handlers
 * ask for (aj_instance_cancel_async). Start: AJ_EAGAIN when it cannot be
 * created. Stop: after it, no request is left undone. */
int aj__canceller_start(aj_runtime *rt);
void aj__canceller_stop(aj_runtime *rt);

/* pool.c: the process-wide default runtime, made on first use; NULL when
 * it cannot be made (it is tried again next time). */
aj_runtime *aj__runtime_default(void);

#endif
