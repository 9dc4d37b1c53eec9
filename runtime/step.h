/*
 * step.h: what every step costs, inline: writing its record and releasing
 * its successors. exec.c runs a step, records it and releases what
 * follows in one stretch of code; instance.c uses the same functions on
 * its slower paths (failures, skips, cancellation). The rare outcomes
 * (a doomed or cancelled successor, held arrivals to add) call out to
 * instance.c.
 */
#ifndef AJ_STEP_H
#define AJ_STEP_H

#include "aj_internal.h"

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

/*
 * A solo runner (the only thread running the instance, r->solo) counts
 * arrivals with plain loads and stores. It brackets every stretch that
 * may touch counters with busy and idle; a thread that joins sets
 * AJ__SHARED, makes every thread pass a full barrier (barrier.c), then
 * waits until the solo runner is idle. Either that runner's busy store was
 * before its barrier and the joiner sees it and waits, or its load of
 * runners was after the barrier and sees AJ__SHARED: it then counts with
 * read-modify-writes. The stores cost nothing on x86; the signal fence
 * keeps the compiler from moving the load above the store. A runner left
 * alone in a shared instance clears AJ__SHARED and is solo again.
 */
/* exec.c: true when r, alone in its shared instance, is solo now. */
bool aj__runner_try_solo(aj__runner *r);

static inline void aj__runner_busy(aj__runner *r)
{
    aj_instance *inst = r->inst;

    if (!r->solo &&
        (!inst->can_solo ||
         atomic_load_explicit(&inst->runners, memory_order_relaxed) != (2u | AJ__SHARED) ||
         !aj__runner_try_solo(r)))
        return;
    atomic_store_explicit(&inst->solo_busy, true, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&inst->runners, memory_order_relaxed) & AJ__SHARED) {
        atomic_store_explicit(&inst->solo_busy, false, memory_order_release);
        r->solo = false;
    }
}

static inline void aj__runner_idle(aj__runner *r)
{
    if (r->solo)
        atomic_store_explicit(&r->inst->solo_busy, false, memory_order_release);
}

/* instance.c: a doomed step is settled as skipped and goes on *work;
 * adding held arrivals. */
void aj__inst_skip(aj__runner *r, aj__step *s, aj__step **work);
void aj__inst_flush_one(aj__runner *r, aj__step **work);

/* s is runnable as far as its predecessors go, and the caller owns it: it
 * goes on r's stack to run, unless it is doomed (skipped at once). Once
 * the instance is cancelled, what r's stack holds is cancelled before it
 * would run. */
static inline void aj__step_runnable(aj__runner *r, aj__step *s, aj__step **work)
{
    if (AJ__GET(s, doomed)) {
        aj__inst_skip(r, s, work);
        return;
    }
    if (r->stack == NULL)
        r->stack_since_ns = r->now_ns;
    s->next = r->stack;
    r->stack = s;
    r->n_stack++;
}

/* One more of t's n_preds predecessors is final: true when t is runnable.
 * A solo runner just counts. Otherwise arrivals at the held step stay in
 * r, and another step's flush those first. */
static inline bool aj__step_arrive(aj__runner *r, aj__step *t, uint32_t n_preds,
                                   aj__step **work)
{
    if (r->solo) {
        /* Alone: nobody else counts. Release: a thread that joins later
         * reads the count with a read-modify-write. */
        uint32_t a = AJ__GET(t, arrived) + 1;
        atomic_store_explicit(&t->arrived, a, memory_order_release);
        return a == n_preds;
    }
    if (t == r->held) {
        if (++r->n_held < n_preds)
            return false;
        /* Every predecessor's arrival was ours: nobody else counts it. */
        r->held = NULL;
        r->n_held = 0;
        return true;
    }
    if (r->held != NULL)
        aj__inst_flush_one(r, work);
    r->held = t;
    r->n_held = 1;
    return false;
}

/* s (owned by r's thread) is final: releases its successors. One with a
 * single predecessor is s's at once; the others count arrivals. Called
 * between aj__runner_busy and aj__runner_idle. Last edge first, so that
 * the first successor (in declaration order, as tables and outputs lie)
 * ends on top of r's stack and runs next: a wavefront then walks its rows
 * through memory instead of striding down its columns. */
static inline void aj__step_release(aj__runner *r, const aj__step *s, bool doom,
                                    aj__step **work)
{
    aj_instance *inst = r->inst;
    const aj_job_def *def = inst->def;
    const aj_step_exec *x = &def->exec[s->index];

    for (uint32_t j = x->n_succs; j-- > 0;) {
        uint32_t ti = def->succs[x->first_succ + j], n_preds = def->exec[ti].n_preds;
        aj__step *t = &inst->steps[ti];
        if (doom)
            AJ__SET(t, doomed, true);
        if (n_preds > 1 && !aj__step_arrive(r, t, n_preds, work))
            continue;
        aj__step_runnable(r, t, work);
    }
}

#endif
