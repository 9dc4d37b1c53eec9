/*
 * observe.c: observer events. An event is made on the stack of the thread
 * that caused it and handed to the runtime's observer, then to the
 * instance's; the callbacks are the user's code, called on that thread.
 * They may cancel the instance: exec.c calls in here only while its
 * runner is idle (no counter of the instance in its hands).
 */
#include "aj_observe.h"

enum { EV_START, EV_RETRY, EV_FINISH };

/* The instance whose observer this thread is calling, if any: waiting for
 * it there would wait for itself (aj_instance_wait refuses). */
static _Thread_local const aj_instance *observing;

bool aj__observing(const aj_instance *inst)
{
    return observing == inst;
}

static void emit(const aj_instance *inst, int which, const aj_step_event *ev)
{
    const aj_observer *obs[2] = { inst->rt_obs, inst->has_obs ? &inst->obs : NULL };
    const aj_instance *outer = observing;

    observing = inst;
    for (int i = 0; i < 2; i++) {
        void (*fn)(void *, const aj_step_event *);
        if (obs[i] == NULL)
            continue;
        fn = which == EV_START   ? obs[i]->step_start
             : which == EV_RETRY ? obs[i]->step_retry
                                 : obs[i]->step_finish;
        if (fn != NULL)
            fn(obs[i]->arg, ev);
    }
    observing = outer;
}

static void event_init(aj_step_event *ev, const aj__step *s, uint32_t attempt, int64_t time_ns)
{
    const aj_instance *inst = s->inst;

    *ev = (aj_step_event){
        .instance = inst,
        .job = inst->def->name,
        .instance_id = aj__inst_id(inst),
        .step = inst->def->steps[s->index].name,
        .step_index = s->index,
        .attempt = attempt,
        .state = AJ_STEP_RUNNING,
        .message = "",
        .user = inst->user,
        .time_ns = time_ns,
        .element = aj__is_elem(s) ? (int64_t)aj__elem_index(aj__elem_of((aj__step *)s)) : -1,
    };
}

void aj__observe_start(const aj_ctx *ctx)
{
    aj_step_event ev;

    /* exec.c starts the attempt's clock once the callbacks return. */
    event_init(&ev, ctx->step, ctx->attempt, aj_now_ns());
    emit(ctx->inst, EV_START, &ev);
}

void aj__observe_retry(const aj_ctx *ctx, int err, int64_t delay_ns)
{
    aj_step_event ev;

    event_init(&ev, ctx->step, ctx->attempt, aj_now_ns());
    ev.err = err;
    ev.delay_ns = delay_ns;
    ev.message = ctx->message != NULL ? ctx->message : "";
    emit(ctx->inst, EV_RETRY, &ev);
}

void aj__observe_finish(aj__step *s, aj_step_state state, int err, const char *message,
                        int64_t end_ns)
{
    aj_step_event ev;
    int64_t start;

    /* A step that never ran has no end: it is settled now. */
    event_init(&ev, s, atomic_load_explicit(&s->attempts, memory_order_relaxed),
               end_ns != 0 ? end_ns : aj_now_ns());
    start = atomic_load_explicit(&s->start_ns, memory_order_relaxed);
    ev.state = state;
    if (state == AJ_STEP_SKIPPED)
        ev.skip_reason = (aj_skip_reason)(atomic_load_explicit(&s->kind, memory_order_relaxed) >>
                                          AJ__REASON_SHIFT);
    ev.err = err;
    ev.duration_ns = start != 0 && end_ns > start ? end_ns - start : 0;
    ev.message = message != NULL ? message : "";
    emit(s->inst, EV_FINISH, &ev);
}
