/*
 * test_limits.c: limits under concurrency stress, meant for the TSan build
 * (make test-tsan). Rounds of random DAGs (20 to 80 steps) run at once on
 * 1, 2 and 4 workers; their steps use random sets of four limits of sizes
 * 1 to 4 (every job sorts its own), some blocking, some async, some
 * failing and retried; some steps are mapped, over an array step of 0 to
 * 5 items or element by element after another mapped step, and each
 * attempt of each of their elements takes the slots of the limits they
 * use. Another thread cancels instances at random moments and resizes the
 * limits. Checked after each round:
 * - no limit ever had more attempts inside than its largest size: each
 *   step and element counts itself in the counter of the first limit it
 *   uses (an async attempt until its done);
 * - every instance ends (a watchdog of WATCHDOG_S seconds per wait turns
 *   a hang, a lost wake-up or a deadlock, into a failure), with no step
 *   started before its predecessors completed;
 * - once all are freed, every limit has no slot taken and no waiter.
 * AJ_LIMITS_SEED replays a run; a round takes well under a second.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define N_LIMITS 4
#define MAX_SIZE 4
#define PER_ROUND 24
#define WATCHDOG_S 60

static const char *const names[N_LIMITS] = { "a", "b", "c", "d" };
static const aj_retry_policy retry_soon = { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                            .delay_ns = 20000 };
static uint64_t rng;
static _Atomic int within[N_LIMITS], peak[N_LIMITS];

static uint32_t rnd(uint32_t n)
{
    return tj_rnd(&rng, n);
}

/* The first predecessor that feeds step i data; -1 when none. */
static int32_t data_pred(const tj_job *j, uint32_t i)
{
    for (uint32_t e = 0; e < j->def.n_edges; e++) {
        const aj_edge_def *ed = &j->edges[e];
        if (ed->to == i && (ed->kind & AJ_EDGE_DATA))
            return (int32_t)ed->from;
    }
    return -1;
}

/* Some steps map over a data predecessor, which becomes an array step
 * unless it is mapped already (they then map element by element after
 * it); each uses at least one limit. In topological order, so that no
 * step is mapped once it returns an array. */
static void random_maps(tj_job *j)
{
    for (uint32_t k = 0; k < j->def.n_steps; k++) {
        uint32_t i = j->def.order[k];
        int32_t src = rnd(4) == 0 ? data_pred(j, i) : -1;
        if (src < 0)
            continue;
        if (!(j->exec[src].flags & AJ_STEP_MAPPED)) {
            tj_set_async(j, (uint32_t)src, false);
            tj_set_array(j, (uint32_t)src);
        }
        tj_set_map(j, i, (uint32_t)src);
        if (j->steps[i].n_uses == 0)
            tj_set_uses(j, i, 1, (uint32_t[]){ rnd(j->def.n_limits) });
    }
}

/* A random DAG whose job declares a random subset of the limits and whose
 * steps use random subsets of those, ascending; some of them mapped. */
static tj_job *random_job(void)
{
    aj_limit_def decl[N_LIMITS];
    uint32_t n_decl = 0, uses[N_LIMITS];
    tj_job *j = tj_random(20 + rnd(61), &rng);

    assert_non_null(j);
    for (uint32_t k = 0; k < N_LIMITS; k++)
        if (rnd(3) != 0 || (k == N_LIMITS - 1 && n_decl == 0))
            decl[n_decl++] = (aj_limit_def){ names[k], 1 + rnd(MAX_SIZE) };
    tj_set_limits(j, n_decl, decl);
    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        uint32_t n = 0;
        for (uint32_t k = 0; k < n_decl && rnd(2) == 0; k++)
            if (rnd(2) == 0)
                uses[n++] = k;
        tj_set_uses(j, i, n, uses);
        j->steps[i].retry = &retry_soon;
        if (rnd(6) == 0)
            tj_set_blocking(j, i, true);
        else if (rnd(8) == 0)
            tj_set_async(j, i, true);
    }
    random_maps(j);
    return j;
}

/* Index in names[] of the first limit step i of j uses, or -1. */
static int first_limit(const tj_job *j, uint32_t i)
{
    if (j->steps[i].n_uses == 0)
        return -1;
    for (int k = 0; k < N_LIMITS; k++)
        if (strcmp(j->def.limits[j->steps[i].uses[0]].name, names[k]) == 0)
            return k;
    return -1;
}

static void script(tj_run *r, const tj_job *j)
{
    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        tj_behave *b = &r->behave[i];
        int k = first_limit(j, i);
        if (k >= 0) {
            b->within = &within[k];
            b->within_peak = &peak[k];
        }
        b->sleep_ns = rnd(4) == 0 ? 20000 * (int64_t)rnd(10) : 0;
        b->fails = rnd(10) == 0 ? 1 : 0;
        b->n_items = rnd(6);
        if (j->exec[i].flags & AJ_STEP_ASYNC) {
            b->done_later = rnd(2) == 0;
            b->done_after_ns = 10000 * (int64_t)rnd(20);
        }
    }
}

typedef struct round {
    aj_runtime *rt;
    tj_job *job[PER_ROUND];
    tj_run *run[PER_ROUND];
    aj_instance *inst[PER_ROUND];
    _Atomic bool started;          /* every instance is in inst[] */
    _Atomic bool stop;
    uint64_t seed;                 /* the meddler's own generator */
} round;

/* Cancels random instances at random moments, and resizes the limits
 * between 1 and MAX_SIZE, until stop. */
static void *meddle(void *arg)
{
    round *rd = arg;
    uint64_t g = rd->seed;
    struct timespec nap = { 0, 50000 };

    while (!atomic_load(&rd->started))
        nanosleep(&nap, NULL);
    while (!atomic_load(&rd->stop)) {
        uint32_t dice = tj_rnd(&g, 100);
        if (dice < 4)
            aj_instance_cancel(rd->inst[tj_rnd(&g, PER_ROUND)]);
        else if (dice < 12)
            aj_runtime_set_limit(rd->rt, names[tj_rnd(&g, N_LIMITS)], 1 + tj_rnd(&g, MAX_SIZE));
        nap.tv_nsec = 10000 + (long)tj_rnd(&g, 100000);
        nanosleep(&nap, NULL);
    }
    return NULL;
}

static void run_round(unsigned workers)
{
    round rd = { .rt = tj_workers(workers), .seed = rng | 1 };
    pthread_t meddler;

    assert_int_equal(pthread_create(&meddler, NULL, meddle, &rd), 0);
    for (uint32_t k = 0; k < PER_ROUND; k++) {
        rd.job[k] = random_job();
        rd.run[k] = tj_run_new(rd.job[k]);
        script(rd.run[k], rd.job[k]);
        rd.inst[k] = tj_start(rd.rt, rd.job[k], rd.run[k], NULL);
    }
    atomic_store(&rd.started, true);
    for (uint32_t k = 0; k < PER_ROUND; k++) {
        int rc = aj_instance_wait(rd.inst[k], WATCHDOG_S * 1000000000LL);
        if (rc == AJ_ETIMEDOUT)
            fail_msg("instance %u of %u workers hangs", (unsigned)k, workers);
    }
    atomic_store(&rd.stop, true);
    assert_int_equal(pthread_join(meddler, NULL), 0);
    tj_done_drain();
    for (uint32_t k = 0; k < PER_ROUND; k++) {
        aj_instance_free(rd.inst[k]);
        assert_int_equal(atomic_load(&rd.run[k]->violations), 0);
        tj_run_free(rd.run[k]);
        tj_free(rd.job[k]);
    }
    for (int k = 0; k < N_LIMITS; k++) {
        aj__limit_stat st;
        assert_true(atomic_load(&peak[k]) <= MAX_SIZE);
        if (aj__limit_peek(rd.rt, names[k], &st) != AJ_OK)
            continue;
        assert_int_equal(st.in_use, 0);
        assert_int_equal(st.n_waiting, 0);
    }
    aj_runtime_free(rd.rt);
}

static void test_limits_stress(void **state)
{
    (void)state;
    for (int pass = 0; pass < 4; pass++)
        for (unsigned w = 1; w <= 4; w *= 2)
            run_round(w);
}

/* With sizes fixed at 1, no limit ever has two attempts inside. */
static void test_limits_stress_size_one(void **state)
{
    aj_runtime *rt = tj_workers(4);
    tj_job *j[PER_ROUND];
    tj_run *r[PER_ROUND];
    aj_instance *inst[PER_ROUND];

    (void)state;
    for (int k = 0; k < N_LIMITS; k++) {
        assert_int_equal(aj_runtime_set_limit(rt, names[k], 1), AJ_OK);
        atomic_store(&peak[k], 0);
    }
    for (uint32_t k = 0; k < PER_ROUND; k++) {
        j[k] = random_job();
        r[k] = tj_run_new(j[k]);
        script(r[k], j[k]);
        inst[k] = tj_start(rt, j[k], r[k], NULL);
    }
    for (uint32_t k = 0; k < PER_ROUND; k++)
        assert_int_not_equal(aj_instance_wait(inst[k], WATCHDOG_S * 1000000000LL), AJ_ETIMEDOUT);
    tj_done_drain();
    for (uint32_t k = 0; k < PER_ROUND; k++) {
        aj_instance_free(inst[k]);
        tj_run_free(r[k]);
        tj_free(j[k]);
    }
    for (int k = 0; k < N_LIMITS; k++)
        assert_true(atomic_load(&peak[k]) <= 1);
    aj_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_stress),
        cmocka_unit_test(test_limits_stress_size_one),
    };

    rng = tj_rng_seed("AJ_LIMITS_SEED");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
