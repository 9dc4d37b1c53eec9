/*
 * subjobs.c: W11. The seed job's two table branches, each a client and a
 * query, written as sub-jobs (seed_sub.job), which ajc inlines: the figure
 * is what that adds to the flat seed job's start, wait and free. The two
 * jobs are measured in alternate runs, so that both see the same machine.
 */
#include "subjobs.h"

#include "harness.h"
#include "jobs.h"

#include "seed_sub.job.h"

#define RUNS_PER_FIGURE 20000

static void run_sub(aj_runtime *rt, BenchIn *in)
{
    seed_sub *job;
    long r = 0;

    bench_check(seed_sub_start(rt, in, NULL, &job) == AJ_OK, "W11", "seed_sub start");
    bench_check(seed_sub_wait(job, -1) == AJ_OK, "W11", "seed_sub wait");
    bench_check(seed_sub_result(job, &r) == AJ_OK && r == in->base + 2, "W11",
                "seed_sub result");
    seed_sub_free(job);
}

/* Microseconds per run of n runs. */
static double us_per_run(void (*run)(aj_runtime *, BenchIn *), aj_runtime *rt, BenchIn *in,
                         int n)
{
    int64_t t0 = bench_now_ns();

    for (int i = 0; i < n; i++)
        run(rt, in);
    return (double)(bench_now_ns() - t0) / n / 1000.0;
}

void bench_rows_subjobs(aj_runtime *rt, BenchIn *in)
{
    void (*flat)(aj_runtime *, BenchIn *) = bench_job_named("seed")->run;
    double sub[BENCH_RUNS], ratio[BENCH_RUNS], flat_us[BENCH_RUNS];

    us_per_run(run_sub, rt, in, RUNS_PER_FIGURE);
    us_per_run(flat, rt, in, RUNS_PER_FIGURE);
    for (int r = 0; r < BENCH_RUNS; r++) {
        sub[r] = us_per_run(run_sub, rt, in, RUNS_PER_FIGURE);
        flat_us[r] = us_per_run(flat, rt, in, RUNS_PER_FIGURE);
        ratio[r] = sub[r] / flat_us[r];
    }
    bench_row l = { "W11", "seed as two sub-jobs: start+wait+free latency", "us",
                    bench_stat_of(sub, BENCH_RUNS), bench_stat_of(flat_us, BENCH_RUNS).median,
                    -1, LOWER_IS_BETTER };
    bench_print_row(&l);
    bench_row q = { "W11", "seed as two sub-jobs: latency / flat seed's", "x",
                    bench_stat_of(ratio, BENCH_RUNS), -1, 1.2, LOWER_IS_BETTER };
    bench_print_row(&q);

    bench_heap h0 = bench_heap_now();
    for (int i = 0; i < 1000; i++)
        run_sub(rt, in);
    bench_heap h1 = bench_heap_now();
    double allocs = (double)(h1.allocs - h0.allocs) / 1000;
    bench_row a = { "W11", "seed as two sub-jobs: heap allocations per instance", "",
                    { allocs, allocs, allocs }, -1, 1, LOWER_IS_BETTER };
    bench_print_row(&a);
}
