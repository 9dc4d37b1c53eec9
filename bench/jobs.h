/* jobs.h: the benchmark jobs, each with its direct-call twin. */
#ifndef BENCH_JOBS_H
#define BENCH_JOBS_H

#include "bench_steps.h"

typedef struct bench_job {
    const char *name;
    unsigned n_steps;
    void (*run)(aj_runtime *rt, BenchIn *in);  /* start, wait, check, free */
    void (*direct)(BenchIn *in);               /* the same calls, in order */
} bench_job;

const bench_job *bench_job_named(const char *name);

/* The "cpu" job's spins (W5): bench_spin_at(in, i) for i below this. */
#define BENCH_CPU_SPINS 64

/* Millions of seed instances per second with `depth` (<= 64) in flight. */
double bench_seed_throughput(aj_runtime *rt, BenchIn *in, int total, int depth);

BenchIn *bench_in_new(void);
void bench_in_free(BenchIn *in);

#endif
