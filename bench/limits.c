/*
 * limits.c: row W10 of make bench, a limit on a shared resource. 10,000
 * seeds whose two queries are `blocking uses db` with `limit db = 8`,
 * every step sleeping 1 ms, all started at once. Their 20,000 queries can
 * go no faster than 8 per ms: 2.5 s is the ideal, the "direct" column, and
 * the target is within 10% of it. A 1 ms sleep takes longer on a loaded
 * machine, so a third figure shows what the runtime alone answers for:
 * the time queries spent inside their function over 8 x the wall time,
 * how busy the limit's slots were kept. The queries count how many of
 * them are inside at once; more than 8 stops the bench.
 */
#include "limits.h"

#include "harness.h"
#include "seed_limited.job.h"

#include <stdatomic.h>
#include <stdlib.h>

#define N_SEEDS 10000
#define DB_SIZE 8   /* seed_limited.job's limit db */
#define RUNS 3      /* each run takes seconds */

static _Atomic int inside, peak;
static _Atomic int64_t busy_ns;   /* time queries spent inside, summed */

int bench_db_query(aj_ctx *ctx, BenchIn *in, long client, long *out)
{
    int now = atomic_fetch_add(&inside, 1) + 1, was = atomic_load(&peak);
    int64_t t0 = bench_now_ns();
    int rc;

    while (now > was && !atomic_compare_exchange_weak(&peak, &was, now))
        ;
    rc = bench_nap_add1(ctx, in, client, out);
    atomic_fetch_add(&busy_ns, bench_now_ns() - t0);
    atomic_fetch_sub(&inside, 1);
    return rc;
}

static void check(bool ok, const char *what)
{
    bench_check(ok, "W10", what);
}

/* Starts every seed at once, waits for each: the wall time in ms, and in
 * *busy the share of the slots' time the queries used, in %. */
static double wave_ms(aj_runtime *rt, BenchIn *in, seed_limited **insts, double *busy)
{
    int64_t t0 = bench_now_ns();
    long r;

    atomic_store(&busy_ns, 0);
    for (int i = 0; i < N_SEEDS; i++)
        check(seed_limited_start(rt, in, NULL, &insts[i]) == AJ_OK, "start");
    for (int i = 0; i < N_SEEDS; i++) {
        check(seed_limited_wait(insts[i], -1) == AJ_OK, "wait");
        check(seed_limited_result(insts[i], &r) == AJ_OK && r == in->base + 3, "result");
    }
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    *busy = 100.0 * (double)atomic_load(&busy_ns) / (DB_SIZE * ms * 1e6);
    for (int i = 0; i < N_SEEDS; i++)
        seed_limited_free(insts[i]);
    check(atomic_load(&peak) <= DB_SIZE, "more than 8 queries at once under limit db = 8");
    return ms;
}

void bench_rows_limits(aj_runtime *rt, BenchIn *in)
{
    seed_limited **insts = calloc(N_SEEDS, sizeof *insts);
    double v[RUNS], busy[RUNS], ideal = 2.0 * N_SEEDS / DB_SIZE; /* ms: 2 a seed, 8 per ms */

    check(insts != NULL, "memory");
    for (int r = 0; r < RUNS; r++)
        v[r] = wave_ms(rt, in, insts, &busy[r]);
    bench_row row = { "W10", "10,000 seeds, queries `blocking uses db` (8, 1 ms steps): wall",
                      "ms", bench_stat_of(v, RUNS), ideal, 1.1 * ideal, LOWER_IS_BETTER };
    bench_print_row(&row);
    for (int r = 0; r < RUNS; r++)
        v[r] = 100.0 * ideal / v[r];
    bench_row pace = { "W10", "  the same: achieved / ideal throughput", "%",
                       bench_stat_of(v, RUNS), 100.0, 90.0, HIGHER_IS_BETTER };
    bench_print_row(&pace);
    bench_row held = { "W10", "  the same: slots busy (query time / 8 x wall)", "%",
                       bench_stat_of(busy, RUNS), 100.0, 90.0, HIGHER_IS_BETTER };
    bench_print_row(&held);
    free(insts);
}
