/*
 * chaos_done.c: the completer pool of test_chaos (chaos_done.h). A binary
 * heap of calls by due time, under one lock; each call knows its place in
 * the heap, so that a hurry moves it to the front. The threads make each
 * call without the lock: a call's done may start async steps that queue
 * calls of their own.
 */
#include "aj_internal.h"
#include "chaos_done.h"

#include <stdlib.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#define HEAP_MAX 4096   /* calls queued at once: one per async step at most */
#define THREADS_MAX 8

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* a call queued, hurried or made; the stop */
    cd_call *heap[HEAP_MAX];
    unsigned n;
    bool stopping;
    unsigned n_threads;
    pthread_t threads[THREADS_MAX];
} pool;

static void place(unsigned i, cd_call *c)
{
    pool.heap[i] = c;
    c->pos = (int)i;
}

static void sift_up(unsigned i)
{
    cd_call *c = pool.heap[i];

    for (; i > 0 && pool.heap[(i - 1) / 2]->due_ns > c->due_ns; i = (i - 1) / 2)
        place(i, pool.heap[(i - 1) / 2]);
    place(i, c);
}

static cd_call *pop_locked(void)
{
    cd_call *top = pool.heap[0], *last = pool.heap[--pool.n];
    unsigned i = 0;

    for (unsigned k; (k = 2 * i + 1) < pool.n; i = k) {
        if (k + 1 < pool.n && pool.heap[k + 1]->due_ns < pool.heap[k]->due_ns)
            k++;
        if (last->due_ns <= pool.heap[k]->due_ns)
            break;
        place(i, pool.heap[k]);
    }
    if (pool.n > 0)
        place(i, last);
    top->pos = -1;
    return top;
}

static void *completer_main(void *arg)
{
    (void)arg;
#if defined(__linux__)
    (void)prctl(PR_SET_NAME, "chaos-done", 0, 0, 0);
#endif
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        cd_call *c;
        bool hurried;
        if (pool.n == 0 && pool.stopping)
            break;
        if (pool.n == 0 || pool.heap[0]->due_ns > aj_now_ns()) {
            aj__cond_wait_until(&pool.cv, &pool.mu, pool.n > 0 ? pool.heap[0]->due_ns : INT64_MAX);
            continue;
        }
        c = pop_locked();
        hurried = c->hurried;
        pthread_mutex_unlock(&pool.mu);
        c->fn(c, hurried);
        /* c may be gone: its owner waits for the count fn lowered. */
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.cv);
    }
    pthread_mutex_unlock(&pool.mu);
    return NULL;
}

void cd_start(unsigned n)
{
    aj__mutex_init(&pool.mu);
    aj__cond_init(&pool.cv);
    pool.n = 0;
    pool.stopping = false;
    pool.n_threads = n < THREADS_MAX ? n : THREADS_MAX;
    for (unsigned i = 0; i < pool.n_threads; i++)
        if (pthread_create(&pool.threads[i], NULL, completer_main, NULL) != 0)
            abort();
}

void cd_stop(void)
{
    pthread_mutex_lock(&pool.mu);
    pool.stopping = true;
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    for (unsigned i = 0; i < pool.n_threads; i++)
        if (pthread_join(pool.threads[i], NULL) != 0)
            abort();
    pthread_cond_destroy(&pool.cv);
    pthread_mutex_destroy(&pool.mu);
}

void cd_init(cd_call *call, void (*fn)(cd_call *call, bool hurried))
{
    call->fn = fn;
    call->due_ns = INT64_MAX;
    call->pos = -1;
    call->hurried = false;
}

void cd_queue(cd_call *call, int64_t due_ns)
{
    pthread_mutex_lock(&pool.mu);
    if (pool.n == HEAP_MAX)
        abort();
    call->due_ns = call->hurried ? 0 : due_ns;
    pool.heap[pool.n] = call;
    sift_up(pool.n++);
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
}

void cd_hurry(void *arg)
{
    cd_call *call = arg;

    pthread_mutex_lock(&pool.mu);
    call->hurried = true;
    if (call->pos >= 0) {
        call->due_ns = 0;
        sift_up((unsigned)call->pos);
        pthread_cond_broadcast(&pool.cv);
    }
    pthread_mutex_unlock(&pool.mu);
}

bool cd_wait_zero(_Atomic int *count, int64_t timeout_ns)
{
    int64_t until = aj_now_ns() + timeout_ns;
    bool zero;

    pthread_mutex_lock(&pool.mu);
    for (;;) {
        zero = atomic_load(count) == 0;
        if (zero || aj_now_ns() >= until)
            break;
        aj__cond_wait_until(&pool.cv, &pool.mu, until);
    }
    pthread_mutex_unlock(&pool.mu);
    return zero;
}
