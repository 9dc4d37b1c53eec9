/*
 * idle.h: rows about the CPU the runtime burns around little work (W7) and
 * about sharing the CPUs with other processes (W12).
 */
#ifndef BENCH_IDLE_H
#define BENCH_IDLE_H

#include "jobs.h"

/* W7n and W7s: one instance per period, started, waited for and freed by
 * one thread, for BENCH_IDLE_MS (default 5,000) ms; process CPU time per
 * instance, against the same step calls made directly at that pace. */
void bench_rows_w7(aj_runtime *rt, BenchIn *in);

/* Runs rows(rt, in) while n child processes spin at normal priority, one
 * per core they are meant to keep busy; the children are killed after. */
void bench_with_spinners(int n, void (*rows)(aj_runtime *, BenchIn *), aj_runtime *rt,
                         BenchIn *in);

#endif
