/*
 * test_branches.c: the tables and wrappers generated for
 * tests/cases/good/branches/branches.job: gates (conditions, trigger
 * rules, optional inputs), edge kinds and flags, and literal and job-input
 * sources reaching the step functions. Wrappers are called directly, with
 * no runtime behind them, so that nothing here depends on how the runtime
 * runs a gated step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "check_def.h"
#include "branches.job.h"

#include <stdalign.h>
#include <string.h>

/* Until the runtime defines it, a stand-in that nothing here calls: the
 * Store and done wrappers refer to it. A definition in the library wins. */
__attribute__((weak)) bool aj_ctx_step_completed(const aj_ctx *ctx, uint32_t step)
{
    (void)ctx;
    (void)step;
    return false;
}

/* What the last step function called saw. */
static struct {
    int max, shard, code;
    const char *table, *from;
    long threshold;
    double level;
    float speed;
} seen;

static struct rows the_rows = { 3 };

int branches_Scan(aj_ctx *ctx, int max, const char *table, const char *from, int limit,
                  Rows *out)
{
    (void)ctx;
    seen.max = max;
    seen.table = table;
    seen.from = from;
    *out = &the_rows;
    return limit == max ? 0 : 1;
}

int branches_IsLarge(aj_ctx *ctx, int max, const char *table, Rows r, long threshold, Flag *out)
{
    (void)ctx;
    (void)max;
    (void)table;
    seen.threshold = threshold;
    *out = r->n > 2;
    return 0;
}

int branches_Compress(aj_ctx *ctx, int max, const char *table, Rows r, Ratio level, float speed,
                      Rows *out)
{
    (void)ctx;
    (void)max;
    (void)table;
    seen.level = level;
    seen.speed = speed;
    *out = r;
    return 0;
}

int branches_Copy(aj_ctx *ctx, int max, const char *table, Rows r, Rows *out)
{
    (void)ctx;
    (void)max;
    (void)table;
    *out = r;
    return 0;
}

int branches_Store(aj_ctx *ctx, int max, const char *table, const Rows *packed,
                   const Rows *plain, const char *tag, bool sync, bool dry, void *hint, long *out)
{
    (void)ctx;
    (void)max;
    (void)table;
    *out = (packed != NULL) + (plain != NULL) + (long)strlen(tag) + sync + dry + (hint != NULL);
    return 0;
}

int count(aj_ctx *ctx, int max, const char *table, Rows r, int shard, long *out)
{
    (void)ctx;
    (void)max;
    (void)table;
    seen.shard = shard;
    *out = r->n * 10 + shard;
    return 0;
}

int branches_Merge(aj_ctx *ctx, int max, const char *table, long a, const long *b, long s,
                   long *out)
{
    (void)ctx;
    (void)max;
    (void)table;
    *out = a + (b != NULL ? *b : 0) + s;
    return 0;
}

int branches_Alert(aj_ctx *ctx, int max, const char *table, int code)
{
    (void)ctx;
    (void)max;
    (void)table;
    seen.code = code;
    return 0;
}

int branches_done(aj_ctx *ctx, int max, const char *table, const long *total, const Rows *r)
{
    (void)ctx;
    (void)max;
    (void)table;
    return total != NULL && r != NULL ? 0 : 1;
}

int on_success(aj_ctx *ctx, int step, int result, bool *out)
{
    (void)ctx;
    *out = step < result;
    return 0;
}

int timeout(aj_ctx *ctx, int step, int result, int job, int optional, int *out)
{
    (void)ctx;
    (void)result;
    *out = step + job + optional;
    return 0;
}

int on_when(aj_ctx *ctx, int step, int result, int after, int *out)
{
    (void)ctx;
    (void)step;
    (void)result;
    *out = after;
    return 0;
}

/* The step index of name in def. */
static uint32_t step_of(const aj_job_def *def, const char *name)
{
    for (uint32_t i = 0; i < def->n_steps; i++)
        if (strcmp(def->steps[i].name, name) == 0)
            return i;
    fail_msg("no step '%s'", name);
    return 0;
}

/* The kind of the edge from -> to, or 0. */
static uint32_t edge_kind(const aj_job_def *def, const char *from, const char *to)
{
    uint32_t f = step_of(def, from), t = step_of(def, to);
    for (uint32_t k = 0; k < def->n_edges; k++)
        if (def->edges[k].from == f && def->edges[k].to == t)
            return def->edges[k].kind;
    return 0;
}

static void test_branches_tables_keep_the_rules(void **state)
{
    (void)state;
    const aj_job_def *defs[] = { &branches_def, &on_def };
    for (size_t i = 0; i < 2; i++) {
        const char *err = check_def(defs[i]);
        if (err != NULL)
            fail_msg("%s: %s", defs[i]->name, err);
    }
}

static void test_branches_dot_of_tables_is_ajc_dot(void **state)
{
    (void)state;
    const aj_job_def *defs[] = { &branches_def, &on_def };
    const char *err = check_def_dot(defs, 2, "tests/cases/good/branches/expected.dot");
    if (err != NULL)
        fail_msg("%s", err);
}

static void test_branches_edge_kinds(void **state)
{
    (void)state;
    const aj_job_def *d = &branches_def;
    assert_int_equal(edge_kind(d, "Scan", "IsLarge"), AJ_EDGE_DATA);
    assert_int_equal(edge_kind(d, "IsLarge", "Compress"), AJ_EDGE_CONDITION);
    assert_int_equal(edge_kind(d, "IsLarge", "Copy"), AJ_EDGE_CONDITION);
    assert_int_equal(edge_kind(d, "Compress", "Store"), AJ_EDGE_DATA | AJ_EDGE_OPTIONAL);
    assert_int_equal(edge_kind(d, "Count1", "Merge"), AJ_EDGE_DATA | AJ_EDGE_OPTIONAL);
    assert_int_equal(edge_kind(d, "Merge", "Alert"), AJ_EDGE_AFTER);
    assert_int_equal(edge_kind(d, "Merge", "done"), AJ_EDGE_DATA | AJ_EDGE_OPTIONAL);
    /* Optional, but `after Scan` makes Scan required: no OPTIONAL bit. */
    assert_int_equal(edge_kind(d, "Scan", "done"), AJ_EDGE_DATA | AJ_EDGE_AFTER);
    assert_int_equal(edge_kind(&on_def, "success", "failure"), AJ_EDGE_CONDITION);
}

static void test_branches_flags(void **state)
{
    (void)state;
    const aj_job_def *d = &branches_def;
    static const char *const gated[] = { "Compress", "Copy", "Store", "Merge", "Alert", "done" };
    for (size_t i = 0; i < sizeof gated / sizeof gated[0]; i++)
        assert_int_equal(d->exec[step_of(d, gated[i])].flags, AJ_STEP_GATED);
    assert_int_equal(d->exec[step_of(d, "Count1")].flags, AJ_STEP_NONFATAL);
    assert_int_equal(d->exec[step_of(d, "Count")].flags, 0);
    assert_null(d->steps[step_of(d, "Count")].gate);
    assert_null(d->steps[step_of(d, "Scan")].gate);
}

static void test_branches_gates(void **state)
{
    (void)state;
    const aj_job_def *d = &branches_def;
    const aj_step_gate *g = d->steps[step_of(d, "Compress")].gate;
    assert_int_equal(g->rule, AJ_ON_SUCCESS);
    assert_int_equal(g->condition, (int32_t)step_of(d, "IsLarge"));
    assert_false(g->negate);
    assert_int_equal(g->n_required, 2); /* Scan and the condition */
    g = d->steps[step_of(d, "Copy")].gate;
    assert_true(g->negate);
    g = d->steps[step_of(d, "Store")].gate; /* optional inputs only */
    assert_int_equal(g->condition, -1);
    assert_int_equal(g->n_required, 0);
    assert_null(g->required);
    g = d->steps[step_of(d, "Alert")].gate;
    assert_int_equal(g->rule, AJ_ON_FAILURE);
    assert_int_equal(g->n_required, 1);
    assert_int_equal(g->required[0], step_of(d, "Merge"));
    g = d->steps[step_of(d, "done")].gate;
    assert_int_equal(g->rule, AJ_ON_DONE);
    assert_int_equal(g->n_required, 1);
    assert_int_equal(g->required[0], step_of(d, "Scan"));
}

/* The inputs struct of branches: its job inputs, in order. */
typedef struct branches_inputs {
    int max;
    const char *table;
} branches_inputs;

/* Runs step name's wrapper on inputs and outputs, with no runtime. */
static int run(const char *name, branches_inputs *in, void *outputs)
{
    const aj_job_def *d = &branches_def;
    uint32_t i = step_of(d, name);
    return d->exec[i].run(NULL, in, outputs, d->exec[i].slots);
}

static void test_branches_literals_and_job_inputs_reach_the_steps(void **state)
{
    (void)state;
    const aj_job_def *d = &branches_def;
    alignas(max_align_t) unsigned char outputs[512];
    branches_inputs in = { 7, "events" };
    long n;
    assert_true(d->inputs_size == sizeof in && d->outputs_size <= sizeof outputs);
    memset(outputs, 0, sizeof outputs);
    assert_int_equal(run("Scan", &in, outputs), 0); /* limit = max: 7 == 7 */
    assert_string_equal(seen.from, "events");
    assert_int_equal(run("IsLarge", &in, outputs), 0);
    assert_int_equal(seen.threshold, 1000);
    assert_int_equal(run("Compress", &in, outputs), 0);
    assert_true(seen.level == 0.5 && seen.speed == 2.0f);
    /* One impl, two steps, told apart by their literals. */
    assert_int_equal(run("Count", &in, outputs), 0);
    assert_int_equal(seen.shard, 0);
    assert_int_equal(run("Count1", &in, outputs), 0);
    assert_int_equal(seen.shard, 1);
    memcpy(&n, outputs + d->steps[step_of(d, "Count1")].output_offset, sizeof n);
    assert_int_equal(n, 31);
    assert_int_equal(run("Alert", &in, outputs), 0);
    assert_int_equal(seen.code, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_branches_tables_keep_the_rules),
        cmocka_unit_test(test_branches_dot_of_tables_is_ajc_dot),
        cmocka_unit_test(test_branches_edge_kinds),
        cmocka_unit_test(test_branches_flags),
        cmocka_unit_test(test_branches_gates),
        cmocka_unit_test(test_branches_literals_and_job_inputs_reach_the_steps),
    };
    return cmocka_run_group_tests_name("generated_branches", tests, NULL, NULL);
}
