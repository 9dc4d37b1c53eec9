/* limits.h: row W10 of make bench, steps that share a limit. */
#ifndef BENCH_LIMITS_H
#define BENCH_LIMITS_H

#include "bench_steps.h"

/* W10: 10,000 seeds whose two queries are `blocking uses db` (limit 8),
 * every step sleeping 1 ms, started at once on rt: wall time against the
 * limit's ideal. Stops the bench if more than 8 queries ever ran at once. */
void bench_rows_limits(aj_runtime *rt, BenchIn *in);

#endif
