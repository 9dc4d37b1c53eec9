/* async.h: row W6a of make bench, async steps completed by a timer thread. */
#ifndef BENCH_ASYNC_H
#define BENCH_ASYNC_H

#include "bench_steps.h"

/* W6a: the seed job with every step `async`, each completed 1 ms after it
 * starts by one timer thread, 100,000 instances started at once, then
 * waited for, on rt: the wall time and the peak RSS per instance. */
void bench_rows_async(aj_runtime *rt, BenchIn *in);

#endif
