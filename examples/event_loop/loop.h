/* loop.h: the event loop of the fetch job. main() runs it on its own
 * thread: epoll over one eventfd that wakes it and one timerfd per pending
 * operation, each timer standing for a request on the wire. */
#ifndef LOOP_H
#define LOOP_H

#include <stdatomic.h>
#include <stdbool.h>

/* One pending operation of an async step. */
typedef struct Op {
    int fd;                  /* its timerfd, in the loop's epoll set */
    atomic_bool settled;     /* taken by whoever calls done: the loop or the hook */
    int value;               /* the step's output when the timer fires */
    void *reply;             /* the attempt's reply */
    void (*done)(void *reply, int rc, int value); /* its step's JOB_STEP_done */
    const char *id, *step;   /* for the log; the ctx's, valid until done */
} Op;

#define MAX_OPS 8

typedef struct Loop {
    int epfd;
    int wake;                /* eventfd: a step armed a timer, or on_done */
    atomic_int armed;        /* timers armed since the instance started */
    atomic_bool final;       /* set by on_done */
    atomic_int n_ops;
    Op ops[MAX_OPS];         /* never freed while the loop runs: the loop
                                and a hook on another thread may both hold one */
} Loop;

#endif
