/*
 * ctx.c: what a running step can read about its run (job, instance, step,
 * attempt, deadline, cancellation, user pointer) and what it can say back
 * (a message, a permanent failure). The context lives on the stack of the
 * thread that runs the attempt, or in an async step's record (aj_data.h);
 * only the first message of an async attempt allocates, its buffer, which
 * the record keeps for later attempts until the instance is freed.
 */
#include "aj_data.h"

#include <stdarg.h>
#include <string.h>

const char *aj_ctx_job_name(const aj_ctx *ctx)
{
    return ctx != NULL ? ctx->inst->def->name : "";
}

const char *aj_ctx_instance_id(const aj_ctx *ctx)
{
    return ctx != NULL ? aj__inst_id(ctx->inst) : "";
}

const char *aj_ctx_step_name(const aj_ctx *ctx)
{
    return ctx != NULL ? ctx->inst->def->steps[ctx->step->index].name : "";
}

uint32_t aj_ctx_step_index(const aj_ctx *ctx)
{
    return ctx != NULL ? ctx->step->index : 0;
}

size_t aj_ctx_index(const aj_ctx *ctx)
{
    return ctx != NULL && aj__is_elem(ctx->step) ? aj__elem_index(aj__elem_of(ctx->step)) : 0;
}

uint32_t aj_ctx_attempt(const aj_ctx *ctx)
{
    return ctx != NULL ? ctx->attempt : 0;
}

int64_t aj_ctx_deadline_ns(const aj_ctx *ctx)
{
    return ctx != NULL ? ctx->deadline_ns : INT64_MAX;
}

bool aj_ctx_expired(const aj_ctx *ctx)
{
    return ctx != NULL && ctx->deadline_ns != INT64_MAX && aj_now_ns() > ctx->deadline_ns;
}

bool aj_ctx_cancelled(const aj_ctx *ctx)
{
    return ctx != NULL && atomic_load_explicit(&ctx->inst->cancelled, memory_order_relaxed);
}

void *aj_ctx_user(const aj_ctx *ctx)
{
    return ctx != NULL ? ctx->inst->user : NULL;
}

const aj_instance *aj_ctx_instance(const aj_ctx *ctx)
{
    return ctx != NULL ? ctx->inst : NULL;
}

bool aj_ctx_step_completed(const aj_ctx *ctx, uint32_t step)
{
    /* Acquire: a producer's output is written before its final state. */
    return ctx != NULL && step < ctx->inst->def->n_steps &&
           atomic_load_explicit(&ctx->inst->steps[step].state, memory_order_acquire) ==
               AJ_STEP_COMPLETED;
}

void aj_ctx_set_message(aj_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (ctx == NULL || fmt == NULL)
        return;
    /* Without memory the message is lost, not the attempt. */
    if (ctx->message == NULL && (ctx->message = aj__alloc(AJ_MESSAGE_MAX, 0)) == NULL)
        return;
    va_start(ap, fmt);
    n = vsnprintf(ctx->message, AJ_MESSAGE_MAX, fmt, ap);
    va_end(ap);
    if (n < 0)
        ctx->message[0] = '\0';
    else if (n >= AJ_MESSAGE_MAX)
        memcpy(ctx->message + AJ_MESSAGE_MAX - 4, "...", 4);
}

aj_reply *aj_ctx_reply(aj_ctx *ctx)
{
    /* The record begins with its context. */
    return ctx != NULL && ctx->async ? (aj_reply *)ctx : NULL;
}

void aj_ctx_set_permanent(aj_ctx *ctx)
{
    if (ctx != NULL)
        ctx->permanent = true;
}
