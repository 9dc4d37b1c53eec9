/*
 * test_limit_map.c: limits on mapped steps (`step Each(T x = List[]) ...
 * uses db`): each attempt of each element takes a slot of every limit its
 * step uses, as a step's attempt does (test_limit.c). Never more than N
 * elements inside at once, across instances; waiting elements hold no
 * thread and get in first come first served; cancels and fail-fast take
 * them out of the queues at once; several limits, blocking, async,
 * retried and sequential elements; a larger size lets them in; an empty
 * array takes no slot; a failed expansion holds none. The elements count
 * and log (tjob.c); the main thread asserts.
 */
#include "fleet.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#define MS 1000000LL

enum { LIST, EACH, SUM, BAD };

/* List -> Each (one run per item of List, using the limits at uses) ->
 * Sum (collects Each); with bad, a fourth step on its own, Bad. */
static tj_job *fan(const aj_limit_def *limits, uint32_t n_limits, const uint32_t *uses,
                   uint32_t n_uses, bool bad)
{
    static const char *const names[] = { "List", "Each", "Sum", "Bad" };
    static const aj_edge_def edges[] = {
        { LIST, EACH, AJ_EDGE_DATA },
        { EACH, SUM, AJ_EDGE_DATA },
    };
    tj_job *j = tj_new("fan", bad ? 4 : 3, names, NULL, edges, 2);

    assert_non_null(j);
    tj_set_limits(j, n_limits, limits);
    tj_set_array(j, LIST);
    tj_set_map(j, EACH, LIST);
    tj_set_uses(j, EACH, n_uses, uses);
    return j;
}

/* A script for j whose List makes n items, and of which only Each's
 * elements count in the fleet's counters and log, tag + their index. */
static tj_run *fan_run(fleet *f, const tj_job *j, uint32_t tag, uint32_t n)
{
    tj_run *r = fleet_run(f, j, tag);

    r->behave[LIST].n_items = n;
    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        if (i == EACH)
            continue;
        r->behave[i].within = NULL;
        r->behave[i].log = NULL;
    }
    return r;
}

/* What Sum comes to after n elements: each is 2 + its index. */
static int64_t fan_sum(int64_t n)
{
    return 1 + 2 * n + n * (n - 1) / 2;
}

/* The state of the tests that queue behind a holder: a fleet whose only
 * slot of db an instance of one holds (fleet_slot_held), and fan, whose
 * Each uses db (a test may change it: it is its own). */
typedef struct held {
    fleet *f;
    tj_job *one, *fan;
} held;

static int held_setup(void **state)
{
    held *h = calloc(1, sizeof *h);

    if (h == NULL)
        return -1;
    h->f = fleet_slot_held(2, &h->one);
    h->fan = fan(DB, 1, USE0, 1, false);
    *state = h;
    return 0;
}

static int held_teardown(void **state)
{
    held *h = *state;

    fleet_free(h->f);
    tj_free(h->one);
    tj_free(h->fan);
    free(h);
    return 0;
}

/* 6 instances of 10 sleeping elements each on 4 workers, through a limit
 * of 2: the elements themselves count how many are inside at once. */
static void test_limit_elements_never_over_n(void **state)
{
    static const aj_limit_def two = { "db", 2 };
    fleet *f = fleet_new(4);
    tj_job *j = fan(&two, 1, USE0, 1, false);

    (void)state;
    for (uint32_t k = 0; k < 6; k++) {
        tj_run *r = fan_run(f, j, 100 * k, 10);
        r->behave[EACH].sleep_ns = MS / 2;
        fleet_start(f, r, NULL);
    }
    fleet_wait_all(f, 0, AJ_OK);
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(tj_output(f->inst[k], SUM), fan_sum(10));
    fleet_check_end(f, "db", 2, 60);
    fleet_free(f);
    tj_free(j);
}

/* Behind a holder of the only slot, the elements of two instances queue,
 * holding no thread: the other worker runs a plain instance meanwhile (a
 * waiter with a timeout runs no step itself). They get in first come,
 * first served, element by element. */
static void test_limit_elements_fifo(void **state)
{
    held *h = *state;
    fleet *f = h->f;
    tj_job *jf = h->fan, *plain = tj_new("plain", 1, NULL, NULL, NULL, 0);
    tj_run *pr = tj_run_new(plain);
    aj_instance *p;

    fleet_start(f, fan_run(f, jf, 100, 3), NULL);
    fleet_await_waiting(f->rt, "db", 3);
    fleet_start(f, fan_run(f, jf, 200, 3), NULL);
    fleet_await_waiting(f->rt, "db", 6);
    p = tj_start(f->rt, plain, pr, NULL);
    assert_int_equal(aj_instance_wait(p, 30000 * MS), AJ_OK);
    tj_gate_open(&f->gate);
    fleet_wait_all(f, 0, AJ_OK);
    assert_int_equal(atomic_load(&f->log_n), 7);
    assert_int_equal(f->log[0], 0);
    for (uint32_t k = 0; k < 3; k++) {
        assert_int_equal(f->log[1 + k], 100 + k);
        assert_int_equal(f->log[4 + k], 200 + k);
    }
    assert_int_equal(atomic_load(&f->peak), 1);
    aj_instance_free(p);
    tj_run_free(pr);
    tj_free(plain);
}

/* Two limits on the elements, and plain steps that take either: all
 * finish, never two inside a limit of one. */
static void test_limit_elements_two_limits(void **state)
{
    fleet *f = fleet_new(4);
    tj_job *jf = fan(AB, 2, USE01, 2, false), *jb = fleet_job("b", 2, AB, 2, USE1, 1);

    (void)state;
    for (uint32_t k = 0; k < 12; k++) {
        if (k % 3 == 0)
            fleet_start(f, fleet_run(f, jb, k), NULL);
        else
            fleet_start(f, fan_run(f, jf, k, 4), NULL);
    }
    for (uint32_t k = 0; k < f->n; k++) {
        assert_int_equal(aj_instance_wait(f->inst[k], 30000 * MS), AJ_OK);
        if (k % 3 != 0)
            assert_int_equal(tj_output(f->inst[k], SUM), fan_sum(4));
    }
    assert_int_equal(atomic_load(&f->peak), 1);
    fleet_free(f);
    tj_free(jf);
    tj_free(jb);
}

/* Blocking elements wait for a slot before the pool, holding none of its
 * threads: while the only slot is held, the pool makes none for the
 * elements of two instances; let in, they all run there, one at a time. */
static void test_limit_elements_blocking(void **state)
{
    held *h = *state;
    fleet *f = h->f;

    tj_set_blocking(h->fan, EACH, true);
    for (uint32_t k = 1; k <= 2; k++) {
        tj_run *r = fan_run(f, h->fan, 100 * k, 4);
        r->behave[EACH].sleep_ns = MS / 2;
        fleet_start(f, r, NULL);
    }
    fleet_open_once_waiting_off_pool(f, 8);
    fleet_wait_all(f, 1, AJ_OK);
    for (uint32_t k = 1; k < f->n; k++) {
        assert_int_equal(atomic_load(&f->run[k]->on_pool[EACH]), 4);
        assert_int_equal(tj_output(f->inst[k], SUM), fan_sum(4));
    }
    assert_int_equal(atomic_load(&f->peak), 1);
}

/* An async element holds its slot from its call to its done: with one
 * slot, counted until the completer calls done, never two at once. */
static void test_limit_elements_async(void **state)
{
    static const aj_limit_def one = { "db", 1 };
    fleet *f = fleet_new(2);
    tj_job *j = fan(&one, 1, USE0, 1, false);

    (void)state;
    tj_set_async(j, EACH, true);
    for (uint32_t k = 0; k < 3; k++) {
        tj_run *r = fan_run(f, j, 100 * k, 3);
        r->behave[EACH].done_later = true;
        r->behave[EACH].done_after_ns = 2 * MS;
        fleet_start(f, r, NULL);
    }
    fleet_wait_all(f, 0, AJ_OK);
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(tj_output(f->inst[k], SUM), fan_sum(3));
    assert_int_equal(atomic_load(&f->log_n), 9);
    assert_int_equal(atomic_load(&f->peak), 1);
    fleet_free(f);
    tj_free(j);
}

/* A failed element lets go of its slot before its retry delay: the other
 * instance's element gets in, and the retry waits for it. */
static void test_limit_elements_retry_releases(void **state)
{
    static const aj_retry_policy again = { .max_retries = 1, .backoff = AJ_BACKOFF_FIXED,
                                           .delay_ns = MS };
    static const aj_limit_def one = { "db", 1 };
    fleet *f = fleet_new(2);
    tj_job *j = fan(&one, 1, USE0, 1, false);
    tj_run *r;

    (void)state;
    j->steps[EACH].retry = &again;
    r = fan_run(f, j, 100, 1);
    r->behave[EACH].fails = 1;
    r->behave[EACH].gate = &f->gate;
    r->behave[EACH].started = &f->started;
    fleet_start(f, r, NULL);
    sem_wait(&f->started);
    fleet_start(f, fan_run(f, j, 200, 1), NULL);
    fleet_await_waiting(f->rt, "db", 1);
    tj_gate_open(&f->gate);
    fleet_wait_all(f, 0, AJ_OK);
    assert_int_equal(atomic_load(&f->log_n), 3);
    assert_int_equal(f->log[0], 100);
    assert_int_equal(f->log[1], 200);
    assert_int_equal(f->log[2], 100);
    assert_int_equal(atomic_load(&r->attempts[EACH]), 2);
    fleet_free(f);
    tj_free(j);
}

/* Cancelled, an instance's waiting elements leave the queue at once and
 * end cancelled unrun, while the holder keeps the slot; the other
 * instance's stay. A rerun then runs every element. */
static void test_limit_elements_cancel(void **state)
{
    held *h = *state;
    fleet *f = h->f;
    aj_instance *w = fleet_start(f, fan_run(f, h->fan, 100, 5), NULL);

    fleet_await_waiting(f->rt, "db", 5);
    fleet_start(f, fan_run(f, h->fan, 200, 2), NULL);
    fleet_await_waiting(f->rt, "db", 7);
    aj_instance_cancel(w);
    assert_int_equal(aj_instance_wait(w, -1), AJ_ECANCELED);
    assert_int_equal(fleet_info(w, EACH).state, AJ_STEP_CANCELLED);
    assert_int_equal(fleet_info(w, SUM).state, AJ_STEP_CANCELLED);
    assert_int_equal(atomic_load(&f->run[1]->attempts[EACH]), 0);
    assert_int_equal(fleet_peek(f->rt, "db").n_waiting, 2);
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 1);
    tj_gate_open(&f->gate);
    fleet_wait_all(f, 2, AJ_OK);
    assert_int_equal(aj_instance_rerun(w), AJ_OK);
    assert_int_equal(aj_instance_wait(w, -1), AJ_OK);
    assert_int_equal(tj_output(w, SUM), fan_sum(5));
    assert_int_equal(atomic_load(&f->run[1]->attempts[EACH]), 5);
}

/* An element let in while no worker is free, then cancelled before it
 * runs, lets go of the slot it was given. A blocking step holds db on the
 * pool; the one worker is busy when db frees. */
static void test_limit_elements_cancel_let_in(void **state)
{
    static const aj_limit_def one = { "db", 1 };
    fleet *f = fleet_new(1);
    tj_job *io = fleet_job("io", 1, &one, 1, USE0, 1);
    tj_job *busy = tj_new("busy", 1, NULL, NULL, NULL, 0);
    tj_job *jf = fan(&one, 1, USE0, 1, false);
    tj_gate io_gate;
    tj_run *r;
    aj_instance *w;

    (void)state;
    tj_gate_init(&io_gate);
    tj_set_blocking(io, 0, true);
    r = fleet_run(f, io, 0);
    r->behave[0].gate = &io_gate;
    r->behave[0].started = &f->started;
    fleet_start(f, r, NULL);
    sem_wait(&f->started);
    w = fleet_start(f, fan_run(f, jf, 100, 2), NULL);
    fleet_await_waiting(f->rt, "db", 2);
    fleet_holder(f, busy, 1);
    sem_wait(&f->started);
    tj_gate_open(&io_gate);
    fleet_await_waiting(f->rt, "db", 1);
    aj_instance_cancel(w);
    assert_int_equal(aj_instance_wait(w, -1), AJ_ECANCELED);
    assert_int_equal(atomic_load(&f->run[1]->attempts[EACH]), 0);
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 0);
    assert_int_equal(fleet_peek(f->rt, "db").n_waiting, 0);
    fleet_free(f);
    tj_gate_destroy(&io_gate);
    tj_free(io);
    tj_free(busy);
    tj_free(jf);
}

/* Fail-fast: another step's failure cancels the instance, and its
 * waiting elements leave the queue at once; the failure is the cause. */
static void test_limit_elements_fail_fast(void **state)
{
    aj_start_opts o = { .fail_fast = true };
    tj_job *j, *jf = fan(DB, 1, USE0, 1, true);
    fleet *f = fleet_slot_held(3, &j); /* Bad holds a worker too */
    tj_gate bad_gate;
    tj_run *r;

    (void)state;
    tj_gate_init(&bad_gate);
    r = fan_run(f, jf, 100, 4);
    r->behave[BAD].fails = -1;
    r->behave[BAD].gate = &bad_gate;
    fleet_start(f, r, &o);
    fleet_await_waiting(f->rt, "db", 4);
    tj_gate_open(&bad_gate);
    assert_int_equal(aj_instance_wait(f->inst[1], -1), -7);
    assert_int_equal(fleet_info(f->inst[1], EACH).state, AJ_STEP_CANCELLED);
    assert_int_equal(fleet_peek(f->rt, "db").n_waiting, 0);
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 1);
    assert_int_equal(atomic_load(&r->attempts[EACH]), 0);
    fleet_free(f);
    tj_gate_destroy(&bad_gate);
    tj_free(j);
    tj_free(jf);
}

/* Growing the limit lets waiting elements in at once: they all run while
 * the holder keeps its slot. */
static void test_limit_elements_grow(void **state)
{
    held *h = *state;
    fleet *f = h->f;

    fleet_start(f, fan_run(f, h->fan, 100, 4), NULL);
    fleet_await_waiting(f->rt, "db", 4);
    assert_int_equal(aj_runtime_set_limit(f->rt, "db", 3), AJ_OK);
    assert_int_equal(aj_instance_wait(f->inst[1], -1), AJ_OK);
    assert_int_equal(tj_output(f->inst[1], SUM), fan_sum(4));
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 1);
    assert_true(atomic_load(&f->peak) <= 3);
}

/* No element, no slot: the mapped step completes at once, though the
 * only slot is held. */
static void test_limit_elements_none(void **state)
{
    held *h = *state;
    fleet *f = h->f;

    fleet_start(f, fan_run(f, h->fan, 100, 0), NULL);
    assert_int_equal(aj_instance_wait(f->inst[1], -1), AJ_OK);
    assert_int_equal(tj_output(f->inst[1], SUM), 1);
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 1);
    assert_int_equal(fleet_peek(f->rt, "db").n_waiting, 0);
}

/* The expansion's one allocation fails: the mapped step fails with
 * AJ_ENOMEM, its elements never ran, and no slot stays taken. */
static void test_limit_elements_expansion_fails(void **state)
{
    fleet *f = fleet_new(2);
    tj_job *j = fan(DB, 1, USE0, 1, false);
    tj_run *r = fan_run(f, j, 100, 8);
    long failed = aj__test_alloc_failed();
    aj_failure why;

    (void)state;
    r->behave[LIST].gate = &f->gate;
    r->behave[LIST].started = &f->started;
    fleet_start(f, r, NULL);
    sem_wait(&f->started);
    aj__test_fail_alloc(1);
    tj_gate_open(&f->gate);
    assert_int_equal(aj_instance_wait(f->inst[0], -1), AJ_ENOMEM);
    aj__test_fail_alloc(0);
    assert_int_equal(aj__test_alloc_failed(), failed + 1);
    assert_int_equal(aj_instance_failure(f->inst[0], &why), AJ_ENOMEM);
    assert_int_equal(why.step, EACH);
    assert_int_equal(atomic_load(&r->attempts[EACH]), 0);
    assert_int_equal(fleet_peek(f->rt, "db").in_use, 0);
    assert_int_equal(fleet_peek(f->rt, "db").n_waiting, 0);
    fleet_free(f);
    tj_free(j);
}

/* Sequential instances: the starter's thread waits for each element's
 * slot in turn; a cancel ends another one's wait at once. */
static void test_limit_elements_sequential(void **state)
{
    held *h = *state;
    fleet *f = h->f;
    fleet_seq a = { .f = f, .run = fan_run(f, h->fan, 100, 3) };
    fleet_seq b = { .f = f, .run = fan_run(f, h->fan, 200, 3) };
    pthread_t ta = fleet_seq_pair(f, &a, &b);

    assert_int_equal(fleet_info(b.inst, EACH).state, AJ_STEP_CANCELLED);
    assert_int_equal(atomic_load(&b.run->attempts[EACH]), 0);
    assert_int_equal(fleet_peek(f->rt, "db").n_waiting, 1);
    fleet_seq_finish(f, ta, &a);
    assert_int_equal(tj_output(a.inst, SUM), fan_sum(3));
    assert_int_equal(atomic_load(&f->log_n), 4);
    for (uint32_t k = 0; k < 3; k++)
        assert_int_equal(f->log[1 + k], 100 + k);
    fleet_seq_free(&a);
    fleet_seq_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_elements_never_over_n),
        cmocka_unit_test_setup_teardown(test_limit_elements_fifo, held_setup, held_teardown),
        cmocka_unit_test(test_limit_elements_two_limits),
        cmocka_unit_test_setup_teardown(test_limit_elements_blocking, held_setup, held_teardown),
        cmocka_unit_test(test_limit_elements_async),
        cmocka_unit_test(test_limit_elements_retry_releases),
        cmocka_unit_test_setup_teardown(test_limit_elements_cancel, held_setup, held_teardown),
        cmocka_unit_test(test_limit_elements_cancel_let_in),
        cmocka_unit_test(test_limit_elements_fail_fast),
        cmocka_unit_test_setup_teardown(test_limit_elements_grow, held_setup, held_teardown),
        cmocka_unit_test_setup_teardown(test_limit_elements_none, held_setup, held_teardown),
        cmocka_unit_test(test_limit_elements_expansion_fails),
        cmocka_unit_test_setup_teardown(test_limit_elements_sequential, held_setup, held_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
