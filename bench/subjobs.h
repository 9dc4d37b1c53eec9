/* subjobs.h: W11, a job of sub-jobs against the same steps flat. */
#ifndef BENCH_SUBJOBS_H
#define BENCH_SUBJOBS_H

#include "bench_steps.h"

/* The seed job as two sub-jobs (seed_sub.job) against the flat seed job:
 * latency, its ratio to the flat job's, heap allocations per instance. */
void bench_rows_subjobs(aj_runtime *rt, BenchIn *in);

#endif
