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
    size_t steps, timers, overrides, inputs, outputs, total, align;
} layout;

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

static int plan(const aj_job_def *def, size_t n_overrides, layout *l)
{
    size_t in_align = def->inputs_align ? def->inputs_align : 1;
    size_t out_align = def->outputs_align ? def->outputs_align : 1;
    size_t end = sizeof(aj_instance);

    if ((uint64_t)def->n_steps * (sizeof(aj__step) + sizeof(aj__timer)) > SIZE_MAX ||
        n_overrides > SIZE_MAX / sizeof(aj__override))
        return AJ_ENOMEM;
    l->align = AJ__CACHE_LINE;
    if (in_align > l->align)
        l->align = in_align;
    if (out_align > l->align)
        l->align = out_align;
    if (!place(&end, def->n_steps * sizeof(aj__step), AJ__CACHE_LINE, &l->steps) ||
        !place(&end, def->n_steps * sizeof(aj__timer), _Alignof(aj__timer), &l->timers) ||
        !place(&end, n_overrides * sizeof(aj__override), _Alignof(aj__override),
               &l->overrides) ||
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
    for (size_t k = 0; k < o->n_retry_overrides; k++)
        if (aj_job_def_find_step(def, o->retry_overrides[k].step) < 0)
            return AJ_EINVAL;
    return AJ_OK;
}

static void apply_opts(aj_instance *inst, const aj_start_opts *o, aj__override *copies)
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
    if (o->observer != NULL) {
        inst->obs = *o->observer;
        inst->has_obs = true;
    }
    for (size_t k = 0; k < o->n_retry_overrides; k++) {
        copies[k].index = (uint32_t)aj_job_def_find_step(inst->def, o->retry_overrides[k].step);
        copies[k].policy = o->retry_overrides[k].policy;
    }
    inst->overrides = copies;
    inst->n_overrides = (uint32_t)o->n_retry_overrides;
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
    atomic_init(&inst->root, -1);
    if (def->inputs_size > 0)
        memcpy(inst->inputs, inputs, def->inputs_size);
    memset(inst->outputs, 0, def->outputs_size);
    if ((*rc = aj__inst_init_steps(inst)) != AJ_OK) {
        aj__free(base);
        return NULL;
    }
    apply_opts(inst, opts, (aj__override *)(base + l.overrides));
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
    /* Sequential mode needs no threads, so no default runtime either. */
    if (rt == NULL && !inst->sequential && (rt = aj__runtime_default()) == NULL) {
        aj__free(inst);
        return AJ_EAGAIN;
    }
    inst->rt = rt;
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
    if (snap.state == AJ_STEP_PENDING || snap.state == AJ_STEP_RUNNING)
        return AJ_EBUSY;
    if (snap.state != AJ_STEP_COMPLETED || sd->output_type == NULL)
        return AJ_ENORESULT;
    if (take ? atomic_exchange(&inst->steps[step].taken, true)
             : atomic_load(&inst->steps[step].taken))
        return AJ_ETAKEN;
    *slot = (char *)inst->outputs + sd->output_offset;
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
    aj__wait_release(inst);
    aj__inst_free_outputs(inst);
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
        out->step_name = inst->def->steps[out->step].name;
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
