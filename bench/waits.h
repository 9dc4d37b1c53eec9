/* waits.h: rows W6 of make bench, steps that wait. */
#ifndef BENCH_WAITS_H
#define BENCH_WAITS_H

#include "bench_steps.h"

/* W6b: the seed job with every step `blocking` and sleeping 1 ms, 1,000
 * and 10,000 instances started at once, then waited for, on rt. */
void bench_rows_blocking(aj_runtime *rt, BenchIn *in);

#endif
