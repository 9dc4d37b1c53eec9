/*
 * test_shapes.c: the jobs of tests/cases/good/shapes/shapes.job run on the
 * runtime: a job with no inputs and no outputs, DOT-keyword step names, an
 * edge that is data and `after` at once, impl, a custom retry function
 * (declared by the generated header), a type's free function, twelve
 * inputs into one step, an array typedef as a job input, a step input and
 * the result, _Bool, NULL arguments to the contract functions, and the
 * tables' invariants for every job.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "check_def.h"
#include "shapes.job.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int only_runs, bufs_freed, decisions, subgraph_runs;
static atomic_int edge_before_node; /* node saw edge's value */
static atomic_int foreign_bufs;     /* buf_free got a pointer it did not own */
static struct buf the_buf = { 5 };

/* cppcheck-suppress constParameter ; the free function shapes_lib.h declares */
void buf_free(struct buf *b)
{
    /* Any thread may free outputs: record, and assert on the main thread. */
    atomic_fetch_add(b == &the_buf ? &bufs_freed : &foreign_bufs, 1);
}

int lone_only(aj_ctx *ctx)
{
    (void)ctx;
    atomic_fetch_add(&only_runs, 1);
    return 0;
}

bool shapes_decide(const aj_ctx *ctx, int err, uint32_t retry, int64_t *delay_ns)
{
    (void)ctx;
    atomic_fetch_add(&decisions, 1);
    *delay_ns = 0;
    return err == 11 && retry == 0; /* one retry, for error 11 only */
}

int graphy_node(aj_ctx *ctx, int base, Text label, int v, Buf b, int *out)
{
    (void)ctx;
    (void)label;
    atomic_store(&edge_before_node, v == base + 1);
    *out = v + b->value;
    return 0;
}

int graphy_edge(aj_ctx *ctx, int base, Text label, int *out)
{
    (void)ctx;
    (void)label;
    *out = base + 1;
    return 0;
}

int graphy_graph(aj_ctx *ctx, int base, Text label, Buf *out)
{
    (void)ctx;
    (void)base;
    (void)label;
    *out = &the_buf;
    return 0;
}

int graphy_subgraph(aj_ctx *ctx, int base, Text label, int v, Text *out)
{
    (void)ctx;
    (void)base;
    (void)v;
    if (atomic_fetch_add(&subgraph_runs, 1) == 0)
        return 11; /* the custom policy retries this once */
    *out = label;
    return 0;
}

int shapes_strict(aj_ctx *ctx, int base, Text label, Text t, uint64_t *out)
{
    (void)ctx;
    (void)label;
    *out = (uint64_t)strlen(t) * 1000 + (uint64_t)base;
    return aj_ctx_deadline_ns(ctx) == INT64_MAX ? 1 : 0; /* `timeout 5s` gives a deadline */
}

int graphy_digraph(aj_ctx *ctx, int base, Text label)
{
    (void)ctx;
    (void)base;
    (void)label;
    return 0;
}

int graphy_Node(aj_ctx *ctx, int base, Text label, uint64_t n, int *out)
{
    (void)ctx;
    (void)base;
    (void)label;
    *out = (int)n;
    return 0;
}

int graphy_EDGE(aj_ctx *ctx, int base, Text label, int a)
{
    (void)ctx;
    (void)label;
    return a == 4 * 1000 + base ? 0 : 3;
}

#define ROOT(k)                                   \
    int wide_r##k(aj_ctx *ctx, int *calls, int *out) \
    {                                             \
        (void)ctx;                                \
        (void)calls;                              \
        *out = 1 << (k);                          \
        return 0;                                 \
    }
ROOT(0) ROOT(1) ROOT(2) ROOT(3) ROOT(4) ROOT(5) ROOT(6) ROOT(7) ROOT(8) ROOT(9) ROOT(10) ROOT(11)

int wide_sink(aj_ctx *ctx, int *calls, int a0, int a1, int a2, int a3, int a4, int a5, int a6,
              int a7, int a8, int a9, int a10, int a11, int *out)
{
    (void)ctx;
    (*calls)++;
    *out = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    return 0;
}

int tagged_pass(aj_ctx *ctx, struct tag_in *in_ptr, struct tag_in **out)
{
    (void)ctx;
    *out = in_ptr;
    return 0;
}

/* The tags are never completed: the job only moves the pointers along.
 * The parameters' types come from the generated prototype. */
// cppcheck-suppress constParameter
int tagged_wrap(aj_ctx *ctx, struct tag_in *in_ptr, struct tag_in *p, union tag_box **out)
{
    (void)ctx;
    *out = (union tag_box *)(void *)(p == in_ptr ? p : NULL);
    return 0;
}

static void test_shapes_tagged_job(void **state)
{
    static char storage;
    struct tag_in *in = (struct tag_in *)(void *)&storage;
    union tag_box *box = NULL;
    tagged *job;
    (void)state;

    assert_int_equal(tagged_start(NULL, in, NULL, &job), AJ_OK);
    assert_int_equal(tagged_wait(job, -1), AJ_OK);
    assert_int_equal(tagged_result(job, &box), AJ_OK);
    assert_ptr_equal(box, (void *)in);
    tagged_free(job);
}

static void test_shapes_lone_job(void **state)
{
    (void)state;
    lone *job;
    assert_int_equal(lone_start(NULL, NULL, &job), AJ_OK);
    assert_int_equal(lone_wait(job, -1), AJ_OK);
    lone_free(job);
    assert_int_equal(atomic_load(&only_runs), 1);
    assert_int_equal(lone_def.inputs_size, 0);
    assert_int_equal(lone_def.outputs_size, 0);
    assert_null(lone_def.edges);
}

static void test_shapes_graphy_job(void **state)
{
    (void)state;
    graphy *job;
    uint64_t r = 0;
    assert_int_equal(graphy_start(NULL, 7, "four", NULL, &job), AJ_OK);
    assert_int_equal(graphy_wait(job, -1), AJ_OK);
    assert_int_equal(graphy_result(job, &r), AJ_OK);
    assert_int_equal(r, 4 * 1000 + 7);
    assert_int_equal(atomic_load(&edge_before_node), 1);
    assert_int_equal(atomic_load(&subgraph_runs), 2);
    assert_int_equal(atomic_load(&decisions), 1);
    graphy_free(job);
    assert_int_equal(atomic_load(&bufs_freed), 1); /* the Buf output, once */
    assert_int_equal(atomic_load(&foreign_bufs), 0);
}

static void test_shapes_data_and_after_edge_is_one(void **state)
{
    (void)state;
    int32_t node = aj_job_def_find_step(&graphy_def, "node");
    int32_t edge = aj_job_def_find_step(&graphy_def, "edge");
    unsigned found = 0;
    for (uint32_t k = 0; k < graphy_def.n_edges; k++)
        if (graphy_def.edges[k].from == (uint32_t)edge && graphy_def.edges[k].to == (uint32_t)node) {
            assert_int_equal(graphy_def.edges[k].kind, AJ_EDGE_DATA | AJ_EDGE_AFTER);
            found++;
        }
    assert_int_equal(found, 1);
    assert_int_equal(graphy_def.exec[node].n_preds, 2); /* edge and graph */
}

static void test_shapes_wide_job(void **state)
{
    (void)state;
    wide *job;
    int calls = 0, sum = 0;
    aj_start_opts seq = { .sequential = true };
    assert_int_equal(wide_start(NULL, &calls, &seq, &job), AJ_OK);
    assert_int_equal(wide_wait(job, -1), AJ_OK);
    assert_int_equal(wide_take(job, &sum), AJ_OK);
    assert_int_equal(sum, (1 << 12) - 1);
    assert_int_equal(calls, 1);
    wide_free(job);
    assert_int_equal(wide_def.n_roots, 12);
    assert_int_equal(wide_def.n_levels, 2);
}

/* Each step's value tells which step made it from what. */
int relay_seed(aj_ctx *ctx, long base, long *out)
{
    *out = base * 10 + aj_ctx_step_index(ctx);
    return 0;
}

int relay_add(aj_ctx *ctx, long base, long x, long *out)
{
    (void)base;
    *out = x * 10 + aj_ctx_step_index(ctx);
    return 0;
}

int relay_mix(aj_ctx *ctx, long base, long x, long y, long *out)
{
    (void)base;
    *out = x * 1000 + y * 10 + aj_ctx_step_index(ctx);
    return 0;
}

/* Two seeds, three adds and two mixes: three wrappers for seven steps,
 * each step still reading its own inputs and writing its own output, on
 * the runtime's threads and in sequential mode. */
static void test_shapes_relay_shares_wrappers(void **state)
{
    const aj_step_exec *s = relay_def.exec;
    long a = 7 * 10 + 0, b = 7 * 10 + 1, c = a * 10 + 2, d = b * 10 + 3, e = d * 10 + 4;
    long f = c * 1000 + e * 10 + 5, g = f * 1000 + a * 10 + 6;

    (void)state;
    assert_ptr_equal(s[0].run, s[1].run);
    assert_ptr_equal(s[2].run, s[3].run);
    assert_ptr_equal(s[3].run, s[4].run);
    assert_ptr_equal(s[5].run, s[6].run);
    assert_true(s[0].run != s[2].run && s[2].run != s[5].run);
    for (int mode = 0; mode < 2; mode++) {
        aj_start_opts o = { .sequential = mode == 1 };
        relay *job;
        long out = 0;
        assert_int_equal(relay_start(NULL, 7, &o, &job), AJ_OK);
        assert_int_equal(relay_wait(job, -1), AJ_OK);
        assert_int_equal(relay_result(job, &out), AJ_OK);
        assert_true(out == g);
        relay_free(job);
    }
}

/* A NULL where the contract functions write or read is refused before
 * anything happens: start runs no step, result and take leave the output
 * in place. */
static void test_shapes_null_arguments_are_refused(void **state)
{
    aj_start_opts seq = { .sequential = true };
    int calls = 0, sum = 0;
    wide *job;

    (void)state;
    assert_int_equal(wide_start(NULL, &calls, &seq, NULL), AJ_EINVAL);
    assert_int_equal(calls, 0); /* sequential: it would have run inside start */
    assert_int_equal(lone_start(NULL, &seq, NULL), AJ_EINVAL);
    assert_int_equal(wide_start(NULL, &calls, &seq, &job), AJ_OK);
    assert_int_equal(wide_result(job, NULL), AJ_EINVAL);
    assert_int_equal(wide_take(job, NULL), AJ_EINVAL);
    assert_int_equal(wide_take(job, &sum), AJ_OK); /* not taken by the refused call */
    assert_int_equal(sum, (1 << 12) - 1);
    wide_free(job);
    assert_int_equal(wide_result(NULL, &sum), AJ_EINVAL);
    assert_int_equal(wide_take(NULL, &sum), AJ_EINVAL);
    assert_int_equal(wide_wait(NULL, 0), AJ_EINVAL);
    assert_null(wide_instance(NULL));
    wide_cancel(NULL);
    wide_free(NULL);
}

/* vec4 is an array type: the job input arrives as a pointer to its first
 * element, and the steps see the instance's copy of it. */
int typed_copy(aj_ctx *ctx, vec4 v, bool flip, vec4 *out)
{
    (void)ctx;
    for (int k = 0; k < 4; k++)
        (*out)[k] = flip ? -v[k] : v[k];
    return 0;
}

int typed_negative(aj_ctx *ctx, vec4 v, bool flip, vec4 w, bool *out)
{
    (void)ctx;
    (void)v;
    (void)flip;
    *out = w[0] < 0;
    return 0;
}

static atomic_int checked; /* bit 0: check ran, bit 1: its inputs agreed */

int typed_check(aj_ctx *ctx, vec4 v, bool flip, bool b, vec4 w)
{
    (void)ctx;
    atomic_store(&checked, 1 | (b == flip && w[3] == (flip ? -v[3] : v[3])) << 1);
    return 0;
}

static void test_shapes_array_typedef_and_bool(void **state)
{
    vec4 v = { 1, 2, 3, 4 }, r = { 0 };
    typed *job;

    (void)state;
    assert_int_equal(typed_start(NULL, v, true, NULL, &job), AJ_OK);
    memset(v, 0, sizeof v); /* the instance has its own copy */
    assert_int_equal(typed_wait(job, -1), AJ_OK);
    assert_int_equal(typed_result(job, &r), AJ_OK);
    assert_int_equal(r[0], -1);
    assert_int_equal(r[3], -4);
    assert_int_equal(atomic_load(&checked), 3);
    typed_free(job);
}

/* waits: who ran each step, and on which thread. */
static pthread_t waits_thread[3];

int waits_blocking(aj_ctx *ctx, int base, int *out)
{
    (void)ctx;
    waits_thread[0] = pthread_self();
    *out = base + 1;
    return 0;
}

int waits_slow(aj_ctx *ctx, int base, int blocking, int *out)
{
    (void)ctx;
    waits_thread[1] = pthread_self();
    *out = blocking * 10 + base;
    return 0;
}

int waits_quick(aj_ctx *ctx, int base, int v, int *out)
{
    (void)ctx;
    (void)base;
    waits_thread[2] = pthread_self();
    *out = v + 1;
    return 0;
}

/* `blocking` marks the run rows, a name 'blocking' is a name, and blocking
 * steps never run on the waiting thread, unless the instance is sequential. */
static void test_shapes_waits_blocking_steps(void **state)
{
    const aj_step_exec *x = waits_def.exec;

    (void)state;
    assert_int_equal(x[0].flags, AJ_STEP_BLOCKING);
    assert_int_equal(x[1].flags, AJ_STEP_TIMED | AJ_STEP_BLOCKING);
    assert_int_equal(x[2].flags, 0);
    for (int mode = 0; mode < 2; mode++) {
        aj_start_opts o = { .sequential = mode == 1 };
        waits *job;
        int out = 0;
        assert_int_equal(waits_start(NULL, 3, &o, &job), AJ_OK);
        assert_int_equal(waits_wait(job, -1), AJ_OK);
        assert_int_equal(waits_result(job, &out), AJ_OK);
        assert_int_equal(out, (3 + 1) * 10 + 3 + 1);
        for (int i = 0; i < 2; i++)
            assert_true(pthread_equal(waits_thread[i], pthread_self()) == (mode == 1));
        waits_free(job);
    }
}

/* replies: async's done comes from a thread of its own, ping's and grid's
 * before their functions return; grid fails once and is retried. */
static pthread_t replies_helper;
static atomic_int grid_calls;

static void *replies_later(void *reply)
{
    replies_async_done(reply, 0, &the_buf);
    return NULL;
}

int replies_async(aj_ctx *ctx, int base, replies_async_reply *reply)
{
    (void)ctx;
    (void)base;
    if (pthread_create(&replies_helper, NULL, replies_later, reply) != 0)
        return 12;
    return AJ_PENDING;
}

int replies_ping(aj_ctx *ctx, int base, replies_ping_reply *reply)
{
    (void)base;
    replies_ping_done(reply, aj_ctx_reply(ctx) == (aj_reply *)reply ? 0 : 1);
    return AJ_PENDING;
}

int replies_grid(aj_ctx *ctx, int base, Buf b, replies_grid_reply *reply)
{
    vec4 v = { b->value, base, 0, 1 };

    (void)ctx;
    if (atomic_fetch_add(&grid_calls, 1) % 2 == 0)
        return 11; /* failed without calling done: retried */
    replies_grid_done(reply, 0, v);
    return AJ_PENDING;
}

int replies_total(aj_ctx *ctx, int base, vec4 g, int *out)
{
    (void)ctx;
    (void)base;
    *out = g[0] + g[1] + g[2] + g[3];
    return 0;
}

/* `async` marks the run rows, the generated done functions carry outputs
 * of a pointer type and an array type, and the instance frees the async
 * output it owns, once; in sequential mode too. */
static void test_shapes_replies_async_steps(void **state)
{
    const aj_step_exec *x = replies_def.exec;

    (void)state;
    assert_int_equal(x[0].flags, AJ_STEP_TIMED | AJ_STEP_ASYNC);
    assert_int_equal(x[1].flags, AJ_STEP_ASYNC);
    assert_int_equal(x[3].flags, 0);
    for (int mode = 0; mode < 2; mode++) {
        aj_start_opts o = { .sequential = mode == 1 };
        int freed = atomic_load(&bufs_freed), out = 0;
        aj_step_info info;
        replies *job;
        atomic_store(&grid_calls, 0);
        assert_int_equal(replies_start(NULL, 3, &o, &job), AJ_OK);
        assert_int_equal(replies_wait(job, -1), AJ_OK);
        assert_int_equal(pthread_join(replies_helper, NULL), 0);
        assert_int_equal(replies_result(job, &out), AJ_OK);
        assert_int_equal(out, 5 + 3 + 0 + 1);
        assert_int_equal(aj_instance_step_info(replies_instance(job), 2, &info), AJ_OK);
        assert_int_equal(info.attempts, 2);
        replies_free(job);
        assert_int_equal(atomic_load(&bufs_freed), freed + 1);
    }
    assert_int_equal(atomic_load(&foreign_bufs), 0);
}

static void test_shapes_tables_keep_the_rules(void **state)
{
    (void)state;
    const aj_job_def *defs[] = { &lone_def,  &graphy_def, &wide_def,
                                 &tagged_def, &relay_def, &typed_def,
                                 &waits_def, &replies_def };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        const char *err = check_def(defs[i]);
        if (err != NULL)
            fail_msg("%s_def: %s", defs[i]->name, err);
    }
}

/* The runtime draws the generated tables of every job of the file as
 * `ajc --dot` drew them from its schedule, with its own writer. */
static void test_shapes_dot_of_tables_is_ajc_dot(void **state)
{
    (void)state;
    const aj_job_def *defs[] = { &lone_def,  &graphy_def, &wide_def,
                                 &tagged_def, &relay_def, &typed_def,
                                 &waits_def, &replies_def };
    const char *err = check_def_dot(defs, sizeof defs / sizeof defs[0],
                                    "tests/cases/good/shapes/expected.dot");
    if (err != NULL)
        fail_msg("%s", err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes_lone_job),
        cmocka_unit_test(test_shapes_graphy_job),
        cmocka_unit_test(test_shapes_data_and_after_edge_is_one),
        cmocka_unit_test(test_shapes_wide_job),
        cmocka_unit_test(test_shapes_tagged_job),
        cmocka_unit_test(test_shapes_relay_shares_wrappers),
        cmocka_unit_test(test_shapes_null_arguments_are_refused),
        cmocka_unit_test(test_shapes_array_typedef_and_bool),
        cmocka_unit_test(test_shapes_waits_blocking_steps),
        cmocka_unit_test(test_shapes_replies_async_steps),
        cmocka_unit_test(test_shapes_tables_keep_the_rules),
        cmocka_unit_test(test_shapes_dot_of_tables_is_ajc_dot),
    };
    return cmocka_run_group_tests_name("generated_shapes", tests, NULL, NULL);
}
