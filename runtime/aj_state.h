/*
 * aj_state.h: layer 4 of the runtime (see aj_internal.h), deciding: an
 * instance's state machine. Which steps are runnable, which are skipped,
 * the root cause, whether a failure cancels the rest (fail-fast). It runs
 * nothing, waits for nothing and tells nobody: it records, counts and
 * answers, and the layers above act on the answers (exec.c runs what it
 * makes runnable, tells the observers, cancels on fail-fast).
 *
 * What every step costs is inline here, so that exec.c runs a step,
 * records it and releases what follows in one stretch of code; the rare
 * outcomes (a doomed or gated successor, held arrivals to add) are leaves
 * in instance.c, which call nothing back here but the pure aj__doom_of.
 */
#ifndef AJ_STATE_H
#define AJ_STATE_H

#include "aj_data.h"
#include "aj_def.h"

/* ------------------------------------------------------------------------ */
/* instance.c                                                                */

/* Checks the tables (def.c) and fills the step records; AJ_EINVAL when
 * the tables are inconsistent. */
int aj__inst_init_steps(aj_instance *inst);
/* s, owned by the caller's thread, ends failed or cancelled: records it
 * and, for a failure, claims the root cause if it is the first. True when
 * the caller must now cancel the instance (the first failure, fail-fast). */
bool aj__state_finish(aj__step *s, aj_step_state state, aj_fail_kind kind, int err,
                      const char *message, int64_t end_ns);
/* s, owned by r's thread, is doomed or gated (its doomed byte is not
 * zero). Doomed, it ends skipped (cancelled once the instance is) and goes
 * on *work, to be counted and to release its successors. Gated, its gate
 * decides: it goes on r's stack to run, or ends skipped as above; unless
 * it completed before a rerun, when it stays so. */
void aj__state_decide(aj__runner *r, aj__step *s, aj__step **work);
/* Makes a finished instance ready to run again every step that did not
 * complete: their records, counts and doomed bits as before a start, the
 * root cause and the cancel cleared, n_final the completed steps. Returns
 * the steps left to run whose predecessors all completed, linked by next
 * (for aj__state_decide, as runnable steps), in *ready, and how many steps
 * it made pending. Nobody else may touch the instance meanwhile. */
uint32_t aj__state_rerun(aj_instance *inst, aj__step **ready);
/* Adds the arrivals r holds back at r->held, and holds none: returns that
 * step if they made it runnable (r's thread owns it then), else NULL. */
aj__step *aj__state_add_held(aj__runner *r);
/* Whether s is a predecessor of t (through s's first few edges). */
bool aj__inst_leads_to(const aj_instance *inst, const aj__step *s, const aj__step *t);
/* The retry policy of step i in this instance. */
const aj_retry_policy *aj__inst_retry(const aj_instance *inst, uint32_t i);
/* Frees the outputs of completed steps that were not taken. */
void aj__inst_free_outputs(aj_instance *inst);

/* expand.c: mapped steps' records and expansions. Init fills inst->maps
 * (start); expand lays out head's chain in one allocation for the n
 * elements of its source's array (AJ_ENOMEM: nothing changed); free frees
 * every completed element's output and the allocations (free); rerun
 * makes every mapped step that did not complete as before its release,
 * its elements' outputs freed (aj__state_rerun). */
void aj__maps_init(aj_instance *inst);
int aj__map_expand(aj_instance *inst, aj__mapped *head);
void aj__maps_free(aj_instance *inst);
void aj__maps_rerun(aj_instance *inst);

/* How s, final, ended for its successors: 0 when it completed, else one
 * AJ__DOOM_* bit. */
static inline unsigned aj__doom_of(const aj__step *s)
{
    uint32_t state = AJ__GET(s, state), reason = AJ__GET(s, kind) >> AJ__REASON_SHIFT;

    if (state == AJ_STEP_COMPLETED)
        return 0;
    if (state == AJ_STEP_FAILED || reason == AJ_SKIP_UPSTREAM_FAILED)
        return AJ__DOOM_FAILED;
    if (state == AJ_STEP_CANCELLED || reason == AJ_SKIP_UPSTREAM_CANCELLED)
        return AJ__DOOM_CANCELLED;
    return AJ__DOOM_SKIPPED;
}

/* ------------------------------------------------------------------------ */
/* The hot path, inline                                                      */

/* s is runnable as far as its predecessors go, and the caller owns it: it
 * goes on r's stack to run, unless it is doomed (skipped at once) or gated
 * (its gate decides): one test for both. Once the instance is cancelled,
 * what r's stack holds is cancelled before it would run. */
AJ__ALWAYS_INLINE void aj__step_runnable_as(aj__runner *r, aj__step *s, unsigned doomed,
                                          aj__step **work)
{
    if (doomed) {
        /* The common doom, an ungated step of a live instance, is settled
         * here: a skipped branch costs a few stores a step. */
        if (doomed & (AJ__GATED | AJ__MAPPED) ||
            atomic_load_explicit(&r->inst->cancelled, memory_order_relaxed)) {
            aj__state_decide(r, s, work);
            return;
        }
        aj__rec_skip_pending(s, aj__upstream(doomed));
        s->next = *work;
        *work = s;
        return;
    }
    if (r->stack == NULL)
        r->stack_since_ns = r->now_ns;
    s->next = r->stack;
    r->stack = s;
    r->n_stack++;
}

/* The same, reading s's doomed bits. */
AJ__ALWAYS_INLINE void aj__step_runnable(aj__runner *r, aj__step *s, aj__step **work)
{
    aj__step_runnable_as(r, s, AJ__GET(s, doomed), work);
}

/* One more of t's n_preds predecessors is final: true when t is runnable.
 * A solo runner just counts. Otherwise arrivals at the held step stay in
 * r, and another step's add those first. */
AJ__ALWAYS_INLINE bool aj__step_arrive(aj__runner *r, aj__step *t, uint32_t n_preds,
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
    if (r->held != NULL) {
        aj__step *ready = aj__state_add_held(r);
        if (ready != NULL)
            aj__step_runnable(r, ready, work);
    }
    r->held = t;
    r->n_held = 1;
    return false;
}

/* t, one of the n_preds predecessors of which (owned by r's thread) is
 * final, is released, with doom (aj__doom_of of that one) added to its
 * doomed bits unless it is 0. With a single predecessor it is that one's
 * at once; else it counts an arrival. The caller brackets it with the
 * solo protocol's busy and idle (exec.c). */
AJ__ALWAYS_INLINE void aj__succ_release(aj__runner *r, aj__step *t, uint32_t n_preds,
                                        unsigned doom, aj__step **work)
{
    /* Several finishers may doom t: each adds its bit. t's only
     * predecessor knows t's bits without reading them back. */
    if (doom) {
        unsigned d = doom;
        /* Alone, with a plain load and store, as arrivals are counted. */
        if (r->solo) {
            d |= AJ__GET(t, doomed);
            AJ__SET(t, doomed, (uint8_t)d);
        } else {
            d |= atomic_fetch_or_explicit(&t->doomed, (uint8_t)doom, memory_order_relaxed);
        }
        if (n_preds == 1) {
            aj__step_runnable_as(r, t, d, work);
            return;
        }
    }
    if (n_preds > 1 && !aj__step_arrive(r, t, n_preds, work))
        return;
    aj__step_runnable(r, t, work);
}

/* s (owned by r's thread) is final: releases its successors (see
 * aj__succ_release). Last edge first, so that the first successor (in
 * declaration order, as tables and outputs lie) ends on top of r's stack
 * and runs next: a wavefront then walks its rows through memory instead
 * of striding down its columns. */
AJ__ALWAYS_INLINE void aj__step_release(aj__runner *r, const aj__step *s, unsigned doom,
                                        aj__step **work)
{
    aj_instance *inst = r->inst;
    const aj_job_def *def = inst->def;
    const aj_step_exec *x = &def->exec[s->index];

    for (uint32_t j = x->n_succs; j-- > 0;) {
        uint32_t ti = def->succs[x->first_succ + j];
        aj__succ_release(r, &inst->steps[ti], def->exec[ti].n_preds, doom, work);
    }
}

/* Step i (owned by r's thread) of inst is final: releases its successors
 * outside its tree (aj_def.h), as aj__step_release, for
 * aj__tree_settle, which settles the others. The tables come as
 * arguments: kept in registers across the records' stores. */
AJ__ALWAYS_INLINE void aj__tree_leave(aj__runner *r, aj__step *steps, const aj_step_exec *exec,
                                      const uint32_t *succs, uint32_t i, unsigned doom,
                                      aj__step **work)
{
    const aj_step_exec *x = &exec[i];

    for (uint32_t j = x->n_succs; j-- > 0;) {
        uint32_t ti = succs[x->first_succ + j];
        if (!aj__def_in_tree(&exec[ti]))
            aj__succ_release(r, &steps[ti], exec[ti].n_preds, doom, work);
    }
}

/* w (owned by r's thread) is settled, and did not complete (doom:
 * aj__doom_of(w)): every step of its tree (aj_def.h) ends skipped for the
 * same reason, or cancelled from when the instance is, in one pass, and
 * counts as r's; what they and w lead to outside the tree is released.
 * Nobody else touches a step of the tree: its one predecessor is w or
 * comes before it in the tree, and only that one's finisher, r's thread,
 * owns it. Whoever observes the instance is told of each step instead
 * (aj__step_settle). Between busy and idle, as aj__step_release. */
static inline void aj__tree_settle(aj__runner *r, const aj__step *w, unsigned doom,
                                   aj__step **work)
{
    aj_instance *inst = r->inst;
    const aj_job_def *def = inst->def;
    aj__step *steps = inst->steps;
    const aj_step_exec *exec = def->exec;
    const uint32_t *succs = def->succs;
    uint32_t n, n_steps = def->n_steps;
    const uint32_t *room = inst->room, *tree = aj__def_tree(room, n_steps, w->index, &n);
    aj_skip_reason why = aj__upstream(doom);

    aj__tree_leave(r, steps, exec, succs, w->index, doom, work);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = tree[k];
        unsigned d = doom;
        if (atomic_load_explicit(&inst->cancelled, memory_order_relaxed)) {
            aj__rec_final(&steps[i], AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, 0, 0);
            atomic_store_explicit(&inst->cut, true, memory_order_relaxed);
            d = AJ__DOOM_CANCELLED;
        } else {
            aj__rec_skip_pending(&steps[i], why);
        }
        if (aj__def_tree_leaves(room, n_steps, tree + k))
            aj__tree_leave(r, steps, exec, succs, i, d, work);
    }
    r->n_final += n;
}

/* Counts the doomed steps on work (linked by next, settled by
 * aj__state_decide) as r's final ones and releases their successors, which
 * may settle more, with an explicit list, no recursion; with their trees
 * at once, unless observed. When told is not NULL, they are linked at
 * *told in the order they were counted, for the observers; returns where
 * the next one would go. Between busy and idle, as aj__step_release. */
static inline aj__step **aj__step_settle(aj__runner *r, aj__step *work, aj__step **told)
{
    while (work != NULL) {
        aj__step *w = work;
        work = w->next;
        r->n_final++;
        if (told == NULL && r->inst->room != NULL)
            aj__tree_settle(r, w, aj__doom_of(w), &work);
        else
            aj__step_release(r, w, aj__doom_of(w), &work);
        /* Final: w is on no list any more, its link is free. */
        if (told != NULL) {
            w->next = NULL;
            *told = w;
            told = &w->next;
        }
    }
    return told;
}

#endif
