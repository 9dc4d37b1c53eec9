/*
 * alloc.c: the runtime's only way to get memory and threads, so that tests
 * can make the Nth allocation or thread creation fail and check that the
 * failure is reported and nothing leaks (Lua's ltests.c does the same).
 * The hooks are always compiled in: one relaxed atomic load when unused.
 */
#include "aj_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static _Atomic long fail_alloc_at;  /* countdown; 0: off */
static _Atomic long fail_thread_at;
static _Atomic long n_allocs;

/* True when this call is the one the countdown points at. */
static bool injected(_Atomic long *countdown)
{
    long n = atomic_load_explicit(countdown, memory_order_relaxed);

    while (n > 0) {
        if (atomic_compare_exchange_weak(countdown, &n, n - 1))
            return n == 1;
    }
    return false;
}

void aj__test_fail_alloc(long nth)
{
    atomic_store(&fail_alloc_at, nth);
}

void aj__test_fail_thread(long nth)
{
    atomic_store(&fail_thread_at, nth);
}

long aj__test_alloc_count(void)
{
    return atomic_load(&n_allocs);
}

/* posix_memalign costs several times what malloc does in glibc, and an
 * instance is one allocation: over-allocate and align by hand. The word
 * before the block says how far back malloc's block starts. */
void *aj__alloc(size_t size, size_t align)
{
    unsigned char *raw, *p;

    if (injected(&fail_alloc_at))
        return NULL;
    if (align < _Alignof(max_align_t))
        align = _Alignof(max_align_t);
    if (size > SIZE_MAX - align || (raw = malloc(size + align)) == NULL)
        return NULL;
    p = raw + align - (uintptr_t)raw % align;
    memcpy(p - sizeof(size_t), &(size_t){ (size_t)(p - raw) }, sizeof(size_t));
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return p;
}

void aj__free(void *p)
{
    size_t back;

    if (p == NULL)
        return;
    memcpy(&back, (unsigned char *)p - sizeof back, sizeof back);
    free((unsigned char *)p - back);
}

int aj__thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
    if (injected(&fail_thread_at))
        return EAGAIN;
    return pthread_create(t, NULL, fn, arg);
}
