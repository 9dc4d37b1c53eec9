/*
 * exec.c: running steps, the doing half of an instance (the deciding half
 * is aj_state.h and instance.c). A runner is one thread working on one
 * instance. It runs the step it made runnable last (so a chain runs on one
 * thread without touching any queue), then the rest of what it owns, then
 * a run of roots it claims, then a step from the instance's shared list.
 * One attempt calls the step's generated wrapper with an aj_ctx on this
 * thread's stack, judges the result (deadline, permanent mark, retry
 * policy) and either settles the step, runs it again, or parks it in the
 * timer heap. Settling asks the state machine what follows and acts on
 * its answers: runs what became runnable, tells the observers (observe.c),
 * cancels the instance on a fail-fast failure. The clock is read once per
 * step: the end of one step is the start of the next. A blocking step is
 * not run by a runner but handed to the blocking pool (blocking.c), whose
 * threads run it with a runner of their own (aj__exec_blocking); there
 * the steps it makes runnable go back to the workers, unless they block
 * too. An async step's attempt is started here and ended wherever its
 * done (or its deadline) comes (async.c): that thread settles it with the
 * functions below and runs what follows as a foreign runner
 * (aj__exec_foreign), which starts async steps and hands the rest on.
 *
 * DESIGN
 * The solo-runner protocol. A solo runner (the only thread running the
 * instance, r->solo) counts arrivals with plain loads and stores. It
 * brackets every stretch that may touch counters with busy and idle; a
 * thread that joins sets AJ__SHARED, makes every thread pass a full
 * barrier (barrier.c), then waits until the solo runner is idle. Either
 * that runner's busy store was before its barrier and the joiner sees it
 * and waits, or its load of runners was after the barrier and sees
 * AJ__SHARED: it then counts with read-modify-writes. The stores cost
 * nothing on x86; the signal fence keeps the compiler from moving the load
 * above the store. A runner left alone in a shared instance clears
 * AJ__SHARED and is solo again. Observers are the user's code and may
 * cancel the instance, which joins it from this very thread: a runner
 * calls them only while idle.
 */
#include "aj_exec.h"

#include <sched.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* The solo-runner protocol                                                  */

/* True when r, alone in its shared instance, is solo now. */
static bool try_solo(aj__runner *r)
{
    uint32_t alone = 2u | AJ__SHARED;

    /* acq_rel: the read-modify-writes of the runners that left come first. */
    r->solo = atomic_compare_exchange_strong_explicit(&r->inst->runners, &alone, 2u,
                                                      memory_order_acq_rel,
                                                      memory_order_relaxed);
    /* What they ran may have ended after this thread's last reading: the
     * steps it readies start now, not then. */
    if (r->solo)
        r->now_ns = aj_now_ns();
    return r->solo;
}

static inline void runner_busy(aj__runner *r)
{
    aj_instance *inst = r->inst;

    if (!r->solo &&
        (!inst->can_solo ||
         atomic_load_explicit(&inst->runners, memory_order_relaxed) != (2u | AJ__SHARED) ||
         !try_solo(r)))
        return;
    atomic_store_explicit(&inst->solo_busy, true, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&inst->runners, memory_order_relaxed) & AJ__SHARED) {
        atomic_store_explicit(&inst->solo_busy, false, memory_order_release);
        r->solo = false;
    }
}

static inline void runner_idle(aj__runner *r)
{
    if (r->solo)
        atomic_store_explicit(&r->inst->solo_busy, false, memory_order_release);
}

/* Joins the threads running r's instance. Alone, it is solo; joining
 * others, it makes the instance shared and waits until a solo runner, if
 * busy, is done with plain counters. */
static void enter(aj__runner *r)
{
    aj_instance *inst = r->inst;
    uint32_t old = atomic_fetch_add_explicit(&inst->runners, 2, memory_order_acq_rel);

    r->solo = false;
    if (!inst->can_solo)
        return;
    if (old >> 1 == 0) {
        if ((old & AJ__SHARED) == 0)
            r->solo = true;
        else
            try_solo(r);
        return;
    }
    /* Another joiner may be doing the same: each waits for itself. */
    atomic_fetch_or_explicit(&inst->runners, AJ__SHARED, memory_order_seq_cst);
    aj__barrier_heavy();
    for (unsigned spins = 0; atomic_load_explicit(&inst->solo_busy, memory_order_acquire);
         spins++) {
        if (spins > 64)
            sched_yield();
        aj__cpu_relax();
    }
}

static void leave(aj__runner *r)
{
    atomic_fetch_sub_explicit(&r->inst->runners, 2, memory_order_acq_rel);
}

/* ------------------------------------------------------------------------ */
/* Settling: acting on what the state machine answers                        */

/* The observers learn of the doomed steps on told (linked by next):
 * skipped, or cancelled when the instance was. */
static void tell_skipped(aj__step *told)
{
    while (told != NULL) {
        aj__step *s = told;
        told = s->next;
        aj__observe_finish(s, (aj_step_state)AJ__GET(s, state), 0, NULL, 0);
    }
}

/* Counts the settled steps on work as final, releases their successors,
 * then tells the observers what that skipped. */
static void settle(aj__runner *r, aj__step *work)
{
    aj__step *told = NULL;

    runner_busy(r);
    aj__step_settle(r, work, r->inst->observed ? &told : NULL);
    runner_idle(r);
    tell_skipped(told);
}

/* Adds every arrival r holds back; what they make runnable goes on r's
 * stack, what they doom is settled. */
static void flush_held(aj__runner *r)
{
    aj__step *told = NULL, **tail = r->inst->observed ? &told : NULL;

    runner_busy(r);
    /* Settling what the arrivals release may hold back new ones. */
    while (r->held != NULL) {
        aj__step *work = NULL, *ready = aj__state_add_held(r);
        if (ready != NULL)
            aj__step_runnable(r, ready, &work);
        tail = aj__step_settle(r, work, tail);
    }
    runner_idle(r);
    tell_skipped(told);
}

/* Cancels r's instance, once (false when it had begun already; a request
 * from a signal handler sets cancelled by itself): running steps blocked
 * on I/O learn of it through their hooks, and every step waiting
 * elsewhere becomes r's, for r's loop to settle as cancelled. From inside
 * (fail-fast) or from aj__exec_cancel. */
static bool cancel_into(aj__runner *r)
{
    aj_instance *inst = r->inst;

    if (atomic_exchange(&inst->cancel_begun, true))
        return false;
    atomic_store(&inst->cancelled, true);
    aj__inst_fire_cancels(inst);
    aj__sched_take_all(r);
    aj__blocking_cut(r);
    aj__admit_cut(r);
    return true;
}

/* s (owned by r's thread) is final: it counts, and its successors are
 * released, doomed (doom: aj__doom_of(s)) unless it completed; what that
 * dooms is settled. Inline: a call here cost every step a frame of its
 * own, 24 of its 250 or so instructions on a chain (bench W2, callgrind). */
AJ__ALWAYS_INLINE void release_after(aj__runner *r, aj__step *s, unsigned doom)
{
    aj__step *work = NULL;

    r->n_final++;
    runner_busy(r);
    aj__step_release(r, s, doom, &work);
    runner_idle(r);
    if (work != NULL)
        settle(r, work);
}

/* s, owned by r's thread, ends failed or cancelled. The cancel that a
 * fail-fast failure calls for comes before anyone is told of it. */
static void finish(aj__runner *r, aj__step *s, aj_step_state state, aj_fail_kind kind, int err,
                   const char *message, int64_t end_ns)
{
    if (aj__state_finish(s, state, kind, err, message, end_ns))
        cancel_into(r);
    if (r->inst->observed)
        aj__observe_finish(s, state, err, message, end_ns);
    release_after(r, s, state == AJ_STEP_FAILED ? AJ__DOOM_FAILED : AJ__DOOM_CANCELLED);
}

/* Settles s (owned by r's thread) as cancelled, keeping the code of its
 * last attempt. A waiting s is an async attempt whose deadline came: it
 * is over, and its late done will be discarded. Slots it holds (it was
 * let in, or that attempt had them) are let go. */
static void cancel_step(aj__runner *r, aj__step *s, int64_t now_ns)
{
    if (r->inst->def->exec[s->index].flags & AJ_STEP_MAPPED) {
        aj__map_cancel(r, s, now_ns);
        return;
    }
    bool started = atomic_load_explicit(&s->attempts, memory_order_relaxed) > 0;
    int err = atomic_load_explicit(&s->err, memory_order_relaxed);

    if (AJ__GET(s, state) == AJ_STEP_WAITING)
        aj__attempt_abandoned(&aj__step_async(s)->ctx);
    aj__admit_let_go(s);

    finish(r, s, AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, err, NULL, started ? now_ns : 0);
}

/* s completed at end_ns: how most steps end, all inline (async.c's
 * attempts call it too, through aj__exec_conclude, which must not cost
 * run_step its inlining). */
AJ__ALWAYS_INLINE void complete(aj__runner *r, aj__step *s, int64_t end_ns)
{
    aj__rec_final(s, AJ_STEP_COMPLETED, AJ_FAIL_NONE, 0, end_ns);
    if (r->inst->observed)
        aj__observe_finish(s, AJ_STEP_COMPLETED, 0, NULL, end_ns);
    release_after(r, s, 0);
}

/* ------------------------------------------------------------------------ */
/* One step                                                                  */

/* Opens attempt s->attempts + 1 of s, ctx's step, which starts at now_ns
 * or, when a start observer is told of it first, once that observer has
 * returned: an observer's time is not the step's. Returns the start.
 * inst and s come apart from ctx, so that a runner keeps them in
 * registers across the step's call. */
AJ__ALWAYS_INLINE int64_t ctx_open(aj_ctx *ctx, aj_instance *inst, aj__step *s, int64_t now_ns,
                                   bool timed)
{
    int64_t timeout = timed ? inst->def->steps[s->index].timeout_ns : 0;

    ctx->permanent = false;
    if (ctx->message != NULL)
        ctx->message[0] = '\0';
    aj__ctx_hook_init(ctx);
    ctx->attempt = atomic_load_explicit(&s->attempts, memory_order_relaxed) + 1;
    if (inst->observed) {
        aj__observe_start(ctx);
        now_ns = aj_now_ns();
    }
    ctx->deadline_ns = timeout > 0 ? aj__add_sat(now_ns, timeout) : INT64_MAX;
    aj__rec_attempt(s, now_ns);
    return now_ns;
}

/* A step that returns after its deadline failed by timing out: with its own
 * code if it gave one, else AJ_ESTEPTIMEOUT. */
static aj_fail_kind judge(const aj_ctx *ctx, int *rc, int64_t end_ns)
{
    if (ctx->deadline_ns != INT64_MAX && end_ns > ctx->deadline_ns) {
        if (*rc == 0)
            *rc = AJ_ESTEPTIMEOUT;
        return AJ_FAIL_TIMEOUT;
    }
    return *rc != 0 ? AJ_FAIL_ERROR : AJ_FAIL_NONE;
}

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (p[k] != 0)
            return false;
    return true;
}

/* A failed attempt may have stored an output (a step that returned 0 after
 * its deadline did): free it now, once, or a retry overwrites it and a
 * final failure never frees it. The slot is all zeros before every attempt
 * (the instance starts so, and this clears it), so anything else was
 * stored by this one. Without output_size (tables not from ajc) only a
 * late success is known to have stored one. */
static void discard_output(aj_instance *inst, const aj_step_def *sd, bool returned_ok)
{
    unsigned char *slot = (unsigned char *)inst->outputs + sd->output_offset;

    if (sd->free_output == NULL || sd->output_type == NULL)
        return;
    if (sd->output_size == 0) {
        if (returned_ok)
            sd->free_output(slot);
        return;
    }
    if (all_zero(slot, sd->output_size))
        return;
    sd->free_output(slot);
    memset(slot, 0, sd->output_size);
}

/* After a failed attempt to be retried in delay ns: true to run it again
 * on this thread now; false when it waits in the timer heap, or was
 * settled as cancelled meanwhile. */
static bool wait_out(aj__runner *r, aj__step *s, int64_t delay)
{
    aj_instance *inst = r->inst;

    if (delay == 0)
        return true;
    if (inst->sequential) {
        if (aj__sched_sleep(inst, aj__add_sat(r->now_ns, delay))) {
            cancel_step(r, s, aj_now_ns());
            return false;
        }
        r->now_ns = aj_now_ns();
        return true;
    }
    if (aj__sched_delay(inst, s, aj__add_sat(r->now_ns, delay)))
        return false;
    cancel_step(r, s, r->now_ns);
    return false;
}

/* After the attempt of s in ctx ended at end_ns with rc, judged kind: s
 * completes, ends failed or cancelled, or is to run again: true then,
 * with the delay before it in *delay (the observers were told). */
AJ__ALWAYS_INLINE bool conclude(aj__runner *r, aj__step *s, const aj_ctx *ctx, int rc,
                                aj_fail_kind kind, int64_t end_ns, int64_t *delay)
{
    aj_instance *inst = r->inst;

    if (rc == 0) {
        complete(r, s, end_ns);
        return false;
    }
    /* A failure after the cancel, or a step's own AJ_ECANCELED, is a
     * cancel: no root cause, no retry. */
    if (rc == AJ_ECANCELED || atomic_load(&inst->cancelled)) {
        finish(r, s, AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, rc, ctx->message, end_ns);
        return false;
    }
    if (ctx->permanent ||
        !aj__retry_next(aj__inst_retry(inst, s->index), ctx, rc, ctx->attempt - 1, delay)) {
        finish(r, s, AJ_STEP_FAILED, kind, rc, ctx->message, end_ns);
        return false;
    }
    aj__rec_retry(s, rc, kind);
    if (inst->observed)
        aj__observe_retry(ctx, rc, *delay);
    return true;
}

/* Before an attempt of s, which uses limits: see aj__exec_admit. */
static bool admitted(aj__runner *r, aj__step *s)
{
    aj__take t = aj__admit(s);

    /* A sequential instance's thread may have waited for the slots. */
    if (t != AJ__TAKE_QUEUED && r->inst->sequential)
        r->now_ns = aj_now_ns();
    if (t == AJ__TAKE_CANCELLED)
        cancel_step(r, s, r->now_ns);
    return t == AJ__TAKE_HELD;
}

/* Ends the timing of an element of m that started at start, if its end
 * is read (aj__elem_clock_due). What elements of m take, as far as
 * sharing them goes, is then the lesser of this one and the last one
 * timed, here or on another thread, so that a thread preempted once, or
 * a first element slowed by fresh memory, does not share thousands of
 * short elements. One that took a millisecond or more is believed at
 * once: its step's rest is shared from its first element on. */
AJ__ALWAYS_INLINE void time_elem(aj__runner *r, aj__mapped *m, int64_t start, bool must)
{
    int64_t took, last;

    if (!aj__elem_clock_due(r, m, must))
        return;
    r->now_ns = aj__line_now(&r->clock);
    took = r->now_ns - start;
    last = atomic_load_explicit(&m->took_ns, memory_order_relaxed);
    if (last != took)
        atomic_store_explicit(&m->took_ns, took, memory_order_relaxed);
    r->elem_ns = took;
    r->step_ns = took >= AJ__ELEM_BELIEVED_NS || took < last ? took : last;
}

/* Runs s until it is final, parked in the timer heap or waiting for a
 * limit's slot: a step, or an element of a mapped step (elem, a constant:
 * the plain path is as it would be without elements), whose outcome map.c
 * settles. An element of a step that uses limits takes and lets go of its
 * own slots around each attempt, as a step does. */
AJ__ALWAYS_INLINE void run_attempts(aj__runner *r, aj__step *s, bool elem)
{
    aj_instance *inst = r->inst;
    const aj_step_exec *x = &inst->def->exec[s->index];
    char message[AJ_MESSAGE_MAX];
    aj__hook hook;
    aj_ctx ctx;

    /* Field by field: ctx_open writes the rest, so nothing is cleared. */
    ctx.inst = inst;
    ctx.step = s;
    ctx.async = false;
    ctx.message = message;
    ctx.hk = &hook;
    for (;;) {
        int64_t delay, start;
        int rc, returned;
        aj_fail_kind kind;

        if ((x->flags & AJ_STEP_LIMITED) && !admitted(r, s))
            return;
        /* Alone, this thread's last reading is the start: it readied s,
         * unless an observer ran since. Else another thread may have
         * readied it after that reading. */
        start = r->solo && !inst->observed ? r->now_ns : aj_now_ns();
        start = ctx_open(&ctx, inst, s, start, x->flags & AJ_STEP_TIMED);
        returned = x->run(&ctx, inst->inputs, inst->outputs, x->slots);
        /* The attempt has ended: its cancel hook, if any, is not called
         * from now on, nor still running; its slots go before a retry. */
        aj__ctx_end(&ctx);
        if (elem) {
            time_elem(r, aj__elem_of(s)->m, start, (x->flags & AJ_STEP_TIMED) || inst->observed);
        } else {
            r->now_ns = aj__line_now(&r->clock);
            r->step_ns = r->now_ns - start;
            r->skimmed = NULL;
        }
        if (x->flags & AJ_STEP_LIMITED)
            aj__admit_release(s);
        rc = returned;
        kind = judge(&ctx, &rc, r->now_ns);
        if (rc != 0 && elem)
            aj__exec_discard_output(s, returned == 0);
        else if (rc != 0)
            discard_output(inst, &inst->def->steps[s->index], returned == 0);
        if (!(elem ? aj__map_conclude(r, s, &ctx, rc, kind, r->now_ns, &delay)
                   : conclude(r, s, &ctx, rc, kind, r->now_ns, &delay)) ||
            !wait_out(r, s, delay))
            return;
    }
}

static void run_step(aj__runner *r, aj__step *s)
{
    run_attempts(r, s, false);
}

void aj__exec_run_elem(aj__runner *r, aj__step *s)
{
    run_attempts(r, s, true);
}

/* ------------------------------------------------------------------------ */
/* For async steps (async.c)                                                 */

int64_t aj__exec_open(aj_ctx *ctx, int64_t now_ns, bool timed)
{
    return ctx_open(ctx, ctx->inst, ctx->step, now_ns, timed);
}

aj_fail_kind aj__exec_judge(const aj_ctx *ctx, int *rc, int64_t end_ns)
{
    return judge(ctx, rc, end_ns);
}

void aj__exec_discard_output(aj__step *s, bool returned_ok)
{
    const aj_step_def *sd = &s->inst->def->steps[s->index];
    size_t size;
    unsigned char *slot;

    if (!aj__is_elem(s)) {
        discard_output(s->inst, sd, returned_ok);
        return;
    }
    /* An element's place in its step's outputs array, as a slot. */
    slot = aj__step_slot(s, &size);
    if (sd->free_output == NULL || all_zero(slot, size))
        return;
    sd->free_output(slot);
    memset(slot, 0, size);
}

bool aj__exec_conclude(aj__runner *r, aj__step *s, const aj_ctx *ctx, int rc, aj_fail_kind kind,
                       int64_t end_ns, int64_t *delay)
{
    if (aj__is_elem(s))
        return aj__map_conclude(r, s, ctx, rc, kind, end_ns, delay);
    return conclude(r, s, ctx, rc, kind, end_ns, delay);
}

void aj__exec_settle(aj__runner *r, aj__step *s, aj_step_state state, aj_fail_kind kind, int err,
                     const char *message, int64_t end_ns)
{
    if (state == AJ_STEP_COMPLETED) {
        complete(r, s, end_ns);
    } else if (state == AJ_STEP_SKIPPED) {
        s->next = NULL;
        settle(r, s);
    } else {
        finish(r, s, state, kind, err, message, end_ns);
    }
}

bool aj__exec_wait_out(aj__runner *r, aj__step *s, int64_t delay)
{
    return wait_out(r, s, delay);
}

bool aj__exec_admit(aj__runner *r, aj__step *s)
{
    return admitted(r, s);
}

/* ------------------------------------------------------------------------ */
/* The drain loop                                                            */

/* The next step r owns: the one it made runnable last, then its roots. */
static aj__step *owned(aj__runner *r)
{
    aj__step *s = r->stack;

    if (s != NULL) {
        r->stack = s->next;
        r->n_stack--;
        return s;
    }
    if (r->root < r->root_end)
        return &r->inst->steps[r->inst->def->order[r->root++]];
    return NULL;
}

/* Something to run: owned, else shared, else new roots, else what the
 * arrivals held back release. NULL: nothing this thread can get now. */
static aj__step *next_step(aj__runner *r)
{
    for (;;) {
        aj__step *s = owned(r);
        if (s != NULL)
            return s;
        if ((s = aj__sched_pop(r->inst)) != NULL) {
            /* Shared by another thread, maybe after this one's reading.
             * Elements come in thousands: a run of them at a time. */
            r->now_ns = aj_now_ns();
            if (r->inst->def->exec[s->index].flags & AJ_STEP_MAPPED)
                aj__sched_pop_more(r);
            return s;
        }
        if (aj__sched_claim_roots(r))
            continue;
        if (r->counted != NULL) {
            aj__map_flush(r);
            continue;
        }
        if (r->held == NULL)
            return NULL;
        flush_held(r);
    }
}

/* Before a step, with steps of its own waiting: shares those that others
 * had better run meanwhile (aj__share_keep). */
static void maybe_share(aj__runner *r, int64_t min_ns)
{
    uint32_t keep = aj__share_keep(r, min_ns);

    if (keep == AJ__KEEP_ALL)
        return;
    aj__sched_offer(r, keep);
    /* The next step starts after the offer, which walked the list. */
    r->now_ns = aj_now_ns();
}

/* Adds what r settled to n_final: the last touch of the instance. */
static void count_final(aj__runner *r)
{
    aj_instance *inst = r->inst;
    uint32_t n = r->n_final;

    if (n == 0)
        return;
    r->n_final = 0;
    /* Once n_final reaches n_steps the owner may free the instance. seq_cst:
     * pairs with a waiter's n_waiting (wait.c) without a lock. */
    if (atomic_fetch_add_explicit(&inst->n_final, n, memory_order_seq_cst) + n ==
        inst->def->n_steps)
        aj__sched_done(inst);
}

/* Runs s on this thread: a mapped step's release or element (map.c), an
 * async step's attempt (async.c), or a plain step. */
static void run_any(aj__runner *r, aj__step *s)
{
    uint32_t flags = r->inst->def->exec[s->index].flags;

    if (flags & AJ_STEP_MAPPED)
        aj__map_run(r, s);
    else if (flags & AJ_STEP_ASYNC)
        aj__async_run(r, s);
    else
        run_step(r, s);
}

/* A blocking step goes to the blocking pool (true), unless no thread can
 * take it there, once it holds its slots (it waits for them holding no
 * thread of the pool); a mapped one is released, or its element run
 * (map.c), after the elements waiting here are shared if they are long,
 * as steps are; an async one starts (or its expired attempt is judged)
 * without running on this thread for long (true). */
static bool not_here(aj__runner *r, aj__step *s)
{
    uint32_t flags = r->inst->def->exec[s->index].flags;

    if (flags & AJ_STEP_MAPPED) {
        /* Judged by what the last element took, when the last thing this
         * thread ran was one. */
        if (r->n_stack > 0 && r->skimmed != NULL && aj__is_elem(s))
            maybe_share(r, AJ__SHORT_ELEM_NS);
        aj__map_run(r, s);
        return true;
    }
    if (flags & AJ_STEP_ASYNC) {
        aj__async_run(r, s);
        return true;
    }
    if (r->inst->sequential)
        return false;
    if ((flags & AJ_STEP_LIMITED) && !admitted(r, s))
        return true;
    return aj__blocking_submit(r, s);
}

void aj__exec_drain(aj__runner *r)
{
    aj_instance *inst = r->inst;

    enter(r);
    /* After enter: later than whatever the runners before did. */
    r->now_ns = aj_now_ns();
    for (aj__step *s; (s = next_step(r)) != NULL;) {
        /* Held arrivals wait only while the next step leads there too. */
        if (r->held != NULL && !aj__inst_leads_to(inst, s, r->held))
            flush_held(r);
        if (atomic_load_explicit(&inst->cancelled, memory_order_relaxed)) {
            cancel_step(r, s, r->now_ns);
            continue;
        }
        /* The one test plain steps pay for blocking and async ones. */
        if ((inst->def->exec[s->index].flags &
             (AJ_STEP_BLOCKING | AJ_STEP_ASYNC | AJ_STEP_MAPPED)) &&
            not_here(r, s))
            continue;
        if (r->n_stack > 0)
            maybe_share(r, 0);
        run_step(r, s);
    }
    leave(r);
    count_final(r);
}

/* What a runner that is no worker runs next: a blocking thread (its step
 * took long and the next may too) or a foreign one (its thread is the
 * user's: done's, an event loop's). Nothing it owns waits for it: the
 * steps it made runnable without flag go to the workers; of those with
 * flag it keeps the first and, unless place hands them elsewhere (NULL:
 * it keeps them all), the others. Once the instance is cancelled it
 * settles whatever it owns itself. NULL: nothing left. */
static aj__step *next_of(aj__runner *r, uint32_t flag, bool (*place)(aj__runner *, aj__step *))
{
    const aj_step_exec *exec = r->inst->def->exec;
    aj__step *list, *keep = NULL;
    uint32_t n_keep = 0;

    if (r->counted != NULL)
        aj__map_flush(r);
    if (r->held != NULL)
        flush_held(r);
    if (atomic_load_explicit(&r->inst->cancelled, memory_order_relaxed))
        return owned(r);
    list = r->stack;
    r->stack = NULL;
    r->n_stack = 0;
    while (list != NULL) {
        aj__step *s = list;
        list = s->next;
        if (!(exec[s->index].flags & flag)) {
            s->next = NULL;
            aj__runner_adopt(r, s);
        } else if (n_keep == 0 || place == NULL || !place(r, s)) {
            s->next = keep;
            keep = s;
            n_keep++;
        }
    }
    aj__sched_offer(r, 0);
    r->stack = keep;
    r->n_stack = n_keep;
    return owned(r);
}

/* Runs (or, once the instance is cancelled, cancels) every step of kind
 * flag that next_of hands r, then leaves the instance. */
static void run_kind(aj__runner *r, uint32_t flag, bool (*place)(aj__runner *, aj__step *))
{
    for (aj__step *s; (s = next_of(r, flag, place)) != NULL;) {
        if (atomic_load_explicit(&r->inst->cancelled, memory_order_relaxed))
            cancel_step(r, s, r->now_ns);
        else
            run_any(r, s);
    }
    leave(r);
    count_final(r);
}

void aj__exec_blocking(aj__runner *r)
{
    enter(r);
    r->now_ns = aj_now_ns();
    run_kind(r, AJ_STEP_BLOCKING, aj__blocking_submit);
}

void aj__exec_enter(aj__runner *r)
{
    /* No clock reading after it: what this runner settles ended when its
     * done came, which it knows. */
    enter(r);
}

void aj__exec_foreign(aj__runner *r)
{
    run_kind(r, AJ_STEP_ASYNC, NULL);
}

/* Sequential mode: r, entered, runs every pending step in def->order. */
static void sequential(aj__runner *r)
{
    aj_instance *inst = r->inst;
    const aj_job_def *def = inst->def;

    for (uint32_t k = 0; k < def->n_steps; k++) {
        aj__step *s = &inst->steps[def->order[k]];
        /* Steps already settled by propagation are final; the others are
         * runnable, since every step before them in order[] is final (a
         * gated one's gate let it run when its last predecessor was). */
        if (atomic_load_explicit(&s->state, memory_order_relaxed) != AJ_STEP_PENDING)
            continue;
        if (atomic_load(&inst->cancelled))
            cancel_step(r, s, r->now_ns);
        else
            run_any(r, s);
        /* What became runnable runs in its turn; what was skipped is
         * settled before it. */
        flush_held(r);
        r->stack = NULL;
        r->n_stack = 0;
        count_final(r);
    }
    leave(r);
    count_final(r);
}

void aj__exec_sequential(aj_instance *inst)
{
    aj__runner r;

    aj__runner_init(&r, inst);
    enter(&r);
    r.now_ns = aj_now_ns();
    sequential(&r);
}

void aj__exec_rerun(aj_instance *inst, aj__step *ready)
{
    aj__runner r;
    aj__step *work = NULL;

    aj__runner_init(&r, inst);
    /* Held: once the steps are shared, others may end the instance. */
    atomic_fetch_add(&inst->holders, 1);
    enter(&r);
    r.now_ns = aj_now_ns();
    /* Their predecessors are final and nobody else owns them yet: as
     * steps made runnable, they run, or their gates or dooms skip them. */
    while (ready != NULL) {
        aj__step *s = ready;
        ready = s->next;
        aj__step_runnable(&r, s, &work);
    }
    if (work != NULL)
        settle(&r, work);
    /* A runner that does not count alone holds arrivals back: what it
     * skipped may have arrived where another step arrives later. */
    flush_held(&r);
    if (inst->sequential) {
        r.stack = NULL;
        r.n_stack = 0;
        sequential(&r);
    } else {
        aj__sched_offer(&r, 0);
        leave(&r);
        count_final(&r);
    }
    aj__sched_unhold(inst);
}

void aj__exec_cancel(aj_instance *inst)
{
    aj__runner r;

    aj__runner_init(&r, inst);
    /* The steps taken are ours now, and the instance is cancelled: draining
     * settles them and what they release as cancelled. */
    if (cancel_into(&r))
        aj__exec_drain(&r);
}
