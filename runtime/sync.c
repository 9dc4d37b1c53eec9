/*
 * sync.c: mutexes and condition variables as the runtime sets them up
 * (condition variables time out on the monotonic clock, the one every
 * deadline is read from), and a wait until a monotonic instant.
 */
#include "aj_base.h"

#include <stdlib.h>
#include <time.h>

/* Failing to set up a mutex breaks the runtime's invariants: abort, as
 * libuv does. */
void aj__mutex_init(pthread_mutex_t *mu)
{
    if (pthread_mutex_init(mu, NULL) != 0)
        abort();
}

/* Process-wide: the attributes every condition variable is made with,
 * made once. */
static pthread_condattr_t monotonic;
static pthread_once_t monotonic_once = PTHREAD_ONCE_INIT;

static void monotonic_init(void)
{
    if (pthread_condattr_init(&monotonic) != 0 ||
        pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC) != 0)
        abort();
}

void aj__cond_init(pthread_cond_t *cv)
{
    pthread_once(&monotonic_once, monotonic_init);
    if (pthread_cond_init(cv, &monotonic) != 0)
        abort();
}

int aj__cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_ns)
{
    struct timespec ts;

    if (until_ns == INT64_MAX)
        return pthread_cond_wait(cv, mu);
    ts.tv_sec = (time_t)(until_ns / 1000000000);
    ts.tv_nsec = (long)(until_ns % 1000000000);
    return pthread_cond_timedwait(cv, mu, &ts);
}
