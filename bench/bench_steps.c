/* bench_steps.c: the benchmark's step functions (see bench_steps.h). */
#include "bench_steps.h"

#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

NOINLINE int bench_first(aj_ctx *ctx, BenchIn *in, long *out)
{
    (void)ctx;
    *out = in->base;
    return 0;
}

NOINLINE int bench_add1(aj_ctx *ctx, BenchIn *in, long x, long *out)
{
    (void)ctx, (void)in;
    *out = x + 1;
    return 0;
}

/* The larger input plus one: in a wavefront, step (i, j) yields base+i+j. */
NOINLINE int bench_add2(aj_ctx *ctx, BenchIn *in, long up, long left, long *out)
{
    (void)ctx, (void)in;
    *out = (up > left ? up : left) + 1;
    return 0;
}

NOINLINE int bench_take(aj_ctx *ctx, BenchIn *in, bool *out)
{
    (void)ctx;
    *out = in->take;
    return 0;
}

NOINLINE void bench_leaf_at(BenchIn *in, uint32_t i)
{
    in->mark[i] = 1;
}

NOINLINE int bench_leaf(aj_ctx *ctx, BenchIn *in)
{
    bench_leaf_at(in, aj_ctx_step_index(ctx));
    return 0;
}

NOINLINE int bench_join(aj_ctx *ctx, BenchIn *in)
{
    (void)ctx;
    in->joined++;
    return 0;
}

NOINLINE void bench_spin_at(BenchIn *in, uint32_t i)
{
    unsigned long x = i + 1;
    for (long k = 0; k < in->spin_iters; k++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    in->spin_out[i] = (long)(x >> 1);
}

NOINLINE int bench_spin(aj_ctx *ctx, BenchIn *in)
{
    bench_spin_at(in, aj_ctx_step_index(ctx));
    return 0;
}

NOINLINE int bench_nap(aj_ctx *ctx, BenchIn *in)
{
    struct timespec ms = { 0, 1000000 };

    (void)ctx, (void)in;
    nanosleep(&ms, NULL);
    return 0;
}

NOINLINE int bench_make(aj_ctx *ctx, BenchIn *in, long **out, size_t *n_out)
{
    (void)ctx;
    *out = malloc(BENCH_MAP_N * sizeof **out);
    if (*out == NULL)
        return AJ_ENOMEM;
    for (size_t i = 0; i < BENCH_MAP_N; i++)
        (*out)[i] = in->base + (long)i;
    *n_out = BENCH_MAP_N;
    return 0;
}

NOINLINE int bench_touch(aj_ctx *ctx, BenchIn *in, long x, long *out)
{
    (void)ctx, (void)in;
    *out = x;
    return 0;
}

NOINLINE int bench_sum(aj_ctx *ctx, BenchIn *in, const long *xs, size_t n_xs, long *out)
{
    long sum = 0;

    (void)ctx, (void)in;
    for (size_t i = 0; i < n_xs; i++)
        sum += xs[i];
    *out = sum;
    return 0;
}
