/*
 * test_limit.c: limits (`limit db = N; ... uses db`). Never more than N
 * attempts inside at once, across instances and jobs; waiters let in
 * first come first served; a cancel takes its waiting steps out of the
 * queues at once; several limits on one step do not deadlock; sizes change
 * live; blocking, async, retried and sequential steps take and let go of
 * their slots; a runtime is freed with waiters gone; inconsistent tables
 * are refused (test_limit_map.c: the same for the elements of mapped
 * steps). Steps count and log (tjob.c); waits on a limit's queue are seen
 * through the runtime's own counts (fleet.c); the main thread asserts.
 */
#include "fleet.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define MS 1000000LL
/* ------------------------------------------------------------------------ */

/* 8 instances of 10 sleeping steps on 4 workers, through a limit of 3. */
static void test_limit_never_over_n(void **state)
{
    fleet *f = fleet_new(4);
    tj_job *j = fleet_job("ten", 10, DB, 1, USE0, 1);

    (void)state;
    for (uint32_t k = 0; k < 8; k++) {
        tj_run *r = fleet_run(f, j, k);
        for (uint32_t i = 0; i < 10; i++)
            r->behave[i].sleep_ns = MS / 2;
        fleet_start(f, r, NULL);
    }
    fleet_wait_all(f, 0, AJ_OK);
    fleet_check_end(f, "db", 3, 80);
    fleet_free(f);
    tj_free(j);
}

/* Five waiters queue one by one behind a holder of the only slot, holding
 * no thread, pending; they get in in that order. */
static void test_limit_fifo(void **state)
{
    tj_job *j;
    fleet *f = fleet_slot_held(2, &j);

    (void)state;
    for (uint32_t k = 1; k <= 5; k++) {
        fleet_start(f, fleet_run(f, j, k), NULL);
        fleet_await_waiting(f->rt, "db", k);
        assert_int_equal(fleet_info(f->inst[k], 0).state, AJ_STEP_PENDING);
    }
    tj_gate_open(&f->gate);
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
    assert_int_equal(atomic_load(&f->log_n), 6);
    for (uint32_t k = 0; k < 6; k++)
        assert_int_equal(f->log[k], k);
    assert_int_equal(atomic_load(&f->peak), 1);
    fleet_free(f);
    tj_free(j);
}

/* A cancelled waiter ends while the holder keeps the slot; one that held
 * the first of two limits lets it go to the next waiter at once. */
static void test_limit_cancel_leaves_queue(void **state)
{
    fleet *f = fleet_new(2);
    tj_job *jb = fleet_job("b", 1, AB, 2, USE1, 1), *jab = fleet_job("ab", 1, AB, 2, USE01, 2);
    tj_job *ja = fleet_job("a", 1, AB, 2, USE0, 1);
    aj_instance *w, *x;

    (void)state;
    fleet_holder(f, jb, 0);
    sem_wait(&f->started);
    w = fleet_start(f, fleet_run(f, jab, 1), NULL);
    fleet_await_waiting(f->rt, "b", 1);
    assert_int_equal(fleet_peek(f->rt, "a").in_use, 1);
    x = fleet_start(f, fleet_run(f, ja, 2), NULL);
    fleet_await_waiting(f->rt, "a", 1);
    aj_instance_cancel(w);
    assert_int_equal(aj_instance_wait(w, -1), AJ_ECANCELED);
    assert_int_equal(fleet_info(w, 0).state, AJ_STEP_CANCELLED);
    assert_int_equal(fleet_info(w, 0).attempts, 0);
    /* x got a's slot that w let go of, while the holder still has b's. */
    assert_int_equal(aj_instance_wait(x, -1), AJ_OK);
    assert_int_equal(fleet_peek(f->rt, "b").in_use, 1);
    assert_int_equal(fleet_peek(f->rt, "b").n_waiting, 0);
    assert_int_equal(atomic_load(&f->log_n), 2);
    fleet_free(f);
    tj_free(jb);
    tj_free(jab);
    tj_free(ja);
}

/* Two jobs whose steps use a and b (one declared `uses b, a`: the table
 * sorts it), many instances of each on every worker: all finish. */
static void test_limit_two_limits_no_deadlock(void **state)
{
    fleet *f = fleet_new(4);
    tj_job *j1 = fleet_job("ab", 2, AB, 2, USE01, 2), *j2 = fleet_job("ba", 3, AB, 2, USE01, 2);

    (void)state;
    tj_set_uses(j2, 2, 1, USE1);
    for (uint32_t k = 0; k < 40; k++)
        fleet_start(f, fleet_run(f, k % 2 ? j2 : j1, k), NULL);
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], 30000 * MS), AJ_OK);
    assert_int_equal(atomic_load(&f->peak), 1);
    fleet_free(f);
    tj_free(j1);
    tj_free(j2);
}

/* Growing lets waiters in at once; shrinking holds new ones back until
 * the holders are below the new size. A size set before any definition
 * names the limit wins over the definition's. */
static void test_limit_set_grow_shrink(void **state)
{
    aj_limit_def one = { "db", 1 }, fresh = { "fresh", 5 };
    fleet *f = fleet_new(4);
    tj_job *j = fleet_job("one", 1, &one, 1, USE0, 1);
    tj_job *jf = fleet_job("fresh", 1, &fresh, 1, USE0, 1);

    (void)state;
    for (uint32_t k = 0; k < 4; k++)
        fleet_holder(f, j, k);
    sem_wait(&f->started);
    fleet_await_waiting(f->rt, "db", 3);
    assert_int_equal(aj_runtime_set_limit(f->rt, "db", 3), AJ_OK);
    sem_wait(&f->started);
    sem_wait(&f->started);
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 3);
    assert_int_equal(fleet_peek(f->rt, "db").n_waiting, 1);
    assert_int_equal(aj_runtime_set_limit(f->rt, "db", 1), AJ_OK);
    tj_gate_open(&f->gate);
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
    assert_int_equal(atomic_load(&f->peak), 3);
    atomic_store(&f->peak, 0);
    for (uint32_t k = 0; k < 6; k++) {
        tj_run *r = fleet_run(f, j, k);
        r->behave[0].sleep_ns = MS / 2;
        fleet_start(f, r, NULL);
    }
    assert_int_equal(aj_runtime_set_limit(f->rt, "fresh", 2), AJ_OK);
    fleet_start(f, tj_run_new(jf), NULL);  /* not counted: another limit */
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
    assert_int_equal(atomic_load(&f->peak), 1);
    assert_int_equal(fleet_peek(f->rt, "fresh").size, 2);
    assert_int_equal(aj_runtime_set_limit(f->rt, NULL, 2), AJ_EINVAL);
    assert_int_equal(aj_runtime_set_limit(f->rt, "db", 0), AJ_EINVAL);
    fleet_free(f);
    tj_free(j);
    tj_free(jf);
}

/* Two different jobs naming db with different sizes: the first start's
 * size is the runtime's, and their steps share its slots. */
static void test_limit_shared_across_jobs(void **state)
{
    aj_limit_def two = { "db", 2 }, seven = { "db", 7 };
    fleet *f = fleet_new(4);
    tj_job *j1 = fleet_job("small", 4, &two, 1, USE0, 1);
    tj_job *j2 = fleet_job("large", 4, &seven, 1, USE0, 1);

    (void)state;
    for (uint32_t k = 0; k < 12; k++) {
        tj_run *r = fleet_run(f, k % 2 ? j2 : j1, k);
        for (uint32_t i = 0; i < 4; i++)
            r->behave[i].sleep_ns = MS / 2;
        fleet_start(f, r, NULL);
    }
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
    assert_int_equal(fleet_peek(f->rt, "db").size, 2);
    assert_true(atomic_load(&f->peak) <= 2);
    fleet_free(f);
    tj_free(j1);
    tj_free(j2);
}

/* Blocking steps wait for a slot before the pool, holding none of its
 * threads: while the only slot is held, the pool makes none for the five
 * waiters (a count of threads made after the fact would depend on how
 * fast each thread goes idle); let in, they run there. */
static void test_limit_blocking(void **state)
{
    tj_job *j, *io = fleet_job("io", 1, DB, 1, USE0, 1);
    fleet *f = fleet_slot_held(2, &j);

    (void)state;
    tj_set_blocking(io, 0, true);
    for (uint32_t k = 1; k <= 5; k++) {
        tj_run *r = fleet_run(f, io, k);
        r->behave[0].sleep_ns = MS;
        fleet_start(f, r, NULL);
    }
    fleet_open_once_waiting_off_pool(f, 5);
    fleet_wait_all(f, 0, AJ_OK);
    for (uint32_t k = 1; k < f->n; k++)
        assert_int_equal(atomic_load(&f->run[k]->on_pool[0]), 1);
    assert_int_equal(atomic_load(&f->peak), 1);
    fleet_free(f);
    tj_free(j);
    tj_free(io);
}

static int by_start(const void *a, const void *b)
{
    const aj_step_info *x = a, *y = b;

    return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/* An async step holds its slot from its call to its done: with one slot,
 * no two attempts overlap. */
static void test_limit_async(void **state)
{
    aj_limit_def one = { "db", 1 };
    fleet *f = fleet_new(2);
    tj_job *j = fleet_job("later", 1, &one, 1, USE0, 1);
    aj_step_info info[6];

    (void)state;
    tj_set_async(j, 0, true);
    for (uint32_t k = 0; k < 6; k++) {
        tj_run *r = fleet_run(f, j, k);
        r->behave[0].done_later = true;
        r->behave[0].done_after_ns = 2 * MS;
        fleet_start(f, r, NULL);
    }
    for (uint32_t k = 0; k < f->n; k++) {
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
        info[k] = fleet_info(f->inst[k], 0);
        assert_int_equal(info[k].attempts, 1);
    }
    qsort(info, 6, sizeof info[0], by_start);
    for (uint32_t k = 1; k < 6; k++)
        assert_true(info[k].start_ns >= info[k - 1].start_ns + info[k - 1].duration_ns);
    fleet_free(f);
    tj_free(j);
}

/* A failed attempt lets go of its slot before its retry delay: the
 * waiter gets in, and the retry takes the slot again after it. */
static void test_limit_retry_releases(void **state)
{
    static const aj_retry_policy again = { .max_retries = 1, .backoff = AJ_BACKOFF_FIXED,
                                           .delay_ns = MS };
    aj_limit_def one = { "db", 1 };
    fleet *f = fleet_new(2);
    tj_job *j = fleet_job("retry", 1, &one, 1, USE0, 1);
    tj_run *r;

    (void)state;
    j->steps[0].retry = &again;
    r = fleet_run(f, j, 0);
    r->behave[0].fails = 1;
    r->behave[0].gate = &f->gate;
    r->behave[0].started = &f->started;
    fleet_start(f, r, NULL);
    sem_wait(&f->started);
    fleet_start(f, fleet_run(f, j, 1), NULL);
    fleet_await_waiting(f->rt, "db", 1);
    tj_gate_open(&f->gate);
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
    assert_int_equal(atomic_load(&f->log_n), 3);
    assert_int_equal(f->log[0], 0);
    assert_int_equal(f->log[1], 1);
    assert_int_equal(f->log[2], 0);
    assert_int_equal(fleet_info(f->inst[0], 0).attempts, 2);
    fleet_free(f);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Sequential instances: the starter's thread waits                         */

/* first -> waits (uses db): sequential, on a thread of its own. */
static tj_job *first_then_limited(const aj_limit_def *db)
{
    aj_edge_def e = { 0, 1, AJ_EDGE_AFTER };
    tj_job *j = tj_new("seq", 2, NULL, NULL, &e, 1);

    assert_non_null(j);
    tj_set_limits(j, 1, db);
    tj_set_uses(j, 1, 1, USE0);
    return j;
}

/* One sequential instance waits for the slot and then runs; another,
 * waiting, is cancelled and its thread returns at once. */
static void test_limit_sequential(void **state)
{
    aj_limit_def one = { "db", 1 };
    tj_job *j, *js = first_then_limited(&one);
    fleet *f = fleet_slot_held(2, &j);
    fleet_seq a = { .f = f, .run = fleet_run(f, js, 1) };
    fleet_seq b = { .f = f, .run = fleet_run(f, js, 2) };
    pthread_t ta;

    (void)state;
    ta = fleet_seq_pair(f, &a, &b);
    assert_int_equal(fleet_info(b.inst, 1).state, AJ_STEP_CANCELLED);
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 1);
    fleet_seq_finish(f, ta, &a);
    assert_int_equal(atomic_load(&a.run->attempts[1]), 1);
    assert_int_equal(atomic_load(&b.run->attempts[1]), 0);
    fleet_seq_free(&a);
    fleet_seq_free(&b);
    fleet_free(f);
    tj_free(j);
    tj_free(js);
}

/* Freeing waiting instances cancels them while the slot is held; the
 * runtime is freed once the rest are. */
static void test_limit_free_runtime_with_waiters(void **state)
{
    tj_job *j;
    fleet *f = fleet_slot_held(2, &j);

    (void)state;
    for (uint32_t k = 1; k <= 3; k++)
        fleet_start(f, fleet_run(f, j, k), NULL);
    fleet_await_waiting(f->rt, "db", 3);
    aj_instance_free(f->inst[1]);
    f->inst[1] = NULL;
    fleet_await_waiting(f->rt, "db", 2);
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 1);
    assert_int_equal(atomic_load(&f->run[1]->attempts[0]), 0);
    fleet_free(f);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Tables the check refuses                                                  */

static void refused_at(int line, const tj_job *j, aj_runtime *rt)
{
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_instance *inst = NULL;
    int rc = aj_instance_start(rt, &j->def, &in, NULL, &inst);

    if (rc != AJ_EINVAL)
        fail_msg("line %d: %s", line, aj_strerror(rc));
    assert_null(inst);
    tj_run_free(r);
}

#define refused(j, rt) refused_at(__LINE__, j, rt)

static void test_limit_inconsistent_tables(void **state)
{
    aj_runtime *rt = tj_workers(1);
    aj_limit_def unsorted[] = { { "b", 1 }, { "a", 1 } }, empty = { "db", 0 }, unnamed = { NULL, 1 };
    static const uint32_t USE10[] = { 1, 0 }, USE00[] = { 0, 0 };
    tj_job *j = fleet_job("bad", 1, AB, 2, USE01, 2);
    aj_instance *inst;
    tj_run *r;

    (void)state;
    j->exec[0].flags &= ~(uint32_t)AJ_STEP_LIMITED;
    refused(j, rt);                      /* uses without the flag */
    tj_set_uses(j, 0, 0, NULL);
    j->exec[0].flags |= AJ_STEP_LIMITED;
    refused(j, rt);                      /* the flag without uses */
    tj_set_uses(j, 0, 2, USE10);
    refused(j, rt);                      /* uses not ascending */
    tj_set_uses(j, 0, 2, USE00);
    refused(j, rt);                      /* nor repeated */
    tj_set_uses(j, 0, 0, NULL);
    j->steps[0].n_uses = 1;
    j->exec[0].flags |= AJ_STEP_LIMITED;
    refused(j, rt);                      /* a count without the list */
    j->steps[0].n_uses = 0;
    tj_set_uses(j, 0, 1, (const uint32_t[]){ 2 });
    refused(j, rt);                      /* out of range */
    tj_set_uses(j, 0, 1, USE0);
    tj_set_limits(j, 2, unsorted);
    refused(j, rt);                      /* limits not sorted */
    tj_set_limits(j, 1, &empty);
    refused(j, rt);                      /* size 0 */
    tj_set_limits(j, 1, &unnamed);
    refused(j, rt);                      /* no name */
    tj_set_limits(j, 1, DB);
    r = tj_run_new(j);
    inst = tj_start(rt, j, r, NULL);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    aj_instance_free(inst);
    tj_run_free(r);
    aj_runtime_free(rt);
    tj_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_never_over_n),
        cmocka_unit_test(test_limit_fifo),
        cmocka_unit_test(test_limit_cancel_leaves_queue),
        cmocka_unit_test(test_limit_two_limits_no_deadlock),
        cmocka_unit_test(test_limit_set_grow_shrink),
        cmocka_unit_test(test_limit_shared_across_jobs),
        cmocka_unit_test(test_limit_blocking),
        cmocka_unit_test(test_limit_async),
        cmocka_unit_test(test_limit_retry_releases),
        cmocka_unit_test(test_limit_sequential),
        cmocka_unit_test(test_limit_free_runtime_with_waiters),
        cmocka_unit_test(test_limit_inconsistent_tables),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
