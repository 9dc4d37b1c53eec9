/*
 * instance.c: the decisions of an instance, with no threads of its own:
 * step records and their states, dependency counters, skip and cancel
 * propagation, the root cause. exec.c, sched.c and sequential mode call
 * these functions; which thread calls them does not matter.
 *
 * DESIGN
 * A step is owned by one thread at a time, which alone writes its record:
 * the thread whose arrival completed the step's count of predecessors,
 * then whoever takes it from a shared list, the roots or the timer heap.
 * A step with one predecessor needs no count: its predecessor's finisher
 * owns it at once. Other counts go up: with plain loads and stores while
 * one thread alone runs the instance (step.h says how a joining thread
 * stops that), else with acq_rel read-modify-writes, so that a step that
 * becomes runnable sees every output its predecessors wrote. A thread
 * may then hold back its arrivals at one successor while the step it runs
 * next also leads there (a join after many roots costs one add per run of
 * roots, not one per root); the successor cannot become runnable before
 * that step ends anyway. A predecessor that did not complete first sets
 * the successor's doomed flag; the thread that completes the count then
 * skips it instead of running it (a step readied after a cancel is
 * cancelled by its runner), and goes on through its successors with an
 * explicit list, no recursion.
 * Final steps are counted by the runner that settled them and added to
 * n_final in one go when it stops; the sum reaching n_steps is the
 * instance's end, and after adding to it a thread touches the instance no
 * more (sched.c's holders cover the last notifications). The first step to
 * fail claims the root cause by CAS on root, writes the cause, then
 * publishes it with a release store of failed.
 */
#include "step.h"

#include <sched.h>
#include <string.h>

#define SET(field, v) AJ__SET(s, field, v)
#define GET(field) AJ__GET(s, field)
#define TAKE(field) atomic_load_explicit(&s->field, memory_order_acquire)
#define SETP(place, v) atomic_store_explicit(&(place), (v), memory_order_relaxed)
#define GETP(place) atomic_load_explicit(&(place), memory_order_relaxed)

_Static_assert(sizeof(aj__step) == AJ__CACHE_LINE, "a step record is one cache line");

/* Every step has a run function, a slot inside the outputs block, a run of
 * successors inside succs[] and flags that agree with its row. */
static bool steps_valid(const aj_job_def *def)
{
    for (uint32_t i = 0; i < def->n_steps; i++) {
        const aj_step_def *sd = &def->steps[i];
        const aj_step_exec *x = &def->exec[i];
        if (x->run == NULL || sd->name == NULL)
            return false;
        if (sd->output_type != NULL && sd->output_offset >= def->outputs_size)
            return false;
        if (x->flags != (sd->timeout_ns > 0 ? AJ_STEP_TIMED : 0u))
            return false;
        if (x->first_succ > def->n_edges || x->n_succs > def->n_edges - x->first_succ)
            return false;
    }
    return true;
}

/* edges[] is grouped by source, one group per source, and each step's
 * successor run repeats its group's targets: the runs add up to n_edges.
 * The records serve as scratch (attempts: the source's group was seen). */
static bool succs_valid(const aj_job_def *def, aj__step *st)
{
    uint64_t total = 0;

    for (uint32_t i = 0; i < def->n_steps; i++)
        total += def->exec[i].n_succs;
    if (total != def->n_edges)
        return false;
    for (uint32_t k = 0, n; k < def->n_edges; k += n) {
        uint32_t from = def->edges[k].from;
        const aj_step_exec *x;
        if (from >= def->n_steps || GETP(st[from].attempts) != 0)
            return false;
        SETP(st[from].attempts, 1);
        x = &def->exec[from];
        for (n = 0; k + n < def->n_edges && def->edges[k + n].from == from; n++)
            if (n >= x->n_succs || def->succs[x->first_succ + n] != def->edges[k + n].to)
                return false;
        if (n != x->n_succs)
            return false;
    }
    return true;
}

/* order[] is a permutation whose first n_roots entries are the steps with
 * no predecessors; every edge goes forward in it (so there is no cycle);
 * the counted predecessors match n_preds. The records serve as scratch
 * (arrived: 1 + position in order[], seq: predecessors counted). */
static bool graph_valid(const aj_job_def *def, aj__step *st)
{
    for (uint32_t k = 0; k < def->n_steps; k++) {
        uint32_t o = def->order[k];
        if (o >= def->n_steps || GETP(st[o].arrived) != 0)
            return false;
        SETP(st[o].arrived, k + 1);
    }
    for (uint32_t e = 0; e < def->n_edges; e++) {
        const aj_edge_def *ed = &def->edges[e];
        if (ed->from >= def->n_steps || ed->to >= def->n_steps || ed->kind == 0 ||
            GETP(st[ed->from].arrived) >= GETP(st[ed->to].arrived))
            return false;
        SETP(st[ed->to].seq, GETP(st[ed->to].seq) + 1);
    }
    for (uint32_t k = 0; k < def->n_steps; k++) {
        uint32_t i = def->order[k], n = GETP(st[i].seq);
        if (n != def->exec[i].n_preds || (k < def->n_roots) != (n == 0))
            return false;
    }
    return def->n_roots <= def->n_steps;
}

/* The memo's mark for def: a memo moved to another definition (or a
 * definition copied elsewhere) does not pass for checked. */
static uint64_t checked_mark(const aj_job_def *def)
{
    return (uint64_t)(uintptr_t)def ^ 0x616a2d636865636bu;
}

#define FACT_FREES 1u /* in memo->facts: some step's output has a free function */

static uint64_t facts_of(const aj_job_def *def)
{
    for (uint32_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].free_output != NULL && def->steps[i].output_type != NULL)
            return FACT_FREES;
    return 0;
}

/* Checks the tables, unless an earlier start did (the records serve as
 * scratch), and tells what the runtime needs to know of them. */
static int check_tables(const aj_job_def *def, aj__step *st, uint64_t *facts)
{
    aj_job_memo *m = def->memo;

    if (m != NULL && __atomic_load_n(&m->checked, __ATOMIC_ACQUIRE) == checked_mark(def)) {
        *facts = __atomic_load_n(&m->facts, __ATOMIC_RELAXED);
        return AJ_OK;
    }
    if (def->n_steps > 0 && (def->steps == NULL || def->exec == NULL || def->order == NULL))
        return AJ_EINVAL;
    if (def->n_edges > 0 && (def->edges == NULL || def->succs == NULL))
        return AJ_EINVAL;
    memset(st, 0, def->n_steps * sizeof *st);
    if (!steps_valid(def) || !succs_valid(def, st) || !graph_valid(def, st))
        return AJ_EINVAL;
    *facts = facts_of(def);
    if (m != NULL) {
        __atomic_store_n(&m->facts, *facts, __ATOMIC_RELAXED);
        __atomic_store_n(&m->checked, checked_mark(def), __ATOMIC_RELEASE);
    }
    return AJ_OK;
}

int aj__inst_init_steps(aj_instance *inst)
{
    const aj_job_def *def = inst->def;
    aj__step *st = inst->steps;
    uint64_t facts = 0;
    int rc = check_tables(def, st, &facts);

    if (rc != AJ_OK)
        return rc;
    inst->frees = (facts & FACT_FREES) != 0;
    /* One pass: a clear and then a second walk over every record costs
     * twice the memory traffic on a job larger than the cache. */
    for (uint32_t i = 0; i < def->n_steps; i++)
        st[i] = (aj__step){ .inst = inst, .index = i };
    return AJ_OK;
}

void aj__inst_snap(const aj_instance *inst, uint32_t i, aj__snap *out)
{
    aj__step *s = &inst->steps[i];

    for (unsigned spins = 0;; spins++) {
        uint32_t q = atomic_load_explicit(&s->seq, memory_order_acquire);
        if ((q & 1) == 0) {
            /* Acquire loads: the second read of seq comes after them, and
             * sees the writer's odd value if any of them saw its stores. */
            out->state = (aj_step_state)TAKE(state);
            out->kind = (aj_fail_kind)TAKE(kind);
            out->err = TAKE(err);
            out->attempts = TAKE(attempts);
            out->start_ns = TAKE(start_ns);
            out->end_ns = TAKE(end_ns);
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

void aj__inst_note_retry(aj__step *s, int err, aj_fail_kind kind)
{
    uint32_t q = aj__rec_begin(s);

    AJ__PUT(s, err, err);
    AJ__PUT(s, kind, kind);
    aj__rec_end(s, q);
}

static void claim_root(aj__step *s, int err, aj_fail_kind kind, const char *message)
{
    aj_instance *inst = s->inst;
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

/* Records the final state, then tells the root cause and the observers.
 * r: the runner that owns s, busy or not. */
static void settle(aj__runner *r, aj__step *s, aj_step_state state, aj_fail_kind kind, int err,
                   const char *message, int64_t end_ns)
{
    aj__rec_final(s, state, kind, err, end_ns);
    if (state == AJ_STEP_FAILED)
        claim_root(s, err, kind, message);
    else if (state == AJ_STEP_CANCELLED)
        atomic_store_explicit(&s->inst->cut, true, memory_order_relaxed);
    if (s->inst->observed) {
        /* The observer is the user's code: it may cancel this instance. */
        aj__runner_idle(r);
        aj__emit_finish(s, state, err, message, end_ns);
        aj__runner_busy(r);
    }
}

void aj__inst_skip(aj__runner *r, aj__step *s, aj__step **work)
{
    settle(r, s, AJ_STEP_SKIPPED, AJ_FAIL_NONE, 0, NULL, 0);
    s->next = *work;
    *work = s;
}

void aj__inst_flush_one(aj__runner *r, aj__step **work)
{
    aj__step *t = r->held;
    uint32_t n = r->n_held;

    r->held = NULL;
    r->n_held = 0;
    if (atomic_fetch_add_explicit(&t->arrived, n, memory_order_acq_rel) + n ==
        r->inst->def->exec[t->index].n_preds)
        aj__step_runnable(r, t, work);
}

/* Between aj__runner_busy and aj__runner_idle. */
static void settle_all(aj__runner *r, aj__step *work)
{
    while (work != NULL) {
        aj__step *w = work;
        uint32_t st = AJ__GET(w, state);
        work = w->next;
        r->n_final++;
        aj__step_release(r, w, st == AJ_STEP_FAILED || st == AJ_STEP_SKIPPED, &work);
    }
}

void aj__inst_settle_all(aj__runner *r, aj__step *work)
{
    aj__runner_busy(r);
    settle_all(r, work);
    aj__runner_idle(r);
}

void aj__inst_finish(aj__runner *r, aj__step *s, aj_step_state state, aj_fail_kind kind,
                     int err, const char *message, int64_t end_ns)
{
    settle(r, s, state, kind, err, message, end_ns);
    s->next = NULL;
    aj__inst_settle_all(r, s);
}

void aj__inst_flush_held(aj__runner *r)
{
    aj__runner_busy(r);
    /* Settling what the arrivals release may hold back new ones. */
    while (r->held != NULL) {
        aj__step *work = NULL;
        aj__inst_flush_one(r, &work);
        settle_all(r, work);
    }
    aj__runner_idle(r);
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

bool aj__inst_done(const aj_instance *inst)
{
    return atomic_load_explicit(&((aj_instance *)inst)->n_final, memory_order_seq_cst) ==
           inst->def->n_steps;
}

const char *aj__inst_id(const aj_instance *inst)
{
    /* The id is made once, on the instance's own memory: not const. */
    aj_instance *m = (aj_instance *)inst;
    uint32_t none = 0;

    if (atomic_load_explicit(&m->id_state, memory_order_acquire) == 2)
        return m->id;
    if (atomic_compare_exchange_strong(&m->id_state, &none, 1)) {
        aj__uuid_v4(m->id);
        atomic_store_explicit(&m->id_state, 2, memory_order_release);
    }
    while (atomic_load_explicit(&m->id_state, memory_order_acquire) != 2)
        sched_yield();
    return m->id;
}

void aj__inst_free_outputs(aj_instance *inst)
{
    const aj_job_def *def = inst->def;

    if (!inst->frees)
        return;
    for (uint32_t i = 0; i < def->n_steps; i++) {
        const aj_step_def *sd = &def->steps[i];
        aj__step *s = &inst->steps[i];
        if (sd->free_output == NULL || sd->output_type == NULL || GET(state) != AJ_STEP_COMPLETED ||
            atomic_load(&s->taken))
            continue;
        sd->free_output((char *)inst->outputs + sd->output_offset);
    }
}
