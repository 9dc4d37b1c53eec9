/*
 * test_map.c: the tables, wrappers and prototypes generated for
 * tests/cases/good/map/map.job (an array output, a map over it, maps
 * element by element after it, collects), run on the runtime: empty, one
 * and many elements, retries of some elements, blocking and async mapped
 * steps, one that produces nothing, what the collectors see and what is
 * freed.
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
    _Atomic long marks;         /* Mark elements run */
    _Atomic long fail_mark_at;  /* this Mark element fails; -1: none */
    _Atomic long fail_at;       /* this Query element always fails; -1: none */
    _Atomic long elem_events;   /* observer: finish events of elements */
    _Atomic long step_events;   /* observer: finish events of steps */
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
    if ((long)i == atomic_load(&seen.fail_at)) {
        aj_ctx_set_message(ctx, "no such table");
        return 42;
    }
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

int map_Mark(aj_ctx *ctx, struct source *src, int n, long c)
{
    (void)src;
    (void)n;
    if (c != 2 * (long)aj_ctx_index(ctx))
        atomic_store(&seen.order_ok, false);
    atomic_fetch_add(&seen.marks, 1);
    return (long)aj_ctx_index(ctx) == atomic_load(&seen.fail_mark_at) ? 9 : 0;
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
    uint32_t check = step_of(d, "Check"), mark = step_of(d, "Mark"), sum = step_of(d, "Sum");
    assert_int_equal(d->exec[list].flags, AJ_STEP_ARRAY);
    assert_int_equal(d->exec[query].flags, AJ_STEP_TIMED | AJ_STEP_MAPPED);
    assert_int_equal(d->exec[count].flags, AJ_STEP_BLOCKING | AJ_STEP_MAPPED);
    assert_int_equal(d->exec[check].flags, AJ_STEP_ASYNC | AJ_STEP_MAPPED);
    assert_int_equal(d->exec[mark].flags, AJ_STEP_MAPPED);
    assert_int_equal(d->exec[sum].flags, 0);
    assert_int_equal(d->steps[list].map_source, -1);
    assert_int_equal(d->steps[query].map_source, (int32_t)list);
    assert_int_equal(d->steps[count].map_source, (int32_t)query);
    assert_int_equal(d->steps[check].map_source, (int32_t)count);
    assert_int_equal(d->steps[mark].map_source, (int32_t)count);
    assert_int_equal(d->steps[sum].map_source, -1);
    assert_int_equal(d->steps[list].element_size, sizeof(Name));
    assert_int_equal(d->steps[query].element_size, sizeof(Rows));
    assert_int_equal(d->steps[count].element_size, sizeof(long));
    assert_int_equal(d->steps[sum].element_size, 0);
    /* Mark produces nothing: no slot, no outputs of its elements. */
    assert_null(d->steps[mark].output_type);
    assert_int_equal(d->steps[mark].output_size, 0);
    assert_int_equal(d->steps[mark].element_size, 0);
    assert_int_equal(d->steps[list].output_size, sizeof(aj_array));
    assert_int_equal(d->steps[query].output_size, sizeof(aj_array));
    assert_string_equal(d->steps[list].output_type, "Name[]");
    assert_string_equal(d->steps[query].output_type, "Rows");
    assert_non_null(d->steps[list].free_output);  /* each name, then the array */
    assert_non_null(d->steps[query].free_output); /* one element's rows */
    assert_null(d->steps[count].free_output);
}

/* ------------------------------------------------------------------------ */
/* Runs                                                                      */

static aj_runtime *rt;
static struct source src = { "t" };

static void reset_seen(int n)
{
    atomic_store(&seen.rows_freed, 0);
    atomic_store(&seen.queries, 0);
    atomic_store(&seen.fail_every, 0);
    atomic_store(&seen.order_ok, true);
    atomic_store(&seen.sum_n, -1);
    atomic_store(&seen.verdicts_n, -1);
    atomic_store(&seen.names_n, -1);
    atomic_store(&seen.marks, 0);
    atomic_store(&seen.fail_mark_at, -1);
    atomic_store(&seen.fail_at, -1);
    atomic_store(&seen.elem_events, 0);
    atomic_store(&seen.step_events, 0);
    free(failed_once);
    failed_once = calloc((size_t)n + 1, 1);
}

/* What Total comes to for n elements: Sum, Verdicts and Names. */
static long expected_total(long n)
{
    return n * (n - 1) + (n + 2) / 3 + n;
}

/* Starts, waits, checks everything a good run of n elements shows. */
static void run_good(int n, const aj_start_opts *opts)
{
    map *job = NULL;
    long total = -1;
    aj_array rows;
    reset_seen(n);
    atomic_store(&seen.fail_every, 5);
    assert_int_equal(map_start(rt, &src, n, opts, &job), AJ_OK);
    assert_int_equal(map_wait(job, -1), AJ_OK);
    assert_int_equal(map_result(job, &total), AJ_OK);
    assert_int_equal(total, expected_total(n));
    assert_true(atomic_load(&seen.order_ok));
    assert_int_equal(atomic_load(&seen.sum_n), n);
    assert_int_equal(atomic_load(&seen.verdicts_n), n);
    assert_int_equal(atomic_load(&seen.names_n), n);
    assert_int_equal(atomic_load(&seen.marks), n);
    /* Elements 1, 6, 11, ... failed once and ran again. */
    assert_int_equal(atomic_load(&seen.queries), n + (n + 3) / 5);
    assert_int_equal(map_Query_output(job, &rows), AJ_OK);
    assert_int_equal(rows.n, (size_t)n);
    for (int i = 0; i < n; i++)
        assert_int_equal(((Rows *)rows.items)[i]->n, i);
    assert_int_equal(map_take(job, &total), AJ_OK);
    map_free(job);
    assert_int_equal(atomic_load(&seen.rows_freed), n);
}

static void test_map_empty_array_runs_nothing(void **state)
{
    (void)state;
    run_good(0, NULL);
    assert_int_equal(atomic_load(&seen.queries), 0);
}

static void test_map_one_element(void **state)
{
    (void)state;
    run_good(1, NULL);
}

static void test_map_ten_thousand_elements(void **state)
{
    (void)state;
    run_good(10000, NULL);
}

static void test_map_sequential(void **state)
{
    (void)state;
    aj_start_opts opts = { .sequential = true };
    run_good(100, &opts);
    run_good(0, &opts);
}

static void count_finish(void *arg, const aj_step_event *ev)
{
    (void)arg;
    atomic_fetch_add(ev->element >= 0 ? &seen.elem_events : &seen.step_events, 1);
}

static void test_map_observers_see_every_element(void **state)
{
    (void)state;
    aj_observer obs = { .step_finish = count_finish };
    aj_start_opts opts = { .observer = &obs };
    run_good(20, &opts);
    /* Query, Count, Check and Mark: 20 elements each; 9 steps of their own. */
    assert_int_equal(atomic_load(&seen.elem_events), 80);
    assert_int_equal(atomic_load(&seen.step_events), 9);
}

static void test_map_failed_element_is_the_root_cause(void **state)
{
    (void)state;
    map *job = NULL;
    aj_failure f;
    aj_step_info info;
    size_t k = 0;
    reset_seen(10);
    atomic_store(&seen.fail_at, 3);
    assert_int_equal(map_start(rt, &src, 10, NULL, &job), AJ_OK);
    assert_int_equal(map_wait(job, -1), 42);
    assert_int_equal(aj_instance_failure(map_instance(job), &f), 42);
    assert_int_equal(f.step, aj_job_def_find_step(&map_def, "Query"));
    assert_string_equal(f.step_name, "Query[3]");
    assert_string_equal(f.message, "no such table");
    assert_int_equal(f.attempts, 3); /* retry twice: three runs */
    assert_int_equal(aj_instance_step_info(map_instance(job), f.step, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_FAILED);
    assert_int_equal(aj_instance_step_info(map_instance(job),
                                           (uint32_t)aj_job_def_find_step(&map_def, "Sum"), &info),
                     AJ_OK);
    assert_int_equal(info.state, AJ_STEP_SKIPPED);
    /* Names does not depend on Query. */
    assert_int_equal(map_Names_output(job, &k), AJ_OK);
    assert_int_equal(k, 10);
    map_free(job);
    /* The nine elements that completed, freed once each. */
    assert_int_equal(atomic_load(&seen.rows_freed), 9);
}

/* A rerun of a mapped step that produces nothing, after its source
 * completed: its elements run again in place, and the rest finishes. */
static void test_map_rerun_of_a_step_without_output(void **state)
{
    (void)state;
    map *job = NULL;
    long total = -1;
    reset_seen(6);
    atomic_store(&seen.fail_mark_at, 4);
    assert_int_equal(map_start(rt, &src, 6, NULL, &job), AJ_OK);
    assert_int_equal(map_wait(job, -1), 9);
    assert_int_equal(atomic_load(&seen.marks), 6);
    atomic_store(&seen.fail_mark_at, -1);
    assert_int_equal(map_rerun(job), AJ_OK);
    assert_int_equal(map_wait(job, -1), AJ_OK);
    assert_int_equal(atomic_load(&seen.marks), 12);
    assert_int_equal(atomic_load(&seen.queries), 6); /* Query completed: kept */
    assert_int_equal(map_result(job, &total), AJ_OK);
    assert_int_equal(total, expected_total(6));
    assert_true(atomic_load(&seen.order_ok));
    map_free(job);
    assert_int_equal(atomic_load(&seen.rows_freed), 6);
}

/* What fn writes about inst, in a buffer the caller frees. */
static char *picture(int (*fn)(const aj_instance *, FILE *), const aj_instance *inst)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(fn(inst, f), AJ_OK);
    fclose(f);
    return text;
}

static int dot_plain(const aj_instance *inst, FILE *out)
{
    return aj_instance_dot(inst, out, 0);
}

/* DOT draws a mapped step once, with its element count and its elements'
 * states; the trace and Mermaid show every element. */
static void test_map_pictures_show_elements(void **state)
{
    (void)state;
    map *job = NULL;
    char *text;
    reset_seen(5);
    assert_int_equal(map_start(rt, &src, 5, NULL, &job), AJ_OK);
    assert_int_equal(map_wait(job, -1), AJ_OK);
    text = picture(dot_plain, map_instance(job));
    assert_non_null(strstr(text, "[label=\"Query[5]\""));
    assert_non_null(strstr(text, "Elements: 5\\n  completed: 5"));
    assert_null(strstr(text, "Query[5]\\nElements")); /* drawn once */
    free(text);
    text = picture(aj_instance_trace_json, map_instance(job));
    assert_non_null(strstr(text, "\"cat\":\"element\""));
    assert_non_null(strstr(text, "\"element\":4,\"state\":\"completed\""));
    free(text);
    text = picture(aj_instance_mermaid, map_instance(job));
    assert_non_null(strstr(text, "element 4 completed"));
    free(text);
    map_free(job);
}

static int setup(void **state)
{
    (void)state;
    aj_runtime_opts opts = { .n_workers = 4 };
    rt = aj_runtime_new(&opts);
    return rt == NULL;
}

static int teardown(void **state)
{
    (void)state;
    aj_runtime_free(rt);
    free(failed_once);
    return 0;
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_tables_keep_the_rules),
        cmocka_unit_test(test_map_dot_of_tables_is_ajc_dot),
        cmocka_unit_test(test_map_flags_sources_and_sizes),
        cmocka_unit_test(test_map_empty_array_runs_nothing),
        cmocka_unit_test(test_map_one_element),
        cmocka_unit_test(test_map_ten_thousand_elements),
        cmocka_unit_test(test_map_sequential),
        cmocka_unit_test(test_map_observers_see_every_element),
        cmocka_unit_test(test_map_failed_element_is_the_root_cause),
        cmocka_unit_test(test_map_rerun_of_a_step_without_output),
        cmocka_unit_test(test_map_pictures_show_elements),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
