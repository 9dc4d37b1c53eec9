/*
 * waits.c: rows W6 of make bench, steps that wait. W6b: every step of the
 * seed job is `blocking` and sleeps 1 ms; N instances start at once and
 * are then waited for. The pool runs at most max_blocking steps at once,
 * so N x 8 steps of 1 ms take at least max(5 ms, the critical path,
 * 8 ms x N / max_blocking): the ideal, the "direct" column of the row.
 * A 1 ms nanosleep takes longer than 1 ms, and waking 512 threads costs
 * CPU, more so on a VM: a second row times the same sleeps, the ideal
 * schedule's share of them on each of 512 plain threads, with no job at
 * all, and a third how far the runtime is from that floor.
 */
#include "waits.h"

#include "harness.h"
#include "seed_blocking.job.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
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

/* CPU the whole process has used, user and system, in ms. */
static double cpu_ms(void)
{
    struct rusage u;

    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
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

/* The floor: MAX_BLOCKING threads, made beforehand as the pool's are,
 * each sleeping its share of n x 8 naps (at least the 5 of the critical
 * path) once a barrier lets them all go; ms from then until the last. */
static void naps(void *arg, unsigned k)
{
    (void)k;
    for (int i = 0; i < *(const int *)arg; i++)
        nap();
}

static double floor_ms(int n)
{
    int each = (8 * n + MAX_BLOCKING - 1) / MAX_BLOCKING;

    each = each > 5 ? each : 5;
    return (double)bench_plain_threads_ns("W6b", MAX_BLOCKING, 128 * 1024, naps, &each) / 1e6;
}

/* One row for n instances, and its floor, the runs of both interleaved;
 * returns the peak RSS the instances added, in KB. */
static long row_n(aj_runtime *rt, BenchIn *in, seed_blocking **insts, int n, const char *figure)
{
    double v[BENCH_RUNS], fl[BENCH_RUNS], over[BENCH_RUNS], cpu[BENCH_RUNS];
    double ideal = 8.0 * n / MAX_BLOCKING;
    long rss0 = bench_max_rss_kb(), rss;

    ideal = ideal > 5.0 ? ideal : 5.0;
    wave_ms(rt, in, insts, n); /* warm-up: the pool's threads exist after it */
    rss = bench_max_rss_kb() - rss0;
    for (int r = 0; r < BENCH_RUNS; r++) {
        double c0 = cpu_ms(), c1;
        v[r] = wave_ms(rt, in, insts, n);
        c1 = cpu_ms();
        fl[r] = floor_ms(n);
        over[r] = v[r] / fl[r];
        cpu[r] = (c1 - c0) / (cpu_ms() - c1);
    }
    bench_row row = { "W6b", figure, "ms", bench_stat_of(v, BENCH_RUNS), ideal,
                      1.25 * ideal, LOWER_IS_BETTER };
    bench_print_row(&row);
    bench_row floor = { "W6b", "  the same naps on 512 plain threads, no job", "ms",
                        bench_stat_of(fl, BENCH_RUNS), ideal, -1, LOWER_IS_BETTER };
    bench_print_row(&floor);
    bench_row ratio = { "W6b", "  the same: wall / plain threads' wall", "x",
                        bench_stat_of(over, BENCH_RUNS), -1, 1.25, LOWER_IS_BETTER };
    bench_print_row(&ratio);
    /* Both are bound by the CPU the kernel spends on naps and wake-ups:
     * this is what the runtime's hand-offs add to it. */
    bench_row used = { "W6b", "  the same: CPU used / plain threads' CPU", "x",
                       bench_stat_of(cpu, BENCH_RUNS), -1, -1, LOWER_IS_BETTER };
    bench_print_row(&used);
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
