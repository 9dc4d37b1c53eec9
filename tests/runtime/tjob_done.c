/*
 * tjob_done.c: the completer of tjob.h, one thread that calls the async
 * test steps' done when each is due, in due order, as an event loop's
 * timers would.
 */
#include "tjob.h"

#include <stdlib.h>
#include <time.h>

#define DONE_MAX (1u << 17)

typedef struct done_call {
    int64_t due_ns;
    aj_reply *reply;
    int64_t out;
    int rc;
    _Atomic int *within;  /* down by one before the call; NULL: none */
} done_call;

/* A binary heap by due time, under mu; busy: calls taken, not yet made. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    done_call heap[DONE_MAX];
    unsigned n, busy;
} completer = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { { 0, NULL, 0, 0, NULL } },
                0, 0 };
static pthread_once_t completer_once = PTHREAD_ONCE_INIT;

static void heap_swap(unsigned a, unsigned b)
{
    done_call t = completer.heap[a];
    completer.heap[a] = completer.heap[b];
    completer.heap[b] = t;
}

static done_call heap_pop(void)
{
    done_call top = completer.heap[0];
    unsigned i = 0;

    completer.heap[0] = completer.heap[--completer.n];
    for (unsigned c; (c = 2 * i + 1) < completer.n; i = c) {
        if (c + 1 < completer.n && completer.heap[c + 1].due_ns < completer.heap[c].due_ns)
            c++;
        if (completer.heap[i].due_ns <= completer.heap[c].due_ns)
            break;
        heap_swap(i, c);
    }
    return top;
}

/* Makes each call when due, without the lock: done may start steps that
 * queue calls of their own. */
static void *completer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&completer.mu);
    for (;;) {
        int64_t now = aj_now_ns();
        if (completer.n == 0 || completer.heap[0].due_ns > now) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200000; /* a nap: due times are milliseconds apart */
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&completer.cv, &completer.mu, &ts);
            continue;
        }
        done_call c = heap_pop();
        completer.busy++;
        pthread_mutex_unlock(&completer.mu);
        if (c.within != NULL)
            atomic_fetch_sub(c.within, 1);
        aj_reply_done(c.reply, c.rc, &c.out);
        pthread_mutex_lock(&completer.mu);
        completer.busy--;
        pthread_cond_broadcast(&completer.cv);
    }
    return NULL;
}

static void completer_start(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, completer_main, NULL) != 0 || pthread_detach(t) != 0)
        abort();
}

void tj_done_after(aj_reply *reply, int rc, int64_t out, int64_t after_ns)
{
    tj_done_after_counted(reply, rc, out, after_ns, NULL);
}

void tj_done_after_counted(aj_reply *reply, int rc, int64_t out, int64_t after_ns,
                           _Atomic int *within)
{
    unsigned i;

    pthread_once(&completer_once, completer_start);
    pthread_mutex_lock(&completer.mu);
    if (completer.n == DONE_MAX)
        abort();
    i = completer.n++;
    completer.heap[i] = (done_call){ aj_now_ns() + after_ns, reply, out, rc, within };
    for (; i > 0 && completer.heap[(i - 1) / 2].due_ns > completer.heap[i].due_ns; i = (i - 1) / 2)
        heap_swap(i, (i - 1) / 2);
    pthread_cond_broadcast(&completer.cv);
    pthread_mutex_unlock(&completer.mu);
}

unsigned tj_done_pending(void)
{
    unsigned n;

    pthread_mutex_lock(&completer.mu);
    n = completer.n + completer.busy;
    pthread_mutex_unlock(&completer.mu);
    return n;
}

void tj_done_drain(void)
{
    pthread_mutex_lock(&completer.mu);
    while (completer.n + completer.busy > 0)
        pthread_cond_wait(&completer.cv, &completer.mu);
    pthread_mutex_unlock(&completer.mu);
}
