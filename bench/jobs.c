/*
 * jobs.c: workloads W1-W5 and W7, each run as a generated job and as the same step
 * functions called directly in topological order (the physical limit).
 */
#include "jobs.h"

#include "harness.h"

#include "branch.job.h"
#include "chain.job.h"
#include "cpu.job.h"
#include "fanin.job.h"
#include "maps.job.h"
#include "seed.job.h"
#include "sleepy.job.h"
#include "wave.job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_N 1000
#define BRANCH_N 1000
#define FANIN_N 1000
#define WAVE_N 100
#define CPU_N BENCH_CPU_SPINS

/* Stops the bench unless ok. */
static void check(bool ok, const char *what)
{
    bench_check(ok, "wrong result", what);
}

/* Starts, waits for, checks and frees one instance of a generated job. The
 * macro spares five copies of the same four calls with different types. */
#define RUN_ONE(job, rt, in, want)                                     \
    do {                                                               \
        job *j_;                                                       \
        long r_ = 0;                                                   \
        check(job##_start((rt), (in), NULL, &j_) == AJ_OK, #job " start"); \
        check(job##_wait(j_, -1) == AJ_OK, #job " wait");             \
        check(job##_result(j_, &r_) == AJ_OK && r_ == (want), #job " result"); \
        job##_free(j_);                                                \
    } while (0)

static void run_seed(aj_runtime *rt, BenchIn *in)
{
    RUN_ONE(seed, rt, in, in->base + 3);
}

static void direct_seed(BenchIn *in)
{
    long c, t1, t2, q1, q2, s;

    bench_first(NULL, in, &c);
    bench_leaf_at(in, 1);
    bench_add1(NULL, in, c, &t1);
    bench_add1(NULL, in, c, &t2);
    bench_add1(NULL, in, t1, &q1);
    bench_add1(NULL, in, t2, &q2);
    bench_add2(NULL, in, q1, q2, &s);
    bench_leaf_at(in, 7);
    check(s == in->base + 3, "direct seed");
}

static void run_chain(aj_runtime *rt, BenchIn *in)
{
    RUN_ONE(chain, rt, in, in->base + CHAIN_N - 1);
}

static void direct_chain(BenchIn *in)
{
    long x;

    bench_first(NULL, in, &x);
    for (int i = 1; i < CHAIN_N; i++)
        bench_add1(NULL, in, x, &x);
    check(x == in->base + CHAIN_N - 1, "direct chain");
}

/* The condition is false: the whole branch ends skipped, none of it runs. */
static void run_branch(aj_runtime *rt, BenchIn *in)
{
    branch *j;
    long last;

    check(branch_start(rt, in, NULL, &j) == AJ_OK, "branch start");
    check(branch_wait(j, -1) == AJ_OK, "branch wait");
    check(branch_result(j, &last) == AJ_ENORESULT, "branch skipped");
    branch_free(j);
}

static void direct_branch(BenchIn *in)
{
    bool take = true;

    bench_take(NULL, in, &take);
    check(!take, "direct branch");
}

static void run_wave(aj_runtime *rt, BenchIn *in)
{
    RUN_ONE(wave, rt, in, in->base + 2 * (WAVE_N - 1));
}

static void direct_wave(BenchIn *in)
{
    static long w[WAVE_N][WAVE_N];

    bench_first(NULL, in, &w[0][0]);
    for (int i = 0; i < WAVE_N; i++)
        for (int j = 0; j < WAVE_N; j++) {
            if (i == 0 && j == 0)
                continue;
            if (i == 0 || j == 0)
                bench_add1(NULL, in, i == 0 ? w[0][j - 1] : w[i - 1][0], &w[i][j]);
            else
                bench_add2(NULL, in, w[i - 1][j], w[i][j - 1], &w[i][j]);
        }
    check(w[WAVE_N - 1][WAVE_N - 1] == in->base + 2 * (WAVE_N - 1), "direct wave");
}

static void run_fanin(aj_runtime *rt, BenchIn *in)
{
    fanin *j;
    long joined = in->joined;

    memset(in->mark, 0, FANIN_N);
    check(fanin_start(rt, in, NULL, &j) == AJ_OK, "fanin start");
    check(fanin_wait(j, -1) == AJ_OK, "fanin wait");
    fanin_free(j);
    check(in->joined == joined + 1 && memchr(in->mark, 0, FANIN_N) == NULL, "fanin marks");
}

static void direct_fanin(BenchIn *in)
{
    long joined = in->joined;

    memset(in->mark, 0, FANIN_N);
    for (uint32_t i = 0; i < FANIN_N; i++)
        bench_leaf_at(in, i);
    bench_join(NULL, in);
    check(in->joined == joined + 1 && memchr(in->mark, 0, FANIN_N) == NULL, "direct fanin");
}

static void run_cpu(aj_runtime *rt, BenchIn *in)
{
    cpu *j;

    check(cpu_start(rt, in, NULL, &j) == AJ_OK, "cpu start");
    check(cpu_wait(j, -1) == AJ_OK, "cpu wait");
    cpu_free(j);
}

static void direct_cpu(BenchIn *in)
{
    for (uint32_t i = 0; i < CPU_N; i++)
        bench_spin_at(in, i);
    bench_join(NULL, in);
}

static void run_sleepy(aj_runtime *rt, BenchIn *in)
{
    sleepy *j;

    check(sleepy_start(rt, in, NULL, &j) == AJ_OK, "sleepy start");
    check(sleepy_wait(j, -1) == AJ_OK, "sleepy wait");
    sleepy_free(j);
}

static void direct_sleepy(BenchIn *in)
{
    for (int i = 0; i < 8; i++)
        bench_nap(NULL, in);
}

/* Sum of base .. base + BENCH_MAP_N - 1. */
static long map_sum(const BenchIn *in)
{
    return BENCH_MAP_N * in->base + (long)BENCH_MAP_N * (BENCH_MAP_N - 1) / 2;
}

static void run_maps(aj_runtime *rt, BenchIn *in)
{
    RUN_ONE(maps, rt, in, map_sum(in));
}

/* The same calls: the array, a call per element into an outputs array,
 * the sum of that. */
static void direct_maps(BenchIn *in)
{
    long *xs = NULL, *outs = malloc(BENCH_MAP_N * sizeof *outs), sum = 0;
    size_t n = 0;

    check(outs != NULL && bench_make(NULL, in, &xs, &n) == 0, "direct maps");
    for (size_t i = 0; i < n; i++)
        bench_touch(NULL, in, xs[i], &outs[i]);
    bench_sum(NULL, in, outs, n, &sum);
    check(sum == map_sum(in), "direct maps");
    free(outs);
    free(xs);
}

static const bench_job bench_jobs[] = {
    { "seed", 8, run_seed, direct_seed },
    { "chain", CHAIN_N, run_chain, direct_chain },
    { "branch", BRANCH_N, run_branch, direct_branch },
    { "fanin", FANIN_N + 1, run_fanin, direct_fanin },
    { "wave", WAVE_N * WAVE_N, run_wave, direct_wave },
    { "cpu", CPU_N + 1, run_cpu, direct_cpu },
    { "sleepy", 8, run_sleepy, direct_sleepy },
    { "maps", BENCH_MAP_N, run_maps, direct_maps },
};

const bench_job *bench_job_named(const char *name)
{
    for (size_t i = 0; i < sizeof bench_jobs / sizeof bench_jobs[0]; i++)
        if (strcmp(bench_jobs[i].name, name) == 0)
            return &bench_jobs[i];
    return NULL;
}

BenchIn *bench_in_new(void)
{
    BenchIn *in = calloc(1, sizeof *in);

    check(in != NULL, "memory");
    in->base = 40;
    in->mark = calloc(FANIN_N + 1, 1);
    in->spin_out = calloc(CPU_N + 1, sizeof *in->spin_out);
    check(in->mark != NULL && in->spin_out != NULL, "memory");
    return in;
}

void bench_in_free(BenchIn *in)
{
    free(in->mark);
    free(in->spin_out);
    free(in);
}

double bench_seed_throughput(aj_runtime *rt, BenchIn *in, int total, int depth)
{
    seed *ring[64] = { NULL };
    int64_t t0 = bench_now_ns();
    long r;

    check(depth > 0 && depth <= 64, "ring depth");
    for (int i = 0; i < total + depth; i++) {
        seed **slot = &ring[i % depth];
        if (*slot != NULL) {
            check(seed_wait(*slot, -1) == AJ_OK, "seed wait");
            check(seed_result(*slot, &r) == AJ_OK && r == in->base + 3, "seed result");
            seed_free(*slot);
            *slot = NULL;
        }
        if (i < total)
            check(seed_start(rt, in, NULL, slot) == AJ_OK, "seed start");
    }
    return total / ((double)(bench_now_ns() - t0) / 1e3);
}
