/*
 * test_map_uses.c: the tables generated for
 * tests/cases/good/map_uses/map_uses.job (mapped steps that use limits:
 * a plain one retried, a blocking one with two limits, an async one), run
 * on the runtime: each element's step function counts itself in the
 * counter of every limit it uses, and no count ever goes over the
 * limit's size, with several instances at once, retries, in sequential
 * mode, and with no element at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "check_def.h"
#include "map_uses.job.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define DB_SIZE 2
#define REPLICA_SIZE 1

/* What the step functions count, on any thread; main asserts. */
struct meter {
    _Atomic int db, db_peak;
    _Atomic int replica, replica_peak;
    _Atomic long queries;  /* attempts of Query elements */
    bool fail_first;       /* each Query element fails its first attempt */
};

/* One more inside; peak keeps the most at once. */
static void enter(_Atomic int *inside, _Atomic int *peak)
{
    int now = atomic_fetch_add(inside, 1) + 1, was = atomic_load(peak);

    while (now > was && !atomic_compare_exchange_weak(peak, &was, now))
        ;
}

/* An attempt's work, inside db and, with replica, inside replica too: a
 * short wait, so that elements on other threads overlap. */
static void metered(struct meter *m, bool replica)
{
    struct timespec ts = { 0, 100000 };

    enter(&m->db, &m->db_peak);
    if (replica)
        enter(&m->replica, &m->replica_peak);
    nanosleep(&ts, NULL);
    if (replica)
        atomic_fetch_sub(&m->replica, 1);
    atomic_fetch_sub(&m->db, 1);
}

int map_uses_Tables(aj_ctx *ctx, struct meter *m, int n, int count, int **out, size_t *n_out)
{
    (void)ctx;
    (void)m;
    (void)n;
    *n_out = (size_t)count;
    if (count == 0)
        return 0;
    *out = malloc((size_t)count * sizeof **out);
    if (*out == NULL)
        return AJ_ENOMEM;
    for (int k = 0; k < count; k++)
        (*out)[k] = k;
    return 0;
}

int map_uses_Query(aj_ctx *ctx, struct meter *m, int n, int t, long *out)
{
    (void)n;
    atomic_fetch_add(&m->queries, 1);
    if (m->fail_first && aj_ctx_attempt(ctx) == 1)
        return 7;
    metered(m, false);
    *out = 10L * t;
    return 0;
}

int map_uses_Fetch(aj_ctx *ctx, struct meter *m, int n, long q, long *out)
{
    (void)ctx;
    (void)n;
    metered(m, true);
    *out = q + 1;
    return 0;
}

/* Done before it returns: counted until done, the slot held until then. */
int map_uses_Check(aj_ctx *ctx, struct meter *m, int n, long f, map_uses_Check_reply *reply)
{
    (void)ctx;
    (void)n;
    metered(m, false);
    map_uses_Check_done(reply, 0, (int)f);
    return AJ_PENDING;
}

int map_uses_Sum(aj_ctx *ctx, struct meter *m, int n, const int *checks, size_t n_checks,
                 long *out)
{
    (void)ctx;
    (void)m;
    (void)n;
    *out = 0;
    for (size_t k = 0; k < n_checks; k++)
        *out += checks[k];
    return 0;
}

/* Steps in declaration order. */
enum { QUERY = 1, FETCH, CHECK };

/* The tables keep every rule, and draw what ajc draws. */
static void test_map_uses_tables_and_dot(void **state)
{
    (void)state;
    const aj_job_def *defs[] = { &map_uses_def };
    const char *err = check_def(&map_uses_def);
    if (err == NULL)
        err = check_def_dot(defs, 1, "tests/cases/good/map_uses/expected.dot");
    if (err != NULL)
        fail_msg("%s", err);
}

/* Limits sorted by name; Fetch's `uses replica, db` taken in that order. */
static void test_map_uses_flags_and_uses(void **state)
{
    (void)state;
    const aj_job_def *d = &map_uses_def;
    assert_int_equal(aj_job_def_find_step(d, "Fetch"), FETCH);
    assert_int_equal(d->n_limits, 2);
    assert_string_equal(d->limits[0].name, "db");
    assert_int_equal(d->limits[0].size, DB_SIZE);
    assert_string_equal(d->limits[1].name, "replica");
    assert_int_equal(d->limits[1].size, REPLICA_SIZE);
    assert_int_equal(d->exec[QUERY].flags, AJ_STEP_LIMITED | AJ_STEP_MAPPED);
    assert_int_equal(d->exec[FETCH].flags, AJ_STEP_BLOCKING | AJ_STEP_LIMITED | AJ_STEP_MAPPED);
    assert_int_equal(d->exec[CHECK].flags, AJ_STEP_ASYNC | AJ_STEP_LIMITED | AJ_STEP_MAPPED);
    assert_int_equal(d->steps[FETCH].n_uses, 2);
    assert_int_equal(d->steps[FETCH].uses[0], 0);
    assert_int_equal(d->steps[FETCH].uses[1], 1);
    assert_int_equal(d->steps[QUERY].n_uses, 1);
    assert_int_equal(d->steps[CHECK].uses[0], 0);
}

/* ------------------------------------------------------------------------ */
/* Runs                                                                      */

#define INSTANCES 4

/* What Sum comes to for n elements: 10 k + 1 each. */
static long expected_sum(long n)
{
    return 5 * n * (n - 1) + n;
}

/* Runs `instances` instances of n elements at once with opts, on a
 * runtime of their own (the definition's sizes), and checks every result
 * and that no limit was ever exceeded. */
static void run_checked(struct meter *m, int instances, int n, const aj_start_opts *opts)
{
    aj_runtime_opts ro = { .n_workers = 4 };
    aj_runtime *rt = aj_runtime_new(&ro);
    map_uses *job[INSTANCES];
    long sum = -1;

    assert_non_null(rt);
    for (int k = 0; k < instances; k++)
        assert_int_equal(map_uses_start(rt, m, n, opts, &job[k]), AJ_OK);
    for (int k = 0; k < instances; k++) {
        assert_int_equal(map_uses_wait(job[k], -1), AJ_OK);
        assert_int_equal(map_uses_result(job[k], &sum), AJ_OK);
        assert_int_equal(sum, expected_sum(n));
        map_uses_free(job[k]);
    }
    aj_runtime_free(rt);
    assert_true(atomic_load(&m->db_peak) <= DB_SIZE);
    assert_true(atomic_load(&m->replica_peak) <= REPLICA_SIZE);
}

static void test_map_uses_never_over_the_limits(void **state)
{
    (void)state;
    struct meter m = { .fail_first = false };
    run_checked(&m, INSTANCES, 12, NULL);
    assert_true(atomic_load(&m.db_peak) >= 1);
    assert_int_equal(atomic_load(&m.queries), INSTANCES * 12);
}

/* A failed attempt lets go of its slot before its retry. */
static void test_map_uses_retries(void **state)
{
    (void)state;
    struct meter m = { .fail_first = true };
    run_checked(&m, INSTANCES, 6, NULL);
    assert_int_equal(atomic_load(&m.queries), 2 * INSTANCES * 6);
}

/* Sequential instances run on this thread, one after the other: each
 * attempt of each element takes its slots here. */
static void test_map_uses_sequential(void **state)
{
    (void)state;
    aj_start_opts opts = { .sequential = true };
    struct meter m = { .fail_first = true };
    run_checked(&m, 2, 5, &opts);
    assert_int_equal(atomic_load(&m.queries), 2 * 2 * 5);
}

static void test_map_uses_no_element(void **state)
{
    (void)state;
    struct meter m = { .fail_first = false };
    run_checked(&m, INSTANCES, 0, NULL);
    assert_int_equal(atomic_load(&m.queries), 0);
    assert_int_equal(atomic_load(&m.db_peak), 0);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_uses_tables_and_dot),
        cmocka_unit_test(test_map_uses_flags_and_uses),
        cmocka_unit_test(test_map_uses_never_over_the_limits),
        cmocka_unit_test(test_map_uses_retries),
        cmocka_unit_test(test_map_uses_sequential),
        cmocka_unit_test(test_map_uses_no_element),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
