/* steps.c: the fetch job's steps. Resolve and Fetch start an operation
 * (a timerfd in the loop's epoll set) and return AJ_PENDING; the loop
 * calls their done when the timer fires, or their cancel hook does, at
 * once, when the instance is cancelled first. */
#include "event_loop.job.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* The generated done functions, behind one prototype for Op. */
static void resolve_done(void *reply, int rc, int value)
{
    fetch_Resolve_done(reply, rc, value);
}

static void fetch_done(void *reply, int rc, int value)
{
    fetch_Fetch_done(reply, rc, value);
}

/* The aj_ctx_on_cancel hook: the instance is cancelled (on the cancelling
 * thread), or Resolve's timeout passes (on the runtime's canceller
 * thread), while the timer is pending. The loop may be handling the same
 * timer at that moment: whoever takes `settled` first calls done, once. */
static void cancel_op(void *arg)
{
    Op *op = arg;
    const struct itimerspec off = { { 0, 0 }, { 0, 0 } };

    if (atomic_exchange(&op->settled, true))
        return;
    timerfd_settime(op->fd, 0, &off, NULL); /* it never fires now */
    printf("%s: %s's hook: timer disarmed, done(AJ_ECANCELED)\n", op->id, op->step);
    op->done(op->reply, AJ_ECANCELED, 0);
}

/* Arms a timer of delay_ms in the loop that completes reply with value. */
static int start_op(aj_ctx *ctx, Loop *loop, int delay_ms, int value, void *reply,
                    void (*done)(void *, int, int))
{
    const struct itimerspec when = { { 0, 0 }, { delay_ms / 1000, delay_ms % 1000 * 1000000L } };
    struct epoll_event ev = { .events = EPOLLIN };
    int i = atomic_fetch_add(&loop->n_ops, 1), rc;
    Op *op;

    if (i >= MAX_OPS)
        return EAGAIN; /* failed without done */
    op = &loop->ops[i];
    op->value = value;
    op->reply = reply;
    op->done = done;
    op->id = aj_ctx_instance_id(ctx);
    op->step = aj_ctx_step_name(ctx);
    if ((op->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
        return errno;
    /* The hook before the timer: if the instance is cancelled already, it
     * runs here, at once, and done has come. */
    if ((rc = aj_ctx_on_cancel(ctx, cancel_op, op)) != AJ_OK)
        return rc;
    if (atomic_load(&op->settled))
        return AJ_PENDING;
    printf("%s: %s armed a %d ms timer\n", op->id, op->step, delay_ms);
    ev.data.ptr = op;
    if (timerfd_settime(op->fd, 0, &when, NULL) != 0 ||
        epoll_ctl(loop->epfd, EPOLL_CTL_ADD, op->fd, &ev) != 0) {
        rc = errno;
        /* Failed without done, unless the hook has taken the op since. */
        return atomic_exchange(&op->settled, true) ? AJ_PENDING : rc;
    }
    atomic_fetch_add(&loop->armed, 1);
    eventfd_write(loop->wake, 1);
    return AJ_PENDING;
}

int fetch_Resolve(aj_ctx *ctx, Loop *loop, int delay_ms, fetch_Resolve_reply *reply)
{
    return start_op(ctx, loop, delay_ms, 7, reply, resolve_done); /* host 7 */
}

int fetch_Fetch(aj_ctx *ctx, Loop *loop, int delay_ms, int addr, fetch_Fetch_reply *reply)
{
    return start_op(ctx, loop, delay_ms, addr * 100, reply, fetch_done); /* bytes */
}

/* A plain step: it runs on a worker once Fetch's done has come. */
int fetch_Render(aj_ctx *ctx, Loop *loop, int delay_ms, int page, int *out)
{
    (void)loop;
    (void)delay_ms;
    *out = page / 70;
    printf("%s: Render: %d bytes, %d lines\n", aj_ctx_instance_id(ctx), page, *out);
    return 0;
}
