/*
 * instance.c: the decisions of an instance, with no threads of its own:
 * step records and their states, dependency counters, skip and cancel
 * propagation, the root cause. exec.c, sched.c and sequential mode call
 * these functions; which thread calls them does not matter.
 *
 * DESIGN
 * A step is owned by one thread at a time, which alone writes its record:
 * the thread whose decrement of the step's pending counter reached zero,
 * then whoever takes it from a ready list or the timer heap. Counters are
 * decremented with acq_rel, so a step that becomes runnable sees every
 * output its predecessors wrote. A predecessor that did not complete first
 * sets the successor's doomed flag; the thread that reaches zero then skips
 * it (or cancels it if the instance is cancelled) instead of running it,
 * and goes on through its successors with an explicit list, no recursion.
 * Each step counts itself in n_final once it is final; the count reaching
 * n_steps is the instance's end, and after adding to it a thread touches
 * the instance no more (sched.c's holders cover the last notifications).
 * The first step to fail claims the root cause by CAS on root, writes the
 * cause, then publishes it with a release store of failed.
 */
#include "aj_internal.h"

#include <sched.h>
#include <string.h>

/* Seqlock writer: the owner brackets every change of a record. */
static void rec_begin(aj__step *s)
{
    uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);

    atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void rec_end(aj__step *s)
{
    uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);

    atomic_store_explicit(&s->seq, q + 1, memory_order_release);
}

#define SET(field, v) atomic_store_explicit(&s->field, (v), memory_order_relaxed)
#define GET(field) atomic_load_explicit(&s->field, memory_order_relaxed)

static void init_record(aj_instance *inst, uint32_t i)
{
    aj__step *s = &inst->steps[i];

    memset(s, 0, sizeof *s);
    atomic_init(&s->state, AJ_STEP_PENDING);
    s->index = i;
    s->pos = UINT32_MAX;
    s->inst = inst;
    s->retry = inst->def->steps[i].retry;
}

/* Every step has a run function, a slot inside the outputs block and an
 * out-edge run inside the edge table that starts from it. */
static bool steps_valid(const aj_job_def *def)
{
    for (uint32_t i = 0; i < def->n_steps; i++) {
        const aj_step_def *sd = &def->steps[i];
        if (sd->run == NULL || sd->name == NULL)
            return false;
        if (sd->output_type != NULL && sd->output_offset >= def->outputs_size)
            return false;
        if (sd->first_edge > def->n_edges || sd->n_succs > def->n_edges - sd->first_edge)
            return false;
        for (uint32_t j = 0; j < sd->n_succs; j++)
            if (def->edges[sd->first_edge + j].from != i)
                return false;
    }
    return true;
}

/* order[] is a permutation whose first n_roots entries are the steps with
 * no predecessors; every edge goes forward in it (so there is no cycle);
 * the counted predecessors match n_preds. */
static bool graph_valid(aj_instance *inst)
{
    const aj_job_def *def = inst->def;
    aj__step *st = inst->steps;

    for (uint32_t k = 0; k < def->n_steps; k++) {
        uint32_t o = def->order[k];
        if (o >= def->n_steps || st[o].pos != UINT32_MAX)
            return false;
        st[o].pos = k;
    }
    for (uint32_t e = 0; e < def->n_edges; e++) {
        const aj_edge_def *ed = &def->edges[e];
        if (ed->from >= def->n_steps || ed->to >= def->n_steps || ed->kind == 0 ||
            st[ed->from].pos >= st[ed->to].pos)
            return false;
        atomic_fetch_add_explicit(&st[ed->to].pending, 1, memory_order_relaxed);
    }
    for (uint32_t k = 0; k < def->n_steps; k++) {
        aj__step *s = &st[def->order[k]];
        uint32_t n = GET(pending);
        if (n != def->steps[s->index].n_preds || (k < def->n_roots) != (n == 0))
            return false;
    }
    return def->n_roots <= def->n_steps;
}

int aj__inst_init_steps(aj_instance *inst)
{
    const aj_job_def *def = inst->def;

    for (uint32_t i = 0; i < def->n_steps; i++)
        init_record(inst, i);
    if (def->n_steps > 0 && (def->steps == NULL || def->order == NULL))
        return AJ_EINVAL;
    if (def->n_edges > 0 && def->edges == NULL)
        return AJ_EINVAL;
    if (!steps_valid(def) || !graph_valid(inst))
        return AJ_EINVAL;
    return AJ_OK;
}

void aj__inst_snap(const aj_instance *inst, uint32_t i, aj__snap *out)
{
    aj__step *s = &inst->steps[i];

    for (unsigned spins = 0;; spins++) {
        uint32_t q = atomic_load_explicit(&s->seq, memory_order_acquire);
        if ((q & 1) == 0) {
            out->state = (aj_step_state)GET(state);
            out->kind = (aj_fail_kind)GET(kind);
            out->err = GET(err);
            out->attempts = GET(attempts);
            out->start_ns = GET(start_ns);
            out->end_ns = GET(end_ns);
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&s->seq, memory_order_relaxed) == q)
                return;
        }
        /* The writer was preempted inside its few stores: let it run. */
        if (spins > 64)
            sched_yield();
    }
}

aj__snap *aj__inst_snap_all(const aj_instance *inst)
{
    uint32_t n = inst->def->n_steps;
    aj__snap *all = aj__alloc((n > 0 ? n : 1) * sizeof *all, _Alignof(aj__snap));

    for (uint32_t i = 0; all != NULL && i < n; i++)
        aj__inst_snap(inst, i, &all[i]);
    return all;
}

uint32_t aj__inst_begin_attempt(aj__step *s, int64_t now_ns)
{
    uint32_t attempt = GET(attempts) + 1;

    rec_begin(s);
    SET(attempts, attempt);
    SET(state, AJ_STEP_RUNNING);
    if (attempt == 1)
        SET(start_ns, now_ns);
    rec_end(s);
    return attempt;
}

void aj__inst_note_retry(aj__step *s, int err, aj_fail_kind kind)
{
    rec_begin(s);
    SET(err, err);
    SET(kind, kind);
    rec_end(s);
}

static void claim_root(aj_instance *inst, aj__step *s, int err, aj_fail_kind kind,
                       const char *message)
{
    int32_t none = -1;

    if (!atomic_compare_exchange_strong(&inst->root, &none, (int32_t)s->index))
        return;
    inst->fail_code = err;
    inst->fail_kind = kind;
    inst->fail_attempts = GET(attempts);
    snprintf(inst->message, sizeof inst->message, "%s", message != NULL ? message : "");
    atomic_store_explicit(&inst->failed, true, memory_order_release);
    if (inst->fail_fast)
        aj__sched_cancel(inst);
}

/* Records the final state, then tells the root cause and the observers. */
static void settle(aj__step *s, aj_step_state state, aj_fail_kind kind, int err,
                   const char *message, int64_t end_ns)
{
    rec_begin(s);
    SET(state, state);
    SET(kind, kind);
    SET(err, err);
    SET(end_ns, end_ns);
    rec_end(s);
    if (state == AJ_STEP_FAILED)
        claim_root(s->inst, s, err, kind, message);
    else if (state == AJ_STEP_CANCELLED)
        atomic_store_explicit(&s->inst->cut, true, memory_order_relaxed);
    aj__emit_finish(s, state, err, message, end_ns);
}

/* Releases s's successors. Those that can no longer run are settled here
 * and pushed on *work; those that can are appended to the ready list. */
static void resolve_succs(aj__step *s, aj__step **work, aj__step **ready,
                          aj__step **ready_tail)
{
    aj_instance *inst = s->inst;
    const aj_job_def *def = inst->def;
    const aj_step_def *sd = &def->steps[s->index];
    uint32_t st = GET(state);
    bool doom = st == AJ_STEP_FAILED || st == AJ_STEP_SKIPPED;

    for (uint32_t j = 0; j < sd->n_succs; j++) {
        aj__step *t = &inst->steps[def->edges[sd->first_edge + j].to];
        if (doom)
            atomic_store_explicit(&t->doomed, 1, memory_order_relaxed);
        if (atomic_fetch_sub_explicit(&t->pending, 1, memory_order_acq_rel) != 1)
            continue;
        if (atomic_load_explicit(&t->doomed, memory_order_relaxed)) {
            settle(t, AJ_STEP_SKIPPED, AJ_FAIL_NONE, 0, NULL, 0);
        } else if (atomic_load(&inst->cancelled)) {
            settle(t, AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, 0, NULL, 0);
        } else {
            t->next = NULL;
            if (*ready_tail != NULL)
                (*ready_tail)->next = t;
            else
                *ready = t;
            *ready_tail = t;
            continue;
        }
        t->next = *work;
        *work = t;
    }
}

aj__step *aj__inst_finish(aj__step *s, aj_step_state state, aj_fail_kind kind,
                          int err, const char *message, int64_t end_ns)
{
    aj_instance *inst = s->inst;
    aj__step *work = s, *ready = NULL, *ready_tail = NULL;
    uint32_t n_done = 0, n_steps = inst->def->n_steps;

    settle(s, state, kind, err, message, end_ns);
    s->next = NULL;
    while (work != NULL) {
        aj__step *w = work;
        work = w->next;
        n_done++;
        resolve_succs(w, &work, &ready, &ready_tail);
    }
    /* The last touch of the steps above: once n_final reaches n_steps the
     * owner may free the instance. */
    /* seq_cst: pairs with a waiter's n_waiting (sched.c) without a lock. */
    if (atomic_fetch_add_explicit(&inst->n_final, n_done, memory_order_seq_cst) + n_done ==
        n_steps)
        aj__sched_done(inst);
    return ready;
}

bool aj__inst_done(const aj_instance *inst)
{
    return atomic_load_explicit(&((aj_instance *)inst)->n_final, memory_order_seq_cst) ==
           inst->def->n_steps;
}

void aj__inst_free_outputs(aj_instance *inst)
{
    const aj_job_def *def = inst->def;

    for (uint32_t i = 0; i < def->n_steps; i++) {
        const aj_step_def *sd = &def->steps[i];
        aj__step *s = &inst->steps[i];
        if (sd->free_output == NULL || sd->output_type == NULL || GET(state) != AJ_STEP_COMPLETED ||
            atomic_load(&s->taken))
            continue;
        sd->free_output((char *)inst->outputs + sd->output_offset);
    }
}
