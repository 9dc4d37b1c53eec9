/*
 * harness.h: measuring and reporting for make bench. A figure is measured
 * in several runs; the table shows the median, the spread, the same work
 * done by direct calls in the same process, their ratio and the target.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_RUNS 7

typedef struct bench_stat {
    double median, min, max;
} bench_stat;

/* Median, min and max of n values (sorts them). */
bench_stat bench_stat_of(double *v, size_t n);

int64_t bench_now_ns(void);
/* Stops the bench, naming the row and what went wrong, unless ok. */
void bench_check(bool ok, const char *row, const char *what);
/* A row's floor on plain threads: n of them, made beforehand with stacks
 * of stack_size bytes (0: the default), each running body(arg, k), k its
 * number, once a barrier lets them all go. ns from then until the last
 * returned; a thread that cannot be made stops the bench (row). */
int64_t bench_plain_threads_ns(const char *row, unsigned n, size_t stack_size,
                               void (*body)(void *arg, unsigned k), void *arg);
/* The process's peak resident set so far, in KB (0 if unknown). */
long bench_max_rss_kb(void);

/* Heap calls made by this process so far (every thread), counted by the
 * malloc family this program interposes. */
typedef struct bench_heap {
    uint64_t allocs;  /* malloc, calloc, realloc, aligned allocations */
    uint64_t bytes;   /* bytes they asked for */
} bench_heap;
bench_heap bench_heap_now(void);

typedef enum { LOWER_IS_BETTER, HIGHER_IS_BETTER } bench_goal;

typedef struct bench_row {
    const char *id;       /* "W1" */
    const char *figure;   /* what is measured */
    const char *unit;     /* "us", "ns/step", ... */
    bench_stat stat;
    double direct;        /* the same work by direct calls; < 0: none. The
                             ratio column is job/direct for times and
                             direct/job for rates: how many times worse */
    double target;
    bench_goal goal;
} bench_row;

void bench_print_header(void);
void bench_print_row(const bench_row *r);
/* Rows whose target was missed so far. */
int bench_missed(void);

#endif
