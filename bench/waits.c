/*
 * waits.c: rows W6 of make bench, steps that wait. W6b: every step of the
 * seed job is `blocking` and sleeps 1 ms; N instances start at once and
 * are then waited for. The pool runs at most max_blocking steps at once,
 * so N x 8 steps of 1 ms take at least max(5 ms, the critical path,
 * 8 ms x N / max_blocking): the ideal, the "direct" column of the row.
 */
#include "waits.h"

#include "harness.h"
#include "seed_blocking.job.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NAP_NS 1000000L
#define MAX_BLOCKING 512 /* the runtime's default max_blocking */

static void nap(void)
{
    struct timespec ts = { 0, NAP_NS };

    while (nanosleep(&ts, &ts) != 0)
        ;
}

int bench_nap_first(aj_ctx *ctx, BenchIn *in, long *out)
{
    nap();
    return bench_first(ctx, in, out);
}

int bench_nap_add1(aj_ctx *ctx, BenchIn *in, long x, long *out)
{
    nap();
    return bench_add1(ctx, in, x, out);
}

int bench_nap_add2(aj_ctx *ctx, BenchIn *in, long up, long left, long *out)
{
    nap();
    return bench_add2(ctx, in, up, left, out);
}

int bench_nap_leaf(aj_ctx *ctx, BenchIn *in)
{
    (void)ctx, (void)in;
    nap();
    return 0;
}

/* Stops the bench unless ok. */
static void check(bool ok, const char *what)
{
    bench_check(ok, "W6b", what);
}

/* Starts n instances at once, waits for each: the wall time in ms. */
static double wave_ms(aj_runtime *rt, BenchIn *in, seed_blocking **insts, int n)
{
    int64_t t0 = bench_now_ns();
    long r;

    for (int i = 0; i < n; i++)
        check(seed_blocking_start(rt, in, NULL, &insts[i]) == AJ_OK, "start");
    for (int i = 0; i < n; i++) {
        check(seed_blocking_wait(insts[i], -1) == AJ_OK, "wait");
        check(seed_blocking_result(insts[i], &r) == AJ_OK && r == in->base + 3, "result");
    }
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    for (int i = 0; i < n; i++)
        seed_blocking_free(insts[i]);
    return ms;
}

/* One row for n instances; returns the peak RSS it added, in KB. */
static long row_n(aj_runtime *rt, BenchIn *in, seed_blocking **insts, int n, const char *figure)
{
    double v[BENCH_RUNS], ideal = 8.0 * n / MAX_BLOCKING;
    long rss0 = bench_max_rss_kb(), rss;

    ideal = ideal > 5.0 ? ideal : 5.0;
    wave_ms(rt, in, insts, n); /* warm-up: the pool's threads exist after it */
    rss = bench_max_rss_kb() - rss0;
    for (int r = 0; r < BENCH_RUNS; r++)
        v[r] = wave_ms(rt, in, insts, n);
    bench_row row = { "W6b", figure, "ms", bench_stat_of(v, BENCH_RUNS), ideal,
                      1.25 * ideal, LOWER_IS_BETTER };
    bench_print_row(&row);
    return rss;
}

void bench_rows_blocking(aj_runtime *rt, BenchIn *in)
{
    enum { N_MAX = 10000 };
    seed_blocking **insts = calloc(N_MAX, sizeof *insts);
    long rss;

    check(insts != NULL, "memory");
    row_n(rt, in, insts, 1000, "1,000 blocking seeds (1 ms steps) at once: wall");
    rss = row_n(rt, in, insts, N_MAX, "10,000 blocking seeds (1 ms steps) at once: wall");
    double bytes = (double)rss * 1024 / N_MAX;
    bench_row b = { "W6b", "10,000 blocking seeds: peak RSS per instance in flight", "B",
                    { bytes, bytes, bytes }, -1, -1, LOWER_IS_BETTER };
    bench_print_row(&b);
    free(insts);
}
