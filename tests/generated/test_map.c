/*
 * test_map.c: the tables, wrappers and prototypes generated for
 * tests/cases/good/map/map.job (an array output, a map over it, maps
 * element by element after it, collects), run on the runtime: empty, one
 * and many elements, retries of some elements, blocking and async mapped
 * steps, what the collectors see and what is freed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "check_def.h"
#include "map.job.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the step functions saw, counted on any thread, asserted on main. */
static struct {
    _Atomic long rows_freed;
    _Atomic long queries;       /* attempts of Query elements */
    _Atomic long fail_every;    /* Query elements i % fail_every == 1 fail once */
    _Atomic bool order_ok;      /* the collectors saw element order */
    _Atomic long sum_n, verdicts_n, names_n;
} seen;

static unsigned char *failed_once; /* by element: it failed its first attempt */

void rows_free(struct rows *r)
{
    atomic_fetch_add(&seen.rows_freed, 1);
    free(r);
}

int map_List(aj_ctx *ctx, struct source *src, int n, int count, Name **out, size_t *n_out)
{
    (void)ctx;
    (void)n;
    *n_out = (size_t)count;
    if (count == 0)
        return 0;
    *out = malloc((size_t)count * sizeof **out);
    if (*out == NULL)
        return AJ_ENOMEM;
    for (int i = 0; i < count; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s%d", src->prefix, i);
        (*out)[i] = strdup(buf);
    }
    return 0;
}

int map_Query(aj_ctx *ctx, struct source *src, int n, Name t, int limit, Rows *out)
{
    (void)n;
    (void)limit;
    size_t i = aj_ctx_index(ctx);
    long every = atomic_load(&seen.fail_every);
    atomic_fetch_add(&seen.queries, 1);
    if (strtol(t + strlen(src->prefix), NULL, 10) != (long)i)
        atomic_store(&seen.order_ok, false);
    if (every > 0 && i % (size_t)every == 1 && !failed_once[i]) {
        failed_once[i] = 1;
        return 7;
    }
    *out = malloc(sizeof **out);
    (*out)->n = (long)i;
    return 0;
}

int map_Count(aj_ctx *ctx, struct source *src, int n, Rows r, long *out)
{
    (void)src;
    (void)n;
    if (r->n != (long)aj_ctx_index(ctx))
        atomic_store(&seen.order_ok, false);
    *out = 2 * r->n;
    return 0;
}

int map_Check(aj_ctx *ctx, struct source *src, int n, long c, map_Check_reply *reply)
{
    (void)ctx;
    (void)src;
    (void)n;
    map_Check_done(reply, 0, c % 3 == 0);
    return AJ_PENDING;
}

int map_Sum(aj_ctx *ctx, struct source *src, int n, const long *counts, size_t n_counts,
            long *out)
{
    (void)ctx;
    (void)src;
    (void)n;
    long sum = 0;
    for (size_t i = 0; i < n_counts; i++) {
        if (counts[i] != 2 * (long)i)
            atomic_store(&seen.order_ok, false);
        sum += counts[i];
    }
    atomic_store(&seen.sum_n, (long)n_counts);
    *out = sum;
    return 0;
}

int map_Verdicts(aj_ctx *ctx, struct source *src, int n, const int *checks, size_t n_checks,
                 int *out)
{
    (void)ctx;
    (void)src;
    (void)n;
    int yes = 0;
    for (size_t i = 0; i < n_checks; i++) {
        if (checks[i] != (i * 2 % 3 == 0))
            atomic_store(&seen.order_ok, false);
        yes += checks[i];
    }
    atomic_store(&seen.verdicts_n, (long)n_checks);
    *out = yes;
    return 0;
}

int map_Names(aj_ctx *ctx, struct source *src, int n, const Name *names, size_t n_names,
              size_t *out)
{
    (void)ctx;
    (void)n;
    for (size_t i = 0; i < n_names; i++)
        if (strncmp(names[i], src->prefix, strlen(src->prefix)) != 0)
            atomic_store(&seen.order_ok, false);
    atomic_store(&seen.names_n, (long)n_names);
    *out = n_names;
    return 0;
}

int map_Total(aj_ctx *ctx, struct source *src, int n, long sum, int bad, size_t k, long *out)
{
    (void)ctx;
    (void)src;
    (void)n;
    *out = sum + bad + (long)k;
    return 0;
}

static uint32_t step_of(const aj_job_def *d, const char *name)
{
    int32_t i = aj_job_def_find_step(d, name);
    assert_true(i >= 0);
    return (uint32_t)i;
}

static void test_map_tables_keep_the_rules(void **state)
{
    (void)state;
    const char *err = check_def(&map_def);
    if (err != NULL)
        fail_msg("%s", err);
}

static void test_map_dot_of_tables_is_ajc_dot(void **state)
{
    (void)state;
    const aj_job_def *defs[] = { &map_def };
    const char *err = check_def_dot(defs, 1, "tests/cases/good/map/expected.dot");
    if (err != NULL)
        fail_msg("%s", err);
}

static void test_map_flags_sources_and_sizes(void **state)
{
    (void)state;
    const aj_job_def *d = &map_def;
    uint32_t list = step_of(d, "List"), query = step_of(d, "Query"), count = step_of(d, "Count");
    uint32_t check = step_of(d, "Check"), sum = step_of(d, "Sum");
    assert_int_equal(d->exec[list].flags, AJ_STEP_ARRAY);
    assert_int_equal(d->exec[query].flags, AJ_STEP_TIMED | AJ_STEP_MAPPED);
    assert_int_equal(d->exec[count].flags, AJ_STEP_BLOCKING | AJ_STEP_MAPPED);
    assert_int_equal(d->exec[check].flags, AJ_STEP_ASYNC | AJ_STEP_MAPPED);
    assert_int_equal(d->exec[sum].flags, 0);
    assert_int_equal(d->steps[list].map_source, -1);
    assert_int_equal(d->steps[query].map_source, (int32_t)list);
    assert_int_equal(d->steps[count].map_source, (int32_t)query);
    assert_int_equal(d->steps[check].map_source, (int32_t)count);
    assert_int_equal(d->steps[sum].map_source, -1);
    assert_int_equal(d->steps[list].element_size, sizeof(Name));
    assert_int_equal(d->steps[query].element_size, sizeof(Rows));
    assert_int_equal(d->steps[count].element_size, sizeof(long));
    assert_int_equal(d->steps[sum].element_size, 0);
    assert_int_equal(d->steps[list].output_size, sizeof(aj_array));
    assert_int_equal(d->steps[query].output_size, sizeof(aj_array));
    assert_string_equal(d->steps[list].output_type, "Name[]");
    assert_string_equal(d->steps[query].output_type, "Rows");
    assert_non_null(d->steps[list].free_output);  /* each name, then the array */
    assert_non_null(d->steps[query].free_output); /* one element's rows */
    assert_null(d->steps[count].free_output);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_tables_keep_the_rules),
        cmocka_unit_test(test_map_dot_of_tables_is_ajc_dot),
        cmocka_unit_test(test_map_flags_sources_and_sizes),
    };
    (void)failed_once;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
