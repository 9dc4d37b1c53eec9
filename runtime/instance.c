/*
 * instance.c: the cold half of an instance's state machine (the hot half
 * is inline in aj_state.h): filling the step records, the final states
 * that are not a completion, gates, the root cause, held arrivals, retry
 * overrides, the outputs left at the end, the reset for a rerun. It runs no step, takes no lock
 * and calls nothing above its layer; which thread calls it does not
 * matter.
 *
 * DESIGN
 * A step is owned by one thread at a time, which alone writes its record:
 * the thread whose arrival completed the step's count of predecessors,
 * then whoever takes it from a shared list, the roots or the timer heap.
 * A step with one predecessor needs no count: its predecessor's finisher
 * owns it at once. Other counts go up: with plain loads and stores while
 * one thread alone runs the instance (exec.c says how a joining thread
 * stops that), else with acq_rel read-modify-writes, so that a step that
 * becomes runnable sees every output its predecessors wrote. A thread
 * may then hold back its arrivals at one successor while the step it runs
 * next also leads there (a join after many roots costs one add per run of
 * roots, not one per root); the successor cannot become runnable before
 * that step ends anyway. A predecessor that did not complete first adds
 * its bit (failed, cancelled, skipped) to the successor's doomed byte;
 * the thread that completes the count then skips it instead of running
 * it, for the worst reason among the bits (a step readied after a cancel
 * is cancelled by its runner). A gated step has AJ__GATED in that byte
 * from the start, so the same one test sends it here, to its gate: the
 * states of its required predecessors, final by then, decide by its rule,
 * then the condition step's bool output; optional predecessors are only
 * waited for. A step that did not complete takes its tree (aj_def.h)
 * with it when nobody observes the instance: each step there has one
 * predecessor, in the tree or the step itself, so none is ever counted
 * or owned by another thread, and one pass in the tree's order settles
 * them all (aj__tree_settle); only the steps they lead to outside it are
 * released as above. A nonfatal step's failure claims no root cause.
 * Final steps are counted by the runner that settled them and added to
 * n_final in one go when it stops; the sum reaching n_steps is the
 * instance's end. The first step to fail claims the root cause by CAS on
 * root, writes the cause, then publishes it with a release store of
 * failed; under fail-fast, its runner then cancels the instance. A rerun
 * resets what did not complete as before a start, with the arrivals of
 * the completed predecessors already counted, by the one thread that may
 * touch the finished instance.
 */
#include "aj_state.h"

#include <stdio.h>
#include <string.h>

_Static_assert(AJ__DEF_SCRATCH <= sizeof(aj__step), "the records serve as the check's scratch");

/* One record per async step, in step order, each bound to its step. */
static void init_async(aj_instance *inst)
{
    aj__async *a = inst->asyncs;

    for (uint32_t i = 0; i < inst->def->n_steps; i++) {
        if (!(inst->def->exec[i].flags & AJ_STEP_ASYNC))
            continue;
        *a = (aj__async){ .ctx = { .inst = inst, .step = &inst->steps[i], .async = true,
                                   .deadline_ns = INT64_MAX } };
        atomic_init(&a->phase, 0);
        a++;
    }
}

int aj__inst_init_steps(aj_instance *inst)
{
    const aj_job_def *def = inst->def;
    aj__step *st = inst->steps;
    uint64_t facts = 0;
    int rc = aj__def_check(def, st, &facts);

    if (rc != AJ_OK)
        return rc;
    inst->frees = (facts & AJ__DEF_FREES) != 0;
    /* Async steps end on other threads, as blocking ones do: the instance
     * is shared from the start (api.c). */
    inst->blocks = (facts & (AJ__DEF_BLOCKS | AJ__DEF_ASYNC)) != 0;
    if ((facts >> AJ__DEF_N_ASYNC_SHIFT) != inst->n_async)
        return AJ_EINVAL;
    inst->room = facts & AJ__DEF_ROOM ? def->memo->room : NULL;
    /* One pass: a clear and then a second walk over every record costs
     * twice the memory traffic on a job larger than the cache. Only jobs
     * with gates read the flags. */
    if (facts & (AJ__DEF_GATED | AJ__DEF_MAPPED))
        for (uint32_t i = 0; i < def->n_steps; i++)
            st[i] = (aj__step){ .inst = inst, .index = i,
                                .doomed = (def->exec[i].flags & AJ_STEP_GATED ? AJ__GATED : 0) |
                                          (def->exec[i].flags & AJ_STEP_MAPPED ? AJ__MAPPED : 0) };
    else
        for (uint32_t i = 0; i < def->n_steps; i++)
            st[i] = (aj__step){ .inst = inst, .index = i };
    if (inst->n_async > 0)
        init_async(inst);
    if (inst->n_maps > 0)
        aj__maps_init(inst);
    return AJ_OK;
}

/* True when s's failure is the first: the root cause is s's from now on. */
static bool claim_root(aj__step *s, int err, aj_fail_kind kind, const char *message)
{
    aj_instance *inst = s->inst;
    int32_t none = -1;

    if (!atomic_compare_exchange_strong(&inst->root, &none, (int32_t)s->index))
        return false;
    inst->fail_code = err;
    inst->fail_kind = kind;
    inst->fail_attempts = AJ__GET(s, attempts);
    if (inst->def->exec[s->index].flags & AJ_STEP_MAPPED) {
        /* Its element that failed, with that element's attempts. */
        const aj__mapped *m = aj__inst_mapped(inst, s->index);
        long long i = (long long)atomic_load(&((aj__mapped *)m)->failed);
        if (i >= 0) {
            snprintf(inst->fail_name, sizeof inst->fail_name, "%.100s[%lld]",
                     inst->def->steps[s->index].name, i);
            inst->fail_attempts = m->fail_attempts;
        }
    }
    snprintf(inst->message, sizeof inst->message, "%s", message != NULL ? message : "");
    atomic_store_explicit(&inst->failed, true, memory_order_release);
    return true;
}

bool aj__state_finish(aj__step *s, aj_step_state state, aj_fail_kind kind, int err,
                      const char *message, int64_t end_ns)
{
    aj__rec_final(s, state, kind, err, end_ns);
    /* A nonfatal step's failure is recorded, and that is all. */
    if (state == AJ_STEP_FAILED)
        return !(s->inst->def->exec[s->index].flags & AJ_STEP_NONFATAL) &&
               claim_root(s, err, kind, message) && s->inst->fail_fast;
    if (state == AJ_STEP_CANCELLED)
        atomic_store_explicit(&s->inst->cut, true, memory_order_relaxed);
    return false;
}

/* Whether g's condition step completed with the value g wants. */
static bool condition_holds(const aj_instance *inst, const aj_step_gate *g)
{
    const aj__step *c = &inst->steps[g->condition];
    unsigned char v;

    if (AJ__GET(c, state) != AJ_STEP_COMPLETED)
        return false;
    /* A byte, not a bool: a step may have stored anything there. */
    memcpy(&v, (const char *)inst->outputs + inst->def->steps[g->condition].output_offset, 1);
    return (v != 0) != g->negate;
}

/* Why gated step s, whose predecessors are all final, is skipped; or
 * AJ_SKIP_NONE: it runs. Its required predecessors decide by its rule,
 * then its condition; optional ones never skip it. */
static aj_skip_reason gate_verdict(const aj_instance *inst, const aj__step *s)
{
    const aj_step_gate *g = inst->def->steps[s->index].gate;
    unsigned seen = 0;

    for (uint32_t k = 0; k < g->n_required; k++)
        seen |= aj__doom_of(&inst->steps[g->required[k]]);
    if (g->rule == AJ_ON_SUCCESS && seen != 0)
        return aj__upstream(seen);
    if (g->rule == AJ_ON_FAILURE && !(seen & AJ__DOOM_FAILED))
        return AJ_SKIP_NO_FAILURE;
    if (g->condition >= 0 && !condition_holds(inst, g))
        return AJ_SKIP_CONDITION;
    return AJ_SKIP_NONE;
}

void aj__state_decide(aj__runner *r, aj__step *s, aj__step **work)
{
    aj_instance *inst = s->inst;
    unsigned doomed = AJ__GET(s, doomed);
    aj_skip_reason why;

    /* Completed before a rerun: a predecessor that did not (on done, on
     * failure, an optional input) releases it again, and it stays as it
     * is, counted already. Only a gated step gets here so. */
    if (AJ__GET(s, state) == AJ_STEP_COMPLETED)
        return;
    /* Its expansion decides, also whether it is skipped (map.c). */
    if (doomed & AJ__MAPPED) {
        s->next = NULL;
        aj__runner_adopt(r, s);
        return;
    }
    /* Not started when the instance was cancelled: cancelled, whatever
     * upstream did before. */
    if (atomic_load_explicit(&inst->cancelled, memory_order_relaxed)) {
        aj__rec_final(s, AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, 0, 0);
        atomic_store_explicit(&inst->cut, true, memory_order_relaxed);
    } else if ((why = doomed & AJ__GATED ? gate_verdict(inst, s) : aj__upstream(doomed)) ==
               AJ_SKIP_NONE) {
        s->next = NULL;
        aj__runner_adopt(r, s);
        return;
    } else {
        aj__rec_skip(s, why);
    }
    s->next = *work;
    *work = s;
}

aj__step *aj__state_add_held(aj__runner *r)
{
    aj__step *t = r->held;
    uint32_t n = r->n_held;

    r->held = NULL;
    r->n_held = 0;
    if (atomic_fetch_add_explicit(&t->arrived, n, memory_order_acq_rel) + n ==
        r->inst->def->exec[t->index].n_preds)
        return t;
    return NULL;
}

bool aj__inst_leads_to(const aj_instance *inst, const aj__step *s, const aj__step *t)
{
    const aj_job_def *def = inst->def;
    const aj_step_exec *x = &def->exec[s->index];

    /* The first few only: a long list is not worth the scan. */
    for (uint32_t j = 0; j < x->n_succs && j < 8; j++)
        if (def->succs[x->first_succ + j] == t->index)
            return true;
    return false;
}

const aj_retry_policy *aj__inst_retry(const aj_instance *inst, uint32_t i)
{
    uint32_t lo = 0, hi = inst->n_overrides;

    /* Start keeps one override per step (the last one the options name it
     * in), sorted by step: a binary search, not a scan per retry. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (inst->overrides[mid].index < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < inst->n_overrides && inst->overrides[lo].index == i)
        return &inst->overrides[lo].policy;
    return inst->def->steps[i].retry;
}

void aj__inst_free_outputs(aj_instance *inst)
{
    const aj_job_def *def = inst->def;

    if (inst->n_maps > 0)
        aj__maps_free(inst);
    if (!inst->frees)
        return;
    for (uint32_t i = 0; i < def->n_steps; i++) {
        const aj_step_def *sd = &def->steps[i];
        aj__step *s = &inst->steps[i];
        /* A mapped step's free is its elements' (expand.c). */
        if (sd->free_output == NULL || sd->output_type == NULL ||
            (def->exec[i].flags & AJ_STEP_MAPPED) ||
            AJ__GET(s, state) != AJ_STEP_COMPLETED || atomic_load(&s->taken))
            continue;
        sd->free_output((char *)inst->outputs + sd->output_offset);
    }
}

/* Step i of a finished instance did not complete: its record, count,
 * doomed bits and output slot are as before its first attempt. A failed
 * attempt's output was freed and its slot cleared (exec.c), and this
 * keeps every slot all zeros before an attempt, as exec.c expects. */
static void reset_step(aj_instance *inst, uint32_t i)
{
    const aj_step_def *sd = &inst->def->steps[i];
    aj__step *s = &inst->steps[i];

    aj__rec_reset(s);
    atomic_store_explicit(&s->arrived, 0, memory_order_relaxed);
    atomic_store_explicit(&s->doomed, AJ__GET(s, doomed) & (AJ__GATED | AJ__MAPPED),
                          memory_order_relaxed);
    if (sd->output_type != NULL && sd->output_size > 0)
        memset((char *)inst->outputs + sd->output_offset, 0, sd->output_size);
}

/* No root cause, no cancel: as after a start. */
static void reset_outcome(aj_instance *inst)
{
    atomic_store(&inst->root, -1);
    atomic_store(&inst->failed, false);
    inst->fail_code = 0;
    inst->fail_kind = AJ_FAIL_NONE;
    inst->fail_attempts = 0;
    inst->message[0] = '\0';
    inst->fail_name[0] = '\0';
    atomic_store(&inst->cancelled, false);
    atomic_store(&inst->cancel_begun, false);
    atomic_store(&inst->cut, false);
    atomic_store(&inst->cancel_queued, false);
}

uint32_t aj__state_rerun(aj_instance *inst, aj__step **ready)
{
    const aj_job_def *def = inst->def;
    uint32_t n_left = 0;

    *ready = NULL;
    for (uint32_t i = 0; i < def->n_steps; i++)
        n_left += AJ__GET(&inst->steps[i], state) != AJ_STEP_COMPLETED;
    if (n_left == 0)
        return 0;
    for (uint32_t i = 0; i < def->n_steps; i++)
        if (AJ__GET(&inst->steps[i], state) != AJ_STEP_COMPLETED)
            reset_step(inst, i);
    /* After the slots are cleared: a kept expansion writes its own. */
    if (inst->n_maps > 0)
        aj__maps_rerun(inst);
    /* A completed predecessor has arrived already, and for good. */
    for (uint32_t i = 0; i < def->n_steps; i++) {
        const aj_step_exec *x = &def->exec[i];
        if (AJ__GET(&inst->steps[i], state) != AJ_STEP_COMPLETED)
            continue;
        for (uint32_t j = 0; j < x->n_succs; j++) {
            aj__step *t = &inst->steps[def->succs[x->first_succ + j]];
            if (AJ__GET(t, state) == AJ_STEP_PENDING)
                atomic_fetch_add_explicit(&t->arrived, 1, memory_order_relaxed);
        }
    }
    /* Linked last to first, so that the list runs in order[]. */
    for (uint32_t k = def->n_steps; k-- > 0;) {
        aj__step *s = &inst->steps[def->order[k]];
        if (AJ__GET(s, state) == AJ_STEP_PENDING &&
            AJ__GET(s, arrived) == def->exec[s->index].n_preds) {
            s->next = *ready;
            *ready = s;
        }
    }
    reset_outcome(inst);
    atomic_store_explicit(&inst->next_root, def->n_roots, memory_order_relaxed);
    atomic_store(&inst->n_final, def->n_steps - n_left);
    return n_left;
}
