/*
 * harness.c: statistics, clocks, the table, and a heap counter. The counter
 * interposes malloc and friends for this program only (glibc lets an
 * executable define them and reach the real ones as __libc_*), so that the
 * runtime's allocations are counted as users' programs would make them.
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bench_stat bench_stat_of(double *v, size_t n)
{
    bench_stat s;

    qsort(v, n, sizeof *v, by_value);
    s.min = v[0];
    s.max = v[n - 1];
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- heap counter --------------------------------------------------------- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static _Atomic uint64_t n_allocs, n_bytes;

static void count(size_t bytes)
{
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&n_bytes, bytes, memory_order_relaxed);
}

void *malloc(size_t n)
{
    count(n);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    count(n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    count(n);
    return __libc_realloc(p, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    count(n);
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p;

    count(n);
    if ((p = __libc_memalign(align, n)) == NULL)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *p)
{
    __libc_free(p);
}

bench_heap bench_heap_now(void)
{
    bench_heap h = { atomic_load(&n_allocs), atomic_load(&n_bytes) };
    return h;
}

/* --- table ---------------------------------------------------------------- */

static int missed;

void bench_print_header(void)
{
    printf("%-3s %-44s %12s %21s %10s %8s %10s %s\n", "", "figure", "median", "min-max",
           "direct", "ratio", "target", "met");
}

static bool met(const bench_row *r)
{
    if (r->target < 0)
        return true; /* a figure without a target */
    return r->goal == LOWER_IS_BETTER ? r->stat.median <= r->target
                                      : r->stat.median >= r->target;
}

void bench_print_row(const bench_row *r)
{
    char spread[64], direct[32] = "-", ratio[32] = "-", target[32];

    snprintf(spread, sizeof spread, "%.3g-%.3g", r->stat.min, r->stat.max);
    if (r->direct > 0) {
        snprintf(direct, sizeof direct, "%.3g", r->direct);
        /* How many times the direct calls' figure this is, worse side up. */
        double x = r->goal == LOWER_IS_BETTER ? r->stat.median / r->direct
                                              : r->direct / r->stat.median;
        snprintf(ratio, sizeof ratio, "%.1fx", x);
    }
    if (r->target < 0)
        strcpy(target, "-");
    else
        snprintf(target, sizeof target, "%s %g", r->goal == LOWER_IS_BETTER ? "<=" : ">=",
                 r->target);
    printf("%-3s %-44s %8.3g %-3s %21s %10s %8s %10s %s\n", r->id, r->figure, r->stat.median,
           r->unit, spread, direct, ratio, target, r->target < 0 ? "" : met(r) ? "yes" : "NO");
    if (!met(r))
        missed++;
    fflush(stdout);
}

int bench_missed(void)
{
    return missed;
}

void bench_check(bool ok, const char *row, const char *what)
{
    if (!ok) {
        fprintf(stderr, "bench: %s: %s\n", row, what);
        exit(1);
    }
}

typedef struct plain_team {
    pthread_barrier_t go;
    void (*body)(void *arg, unsigned k);
    void *arg;
} plain_team;

typedef struct plain_member {
    plain_team *team;
    unsigned k;
} plain_member;

static void *plain_thread(void *arg)
{
    plain_member *m = arg;

    pthread_barrier_wait(&m->team->go);
    m->team->body(m->team->arg, m->k);
    return NULL;
}

int64_t bench_plain_threads_ns(const char *row, unsigned n, size_t stack_size,
                               void (*body)(void *arg, unsigned k), void *arg)
{
    plain_team team = { .body = body, .arg = arg };
    plain_member *members = calloc(n, sizeof *members);
    pthread_t *threads = calloc(n, sizeof *threads);
    pthread_attr_t attr;
    int64_t t0;

    bench_check(members != NULL && threads != NULL, row, "memory");
    bench_check(pthread_barrier_init(&team.go, NULL, n + 1) == 0, row, "barrier");
    pthread_attr_init(&attr);
    if (stack_size > 0)
        pthread_attr_setstacksize(&attr, stack_size);
    for (unsigned k = 0; k < n; k++) {
        members[k] = (plain_member){ &team, k };
        bench_check(pthread_create(&threads[k], &attr, plain_thread, &members[k]) == 0, row,
                    "thread");
    }
    pthread_barrier_wait(&team.go);
    t0 = bench_now_ns();
    for (unsigned k = 0; k < n; k++)
        pthread_join(threads[k], NULL);
    t0 = bench_now_ns() - t0;
    pthread_attr_destroy(&attr);
    pthread_barrier_destroy(&team.go);
    free(threads);
    free(members);
    return t0;
}

long bench_max_rss_kb(void)
{
    struct rusage ru;

    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}
