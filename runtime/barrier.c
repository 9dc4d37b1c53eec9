/*
 * barrier.c: the heavy side of an asymmetric memory barrier. A thread that
 * runs an instance alone keeps its counters with plain loads and stores,
 * ordered only by the compiler; a second thread that joins first makes
 * every running thread of the process execute a full barrier, through
 * Linux's membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) (a few hundred ns
 * here), and then sees what the first one does (liburcu and folly pair
 * their fast and slow sides the same way). Where membarrier is missing or
 * refused (an old kernel, a seccomp filter, valgrind), nothing runs alone:
 * every counter update is an atomic read-modify-write.
 */
#define _DEFAULT_SOURCE /* syscall() */
#include "aj_base.h"

#include <stdlib.h>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

static _Atomic int ready; /* 0: not asked yet; 1: usable; 2: not */

static bool registered(void)
{
#if defined(__linux__) && defined(__NR_membarrier)
    return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
    return false;
#endif
}

bool aj__barrier_ready(void)
{
    int r = atomic_load_explicit(&ready, memory_order_acquire);

    /* Registering twice is harmless, so racing first callers need no lock. */
    if (r == 0) {
        r = registered() ? 1 : 2;
        atomic_store_explicit(&ready, r, memory_order_release);
    }
    return r == 1;
}

void aj__barrier_heavy(void)
{
#if defined(__linux__) && defined(__NR_membarrier)
    /* Only called once aj__barrier_ready() said yes: it cannot fail then
     * short of a broken kernel, which the runtime cannot survive. */
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
        abort();
#endif
}
