/*
 * def.c: the one place that knows what makes an aj_job_def runnable. ajc
 * writes the tables; a hand-written or damaged definition is refused at
 * start with AJ_EINVAL (or AJ_EABI), never run. Once checked, a
 * definition's memo remembers it, so a job pays for the check once, and
 * holds what the runtime derives from the tables (the steps' trees).
 *
 * DESIGN
 * The invariants the rest of the runtime relies on, and checks nowhere else:
 * - steps[], exec[] and order[] have n_steps rows; edges[] and succs[]
 *   have n_edges.
 * - Every step has a run function and a name; an output's slot lies
 *   inside the outputs block; exec[i].flags says AJ_STEP_TIMED exactly
 *   when the step has a timeout, and has no bit the runtime does not know.
 * - edges[] is grouped by source, one group per source, and each step's
 *   successor run succs[first_succ .. +n_succs) repeats its group's
 *   targets in the same order: the runs add up to n_edges.
 * - order[] is a permutation of the steps in which every edge goes
 *   forward (so there is no cycle); its first n_roots entries are exactly
 *   the steps with no predecessor; exec[i].n_preds counts step i's edges.
 * - inputs_align and outputs_align are 0 or powers of two.
 * - Maps: an array or mapped step's slot is an aj_array of elements of
 *   element_size, except that a mapped step without output has neither;
 *   a mapped step is not gated and maps over a predecessor that is an
 *   array step or a mapped step with outputs.
 * - Gates: exec[i].flags has AJ_STEP_GATED exactly when steps[i].gate is
 *   set; its rule is known and `on failure` has something to watch; its
 *   required steps are ascending, each the source of a plain (not
 *   optional) edge into the step, and they are all such sources; its
 *   condition, if any, is one of them and produces a bool.
 * - Sub-jobs (for pictures): each names itself and its job and covers a
 *   run of steps inside steps[]; they are sorted by first step, an
 *   enclosing one first, and any two are nested or apart.
 * - Edge kinds: AJ_EDGE_OPTIONAL only on a data edge that is neither
 *   `after` nor a condition, and only into a gated step; AJ_EDGE_CONDITION
 *   only into a gated step, from its condition.
 * - Limits: limits[] has n_limits rows, each named, of size 1 or more,
 *   sorted by name (strcmp) without repeats; exec[i].flags has
 *   AJ_STEP_LIMITED exactly when steps[i].n_uses > 0, and its uses are
 *   ascending indexes into limits[] (a mapped step's elements take them).
 */
#include "aj_def.h"

#include <string.h>

/* Per step, in the caller's scratch. */
typedef struct scratch {
    uint32_t seen;     /* 1 + where the step's group of edges begins in
                          edges[]; 0: not seen */
    uint32_t pos;      /* 1 + its position in order[]; 0: not placed */
    uint32_t n_preds;  /* edges into it, counted */
    uint32_t n_plain;  /* of them, those not optional */
} scratch;

_Static_assert(sizeof(scratch) <= AJ__DEF_SCRATCH, "scratch fits what callers give");

static bool pow2_or_0(size_t a)
{
    return (a & (a - 1)) == 0;
}

int aj__def_usable(const aj_job_def *def)
{
    if (def == NULL)
        return AJ_EINVAL;
    if (def->abi != AJ_GEN_ABI)
        return AJ_EABI;
    if (def->name == NULL || !pow2_or_0(def->inputs_align) || !pow2_or_0(def->outputs_align))
        return AJ_EINVAL;
    return AJ_OK;
}

/* An array or mapped step's slot is an aj_array of elements; a mapped
 * step that produces nothing has no slot, and its elements no outputs. */
static bool slot_valid(const aj_step_def *sd, uint32_t flags)
{
    if (flags & AJ_STEP_MAPPED && sd->output_type == NULL)
        return sd->output_size == 0 && sd->element_size == 0;
    return sd->output_type != NULL && sd->output_size == sizeof(aj_array) &&
           sd->element_size > 0;
}

/* A mapped step maps over an earlier array step, or mapped step with
 * outputs (the order is checked with the edges: it is a predecessor), and
 * is not gated. */
static bool many_valid(const aj_job_def *def, uint32_t i)
{
    const aj_step_def *sd = &def->steps[i];
    uint32_t flags = def->exec[i].flags;

    const aj_step_exec *src;

    if (!(flags & (AJ_STEP_ARRAY | AJ_STEP_MAPPED)))
        return true;
    if (!slot_valid(sd, flags) || (flags & AJ_STEP_ARRAY && flags & (AJ_STEP_MAPPED | AJ_STEP_ASYNC)))
        return false;
    if (!(flags & AJ_STEP_MAPPED))
        return true;
    if ((flags & AJ_STEP_GATED) || sd->map_source < 0 || (uint32_t)sd->map_source >= def->n_steps ||
        !(def->exec[sd->map_source].flags & (AJ_STEP_ARRAY | AJ_STEP_MAPPED)) ||
        def->steps[sd->map_source].output_type == NULL)
        return false;
    src = &def->exec[sd->map_source];
    for (uint32_t j = 0; j < src->n_succs; j++)
        if (src->first_succ + j < def->n_edges && def->succs[src->first_succ + j] == i)
            return true;
    return false;
}

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
        if ((x->flags & ~(AJ_STEP_BLOCKING | AJ_STEP_ASYNC | AJ_STEP_NONFATAL | AJ_STEP_GATED |
                          AJ_STEP_LIMITED | AJ_STEP_ARRAY | AJ_STEP_MAPPED)) !=
                (sd->timeout_ns > 0 ? AJ_STEP_TIMED : 0u) ||
            !many_valid(def, i) ||
            ((x->flags & AJ_STEP_GATED) != 0) != (sd->gate != NULL) ||
            (x->flags & AJ_STEP_BLOCKING && x->flags & AJ_STEP_ASYNC))
            return false;
        /* done copies output_size bytes: an async output must say how many. */
        if (x->flags & AJ_STEP_ASYNC && sd->output_type != NULL && sd->output_size == 0)
            return false;
        if (x->first_succ > def->n_edges || x->n_succs > def->n_edges - x->first_succ)
            return false;
    }
    return true;
}

/* edges[] is grouped by source, one group per source, and each step's
 * successor run repeats its group's targets: the runs add up to n_edges. */
static bool succs_valid(const aj_job_def *def, scratch *st)
{
    uint64_t total = 0;

    for (uint32_t i = 0; i < def->n_steps; i++)
        total += def->exec[i].n_succs;
    if (total != def->n_edges)
        return false;
    for (uint32_t k = 0, n; k < def->n_edges; k += n) {
        uint32_t from = def->edges[k].from;
        const aj_step_exec *x;
        if (from >= def->n_steps || st[from].seen)
            return false;
        st[from].seen = k + 1;
        x = &def->exec[from];
        for (n = 0; k + n < def->n_edges && def->edges[k + n].from == from; n++)
            if (n >= x->n_succs || def->succs[x->first_succ + n] != def->edges[k + n].to)
                return false;
        if (n != x->n_succs)
            return false;
    }
    return true;
}

/* An edge's kind: known bits, at least one; optional only on a data edge
 * that is nothing else; optional and condition edges only into a gated
 * step, a condition edge from its condition. */
static bool kind_valid(const aj_job_def *def, const aj_edge_def *ed)
{
    const uint32_t known = AJ_EDGE_DATA | AJ_EDGE_AFTER | AJ_EDGE_CONDITION | AJ_EDGE_OPTIONAL;
    const aj_step_gate *g = def->steps[ed->to].gate;

    if (ed->kind == 0 || (ed->kind & ~known) != 0)
        return false;
    if ((ed->kind & AJ_EDGE_OPTIONAL) &&
        ((ed->kind & ~(uint32_t)AJ_EDGE_OPTIONAL) != AJ_EDGE_DATA || g == NULL))
        return false;
    return !(ed->kind & AJ_EDGE_CONDITION) || (g != NULL && g->condition == (int32_t)ed->from);
}

/* order[] is a permutation whose first n_roots entries are the steps with
 * no predecessors; every edge goes forward in it (so there is no cycle);
 * the counted predecessors match n_preds. */
static bool graph_valid(const aj_job_def *def, scratch *st)
{
    for (uint32_t k = 0; k < def->n_steps; k++) {
        uint32_t o = def->order[k];
        if (o >= def->n_steps || st[o].pos != 0)
            return false;
        st[o].pos = k + 1;
    }
    for (uint32_t e = 0; e < def->n_edges; e++) {
        const aj_edge_def *ed = &def->edges[e];
        if (ed->from >= def->n_steps || ed->to >= def->n_steps || !kind_valid(def, ed) ||
            st[ed->from].pos >= st[ed->to].pos)
            return false;
        st[ed->to].n_preds++;
        st[ed->to].n_plain += !(ed->kind & AJ_EDGE_OPTIONAL);
    }
    for (uint32_t k = 0; k < def->n_steps; k++) {
        uint32_t i = def->order[k], n = st[i].n_preds;
        if (n != def->exec[i].n_preds || (k < def->n_roots) != (n == 0))
            return false;
    }
    return def->n_roots <= def->n_steps;
}

/* Whether an edge from -> to without AJ_EDGE_OPTIONAL exists: a scan of
 * from's group of edges (succs_valid found where it begins). */
static bool plain_edge(const aj_job_def *def, const scratch *st, uint32_t from, uint32_t to)
{
    uint32_t first = st[from].seen - 1, n = def->exec[from].n_succs;

    for (uint32_t k = 0; st[from].seen != 0 && k < n; k++)
        if (def->edges[first + k].to == to && !(def->edges[first + k].kind & AJ_EDGE_OPTIONAL))
            return true;
    return false;
}

/* Step i's gate, if any: see the invariants at the top. */
static bool gate_valid(const aj_job_def *def, const scratch *st, uint32_t i)
{
    const aj_step_gate *g = def->steps[i].gate;
    bool has_condition = false;

    if (g == NULL)
        return true;
    if ((unsigned)g->rule > AJ_ON_FAILURE || g->n_required != st[i].n_plain ||
        (g->n_required > 0 && g->required == NULL) ||
        (g->rule == AJ_ON_FAILURE && g->n_required == 0))
        return false;
    for (uint32_t k = 0; k < g->n_required; k++) {
        uint32_t p = g->required[k];
        if (p >= def->n_steps || (k > 0 && p <= g->required[k - 1]) ||
            !plain_edge(def, st, p, i))
            return false;
        has_condition |= (int32_t)p == g->condition;
    }
    if (g->condition == -1)
        return true;
    return has_condition && def->steps[g->condition].output_type != NULL &&
           def->steps[g->condition].output_size == sizeof(bool);
}

/* The limits are named, not empty and sorted by name; each step's uses
 * ascend inside them, and its flags say whether it has any. */
static bool limits_valid(const aj_job_def *def)
{
    if (def->n_limits > 0 && def->limits == NULL)
        return false;
    for (uint32_t k = 0; k < def->n_limits; k++) {
        const aj_limit_def *ld = &def->limits[k];
        if (ld->name == NULL || ld->size == 0 ||
            (k > 0 && strcmp(def->limits[k - 1].name, ld->name) >= 0))
            return false;
    }
    for (uint32_t i = 0; i < def->n_steps; i++) {
        const aj_step_def *sd = &def->steps[i];
        if (((def->exec[i].flags & AJ_STEP_LIMITED) != 0) != (sd->n_uses > 0) ||
            (sd->n_uses > 0 && sd->uses == NULL))
            return false;
        for (uint32_t k = 0; k < sd->n_uses; k++)
            if (sd->uses[k] >= def->n_limits || (k > 0 && sd->uses[k] <= sd->uses[k - 1]))
                return false;
    }
    return true;
}

static bool gates_valid(const aj_job_def *def, const scratch *st)
{
    for (uint32_t i = 0; i < def->n_steps; i++)
        if (!gate_valid(def, st, i))
            return false;
    return true;
}

/* The memo's mark for def: a memo moved to another definition (or a
 * definition copied elsewhere) does not pass for checked. */
static uint64_t checked_mark(const aj_job_def *def)
{
    return (uint64_t)(uintptr_t)def ^ 0x616a2d636865636bu;
}

/* Async steps of def, counted from its flags alone. */
static uint32_t count_async(const aj_job_def *def)
{
    uint32_t n = 0;

    for (uint32_t i = 0; def->exec != NULL && i < def->n_steps; i++)
        n += (def->exec[i].flags & AJ_STEP_ASYNC) != 0;
    return n;
}

uint32_t aj__def_n_maps(const aj_job_def *def)
{
    aj_job_memo *m = def->memo;
    uint32_t n = 0;

    if (m != NULL && __atomic_load_n(&m->checked, __ATOMIC_ACQUIRE) == checked_mark(def) &&
        !(__atomic_load_n(&m->facts, __ATOMIC_RELAXED) & AJ__DEF_MAPPED))
        return 0;
    for (uint32_t i = 0; def->exec != NULL && i < def->n_steps; i++)
        n += (def->exec[i].flags & AJ_STEP_MAPPED) != 0;
    return n;
}

static uint64_t facts_of(const aj_job_def *def)
{
    uint64_t facts = 0, n_async = count_async(def);

    for (uint32_t i = 0; i < def->n_steps; i++) {
        if (def->steps[i].free_output != NULL && def->steps[i].output_type != NULL)
            facts |= AJ__DEF_FREES;
        if (def->exec[i].flags & AJ_STEP_BLOCKING)
            facts |= AJ__DEF_BLOCKS;
        if (def->exec[i].flags & AJ_STEP_GATED)
            facts |= AJ__DEF_GATED;
        if (def->exec[i].flags & AJ_STEP_MAPPED)
            facts |= AJ__DEF_MAPPED;
    }
    if (n_async > 0)
        facts |= AJ__DEF_ASYNC | n_async << AJ__DEF_N_ASYNC_SHIFT;
    return facts;
}

uint32_t aj__def_n_async(const aj_job_def *def)
{
    aj_job_memo *m = def->memo;

    /* Checked once: the memo knows. Else the flags tell (a check follows,
     * which finds the same count in the same tables). */
    if (m != NULL && __atomic_load_n(&m->checked, __ATOMIC_ACQUIRE) == checked_mark(def))
        return (uint32_t)(__atomic_load_n(&m->facts, __ATOMIC_RELAXED) >>
                          AJ__DEF_N_ASYNC_SHIFT);
    return count_async(def);
}

/* Sub-job j against every one before it: after it, apart or inside. Two
 * with the same steps (a job of one sub-job step) are nested in table order. */
static bool subjob_valid(const aj_job_def *def, uint32_t j)
{
    const aj_subjob_def *g = &def->subjobs[j];
    uint64_t end = (uint64_t)g->first_step + g->n_steps;

    if (g->name == NULL || g->job == NULL || g->n_steps == 0 || end > def->n_steps)
        return false;
    for (uint32_t i = 0; i < j; i++) {
        const aj_subjob_def *h = &def->subjobs[i];
        uint64_t h_end = (uint64_t)h->first_step + h->n_steps;
        if (g->first_step < h->first_step || (g->first_step < h_end && end > h_end))
            return false;
    }
    return true;
}

static bool subjobs_valid(const aj_job_def *def)
{
    if ((def->n_subjobs > 0) != (def->subjobs != NULL))
        return false;
    for (uint32_t j = 0; j < def->n_subjobs; j++)
        if (!subjob_valid(def, j))
            return false;
    return true;
}

static bool tables_valid(const aj_job_def *def, scratch *st)
{
    if (def->n_steps > 0 && (def->steps == NULL || def->exec == NULL || def->order == NULL))
        return false;
    if (def->n_edges > 0 && (def->edges == NULL || def->succs == NULL))
        return false;
    memset(st, 0, def->n_steps * sizeof *st);
    return steps_valid(def) && succs_valid(def, st) && graph_valid(def, st) &&
           gates_valid(def, st) && limits_valid(def) && subjobs_valid(def);
}

/* Per step, fill_trees' scratch, over the check's. */
typedef struct tree_scratch {
    uint32_t parent;   /* its one predecessor, when it is in a tree */
    uint32_t next;     /* where the next step of its tree goes */
} tree_scratch;

_Static_assert(sizeof(tree_scratch) <= AJ__DEF_SCRATCH, "scratch fits what callers give");

/* Whether step i leads to a step in no tree. */
static bool leads_out(const aj_job_def *def, uint32_t i)
{
    const aj_step_exec *x = &def->exec[i];

    for (uint32_t j = 0; j < x->n_succs; j++)
        if (!aj__def_in_tree(&def->exec[def->succs[x->first_succ + j]]))
            return true;
    return false;
}

/* The bits after the preorder (aj_def.h). */
static void mark_leaving(const aj_job_def *def, uint32_t *room)
{
    size_t n = def->n_steps;
    uint32_t *tree = room + 2 * n, *bits = room + 3 * n;

    memset(bits, 0, (n + 31) / 32 * sizeof *bits);
    for (size_t i = 0; i < n; i++) {
        /* The places taken in the preorder: one per step in a tree. */
        size_t at = room[2 * i] - (size_t)1;
        if (aj__def_in_tree(&def->exec[i]) && leads_out(def, tree[at]))
            bits[at / 32] |= 1u << (at % 32);
    }
}

/* Writes each step's tree (aj_def.h) in room, AJ_MEMO_ROOM(n_steps)
 * numbers, for def's good tables: O(steps + edges). */
static void fill_trees(const aj_job_def *def, tree_scratch *st, uint32_t *room)
{
    size_t n = def->n_steps;
    uint32_t cursor = 0;

    for (uint32_t i = 0; i < n; i++) {
        const aj_step_exec *x = &def->exec[i];
        room[2 * (size_t)i + 1] = 0;
        for (uint32_t j = 0; j < x->n_succs; j++)
            if (aj__def_in_tree(&def->exec[def->succs[x->first_succ + j]]))
                st[def->succs[x->first_succ + j]].parent = i;
    }
    /* Sizes, bottom up: backwards, order[] meets a step's tree before it. */
    for (size_t k = n; k-- > 0;) {
        uint32_t t = def->order[k];
        if (aj__def_in_tree(&def->exec[t]))
            room[2 * (size_t)st[t].parent + 1] += 1 + room[2 * (size_t)t + 1];
    }
    /* Places, top down: a step takes the next place in its predecessor's
     * tree, and its own tree the places right after it; a step in no tree
     * starts a new one. */
    for (size_t k = 0; k < n; k++) {
        uint32_t t = def->order[k], at;
        if (aj__def_in_tree(&def->exec[t])) {
            at = st[st[t].parent].next;
            st[st[t].parent].next = at + 1 + room[2 * (size_t)t + 1];
            room[2 * n + at++] = t;
        } else {
            at = cursor;
            cursor += room[2 * (size_t)t + 1];
        }
        room[2 * (size_t)t] = at;
        st[t].next = at;
    }
    mark_leaving(def, room);
}

/* Writes each step's async place (aj_def.h) after the trees. */
static void fill_async_places(const aj_job_def *def, uint32_t *room)
{
    uint32_t *place = room + aj__def_async_places_at(def->n_steps), before = 0;

    for (uint32_t i = 0; i < def->n_steps; i++) {
        place[i] = before;
        before += (def->exec[i].flags & AJ_STEP_ASYNC) != 0;
    }
}

int aj__def_check(const aj_job_def *def, void *scratch_bytes, uint64_t *facts)
{
    aj_job_memo *m = def->memo;
    uint32_t unclaimed = 0;

    if (m != NULL && __atomic_load_n(&m->checked, __ATOMIC_ACQUIRE) == checked_mark(def)) {
        *facts = __atomic_load_n(&m->facts, __ATOMIC_RELAXED);
        return AJ_OK;
    }
    if (!tables_valid(def, scratch_bytes))
        return AJ_EINVAL;
    *facts = facts_of(def);
    /* One start fills the memo, once, and marks it checked last (release):
     * a start that sees the mark sees the rest. Others meanwhile go
     * without it. */
    if (m == NULL || !__atomic_compare_exchange_n(&m->claimed, &unclaimed, 1, false,
                                                  __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return AJ_OK;
    if (m->room != NULL && m->n_room >= AJ_MEMO_ROOM(def->n_steps)) {
        fill_trees(def, scratch_bytes, m->room);
        fill_async_places(def, m->room);
        *facts |= AJ__DEF_ROOM;
    }
    __atomic_store_n(&m->facts, *facts, __ATOMIC_RELAXED);
    __atomic_store_n(&m->checked, checked_mark(def), __ATOMIC_RELEASE);
    return AJ_OK;
}

int32_t aj_job_def_find_step(const aj_job_def *def, const char *name)
{
    if (def == NULL || name == NULL || def->steps == NULL)
        return -1;
    for (uint32_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].name != NULL && strcmp(def->steps[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}
