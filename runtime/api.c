/*
 * api.c: the public life of an instance: start (checks, the one
 * allocation, id, overrides), outputs, snapshots, the root cause, free.
 * Waiting and cancelling are in wait.c, the work itself in the layers
 * below (aj_internal.h).
 */
#include "aj_wait.h"

#include <string.h>

/* Where each part of an instance lies in its one allocation. */
typedef struct layout {
    size_t steps, timers, asyncs, maps, overrides, names, limits, slots, inputs, outputs, total,
        align;
    uint32_t n_async;  /* async steps, one record each */
    uint32_t n_maps;   /* mapped steps, one record each */
    uint32_t n_names;  /* slots of the override names' table; 0: no overrides */
} layout;

/* A slot of the table that resolves override names at start, by open
 * addressing: it lies in the instance's allocation, unused afterwards. */
typedef struct name_slot {
    uint32_t last;   /* 1 + position of the last override of that name; 0: empty */
    uint32_t found;  /* a step of that name was met */
} name_slot;

_Static_assert(sizeof(aj__override) <= 64 && 4 * sizeof(name_slot) <= 64,
               "plan() bounds the bytes of an override by 64");

/* Appends size bytes aligned to align at *end; false on overflow. */
static bool place(size_t *end, size_t size, size_t align, size_t *at)
{
    size_t start = (*end + align - 1) / align * align;

    if (start < *end || size > SIZE_MAX - start)
        return false;
    *at = start;
    *end = start + size;
    return true;
}

/* A power of two at least twice n (n at most 2^30): at most half full. */
static uint32_t table_size(size_t n)
{
    uint32_t size = 1;

    while (size < 2 * n)
        size *= 2;
    return n == 0 ? 0 : size;
}

static int plan(const aj_job_def *def, size_t n_overrides, layout *l)
{
    size_t in_align = def->inputs_align ? def->inputs_align : 1;
    size_t out_align = def->outputs_align ? def->outputs_align : 1;
    size_t end = sizeof(aj_instance);

    /* 2^30 overrides would take 90 GB: refusing more keeps counts in 32
     * bits. Neither an override nor its share of the table (4 slots at
     * most) takes 64 bytes, so no product below overflows. */
    if ((uint64_t)def->n_steps * (sizeof(aj__step) + sizeof(aj__timer)) > SIZE_MAX ||
        n_overrides > ((size_t)1 << 30) || n_overrides > SIZE_MAX / 64)
        return AJ_ENOMEM;
    l->n_names = table_size(n_overrides);
    /* At most n_steps, so the step records' bound above covers them. */
    l->n_async = aj__def_n_async(def);
    if (l->n_async > def->n_steps)
        return AJ_EINVAL;
    /* At most n_steps, and a record is under 64 bytes a step more than
     * the bound above: 2^32 steps do not get this far. */
    l->n_maps = aj__def_n_maps(def);
    l->align = AJ__CACHE_LINE;
    if (in_align > l->align)
        l->align = in_align;
    if (out_align > l->align)
        l->align = out_align;
    if (!place(&end, def->n_steps * sizeof(aj__step), AJ__CACHE_LINE, &l->steps) ||
        !place(&end, def->n_steps * sizeof(aj__timer), _Alignof(aj__timer), &l->timers) ||
        !place(&end, l->n_async * sizeof(aj__async), AJ__CACHE_LINE, &l->asyncs) ||
        !place(&end, (size_t)l->n_maps * sizeof(aj__mapped), _Alignof(aj__mapped), &l->maps) ||
        !place(&end, n_overrides * sizeof(aj__override), _Alignof(aj__override),
               &l->overrides) ||
        !place(&end, l->n_names * sizeof(name_slot), _Alignof(name_slot), &l->names) ||
        !place(&end, def->n_limits * sizeof(aj__limit *), _Alignof(aj__limit *), &l->limits) ||
        !place(&end, def->n_limits > 0 ? def->n_steps * sizeof(_Atomic uint32_t) : 0,
               _Alignof(_Atomic uint32_t), &l->slots) ||
        !place(&end, def->inputs_size, in_align, &l->inputs) ||
        !place(&end, def->outputs_size, out_align, &l->outputs))
        return AJ_ENOMEM;
    l->total = end;
    return AJ_OK;
}

static int check_args(const aj_job_def *def, const void *inputs, const aj_start_opts *o)
{
    int rc = aj__def_usable(def);

    if (rc != AJ_OK)
        return rc;
    if (inputs == NULL && def->inputs_size > 0)
        return AJ_EINVAL;
    if (o == NULL)
        return AJ_OK;
    if (o->instance_id != NULL && strlen(o->instance_id) >= AJ_ID_MAX)
        return AJ_EINVAL;
    if (o->n_retry_overrides > 0 && o->retry_overrides == NULL)
        return AJ_EINVAL;
    /* Names of no step are found by index_overrides(), once allocated. */
    for (size_t k = 0; k < o->n_retry_overrides; k++)
        if (o->retry_overrides[k].step == NULL)
            return AJ_EINVAL;
    return AJ_OK;
}

/* FNV-1a. */
static uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *c = (const unsigned char *)name; *c != 0; c++)
        h = (h ^ *c) * 16777619u;
    return h;
}

/* The slot of name in t (mask + 1 slots, never full): its own, or the
 * empty one where it goes. */
static name_slot *name_find(name_slot *t, uint32_t mask, const aj_retry_override *ov,
                            const char *name)
{
    uint32_t h = name_hash(name) & mask;

    while (t[h].last != 0 && strcmp(ov[t[h].last - 1].step, name) != 0)
        h = (h + 1) & mask;
    return &t[h];
}

/* Resolves the override names with one hashed pass over the options and
 * one over the steps, instead of a scan of the steps per name, and keeps
 * for each step overridden the last override naming it, as the options
 * list them. A name is the first step of that name's, as for
 * aj_job_def_find_step(). The copies come out in step order, one per
 * step, for aj__inst_retry()'s binary search. AJ_EINVAL if a name is no
 * step's. */
static int index_overrides(aj_instance *inst, const aj_start_opts *o, name_slot *t,
                           uint32_t n_slots, aj__override *copies)
{
    const aj_job_def *def = inst->def;
    uint32_t n_names = 0, n = 0;

    memset(t, 0, n_slots * sizeof *t);
    for (uint32_t k = 0; k < o->n_retry_overrides; k++) {
        name_slot *e = name_find(t, n_slots - 1, o->retry_overrides, o->retry_overrides[k].step);
        n_names += e->last == 0;
        e->last = k + 1;
    }
    for (uint32_t i = 0; i < def->n_steps && n < n_names; i++) {
        name_slot *e;
        if (def->steps[i].name == NULL)
            continue;
        e = name_find(t, n_slots - 1, o->retry_overrides, def->steps[i].name);
        if (e->last != 0 && !e->found) {
            e->found = 1;
            copies[n].index = i;
            copies[n++].policy = o->retry_overrides[e->last - 1].policy;
        }
    }
    inst->overrides = copies;
    inst->n_overrides = n;
    return n == n_names ? AJ_OK : AJ_EINVAL;
}

static void apply_opts(aj_instance *inst, const aj_start_opts *o)
{
    if (o != NULL && o->instance_id != NULL) {
        strcpy(inst->id, o->instance_id);
        atomic_init(&inst->id_state, 2);
    }
    if (o == NULL)
        return;
    inst->sequential = o->sequential;
    inst->fail_fast = o->fail_fast;
    inst->user = o->user;
    inst->on_done = o->on_done;
    if (o->observer != NULL) {
        inst->obs = *o->observer;
        inst->has_obs = true;
    }
}

/* The one allocation, laid out and filled; NULL with *rc on failure. */
static aj_instance *create(const aj_job_def *def, const void *inputs,
                           const aj_start_opts *opts, int *rc)
{
    size_t n_over = opts != NULL ? opts->n_retry_overrides : 0;
    layout l;
    char *base;
    aj_instance *inst;

    if ((*rc = plan(def, n_over, &l)) != AJ_OK)
        return NULL;
    if ((base = aj__alloc(l.total, l.align)) == NULL) {
        *rc = AJ_ENOMEM;
        return NULL;
    }
    inst = (aj_instance *)base;
    memset(inst, 0, sizeof *inst);
    inst->def = def;
    inst->steps = (aj__step *)(base + l.steps);
    inst->timers = (aj__timer *)(base + l.timers);
    inst->inputs = base + l.inputs;
    inst->outputs = base + l.outputs;
    inst->asyncs = l.n_async > 0 ? (aj__async *)(base + l.asyncs) : NULL;
    inst->n_async = l.n_async;
    if (def->n_limits > 0) {
        inst->limits = (aj__limit **)(base + l.limits);
        inst->slots = (_Atomic uint32_t *)(base + l.slots);
        for (uint32_t i = 0; i < def->n_steps; i++)
            atomic_init(&inst->slots[i], AJ__SLOTS_NONE);
    }
    inst->maps = l.n_maps > 0 ? (aj__mapped *)(base + l.maps) : NULL;
    inst->n_maps = l.n_maps;
    atomic_init(&inst->root, -1);
    if (def->inputs_size > 0)
        memcpy(inst->inputs, inputs, def->inputs_size);
    memset(inst->outputs, 0, def->outputs_size);
    if ((*rc = aj__inst_init_steps(inst)) == AJ_OK && l.n_names > 0)
        *rc = index_overrides(inst, opts, (name_slot *)(base + l.names), l.n_names,
                              (aj__override *)(base + l.overrides));
    if (*rc != AJ_OK) {
        aj__free(base);
        return NULL;
    }
    apply_opts(inst, opts);
    return inst;
}

int aj_instance_start(aj_runtime *rt, const aj_job_def *def, const void *inputs,
                      const aj_start_opts *opts, aj_instance **out)
{
    aj_instance *inst;
    int rc;

    if (out == NULL)
        return AJ_EINVAL;
    *out = NULL;
    if ((rc = check_args(def, inputs, opts)) != AJ_OK)
        return rc;
    if ((inst = create(def, inputs, opts, &rc)) == NULL)
        return rc;
    /* Sequential mode needs no threads, so no default runtime either,
     * unless its limits are the default runtime's. */
    if (rt == NULL && (!inst->sequential || def->n_limits > 0) &&
        (rt = aj__runtime_default()) == NULL) {
        aj__free(inst);
        return AJ_EAGAIN;
    }
    inst->rt = rt;
    if (def->n_limits > 0 && (rc = aj__limits_resolve(inst)) != AJ_OK) {
        aj__free(inst);
        return rc;
    }
    inst->rt_obs = rt != NULL && rt->has_obs ? &rt->obs : NULL;
    inst->observed = inst->rt_obs != NULL || inst->has_obs;
    /* A lone runner uses plain counters, if a joining thread can make its
     * writes visible (exec.c). Not where steps block: their runners join
     * each other around every long step, and each join would cost a
     * barrier across the process (membarrier) for counters that are a few
     * read-modify-writes an instance. */
    inst->can_solo = aj__barrier_ready() && !inst->blocks;
    atomic_init(&inst->runners, inst->can_solo ? 0 : AJ__SHARED);
    aj__mutex_init(&inst->mu);
    aj__cond_init(&inst->cv);
    inst->start_ns = aj_now_ns();
    inst->start_wall_ns = inst->start_ns + aj__wall_offset_ns();
    aj__sched_live(inst);
    if (inst->sequential) {
        /* Steps run in order[], not from the roots' cursor. */
        atomic_store_explicit(&inst->next_root, def->n_roots, memory_order_relaxed);
        aj__exec_sequential(inst);
    }
    else
        aj__sched_start(inst);
    /* Nothing settles a step of a job without steps: it is done now. */
    if (def->n_steps == 0)
        aj__inst_on_done(inst);
    *out = inst;
    return AJ_OK;
}

bool aj_instance_done(const aj_instance *inst)
{
    return inst != NULL && aj__inst_done(inst);
}

int aj_instance_output(aj_instance *inst, uint32_t step, bool take, void **slot)
{
    const aj_step_def *sd;
    aj__snap snap;

    if (inst == NULL || slot == NULL || step >= inst->def->n_steps)
        return AJ_EINVAL;
    sd = &inst->def->steps[step];
    aj__inst_snap(inst, step, &snap);
    if (snap.state == AJ_STEP_PENDING || snap.state == AJ_STEP_RUNNING ||
        snap.state == AJ_STEP_WAITING)
        return AJ_EBUSY;
    if (snap.state != AJ_STEP_COMPLETED || sd->output_type == NULL)
        return AJ_ENORESULT;
    /* A mapped step's outputs lie in its expansion, the instance's own:
     * lent, never handed over. */
    if (take && (inst->def->exec[step].flags & AJ_STEP_MAPPED))
        return AJ_EINVAL;
    if (take ? atomic_exchange(&inst->steps[step].taken, true)
             : atomic_load(&inst->steps[step].taken))
        return AJ_ETAKEN;
    *slot = (char *)inst->outputs + sd->output_offset;
    return AJ_OK;
}

int aj_instance_rerun(aj_instance *inst)
{
    aj__step *ready;

    if (inst == NULL)
        return AJ_EINVAL;
    if (!aj__inst_done(inst))
        return AJ_EBUSY;
    /* Until nobody else may touch it: then its records are this thread's. */
    aj__wait_release(inst);
    if (aj__state_rerun(inst, &ready) == 0)
        return AJ_OK;
    aj__sched_live(inst);
    aj__exec_rerun(inst, ready);
    return AJ_OK;
}

void aj_instance_free(aj_instance *inst)
{
    if (inst == NULL)
        return;
    if (!aj__inst_done(inst)) {
        aj_instance_cancel(inst);
        aj__wait_until(inst, INT64_MAX);
    }
    /* Also until every async attempt's done came (each holds it). */
    aj__wait_release(inst);
    aj__inst_free_outputs(inst);
    for (uint32_t k = 0; k < inst->n_async; k++) {
        aj__free(inst->asyncs[k].ctx.message);
        aj__free(inst->asyncs[k].ctx.hk);
    }
    pthread_cond_destroy(&inst->cv);
    pthread_mutex_destroy(&inst->mu);
    aj__free(inst);
}

const aj_job_def *aj_instance_def(const aj_instance *inst)
{
    return inst != NULL ? inst->def : NULL;
}

const char *aj_instance_id(const aj_instance *inst)
{
    return inst != NULL ? aj__inst_id(inst) : NULL;
}

int aj_instance_step_info(const aj_instance *inst, uint32_t step, aj_step_info *out)
{
    aj__snap s;

    if (inst == NULL || out == NULL || step >= inst->def->n_steps)
        return AJ_EINVAL;
    aj__inst_snap(inst, step, &s);
    *out = (aj_step_info){
        .state = s.state,
        .kind = s.kind,
        .err = s.err,
        .attempts = s.attempts,
        .start_ns = s.start_ns,
        .start_wall_ns = s.start_ns != 0 ? aj__inst_wall(inst, s.start_ns) : 0,
        .duration_ns = s.start_ns != 0 && s.end_ns != 0 ? s.end_ns - s.start_ns : 0,
        .skip_reason = s.state == AJ_STEP_SKIPPED ? s.reason : AJ_SKIP_NONE,
    };
    return AJ_OK;
}

int aj_instance_failure(const aj_instance *inst, aj_failure *out)
{
    if (inst == NULL || out == NULL)
        return AJ_EINVAL;
    *out = (aj_failure){ .step = -1, .message = "" };
    if (atomic_load_explicit(&((aj_instance *)inst)->failed, memory_order_acquire)) {
        out->step = atomic_load(&((aj_instance *)inst)->root);
        out->step_name = inst->fail_name[0] != '\0' ? inst->fail_name
                                                     : inst->def->steps[out->step].name;
        out->code = inst->fail_code;
        out->kind = inst->fail_kind;
        out->attempts = inst->fail_attempts;
        out->message = inst->message;
    } else if (atomic_load(&((aj_instance *)inst)->cut)) {
        out->code = AJ_ECANCELED;
        out->kind = AJ_FAIL_CANCELLED;
    }
    return out->code;
}
