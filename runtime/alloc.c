/*
 * alloc.c: the runtime's only way to get memory and threads. In the test
 * build of the library (-DAJ_TEST_HOOKS, aj_test_hooks.h) tests can make
 * the Nth allocation or thread creation fail and check that the failure
 * is reported and nothing leaks (Lua's ltests.c does the same), and
 * threads created and joined are counted, so that a test can tell that
 * every worker was joined. The installed library has none of it.
 */
#include "aj_base.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef AJ_TEST_HOOKS
#include "aj_test_hooks.h"

/* A countdown to the call that fails. Sticky: that call and every one
 * after it fail, until the hook is turned off (at stays -1). */
typedef struct fault {
    _Atomic long at;        /* 0: off; -1: failing every call */
    _Atomic bool sticky;
    _Atomic long n_failed;  /* calls failed on purpose */
} fault;

/* Process-wide, in the test build only. */
static fault alloc_fault, thread_fault;
static _Atomic long n_allocs;
static _Atomic long n_threads_created, n_threads_joined;

/* True when this call must fail. */
static bool injected(fault *f)
{
    long n = atomic_load_explicit(&f->at, memory_order_relaxed);

    while (n > 0) {
        long next = n == 1 && atomic_load(&f->sticky) ? -1 : n - 1;
        if (atomic_compare_exchange_weak(&f->at, &n, next)) {
            if (n != 1)
                return false;
            break;
        }
    }
    if (n == 0)
        return false;
    atomic_fetch_add(&f->n_failed, 1);
    return true;
}

static void arm(fault *f, long nth, bool sticky)
{
    atomic_store(&f->at, 0);
    atomic_store(&f->sticky, sticky);
    atomic_store(&f->at, nth);
}

void aj__test_fail_alloc(long nth)
{
    arm(&alloc_fault, nth, false);
}

void aj__test_fail_alloc_from(long nth)
{
    arm(&alloc_fault, nth, true);
}

void aj__test_fail_thread(long nth)
{
    arm(&thread_fault, nth, false);
}

void aj__test_fail_thread_from(long nth)
{
    arm(&thread_fault, nth, true);
}

long aj__test_alloc_count(void)
{
    return atomic_load(&n_allocs);
}

long aj__test_alloc_failed(void)
{
    return atomic_load(&alloc_fault.n_failed);
}

long aj__test_thread_failed(void)
{
    return atomic_load(&thread_fault.n_failed);
}

long aj__test_threads_created(void)
{
    return atomic_load(&n_threads_created);
}

long aj__test_threads_joined(void)
{
    return atomic_load(&n_threads_joined);
}

#define FAILS(f) injected(&(f))
#define COUNT(n) atomic_fetch_add_explicit(&(n), 1, memory_order_relaxed)
#else
#define FAILS(f) false
#define COUNT(n) ((void)0)
#endif

/* posix_memalign costs several times what malloc does in glibc, and an
 * instance is one allocation: over-allocate and align by hand. The word
 * before the block says how far back malloc's block starts. */
void *aj__alloc(size_t size, size_t align)
{
    unsigned char *raw, *p;

    if (FAILS(alloc_fault))
        return NULL;
    if (align < _Alignof(max_align_t))
        align = _Alignof(max_align_t);
    if (size > SIZE_MAX - align || (raw = malloc(size + align)) == NULL)
        return NULL;
    p = raw + align - (uintptr_t)raw % align;
    memcpy(p - sizeof(size_t), &(size_t){ (size_t)(p - raw) }, sizeof(size_t));
    COUNT(n_allocs);
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
    int rc;

    if (FAILS(thread_fault))
        return EAGAIN;
    rc = pthread_create(t, NULL, fn, arg);
    if (rc == 0)
        COUNT(n_threads_created);
    return rc;
}

int aj__thread_create_sized(pthread_t *t, size_t stack_size, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    int rc;

    if (FAILS(thread_fault))
        return EAGAIN;
    if (pthread_attr_init(&attr) != 0)
        return EAGAIN;
    /* Too small for this system (PTHREAD_STACK_MIN): keep the default. */
    (void)pthread_attr_setstacksize(&attr, stack_size);
    rc = pthread_create(t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (rc == 0)
        COUNT(n_threads_created);
    return rc;
}

int aj__thread_join(pthread_t t)
{
    int rc = pthread_join(t, NULL);

    if (rc == 0)
        COUNT(n_threads_joined);
    return rc;
}
