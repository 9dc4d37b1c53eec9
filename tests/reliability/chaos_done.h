/*
 * chaos_done.h: the completers of test_chaos's async steps, a small pool
 * of threads (named "chaos-done") that make queued calls when they are
 * due, earliest first, like an event loop's timers. A call is hurried
 * (due at once) by cd_hurry, which an async attempt registers as its
 * aj_ctx_on_cancel hook. Unlike tjob's single completer, the pool is
 * started and joined by the test, so that its threads are counted.
 */
#ifndef CHAOS_DONE_H
#define CHAOS_DONE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* One call, in storage of the caller's that must outlive it: until fn has
 * returned, and while a hook that may call cd_hurry on it is registered. */
typedef struct cd_call {
    /* Makes the call, on a completer; hurried: cd_hurry came first. */
    void (*fn)(struct cd_call *call, bool hurried);
    int64_t due_ns;     /* monotonic (aj_now_ns); under the pool's lock */
    int pos;            /* in the heap; -1 when not queued; under the lock */
    bool hurried;       /* under the lock */
} cd_call;

/* n threads; the pool is empty. */
void cd_start(unsigned n);
/* Makes every queued call, then joins the threads. */
void cd_stop(void);

/* Before the call may be hurried or queued. */
void cd_init(cd_call *call, void (*fn)(cd_call *call, bool hurried));
/* Queues call, due at due_ns (INT64_MAX: only when hurried), or at once
 * when it was hurried already. */
void cd_queue(cd_call *call, int64_t due_ns);
/* The call (a cd_call *) is due at once, or will be when queued. Short
 * and non-blocking but for the pool's lock: fit for a cancel hook. */
void cd_hurry(void *call);

/* Waits until *count is 0, with the pool's lock around each look (a call's
 * fn lowers it as its last act; the pool wakes the waiter after each
 * call). False when timeout_ns passed first. */
bool cd_wait_zero(_Atomic int *count, int64_t timeout_ns);

#endif
