/*
 * test_limit.c: limits (`limit db = N; ... uses db`). Never more than N
 * attempts inside at once, across instances and jobs; waiters let in
 * first come first served; a cancel takes its waiting steps out of the
 * queues at once; several limits on one step do not deadlock; sizes change
 * live; blocking, async, retried and sequential steps take and let go of
 * their slots; a runtime is freed with waiters gone; inconsistent tables
 * are refused. Steps count and log (tjob.c); waits on a limit's queue are
 * seen through the runtime's own counts; the main thread asserts.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define MS 1000000LL
#define MAX_FLEET 64

static const aj_limit_def DB[] = { { "db", 3 } };
static const aj_limit_def AB[] = { { "a", 1 }, { "b", 1 } };
static const uint32_t USE0[] = { 0 }, USE1[] = { 1 }, USE01[] = { 0, 1 };

/* n independent steps, each using the limits at uses (n_uses of them). */
static tj_job *limited(const char *name, uint32_t n, const aj_limit_def *limits,
                       uint32_t n_limits, const uint32_t *uses, uint32_t n_uses)
{
    tj_job *j = tj_new(name, n, NULL, NULL, NULL, 0);

    assert_non_null(j);
    tj_set_limits(j, n_limits, limits);
    for (uint32_t i = 0; i < n; i++)
        tj_set_uses(j, i, n_uses, uses);
    return j;
}

/* Instances of jobs, each with its own script, and what they share. */
typedef struct fleet {
    aj_runtime *rt;
    uint32_t n;
    tj_run *run[MAX_FLEET];
    aj_instance *inst[MAX_FLEET];
    _Atomic int within, peak;
    uint32_t log[MAX_FLEET * 4];
    _Atomic uint32_t log_n;
    tj_gate gate;
    sem_t started;
} fleet;

static fleet *fleet_new(unsigned workers)
{
    fleet *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->rt = tj_workers(workers);
    tj_gate_init(&f->gate);
    sem_init(&f->started, 0, 0);
    return f;
}

/* A new script for j, counted and logged with tag, not started yet. */
static tj_run *fleet_run(fleet *f, const tj_job *j, uint32_t tag)
{
    tj_run *r = tj_run_new(j);

    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        r->behave[i].within = &f->within;
        r->behave[i].within_peak = &f->peak;
        r->behave[i].log = f->log;
        r->behave[i].log_n = &f->log_n;
        r->behave[i].tag = tag;
    }
    return r;
}

/* Starts r (with opts) as the fleet's next instance. */
static aj_instance *fleet_start(fleet *f, tj_run *r, const aj_start_opts *o)
{
    assert_true(f->n < MAX_FLEET);
    f->run[f->n] = r;
    f->inst[f->n] = tj_start(f->rt, r->job, r, o);
    return f->inst[f->n++];
}

/* An instance of j whose steps wait on the fleet's gate, posting started. */
static aj_instance *fleet_holder(fleet *f, const tj_job *j, uint32_t tag)
{
    tj_run *r = fleet_run(f, j, tag);

    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        r->behave[i].gate = &f->gate;
        r->behave[i].started = &f->started;
    }
    return fleet_start(f, r, NULL);
}

static void fleet_free(fleet *f)
{
    tj_gate_open(&f->gate);
    for (uint32_t k = 0; k < f->n; k++) {
        aj_instance_free(f->inst[k]);
        assert_int_equal(atomic_load(&f->run[k]->violations), 0);
        tj_run_free(f->run[k]);
    }
    aj_runtime_free(f->rt);
    sem_destroy(&f->started);
    tj_gate_destroy(&f->gate);
    free(f);
}

/* A fleet on workers whose only slot of db is held by an instance of *j,
 * a one-step job that uses db, waiting on the fleet's gate. */
static fleet *slot_held(unsigned workers, tj_job **j)
{
    static const aj_limit_def one = { "db", 1 };
    fleet *f = fleet_new(workers);

    *j = limited("one", 1, &one, 1, USE0, 1);
    fleet_holder(f, *j, 0);
    sem_wait(&f->started);
    return f;
}

static aj__limit_stat peek(aj_runtime *rt, const char *name)
{
    aj__limit_stat st = { 0, 0, 0 };

    assert_int_equal(aj__limit_peek(rt, name, &st), AJ_OK);
    return st;
}

/* Polls until n steps wait for name's slots, or 20 s. */
static void await_waiting(aj_runtime *rt, const char *name, uint32_t n)
{
    struct timespec nap = { 0, 200000 };

    for (int k = 0; k < 100000 && peek(rt, name).n_waiting != n; k++)
        nanosleep(&nap, NULL);
    assert_int_equal(peek(rt, name).n_waiting, n);
}

static aj_step_info info_of(aj_instance *inst, uint32_t step)
{
    aj_step_info info;

    assert_int_equal(aj_instance_step_info(inst, step, &info), AJ_OK);
    return info;
}

/* ------------------------------------------------------------------------ */

/* 8 instances of 10 sleeping steps on 4 workers, through a limit of 3. */
static void test_limit_never_over_n(void **state)
{
    fleet *f = fleet_new(4);
    tj_job *j = limited("ten", 10, DB, 1, USE0, 1);

    (void)state;
    for (uint32_t k = 0; k < 8; k++) {
        tj_run *r = fleet_run(f, j, k);
        for (uint32_t i = 0; i < 10; i++)
            r->behave[i].sleep_ns = MS / 2;
        fleet_start(f, r, NULL);
    }
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
    assert_true(atomic_load(&f->peak) >= 1 && atomic_load(&f->peak) <= 3);
    assert_int_equal(atomic_load(&f->log_n), 80);
    assert_int_equal(peek(f->rt, "db").in_use, 0);
    assert_int_equal(peek(f->rt, "db").n_waiting, 0);
    fleet_free(f);
    tj_free(j);
}

/* Five waiters queue one by one behind a holder of the only slot, holding
 * no thread, pending; they get in in that order. */
static void test_limit_fifo(void **state)
{
    tj_job *j;
    fleet *f = slot_held(2, &j);

    (void)state;
    for (uint32_t k = 1; k <= 5; k++) {
        fleet_start(f, fleet_run(f, j, k), NULL);
        await_waiting(f->rt, "db", k);
        assert_int_equal(info_of(f->inst[k], 0).state, AJ_STEP_PENDING);
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
    tj_job *jb = limited("b", 1, AB, 2, USE1, 1), *jab = limited("ab", 1, AB, 2, USE01, 2);
    tj_job *ja = limited("a", 1, AB, 2, USE0, 1);
    aj_instance *w, *x;

    (void)state;
    fleet_holder(f, jb, 0);
    sem_wait(&f->started);
    w = fleet_start(f, fleet_run(f, jab, 1), NULL);
    await_waiting(f->rt, "b", 1);
    assert_int_equal(peek(f->rt, "a").in_use, 1);
    x = fleet_start(f, fleet_run(f, ja, 2), NULL);
    await_waiting(f->rt, "a", 1);
    aj_instance_cancel(w);
    assert_int_equal(aj_instance_wait(w, -1), AJ_ECANCELED);
    assert_int_equal(info_of(w, 0).state, AJ_STEP_CANCELLED);
    assert_int_equal(info_of(w, 0).attempts, 0);
    /* x got a's slot that w let go of, while the holder still has b's. */
    assert_int_equal(aj_instance_wait(x, -1), AJ_OK);
    assert_int_equal(peek(f->rt, "b").in_use, 1);
    assert_int_equal(peek(f->rt, "b").n_waiting, 0);
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
    tj_job *j1 = limited("ab", 2, AB, 2, USE01, 2), *j2 = limited("ba", 3, AB, 2, USE01, 2);

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
    tj_job *j = limited("one", 1, &one, 1, USE0, 1), *jf = limited("fresh", 1, &fresh, 1, USE0, 1);

    (void)state;
    for (uint32_t k = 0; k < 4; k++)
        fleet_holder(f, j, k);
    sem_wait(&f->started);
    await_waiting(f->rt, "db", 3);
    assert_int_equal(aj_runtime_set_limit(f->rt, "db", 3), AJ_OK);
    sem_wait(&f->started);
    sem_wait(&f->started);
    assert_int_equal(peek(f->rt, "db").in_use, 3);
    assert_int_equal(peek(f->rt, "db").n_waiting, 1);
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
    assert_int_equal(peek(f->rt, "fresh").size, 2);
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
    tj_job *j1 = limited("small", 4, &two, 1, USE0, 1), *j2 = limited("large", 4, &seven, 1, USE0, 1);

    (void)state;
    for (uint32_t k = 0; k < 12; k++) {
        tj_run *r = fleet_run(f, k % 2 ? j2 : j1, k);
        for (uint32_t i = 0; i < 4; i++)
            r->behave[i].sleep_ns = MS / 2;
        fleet_start(f, r, NULL);
    }
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
    assert_int_equal(peek(f->rt, "db").size, 2);
    assert_true(atomic_load(&f->peak) <= 2);
    fleet_free(f);
    tj_free(j1);
    tj_free(j2);
}

/* Blocking steps wait for a slot before the pool, holding none of its
 * threads. */
static void test_limit_blocking(void **state)
{
    aj_limit_def two = { "db", 2 };
    fleet *f = fleet_new(2);
    tj_job *j = limited("io", 1, &two, 1, USE0, 1);
    aj_runtime_stats st;

    (void)state;
    tj_set_blocking(j, 0, true);
    for (uint32_t k = 0; k < 20; k++) {
        tj_run *r = fleet_run(f, j, k);
        r->behave[0].sleep_ns = MS;
        fleet_start(f, r, NULL);
    }
    for (uint32_t k = 0; k < f->n; k++) {
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
        assert_int_equal(atomic_load(&f->run[k]->on_pool[0]), 1);
    }
    assert_true(atomic_load(&f->peak) <= 2);
    assert_int_equal(aj_runtime_get_stats(f->rt, &st), AJ_OK);
    assert_true(st.blocking_peak <= 6);
    fleet_free(f);
    tj_free(j);
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
    tj_job *j = limited("later", 1, &one, 1, USE0, 1);
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
        info[k] = info_of(f->inst[k], 0);
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
    tj_job *j = limited("retry", 1, &one, 1, USE0, 1);
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
    await_waiting(f->rt, "db", 1);
    tj_gate_open(&f->gate);
    for (uint32_t k = 0; k < f->n; k++)
        assert_int_equal(aj_instance_wait(f->inst[k], -1), AJ_OK);
    assert_int_equal(atomic_load(&f->log_n), 3);
    assert_int_equal(f->log[0], 0);
    assert_int_equal(f->log[1], 1);
    assert_int_equal(f->log[2], 0);
    assert_int_equal(info_of(f->inst[0], 0).attempts, 2);
    fleet_free(f);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Sequential instances: the starter's thread waits                         */

typedef struct seq_start {
    fleet *f;
    tj_run *run;
    aj_instance *inst;
    _Atomic(const aj_instance *) seen;  /* by the observer, at the first step */
    int rc;
} seq_start;

static void seen_start(void *arg, const aj_step_event *ev)
{
    seq_start *s = arg;

    atomic_store(&s->seen, ev->instance);
}

static void *run_sequential(void *arg)
{
    seq_start *s = arg;
    aj_observer obs = { .step_start = seen_start, .arg = s };
    aj_start_opts o = { .sequential = true, .observer = &obs };
    tj_inputs in = { s->run };

    s->rc = aj_instance_start(s->f->rt, &s->run->job->def, &in, &o, &s->inst);
    return NULL;
}

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
    fleet *f = slot_held(2, &j);
    seq_start a = { .f = f }, b = { .f = f };
    pthread_t ta, tb;

    (void)state;
    a.run = fleet_run(f, js, 1);
    b.run = fleet_run(f, js, 2);
    assert_int_equal(pthread_create(&ta, NULL, run_sequential, &a), 0);
    await_waiting(f->rt, "db", 1);
    assert_int_equal(pthread_create(&tb, NULL, run_sequential, &b), 0);
    await_waiting(f->rt, "db", 2);
    aj_instance_cancel((aj_instance *)atomic_load(&b.seen));
    assert_int_equal(pthread_join(tb, NULL), 0);
    assert_int_equal(b.rc, AJ_OK);
    assert_int_equal(aj_instance_wait(b.inst, -1), AJ_ECANCELED);
    assert_int_equal(info_of(b.inst, 1).state, AJ_STEP_CANCELLED);
    assert_int_equal(peek(f->rt, "db").in_use, 1);
    tj_gate_open(&f->gate);
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(a.rc, AJ_OK);
    assert_int_equal(aj_instance_wait(a.inst, -1), AJ_OK);
    assert_int_equal(atomic_load(&a.run->attempts[1]), 1);
    assert_int_equal(atomic_load(&b.run->attempts[1]), 0);
    aj_instance_free(a.inst);
    aj_instance_free(b.inst);
    tj_run_free(a.run);
    tj_run_free(b.run);
    fleet_free(f);
    tj_free(j);
    tj_free(js);
}

/* Freeing waiting instances cancels them while the slot is held; the
 * runtime is freed once the rest are. */
static void test_limit_free_runtime_with_waiters(void **state)
{
    tj_job *j;
    fleet *f = slot_held(2, &j);

    (void)state;
    for (uint32_t k = 1; k <= 3; k++)
        fleet_start(f, fleet_run(f, j, k), NULL);
    await_waiting(f->rt, "db", 3);
    aj_instance_free(f->inst[1]);
    f->inst[1] = NULL;
    await_waiting(f->rt, "db", 2);
    assert_int_equal(peek(f->rt, "db").in_use, 1);
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
    tj_job *j = limited("bad", 1, AB, 2, USE01, 2);
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
