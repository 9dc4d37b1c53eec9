/*
 * idle.c: rows W7n, W7s and W12 (see idle.h). A service that starts one
 * instance every millisecond, or every 10 ms with steps that sleep, uses
 * the CPUs for a tiny fraction of the time: whatever CPU time the process
 * takes beyond its steps is what the runtime burns waiting for work.
 */
#include "idle.h"

#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IDLE_RUNS 5

#ifndef BENCH_W7S_KIND
#define BENCH_W7S_KIND "plain"
#endif

static int64_t cpu_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t idle_ms(void)
{
    const char *env = getenv("BENCH_IDLE_MS");
    long ms = env != NULL ? atol(env) : 0;

    return ms > 0 ? ms : 5000;
}

/* Sleeps until the monotonic instant at_ns. */
static void sleep_until(int64_t at_ns)
{
    struct timespec ts = { (time_t)(at_ns / 1000000000), (long)(at_ns % 1000000000) };

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

/* Microseconds of process CPU per instance of j, one every period_ns for
 * span_ns. A late instance is not made up for: the next one starts at
 * its own tick. */
static double cpu_per_instance(const bench_job *j, aj_runtime *rt, BenchIn *in, bool direct,
                               int64_t period_ns, int64_t span_ns)
{
    int64_t t0 = bench_now_ns(), c0 = cpu_now_ns(), n = 0;

    for (int64_t tick = t0; tick < t0 + span_ns; tick += period_ns, n++) {
        sleep_until(tick);
        if (direct)
            j->direct(in);
        else
            j->run(rt, in);
    }
    return (double)(cpu_now_ns() - c0) / 1e3 / (double)n;
}

/* Each run of the job is followed by a fifth as long of its direct twin,
 * so that both see the same machine: pacing itself (a timer wake-up per
 * instance) costs what the direct figure shows. */
static void row_paced(const char *id, const char *figure, const char *name, aj_runtime *rt,
                      BenchIn *in, int64_t period_ns, double target)
{
    const bench_job *j = bench_job_named(name);
    int64_t span = idle_ms() * 1000000;
    double v[IDLE_RUNS], d[IDLE_RUNS];

    for (int r = 0; r < IDLE_RUNS; r++) {
        v[r] = cpu_per_instance(j, rt, in, false, period_ns, span);
        d[r] = cpu_per_instance(j, rt, in, true, period_ns, span / IDLE_RUNS);
    }
    bench_row row = { id, figure, "us", bench_stat_of(v, IDLE_RUNS),
                      bench_stat_of(d, IDLE_RUNS).median, target, LOWER_IS_BETTER };
    bench_print_row(&row);
}

void bench_rows_w7(aj_runtime *rt, BenchIn *in)
{
    row_paced("W7n", "1 no-op seed instance/1 ms: CPU per instance", "seed", rt, in, 1000000,
              15);
    row_paced("W7s", "1 instance/10 ms, 1 ms sleeps (" BENCH_W7S_KIND "): CPU", "sleepy", rt, in,
              10000000, 300);
}

/* A child that burns a core until it is killed. */
static pid_t spinner(void)
{
    pid_t pid = fork();

    if (pid == 0) {
        for (volatile unsigned long x = 0;; x++)
            ;
    }
    return pid;
}

void bench_with_spinners(int n, void (*rows)(aj_runtime *, BenchIn *), aj_runtime *rt,
                         BenchIn *in)
{
    pid_t kids[8];

    if (n > 8)
        n = 8;
    for (int i = 0; i < n; i++)
        if ((kids[i] = spinner()) < 0) {
            perror("bench: fork");
            exit(1);
        }
    rows(rt, in);
    for (int i = 0; i < n; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
}
