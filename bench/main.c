/*
 * main.c: make bench. Runs every workload as a generated job and as direct
 * calls in one process, BENCH_RUNS times each, and prints one table.
 *
 *   bench AJC GDIR [ID...]    AJC: the ajc to time; GDIR: its generated .job
 *                             inputs; IDs (W1 .. W5, W6a, W6b, W7, W8, W9, W10, W11, W12, G):
 *                             only
 *                             those rows
 */
#include "ajc_time.h"
#include "async.h"
#include "harness.h"
#include "idle.h"
#include "jobs.h"
#include "limits.h"
#include "subjobs.h"
#include "waits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <x86intrin.h> /* __rdtsc */
#endif

/* ns per call of the job (or its direct twin), mean of n calls. */
static double ns_per_run(const bench_job *j, aj_runtime *rt, BenchIn *in, int n, bool direct)
{
    int64_t t0 = bench_now_ns();

    for (int i = 0; i < n; i++) {
        if (direct)
            j->direct(in);
        else
            j->run(rt, in);
    }
    return (double)(bench_now_ns() - t0) / n;
}

/* BENCH_RUNS measurements after a warm-up, each divided by scale. */
static bench_stat measure(const bench_job *j, aj_runtime *rt, BenchIn *in, int n, bool direct,
                          double scale)
{
    double v[BENCH_RUNS];

    ns_per_run(j, rt, in, n, direct);
    for (int r = 0; r < BENCH_RUNS; r++)
        v[r] = ns_per_run(j, rt, in, n, direct) / scale;
    return bench_stat_of(v, BENCH_RUNS);
}

/* One row comparing a job with its direct twin, per step or per run;
 * returns the direct calls' figure. */
static double row_vs_direct(const char *id, const char *figure, const char *name, aj_runtime *rt,
                          BenchIn *in, int n, bool per_step, double target)
{
    const bench_job *j = bench_job_named(name);
    double scale = per_step ? j->n_steps : 1000.0; /* ns/step, or us per run */
    bench_row r = { id, figure, per_step ? "ns" : "us", measure(j, rt, in, n, false, scale),
                    measure(j, rt, in, n, true, scale).median, target, LOWER_IS_BETTER };
    bench_print_row(&r);
    return r.direct;
}

#if defined(__x86_64__)
/* ns per rdtsc, the reading each step takes (runtime/clock.c), in a loop
 * of a million: what part of W2's step is the clock, on this CPU. */
static double tsc_read_ns(void)
{
    enum { N = 1000000 };
    uint64_t sum = 0;
    int64_t t0 = bench_now_ns();

    for (int i = 0; i < N; i++)
        sum += __rdtsc();
    bench_check(sum != 0, "W2", "rdtsc");
    return (double)(bench_now_ns() - t0) / N;
}

static void row_tsc_read(void)
{
    double v[BENCH_RUNS];

    for (int r = 0; r < BENCH_RUNS; r++)
        v[r] = tsc_read_ns();
    bench_row t = { "W2", "  of which the clock: one rdtsc", "ns", bench_stat_of(v, BENCH_RUNS), -1,
                    -1, LOWER_IS_BETTER };
    bench_print_row(&t);
}
#else
static void row_tsc_read(void)
{
}
#endif

static void rows_seed(aj_runtime *rt, BenchIn *in)
{
    double v[BENCH_RUNS];
    const bench_job *j = bench_job_named("seed");

    double direct_us = row_vs_direct("W1", "seed job: start+wait+free latency", "seed", rt, in,
                                     20000, false, 1.0);
    for (int r = 0; r < BENCH_RUNS; r++)
        v[r] = bench_seed_throughput(rt, in, 100000, 16);
    /* Direct calls of one instance's steps per microsecond: millions a second. */
    bench_row t = { "W1", "seed job: throughput, 16 in flight", "M/s", bench_stat_of(v, BENCH_RUNS),
                    1 / direct_us, 2.0, HIGHER_IS_BETTER };
    bench_print_row(&t);

    bench_heap h0 = bench_heap_now();
    for (int i = 0; i < 1000; i++)
        j->run(rt, in);
    bench_heap h1 = bench_heap_now();
    double allocs = (double)(h1.allocs - h0.allocs) / 1000, bytes = (double)(h1.bytes - h0.bytes) / 1000;
    bench_row a = { "W1", "seed job: heap allocations per instance", "", { allocs, allocs, allocs },
                    -1, 1, LOWER_IS_BETTER };
    bench_print_row(&a);
    bench_row b = { "W1", "seed job: heap bytes per instance", "B", { bytes, bytes, bytes },
                    -1, -1, LOWER_IS_BETTER };
    bench_print_row(&b);
}

/* Loop count of bench_spin_at for about 1 ms on this machine. */
static long calibrate_spin(BenchIn *in)
{
    in->spin_iters = 1000;
    for (;;) {
        int64_t t0 = bench_now_ns();
        bench_spin_at(in, 0);
        int64_t ns = bench_now_ns() - t0;
        if (ns > 2000000)
            return (long)((double)in->spin_iters * 1e6 / (double)ns);
        in->spin_iters *= 2;
    }
}

/* W5's floor: the same spins on plain threads, thread k taking every
 * n-th from the k-th. */
typedef struct spin_share {
    BenchIn *in;
    unsigned n;
} spin_share;

static void spins(void *arg, unsigned k)
{
    const spin_share *sh = arg;

    for (unsigned i = k; i < BENCH_CPU_SPINS; i += sh->n)
        bench_spin_at(sh->in, i);
}

/* Wall ns of BENCH_CPU_SPINS spins shared by n plain threads, made
 * beforehand: one run of the floor. */
static double plain_threads_once_ns(BenchIn *in, unsigned n)
{
    spin_share sh = { in, n };

    return (double)bench_plain_threads_ns("W5", n, 0, spins, &sh);
}

/* The floor's mean of runs runs, as ns_per_run gives the job's. */
static double plain_threads_ns(BenchIn *in, unsigned n, int runs)
{
    double sum = 0;

    for (int i = 0; i < runs; i++)
        sum += plain_threads_once_ns(in, n);
    return sum / runs;
}

static void row_cpu(aj_runtime *rt, BenchIn *in)
{
    const bench_job *j = bench_job_named("cpu");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned workers = aj_runtime_workers(rt);
    double par = workers < cores ? workers : (double)cores;
    double v[BENCH_RUNS], fl[BENCH_RUNS], ratio[BENCH_RUNS];

    in->spin_iters = calibrate_spin(in);
    double direct = ns_per_run(j, rt, in, 3, true);
    /* Runtime and floor by turns, so that both see the same machine. */
    for (int r = 0; r < BENCH_RUNS; r++) {
        v[r] = direct / (par * ns_per_run(j, rt, in, 3, false));
        fl[r] = direct / (par * plain_threads_ns(in, (unsigned)par, 3));
        ratio[r] = v[r] / fl[r];
    }
    bench_row e = { "W5", "64 x 1 ms CPU steps: parallel efficiency", "", bench_stat_of(v, BENCH_RUNS),
                    -1, 0.99, HIGHER_IS_BETTER };
    bench_print_row(&e);
    bench_row f = { "W5", "  the same spins on plain threads: efficiency", "",
                    bench_stat_of(fl, BENCH_RUNS), -1, -1, HIGHER_IS_BETTER };
    bench_print_row(&f);
    bench_row q = { "W5", "  the same: runtime's / plain threads'", "",
                    bench_stat_of(ratio, BENCH_RUNS), -1, -1, HIGHER_IS_BETTER };
    bench_print_row(&q);
}

static void print_machine(aj_runtime *rt)
{
    char load[64] = "?";
    FILE *f = fopen("/proc/loadavg", "r");

    if (f != NULL) {
        if (fgets(load, sizeof load, f) != NULL)
            load[strcspn(load, "\n")] = '\0';
        fclose(f);
    }
    printf("machine: %ld cores online, load average %s; runtime: %u workers; %d runs per figure\n",
           sysconf(_SC_NPROCESSORS_ONLN), load, aj_runtime_workers(rt), BENCH_RUNS);
}

/* W9: a step returns 10,000 numbers, a no-op step maps over them, a
 * collector sums them: per element; and what an instance allocates. */
static void rows_map(aj_runtime *rt, BenchIn *in)
{
    const bench_job *j = bench_job_named("maps");

    row_vs_direct("W9", "map over 10,000 elements: per element", "maps", rt, in, 30, true, 30);
    bench_heap h0 = bench_heap_now();
    for (int i = 0; i < 100; i++)
        j->run(rt, in);
    bench_heap h1 = bench_heap_now();
    /* The instance, Make's array and the expansion. */
    double allocs = (double)(h1.allocs - h0.allocs) / 100;
    bench_row a = { "W9", "map job: heap allocations per instance", "", { allocs, allocs, allocs },
                    -1, 3, LOWER_IS_BETTER };
    bench_print_row(&a);
}

/* W12: W2 and W4 while other processes keep every core busy; the targets
 * are Taskflow's figures under the same load (2026-12-02). */
static void rows_loaded(aj_runtime *rt, BenchIn *in)
{
    row_vs_direct("W12", "W2 chain, cores busy elsewhere: per step", "chain", rt, in, 300, true,
                  36);
    row_vs_direct("W12", "W4 wavefront, cores busy elsewhere: per step", "wave", rt, in, 30,
                  true, 40);
}

/* True when the command line names row id. */
static bool named(int argc, char **argv, const char *id)
{
    for (int i = 3; i < argc; i++)
        if (strcmp(argv[i], id) == 0)
            return true;
    return false;
}

/* True when the command line selects row id (no selection: every row). */
static bool wanted(int argc, char **argv, const char *id)
{
    return argc <= 3 || named(argc, argv, id);
}

int main(int argc, char **argv)
{
    aj_runtime *rt = aj_runtime_new(NULL);
    BenchIn *in = bench_in_new();

    if (argc < 3 || rt == NULL) {
        fprintf(stderr, "usage: bench AJC GDIR [W1 W2 W8 W3 W4 W9 W5 W6a W6b W7 W10 W11 W12 G "
                        "G100k]\n");
        return 2;
    }
    print_machine(rt);
    bench_print_header();
    if (wanted(argc, argv, "W1"))
        rows_seed(rt, in);
    if (wanted(argc, argv, "W2")) {
        row_vs_direct("W2", "chain of 1,000 steps: per step", "chain", rt, in, 300, true, 15);
        row_tsc_read();
    }
    if (wanted(argc, argv, "W8"))
        row_vs_direct("W8", "condition skips a 1,000-step branch: per step", "branch", rt, in,
                      300, true, 5);
    if (wanted(argc, argv, "W3"))
        row_vs_direct("W3", "1,000 independent steps + join: per step", "fanin", rt, in, 300,
                      true, 30);
    if (wanted(argc, argv, "W4"))
        row_vs_direct("W4", "100x100 wavefront: per step", "wave", rt, in, 30, true, 15);
    if (wanted(argc, argv, "W9"))
        rows_map(rt, in);
    if (wanted(argc, argv, "W5"))
        row_cpu(rt, in);
    /* W6b before W6a: each row's RSS figure is the growth of the process's
     * peak, which W6a's 100,000 instances would leave too high for W6b's. */
    if (wanted(argc, argv, "W6b"))
        bench_rows_blocking(rt, in);
    if (wanted(argc, argv, "W6a"))
        bench_rows_async(rt, in);
    if (wanted(argc, argv, "W7"))
        bench_rows_w7(rt, in);
    if (wanted(argc, argv, "W10"))
        bench_rows_limits(rt, in);
    if (wanted(argc, argv, "W11"))
        bench_rows_subjobs(rt, in);
    if (wanted(argc, argv, "W12"))
        bench_with_spinners((int)sysconf(_SC_NPROCESSORS_ONLN), rows_loaded, rt, in);
    if (wanted(argc, argv, "G")) {
        bench_rows_ajc(argv[1], argv[2]);
        bench_rows_cc(argv[2], 1000, 10000);
    }
    /* gcc on 100,000 steps takes minutes: only when named (make bench-g100k). */
    if (named(argc, argv, "G100k"))
        bench_rows_cc(argv[2], 100000, 100000);
    aj_runtime_free(rt);
    bench_in_free(in);
    printf("%d target(s) missed\n", bench_missed());
    return 0;
}
