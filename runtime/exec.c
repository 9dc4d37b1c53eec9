/*
 * exec.c: running steps. One attempt calls the step's generated wrapper
 * with an aj_ctx on this thread's stack, judges the result (deadline,
 * permanent mark, retry policy) and either settles the step through
 * instance.c, runs it again, or parks it in the timer queue. A thread that
 * finishes a step goes on with one of the steps that made runnable (its
 * continuation) and hands the others to the scheduler, so a chain runs on
 * one thread without touching any queue.
 */
#include "aj_internal.h"

static bool observed(const aj_instance *inst)
{
    return inst->rt_obs != NULL || inst->has_obs;
}

static void emit(const aj_instance *inst, int which, const aj_step_event *ev)
{
    const aj_observer *obs[2] = { inst->rt_obs, inst->has_obs ? &inst->obs : NULL };

    for (int i = 0; i < 2; i++) {
        void (*fn)(void *, const aj_step_event *);
        if (obs[i] == NULL)
            continue;
        fn = which == AJ__EV_START   ? obs[i]->step_start
             : which == AJ__EV_RETRY ? obs[i]->step_retry
                                     : obs[i]->step_finish;
        if (fn != NULL)
            fn(obs[i]->arg, ev);
    }
}

static void event_init(aj_step_event *ev, const aj__step *s, uint32_t attempt)
{
    const aj_instance *inst = s->inst;

    *ev = (aj_step_event){
        .instance = inst,
        .job = inst->def->name,
        .instance_id = inst->id,
        .step = inst->def->steps[s->index].name,
        .step_index = s->index,
        .attempt = attempt,
        .state = AJ_STEP_RUNNING,
        .message = "",
        .user = inst->user,
    };
}

void aj__emit_finish(aj__step *s, aj_step_state state, int err, const char *message,
                     int64_t end_ns)
{
    aj_step_event ev;
    int64_t start;

    if (!observed(s->inst))
        return;
    event_init(&ev, s, atomic_load_explicit(&s->attempts, memory_order_relaxed));
    start = atomic_load_explicit(&s->start_ns, memory_order_relaxed);
    ev.state = state;
    ev.err = err;
    ev.duration_ns = start != 0 && end_ns > start ? end_ns - start : 0;
    ev.message = message != NULL ? message : "";
    emit(s->inst, AJ__EV_FINISH, &ev);
}

static void emit_attempt(aj_ctx *ctx, int which, int err, int64_t delay_ns)
{
    aj_step_event ev;

    if (!observed(ctx->inst))
        return;
    event_init(&ev, ctx->step, ctx->attempt);
    ev.err = err;
    ev.delay_ns = delay_ns;
    if (which == AJ__EV_RETRY)
        ev.message = ctx->message;
    emit(ctx->inst, which, &ev);
}

static void ctx_open(aj_ctx *ctx, aj_instance *inst, aj__step *s, int64_t now_ns)
{
    int64_t timeout = inst->def->steps[s->index].timeout_ns;

    ctx->inst = inst;
    ctx->step = s;
    ctx->permanent = false;
    ctx->message[0] = '\0';
    ctx->deadline_ns = timeout > 0 ? aj__add_sat(now_ns, timeout) : INT64_MAX;
    ctx->attempt = aj__inst_begin_attempt(s, now_ns);
    emit_attempt(ctx, AJ__EV_START, 0, 0);
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

aj__step *aj__exec_cancel_step(aj__step *s, int64_t now_ns)
{
    bool started = atomic_load_explicit(&s->attempts, memory_order_relaxed) > 0;
    int err = atomic_load_explicit(&s->err, memory_order_relaxed);

    return aj__inst_finish(s, AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, err, NULL,
                           started ? now_ns : 0);
}

/* A step that returned 0 after its deadline failed, but it did store an
 * output: free it now, or a retry overwrites it and a final failure never
 * frees it. */
static void discard_output(aj_instance *inst, const aj_step_def *sd)
{
    if (sd->free_output != NULL && sd->output_type != NULL)
        sd->free_output((char *)inst->outputs + sd->output_offset);
}

/* Runs s until it is final or parked in the timer queue. Returns the steps
 * its end made runnable. *now_ns is the latest clock reading. */
static aj__step *run_step(aj_instance *inst, aj__step *s, int64_t *now_ns)
{
    const aj_step_def *sd = &inst->def->steps[s->index];

    for (;;) {
        aj_ctx ctx;
        int64_t delay;
        int rc, returned;
        aj_fail_kind kind;

        ctx_open(&ctx, inst, s, *now_ns);
        returned = sd->run(&ctx, inst->inputs, inst->outputs);
        *now_ns = aj_now_ns();
        rc = returned;
        kind = judge(&ctx, &rc, *now_ns);
        if (returned == 0 && rc != 0)
            discard_output(inst, sd);
        if (rc == 0)
            return aj__inst_finish(s, AJ_STEP_COMPLETED, AJ_FAIL_NONE, 0, NULL, *now_ns);
        if (ctx.permanent || atomic_load(&inst->cancelled) ||
            !aj__retry_next(s->retry, &ctx, rc, ctx.attempt - 1, &delay))
            return aj__inst_finish(s, AJ_STEP_FAILED, kind, rc, ctx.message, *now_ns);
        aj__inst_note_retry(s, rc, kind);
        emit_attempt(&ctx, AJ__EV_RETRY, rc, delay);
        if (delay == 0)
            continue;
        if (inst->sequential) {
            if (aj__sched_sleep(inst, aj__add_sat(*now_ns, delay)))
                return aj__exec_cancel_step(s, aj_now_ns());
            *now_ns = aj_now_ns();
            continue;
        }
        if (aj__sched_delay(inst, s, aj__add_sat(*now_ns, delay)))
            return NULL;
        return aj__exec_cancel_step(s, *now_ns);
    }
}

void aj__exec_run(aj_instance *inst, aj__step *s)
{
    int64_t now = aj_now_ns();

    while (s != NULL) {
        aj__step *ready, *rest;
        if (atomic_load_explicit(&inst->cancelled, memory_order_relaxed))
            ready = aj__exec_cancel_step(s, now);
        else
            ready = run_step(inst, s, &now);
        /* Nothing may touch inst once it is done: only a non-empty ready
         * list (steps not final) proves it is not. */
        if (ready == NULL)
            return;
        rest = ready->next;
        ready->next = NULL;
        if (rest != NULL)
            aj__sched_ready(inst, rest);
        s = ready;
    }
}

void aj__exec_sequential(aj_instance *inst)
{
    const aj_job_def *def = inst->def;
    int64_t now = aj_now_ns();

    for (uint32_t k = 0; k < def->n_steps; k++) {
        aj__step *s = &inst->steps[def->order[k]];
        /* Steps already settled by propagation are final; the others are
         * runnable, since every step before them in order[] is final. */
        if (atomic_load_explicit(&s->state, memory_order_relaxed) != AJ_STEP_PENDING)
            continue;
        if (atomic_load(&inst->cancelled))
            aj__exec_cancel_step(s, now);
        else
            run_step(inst, s, &now);
    }
}
