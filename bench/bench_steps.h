/*
 * bench_steps.h: the step functions every benchmark job shares. They are
 * compiled apart and never inlined, so that the job and the direct-call
 * baseline pay for exactly the same calls, and their results are checked.
 */
#ifndef BENCH_STEPS_H
#define BENCH_STEPS_H

#include <asyncjob.h>

typedef struct BenchIn {
    long base;             /* bench_first's output */
    unsigned char *mark;   /* bench_leaf(i) sets mark[i]; one byte per step */
    long spin_iters;       /* bench_spin's loop count (about 1 ms) */
    long *spin_out;        /* bench_spin(i) writes spin_out[i] */
    long joined;           /* bench_join counts here */
    bool take;             /* bench_take's output */
} BenchIn;

int bench_first(aj_ctx *ctx, BenchIn *in, long *out);
int bench_add1(aj_ctx *ctx, BenchIn *in, long x, long *out);
int bench_add2(aj_ctx *ctx, BenchIn *in, long up, long left, long *out);
int bench_take(aj_ctx *ctx, BenchIn *in, bool *out);
int bench_leaf(aj_ctx *ctx, BenchIn *in);
int bench_join(aj_ctx *ctx, BenchIn *in);
int bench_spin(aj_ctx *ctx, BenchIn *in);
/* Sleeps 1 ms (nanosleep): a step waiting on I/O. */
int bench_nap(aj_ctx *ctx, BenchIn *in);

/* Row W9: Make's array of MAP_N numbers base, base+1, ...; a no-op step
 * that returns its element; the sum of what it returned. */
#define BENCH_MAP_N 10000
int bench_make(aj_ctx *ctx, BenchIn *in, long **out, size_t *n_out);
int bench_touch(aj_ctx *ctx, BenchIn *in, long x, long *out);
int bench_sum(aj_ctx *ctx, BenchIn *in, const long *xs, size_t n_xs, long *out);

/* The bodies of bench_leaf and bench_spin for the direct baseline, which
 * has no context to ask for the step index. */
void bench_leaf_at(BenchIn *in, uint32_t i);
void bench_spin_at(BenchIn *in, uint32_t i);

#endif
