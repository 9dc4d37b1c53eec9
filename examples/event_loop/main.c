/*
 * main.c: async steps driven by an event loop on the main thread, as a
 * program built around epoll, libuv or io_uring would drive them. No
 * thread waits for a pending step: its timer sits in the loop's epoll set,
 * and the loop calls the step's done when it fires.
 *
 * The loop does not call fetch_wait to learn that the instance is over:
 * aj_start_opts.on_done wakes it. Then the loop exits, and only then is
 * the instance freed. A second instance is cancelled while its Resolve is
 * pending: the step's cancel hook disarms the timer and calls done.
 */
#include "event_loop.job.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* on_done runs on the thread that settled the last step: a worker after
 * Render, or this thread inside fetch_cancel. It must not free the
 * instance, which that thread still holds: it only wakes the loop. */
static void wake_loop(aj_instance *inst, void *user)
{
    Loop *loop = user;

    printf("on_done: %s is final\n", aj_instance_id(inst));
    atomic_store(&loop->final, true);
    eventfd_write(loop->wake, 1);
}

/* Runs the loop until the instance is final; with cancel, cancels it as
 * soon as one of its steps has armed a timer. */
static void run(Loop *loop, fetch *job, bool cancel)
{
    struct epoll_event evs[MAX_OPS + 1];
    uint64_t count;

    while (!atomic_load(&loop->final)) {
        int n = epoll_wait(loop->epfd, evs, MAX_OPS + 1, -1);
        for (int i = 0; i < n; i++) {
            Op *op = evs[i].data.ptr;
            if (op == NULL) { /* the wake eventfd */
                eventfd_read(loop->wake, &count);
                if (cancel && atomic_load(&loop->armed) > 0) {
                    printf("loop: cancelling %s\n", aj_instance_id(fetch_instance(job)));
                    fetch_cancel(job);
                    cancel = false;
                }
            } else if (read(op->fd, &count, sizeof count) == sizeof count &&
                       !atomic_exchange(&op->settled, true)) {
                /* The loop took the op, no hook will touch it: its fd can go. */
                printf("%s: %s's timer fired: done(0, %d)\n", op->id, op->step, op->value);
                close(op->fd);
                op->fd = -1;
                op->done(op->reply, 0, op->value); /* may start the next async step, here */
            }
        }
    }
}

static int fetch_page(Loop *loop, const char *id, int delay_ms, bool cancel)
{
    aj_start_opts opts = { .instance_id = id, .user = loop, .on_done = wake_loop };
    aj_step_info info;
    fetch *job;
    int rc, lines;

    atomic_store(&loop->armed, 0);
    atomic_store(&loop->final, false);
    if ((rc = fetch_start(NULL, loop, delay_ms, &opts, &job)) != AJ_OK)
        return rc;
    run(loop, job, cancel);
    rc = fetch_wait(job, 0); /* final: returns at once */
    printf("loop exited; wait: %s\n", aj_strerror(rc));
    if (fetch_result(job, &lines) == AJ_OK)
        printf("result: %d lines\n", lines);
    for (uint32_t i = 0; i < fetch_def.n_steps; i++) {
        aj_instance_step_info(fetch_instance(job), i, &info);
        printf("%s %s%s", fetch_def.steps[i].name, aj_step_state_name(info.state),
               i + 1 < fetch_def.n_steps ? ", " : "\n");
    }
    fetch_free(job); /* outside on_done, once the loop is done with it */
    return rc;
}

int main(void)
{
    static Loop loop; /* zeroed: every op unsettled */
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    int ok;

    loop.epfd = epoll_create1(EPOLL_CLOEXEC);
    loop.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop.epfd < 0 || loop.wake < 0 || epoll_ctl(loop.epfd, EPOLL_CTL_ADD, loop.wake, &ev) != 0)
        return 1;
    ok = fetch_page(&loop, "example.org", 2, false) == AJ_OK;
    /* 10 s, far beyond Resolve's 500 ms timeout: it is cancelled first. */
    ok = fetch_page(&loop, "slow.example", 10000, true) == AJ_ECANCELED && ok;
    for (int i = 0; i < atomic_load(&loop.n_ops) && i < MAX_OPS; i++)
        if (loop.ops[i].fd >= 0)
            close(loop.ops[i].fd); /* the ops the hook took, disarmed */
    close(loop.wake);
    close(loop.epfd);
    return ok ? 0 : 1;
}
