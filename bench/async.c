/*
 * async.c: row W6a of make bench. Every step of the seed job is `async`:
 * its function queues its done for 1 ms later and returns AJ_PENDING, and
 * one timer thread calls the dones when due, as an event loop's timers
 * would. N instances start at once and are then waited for. No thread
 * waits for a step, so N x 8 steps of 1 ms take about the critical path
 * (5 ms) plus what the runtime costs: the figure is the wall time, with a
 * target of 0.5 s for N = 100,000, and the peak RSS that run added per
 * instance in flight, with a target of 3 KB (their outputs are 40 bytes).
 * A row under the wall times the memory of that many instances alone, in
 * turns with the waves.
 */
#include "async.h"

#include "harness.h"
#include "seed_async.job.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DELAY_NS 1000000L
#define N_INSTANCES 100000
#define RING (1u << 20) /* dones queued at once, at most: 3 per instance */

/* The timer thread's queue. Every done is due DELAY_NS after it was
 * queued, so the order of queueing is the order of due times: a ring, not
 * a heap. Lock: mu guards everything but the thread handle; the thread
 * makes each call without it, since a done starts the steps that follow
 * and those queue dones of their own. */
typedef struct due_call {
    int64_t due_ns;
    aj_reply *reply;
    long out;
    bool has_out;
} due_call;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* the ring was empty and is not; stop */
    due_call *ring;
    unsigned head, n;
    bool stop;
    pthread_t thread;
} timers = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* Stops the bench unless ok. */
static void check(bool ok, const char *what)
{
    bench_check(ok, "W6a", what);
}

static void later(aj_reply *reply, const long *out)
{
    int64_t due = bench_now_ns() + DELAY_NS;

    pthread_mutex_lock(&timers.mu);
    check(timers.n < RING, "timer ring full");
    timers.ring[(timers.head + timers.n) % RING] =
        (due_call){ due, reply, out != NULL ? *out : 0, out != NULL };
    if (timers.n++ == 0)
        pthread_cond_signal(&timers.cv);
    pthread_mutex_unlock(&timers.mu);
}

/* Sleeps until due_ns on the clock bench_now_ns reads (CLOCK_MONOTONIC). */
static void sleep_until(int64_t due_ns)
{
    struct timespec ts = { (time_t)(due_ns / 1000000000), (long)(due_ns % 1000000000) };

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&timers.mu);
    while (!timers.stop) {
        if (timers.n == 0) {
            pthread_cond_wait(&timers.cv, &timers.mu);
            continue;
        }
        due_call c = timers.ring[timers.head];
        if (c.due_ns > bench_now_ns()) {
            pthread_mutex_unlock(&timers.mu);
            sleep_until(c.due_ns);
            pthread_mutex_lock(&timers.mu);
            continue;
        }
        timers.head = (timers.head + 1) % RING;
        timers.n--;
        pthread_mutex_unlock(&timers.mu);
        aj_reply_done(c.reply, 0, c.has_out ? &c.out : NULL);
        pthread_mutex_lock(&timers.mu);
    }
    pthread_mutex_unlock(&timers.mu);
    return NULL;
}

/* The steps: the seed's values, each handed to the timer thread. */
int seed_async_GetConnection(aj_ctx *ctx, BenchIn *in, seed_async_GetConnection_reply *reply)
{
    (void)ctx;
    later((aj_reply *)reply, &in->base);
    return AJ_PENDING;
}

int seed_async_CheckAuth(aj_ctx *ctx, BenchIn *in, seed_async_CheckAuth_reply *reply)
{
    (void)ctx, (void)in;
    later((aj_reply *)reply, NULL);
    return AJ_PENDING;
}

int seed_async_GetTableClient1(aj_ctx *ctx, BenchIn *in, long conn,
                               seed_async_GetTableClient1_reply *reply)
{
    long v = conn + 1;

    (void)ctx, (void)in;
    later((aj_reply *)reply, &v);
    return AJ_PENDING;
}

int seed_async_GetTableClient2(aj_ctx *ctx, BenchIn *in, long conn,
                               seed_async_GetTableClient2_reply *reply)
{
    long v = conn + 1;

    (void)ctx, (void)in;
    later((aj_reply *)reply, &v);
    return AJ_PENDING;
}

int seed_async_QueryTable1(aj_ctx *ctx, BenchIn *in, long client,
                           seed_async_QueryTable1_reply *reply)
{
    long v = client + 1;

    (void)ctx, (void)in;
    later((aj_reply *)reply, &v);
    return AJ_PENDING;
}

int seed_async_QueryTable2(aj_ctx *ctx, BenchIn *in, long client,
                           seed_async_QueryTable2_reply *reply)
{
    long v = client + 1;

    (void)ctx, (void)in;
    later((aj_reply *)reply, &v);
    return AJ_PENDING;
}

int seed_async_Summarize(aj_ctx *ctx, BenchIn *in, long up, long left,
                         seed_async_Summarize_reply *reply)
{
    long v = (up > left ? up : left) + 1;

    (void)ctx, (void)in;
    later((aj_reply *)reply, &v);
    return AJ_PENDING;
}

int seed_async_EmailNotification(aj_ctx *ctx, BenchIn *in,
                                 seed_async_EmailNotification_reply *reply)
{
    (void)ctx, (void)in;
    later((aj_reply *)reply, NULL);
    return AJ_PENDING;
}

/* Starts n instances at once, waits for each: the wall time in ms. */
static double wave_ms(aj_runtime *rt, BenchIn *in, seed_async **insts, int n)
{
    int64_t t0 = bench_now_ns();
    long r;

    for (int i = 0; i < n; i++)
        check(seed_async_start(rt, in, NULL, &insts[i]) == AJ_OK, "start");
    for (int i = 0; i < n; i++) {
        check(seed_async_wait(insts[i], -1) == AJ_OK, "wait");
        check(seed_async_result(insts[i], &r) == AJ_OK && r == in->base + 3, "result");
    }
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    for (int i = 0; i < n; i++)
        seed_async_free(insts[i]);
    return ms;
}

/* The memory alone: n blocks of size bytes, as many as a wave's instances
 * and as large as each added to the RSS, allocated, written and freed in
 * the wave's order. On a VM where a page fault is dear, this is most of
 * what a wave costs beyond the runtime: glibc gives the heap back after
 * each wave, and the next faults it in again. */
static double memory_ms(void **blocks, int n, size_t size)
{
    int64_t t0 = bench_now_ns();

    for (int i = 0; i < n; i++) {
        blocks[i] = malloc(size);
        check(blocks[i] != NULL, "memory");
        memset(blocks[i], 1, size);
    }
    for (int i = 0; i < n; i++)
        free(blocks[i]);
    return (double)(bench_now_ns() - t0) / 1e6;
}

void bench_rows_async(aj_runtime *rt, BenchIn *in)
{
    seed_async **insts = calloc(N_INSTANCES, sizeof *insts);
    void **blocks = calloc(N_INSTANCES, sizeof *blocks);
    double v[BENCH_RUNS], mem[BENCH_RUNS];
    long rss0;

    timers.ring = calloc(RING, sizeof *timers.ring);
    check(insts != NULL && blocks != NULL && timers.ring != NULL, "memory");
    check(pthread_create(&timers.thread, NULL, timer_main, NULL) == 0, "timer thread");
    /* Every page of the array and the ring is counted before, not in, the
     * instances' RSS. */
    for (int i = 0; i < N_INSTANCES; i++)
        insts[i] = NULL;
    for (unsigned k = 0; k < RING; k++)
        timers.ring[k].reply = NULL;
    rss0 = bench_max_rss_kb();
    wave_ms(rt, in, insts, N_INSTANCES); /* warm-up, and the RSS it adds */
    double bytes = (double)(bench_max_rss_kb() - rss0) * 1024 / N_INSTANCES;
    /* Waves and the memory alone by turns, so that both see the same
     * machine. The two are not subtracted: a wave's page faults are taken
     * by the starting thread while the timer thread's dones run on the
     * other core. */
    for (int r = 0; r < BENCH_RUNS; r++) {
        v[r] = wave_ms(rt, in, insts, N_INSTANCES);
        mem[r] = memory_ms(blocks, N_INSTANCES, (size_t)bytes);
    }
    bench_row row = { "W6a", "100,000 async seeds (done 1 ms later) at once: wall", "ms",
                      bench_stat_of(v, BENCH_RUNS), 5.0, 500.0, LOWER_IS_BETTER };
    bench_print_row(&row);
    bench_row floor = { "W6a", "  their memory alone: malloc, write, free", "ms",
                        bench_stat_of(mem, BENCH_RUNS), -1, -1, LOWER_IS_BETTER };
    bench_print_row(&floor);
    bench_row b = { "W6a", "100,000 async seeds: peak RSS per instance in flight", "B",
                    { bytes, bytes, bytes }, -1, 3072, LOWER_IS_BETTER };
    bench_print_row(&b);
    pthread_mutex_lock(&timers.mu);
    timers.stop = true;
    pthread_cond_signal(&timers.cv);
    pthread_mutex_unlock(&timers.mu);
    pthread_join(timers.thread, NULL);
    free(timers.ring);
    free(blocks);
    free(insts);
}
