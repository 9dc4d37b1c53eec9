/*
 * test_gates.c: trigger rules, conditions, optional inputs and nonfatal
 * steps: which step runs and which is skipped (and why), what wait and
 * the root cause say, threaded and sequential alike; and the definition
 * checks that refuse inconsistent gates.
 */
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* How a run of a job ended, read on the main thread after wait. */
typedef struct outcome {
    int wait;               /* aj_instance_wait */
    aj_failure failure;     /* aj_instance_failure (step, code) */
    aj_step_info info[8];   /* per step */
    aj_skip_reason told[8]; /* the finish event's reason, per step */
    uint32_t finishes;      /* finish events */
} outcome;

/* Runs j, scripted by r, to its end, threaded or sequential. */
static void run_job(const tj_job *j, tj_run *r, bool sequential, bool fail_fast, outcome *out)
{
    static tj_rec rec;
    aj_observer obs = tj_rec_init(&rec);
    aj_start_opts o = { .sequential = sequential, .fail_fast = fail_fast, .observer = &obs };
    aj_instance *inst = tj_start(sequential ? NULL : tj_rt, j, r, &o);

    memset(out, 0, sizeof *out);
    out->wait = aj_instance_wait(inst, -1);
    aj_instance_failure(inst, &out->failure);
    for (uint32_t i = 0; i < j->def.n_steps && i < 8; i++)
        assert_int_equal(aj_instance_step_info(inst, i, &out->info[i]), AJ_OK);
    aj_instance_free(inst);
    for (uint32_t k = 0; k < rec.n; k++) {
        if (rec.ev[k].which != 2)
            continue;
        out->finishes++;
        out->told[rec.ev[k].step] = rec.ev[k].skip_reason;
    }
    assert_int_equal(atomic_load(&r->violations), 0);
}

/* Step t ran (and completed) exactly when reason is AJ_SKIP_NONE, and
 * its info and its finish event give that reason. */
static void check_ran(const outcome *o, const tj_run *r, uint32_t t, aj_skip_reason reason)
{
    bool runs = reason == AJ_SKIP_NONE;

    assert_int_equal(o->info[t].state, runs ? AJ_STEP_COMPLETED : AJ_STEP_SKIPPED);
    assert_int_equal(atomic_load(&r->attempts[t]), runs ? 1 : 0);
    assert_int_equal(o->info[t].skip_reason, reason);
    assert_int_equal(o->told[t], reason);
}

/* ------------------------------------------------------------------------ */
/* The truth table: rule x how the one predecessor ended                     */

enum { P_COMPLETED, P_FAILED, P_SKIP_CONDITION, P_SKIP_FAILURE, P_CANCELLED, P_NONFATAL };

typedef struct row {
    aj_trigger_rule rule;
    int pred;                /* P_*: how p ends */
    aj_skip_reason reason;   /* t's; AJ_SKIP_NONE: t runs */
} row;

enum { A, P, T };

/* a -> p -> t, t gated by the row's rule; a and p scripted so that p
 * ends as the row says. */
static tj_job *row_job(const row *rw, tj_run **run)
{
    static const char *const names[] = { "a", "p", "t" };
    aj_edge_def edges[] = { { A, P, AJ_EDGE_DATA }, { P, T, AJ_EDGE_DATA } };
    tj_job *j;
    tj_run *r;

    if (rw->pred == P_SKIP_CONDITION)
        edges[0].kind = AJ_EDGE_CONDITION;
    j = tj_new("rules", 3, names, NULL, edges, 2);
    r = *run = tj_run_new(j);
    switch (rw->pred) {
    case P_SKIP_CONDITION:
        tj_set_bool(j, r, A, false);
        tj_set_gate(j, P, AJ_ON_SUCCESS, A, false);
        break;
    case P_SKIP_FAILURE:
        r->behave[A].fails = -1;
        break;
    case P_NONFATAL:
        tj_set_nonfatal(j, P, true);
        /* fall through */
    case P_FAILED:
        r->behave[P].fails = -1;
        break;
    case P_CANCELLED:
        r->behave[P].fails = -1;
        r->behave[P].code = AJ_ECANCELED;
        break;
    default:
        break;
    }
    tj_set_gate(j, T, rw->rule, -1, false);
    return j;
}

static void check_row(const row *rw, bool sequential)
{
    /* What wait and the root cause say depends on p's end alone. */
    static const struct { int wait; int32_t root; } by_pred[] = {
        [P_COMPLETED] = { AJ_OK, -1 },       [P_FAILED] = { -7, P },
        [P_SKIP_CONDITION] = { AJ_OK, -1 },  [P_SKIP_FAILURE] = { -7, A },
        [P_CANCELLED] = { AJ_ECANCELED, -1 }, [P_NONFATAL] = { AJ_OK, -1 },
    };
    tj_run *r;
    tj_job *j = row_job(rw, &r);
    outcome o;

    run_job(j, r, sequential, false, &o);
    check_ran(&o, r, T, rw->reason);
    assert_int_equal(o.finishes, 3);
    assert_int_equal(o.wait, by_pred[rw->pred].wait);
    assert_int_equal(o.failure.step, by_pred[rw->pred].root);
    assert_int_equal(o.failure.code, by_pred[rw->pred].wait);
    tj_run_free(r);
    tj_free(j);
}

static void test_gates_row(void **state)
{
    const row *rw = *state;

    check_row(rw, false);
    check_row(rw, true);
}

#define ROW(rule, pred, reason, name) \
    { "test_gates_" name, test_gates_row, NULL, NULL, &(row){ rule, pred, reason } }

/* ------------------------------------------------------------------------ */
/* Conditions                                                                */

typedef struct cond_case {
    bool negate;              /* unless */
    int producer;             /* 0: false, 1: true, -1: fails */
    aj_trigger_rule rule;
    aj_skip_reason reason;    /* AJ_SKIP_NONE: runs */
} cond_case;

static void check_condition(const cond_case *c, bool sequential)
{
    static const char *const names[] = { "c", "t" };
    const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_CONDITION } };
    tj_job *j = tj_new("cond", 2, names, NULL, edges, 1);
    tj_run *r = tj_run_new(j);
    outcome o;

    tj_set_bool(j, r, 0, c->producer == 1);
    r->behave[0].fails = c->producer < 0 ? -1 : 0;
    tj_set_gate(j, 1, c->rule, 0, c->negate);
    run_job(j, r, sequential, false, &o);
    check_ran(&o, r, 1, c->reason);
    assert_int_equal(o.wait, c->producer < 0 ? -7 : AJ_OK);
    tj_run_free(r);
    tj_free(j);
}

static void test_gates_condition(void **state)
{
    const cond_case *c = *state;

    check_condition(c, false);
    check_condition(c, true);
}

#define COND(negate, producer, rule, reason, name)                                     \
    { "test_gates_" name, test_gates_condition, NULL, NULL,                             \
      &(cond_case){ negate, producer, rule, reason } }

/* ------------------------------------------------------------------------ */
/* Optional inputs                                                           */

/* What the step behind the wrapper got: NULL (0) or a value (1 + it). */
static _Atomic int64_t optional_got;

static int use_optional(const int64_t *o)
{
    atomic_store(&optional_got, o != NULL ? 1 + *o : 0);
    return 0;
}

/* As a generated wrapper passes an optional input: NULL unless its
 * producer (step 0) completed. */
static int optional_wrapper(aj_ctx *ctx, void *in, void *out, const size_t *slots)
{
    (void)in;
    (void)slots;
    return use_optional(aj_ctx_step_completed(ctx, 0) ? (const int64_t *)out : NULL);
}

/* o -(optional)-> u <- r; o ends as pred says (P_COMPLETED, P_FAILED or
 * P_SKIP_CONDITION, by its own condition c). */
static void check_optional(int pred, bool sequential)
{
    static const char *const names[] = { "o", "u", "r", "c" };
    const aj_edge_def edges[] = {
        { 0, 1, AJ_EDGE_DATA | AJ_EDGE_OPTIONAL }, { 2, 1, AJ_EDGE_DATA },
        { 3, 0, AJ_EDGE_CONDITION },
    };
    tj_job *j = tj_new("optional", 4, names, NULL, edges, 3);
    tj_run *r = tj_run_new(j);
    outcome o;

    tj_set_bool(j, r, 3, pred != P_SKIP_CONDITION);
    tj_set_gate(j, 0, AJ_ON_SUCCESS, 3, false);
    tj_set_gate(j, 1, AJ_ON_SUCCESS, -1, false);
    j->exec[1].run = optional_wrapper;
    r->behave[0].fails = pred == P_FAILED ? -1 : 0;
    atomic_store(&optional_got, -1);
    run_job(j, r, sequential, false, &o);
    /* Optional producers never skip it, whatever their end. */
    assert_int_equal(o.info[1].state, AJ_STEP_COMPLETED);
    assert_int_equal(atomic_load(&optional_got), pred == P_COMPLETED ? 2 : 0);
    assert_int_equal(o.wait, pred == P_FAILED ? -7 : AJ_OK);
    tj_run_free(r);
    tj_free(j);
}

static void test_gates_optional_input_is_null_unless_its_producer_completed(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        check_optional(P_COMPLETED, mode);
        check_optional(P_FAILED, mode);
        check_optional(P_SKIP_CONDITION, mode);
    }
}

/* A gated step waits for an optional producer that is still running. */
static void test_gates_optional_producer_is_waited_for(void **state)
{
    static const char *const names[] = { "o", "u", "r" };
    const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_DATA | AJ_EDGE_OPTIONAL },
                                  { 2, 1, AJ_EDGE_DATA } };
    tj_job *j = tj_new("optional", 3, names, NULL, edges, 2);
    tj_run *r = tj_run_new(j);
    tj_gate g;
    aj_instance *inst;

    (void)state;
    tj_gate_init(&g);
    r->behave[0].gate = &g;
    tj_set_gate(j, 1, AJ_ON_SUCCESS, -1, false);
    inst = tj_start(tj_rt, j, r, NULL);
    assert_int_equal(aj_instance_wait(inst, 20000000), AJ_ETIMEDOUT);
    assert_int_equal(tj_state(inst, 1), AJ_STEP_PENDING);
    tj_gate_open(&g);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(tj_state(inst, 1), AJ_STEP_COMPLETED);
    assert_int_equal(atomic_load(&r->violations), 0);
    aj_instance_free(inst);
    tj_gate_destroy(&g);
    tj_run_free(r);
    tj_free(j);
}

static void test_gates_step_completed_refuses_bad_arguments(void **state)
{
    (void)state;
    assert_false(aj_ctx_step_completed(NULL, 0));
    assert_string_equal(aj_skip_reason_name(AJ_SKIP_NONE), "none");
    assert_string_equal(aj_skip_reason_name(AJ_SKIP_CONDITION), "condition");
    assert_string_equal(aj_skip_reason_name(AJ_SKIP_UPSTREAM_FAILED), "upstream failed");
    assert_string_equal(aj_skip_reason_name(AJ_SKIP_UPSTREAM_SKIPPED), "upstream skipped");
    assert_string_equal(aj_skip_reason_name(AJ_SKIP_UPSTREAM_CANCELLED), "upstream cancelled");
    assert_string_equal(aj_skip_reason_name(AJ_SKIP_NO_FAILURE), "no failure");
    assert_string_equal(aj_skip_reason_name(AJ_SKIP_REASON_COUNT), "unknown");
    assert_string_equal(aj_skip_reason_name((aj_skip_reason)-1), "unknown");
}

/* What a step learns of an index out of range: false, as for NULL. */
static _Atomic int out_of_range_seen;

static int ask_out_of_range(aj_ctx *ctx, void *in, void *out, const size_t *slots)
{
    (void)in;
    (void)out;
    (void)slots;
    atomic_store(&out_of_range_seen, 1 + aj_ctx_step_completed(ctx, 7) +
                                         2 * aj_ctx_step_completed(ctx, UINT32_MAX));
    return 0;
}

static void test_gates_step_completed_out_of_range_is_false(void **state)
{
    tj_job *j = tj_new("one", 1, NULL, NULL, NULL, 0);
    tj_run *r = tj_run_new(j);
    outcome o;

    (void)state;
    j->exec[0].run = ask_out_of_range;
    run_job(j, r, true, false, &o);
    assert_int_equal(atomic_load(&out_of_range_seen), 1);
    tj_run_free(r);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* nonfatal                                                                  */

/* n (nonfatal) fails; x after n `on done`; s after n (skipped only because
 * of n); w, a root, waits until n has started. Under fail-fast nothing is
 * cancelled and wait says AJ_OK. */
static void test_gates_nonfatal_failure_fails_nothing(void **state)
{
    static const char *const names[] = { "n", "x", "w", "s" };
    const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_AFTER }, { 0, 3, AJ_EDGE_AFTER } };

    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        tj_job *j = tj_new("nonfatal", 4, names, NULL, edges, 2);
        tj_run *r = tj_run_new(j);
        tj_gate g;
        outcome o;

        tj_gate_init(&g);
        tj_set_nonfatal(j, 0, true);
        tj_set_gate(j, 1, AJ_ON_DONE, -1, false);
        r->behave[0].fails = -1;
        r->behave[0].opens = &g;
        r->behave[2].gate = &g;
        run_job(j, r, mode, true, &o);
        assert_int_equal(o.info[0].state, AJ_STEP_FAILED);
        assert_int_equal(o.info[1].state, AJ_STEP_COMPLETED);
        assert_int_equal(o.info[2].state, AJ_STEP_COMPLETED);
        assert_int_equal(o.info[3].state, AJ_STEP_SKIPPED);
        assert_int_equal(o.info[3].skip_reason, AJ_SKIP_UPSTREAM_FAILED);
        assert_int_equal(o.wait, AJ_OK);
        assert_int_equal(o.failure.step, -1);
        assert_int_equal(o.failure.code, AJ_OK);
        tj_gate_destroy(&g);
        tj_run_free(r);
        tj_free(j);
    }
}

/* A fatal failure beside a nonfatal one is the root cause. */
static void test_gates_fatal_failure_is_the_root_beside_a_nonfatal_one(void **state)
{
    static const char *const names[] = { "n", "f", "t" };
    const aj_edge_def edges[] = { { 0, 2, AJ_EDGE_AFTER }, { 1, 2, AJ_EDGE_AFTER } };

    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        tj_job *j = tj_new("nonfatal", 3, names, NULL, edges, 2);
        tj_run *r = tj_run_new(j);
        outcome o;

        tj_set_nonfatal(j, 0, true);
        r->behave[0].fails = -1;
        r->behave[0].code = -5;
        r->behave[1].fails = -1;
        r->behave[1].code = -6;
        run_job(j, r, mode, false, &o);
        assert_int_equal(o.wait, -6);
        assert_int_equal(o.failure.step, 1);
        assert_int_equal(o.info[2].skip_reason, AJ_SKIP_UPSTREAM_FAILED);
        tj_run_free(r);
        tj_free(j);
    }
}

/* Precedence of an ungated step's reason: failure, then cancel, then skip. */
static void test_gates_upstream_reason_takes_the_worst(void **state)
{
    static const char *const names[] = { "c", "k", "x", "f", "t1", "t2" };
    /* x skipped by its condition c; k cancelled; f failed nonfatal. */
    const aj_edge_def edges[] = {
        { 0, 2, AJ_EDGE_CONDITION }, { 1, 4, AJ_EDGE_AFTER }, { 2, 4, AJ_EDGE_AFTER },
        { 2, 5, AJ_EDGE_AFTER },     { 3, 5, AJ_EDGE_AFTER }, { 1, 5, AJ_EDGE_AFTER },
    };

    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        tj_job *j = tj_new("worst", 6, names, NULL, edges, 6);
        tj_run *r = tj_run_new(j);
        outcome o;

        tj_set_bool(j, r, 0, false);
        tj_set_gate(j, 2, AJ_ON_SUCCESS, 0, false);
        r->behave[1].fails = -1;
        r->behave[1].code = AJ_ECANCELED;
        tj_set_nonfatal(j, 3, true);
        r->behave[3].fails = -1;
        run_job(j, r, mode, false, &o);
        assert_int_equal(o.info[2].skip_reason, AJ_SKIP_CONDITION);
        assert_int_equal(o.info[4].skip_reason, AJ_SKIP_UPSTREAM_CANCELLED);
        assert_int_equal(o.info[5].skip_reason, AJ_SKIP_UPSTREAM_FAILED);
        assert_int_equal(o.told[4], AJ_SKIP_UPSTREAM_CANCELLED);
        assert_int_equal(o.wait, AJ_ECANCELED);
        tj_run_free(r);
        tj_free(j);
    }
}

/* Once the instance is cancelled, a gated step not started is cancelled,
 * never skipped, whatever its rule. */
static void test_gates_cancelled_instance_cancels_gated_steps(void **state)
{
    static const char *const names[] = { "a", "t" };
    const aj_edge_def edges[] = { { 0, 1, AJ_EDGE_AFTER } };

    (void)state;
    for (aj_trigger_rule rule = AJ_ON_SUCCESS; rule <= AJ_ON_FAILURE; rule++) {
        tj_job *j = tj_new("cancel", 2, names, NULL, edges, 1);
        tj_run *r = tj_run_new(j);
        aj_instance *inst;

        tj_set_gate(j, 1, rule, -1, false);
        r->behave[0].until_cancelled = true;
        inst = tj_start(tj_rt, j, r, NULL);
        aj_instance_cancel(inst);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
        assert_int_equal(tj_state(inst, 1), AJ_STEP_CANCELLED);
        assert_int_equal(atomic_load(&r->attempts[1]), 0);
        aj_instance_free(inst);
        tj_run_free(r);
        tj_free(j);
    }
}

/* ------------------------------------------------------------------------ */
/* The definition checks                                                     */

/* c (bool) -when-> t, d -> t, o -(optional)-> t: a valid gated job, which
 * each case then breaks in one way. */
static tj_job *check_job(void)
{
    static const char *const names[] = { "c", "d", "o", "t" };
    const aj_edge_def edges[] = {
        { 0, 3, AJ_EDGE_CONDITION }, { 1, 3, AJ_EDGE_DATA },
        { 2, 3, AJ_EDGE_DATA | AJ_EDGE_OPTIONAL },
    };
    tj_job *j = tj_new("check", 4, names, NULL, edges, 3);
    tj_run *r = tj_run_new(j);

    tj_set_bool(j, r, 0, true);
    tj_run_free(r);
    tj_set_gate(j, 3, AJ_ON_SUCCESS, 0, false);
    return j;
}

/* The edge from `from` into t. */
static aj_edge_def *edge_from(tj_job *j, uint32_t from)
{
    for (uint32_t e = 0; e < j->def.n_edges; e++)
        if (j->edges[e].from == from)
            return &j->edges[e];
    fail();
    return NULL;
}

static int start_rc(const tj_job *j)
{
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_start_opts o = { .sequential = true };
    aj_instance *inst = NULL;
    int rc = aj_instance_start(NULL, &j->def, &in, &o, &inst);

    aj_instance_free(inst);
    tj_run_free(r);
    return rc;
}

static void test_gates_check_accepts_a_valid_gated_job(void **state)
{
    tj_job *j = check_job();

    (void)state;
    assert_int_equal(start_rc(j), AJ_OK);
    tj_free(j);
}

static void break_flag_without_gate(tj_job *j) { j->steps[3].gate = NULL; }
static void break_gate_without_flag(tj_job *j) { j->exec[3].flags &= ~(uint32_t)AJ_STEP_GATED; }
static void break_unknown_flag(tj_job *j) { j->exec[1].flags |= 32u; }
static void break_rule(tj_job *j) { j->gates[3].rule = (aj_trigger_rule)3; }
static void break_condition_not_required(tj_job *j) { j->gates[3].condition = 2; }
static void break_condition_out_of_range(tj_job *j) { j->gates[3].condition = 9; }
static void break_condition_not_bool(tj_job *j) { j->steps[0].output_size = 8; }
static void break_condition_no_output(tj_job *j) { j->steps[0].output_type = NULL; }
static void break_required_order(tj_job *j)
{
    uint32_t *req = (uint32_t *)j->gates[3].required;
    req[0] = 1;
    req[1] = 0;
}
static void break_required_not_a_pred(tj_job *j) { ((uint32_t *)j->gates[3].required)[1] = 2; }
static void break_required_too_few(tj_job *j)
{
    j->gates[3].n_required = 1;
}
static void break_required_too_many(tj_job *j)
{
    uint32_t *req = realloc((uint32_t *)j->gates[3].required, 3 * sizeof *req);
    assert_non_null(req);
    req[2] = 2;
    j->gates[3].required = req;
    j->gates[3].n_required = 3;
}
static void break_optional_after(tj_job *j)
{
    edge_from(j, 2)->kind = AJ_EDGE_DATA | AJ_EDGE_OPTIONAL | AJ_EDGE_AFTER;
}
static void break_optional_alone(tj_job *j) { edge_from(j, 2)->kind = AJ_EDGE_OPTIONAL; }
static void break_optional_condition(tj_job *j)
{
    edge_from(j, 0)->kind = AJ_EDGE_CONDITION | AJ_EDGE_OPTIONAL | AJ_EDGE_DATA;
}
static void break_condition_edge_elsewhere(tj_job *j)
{
    edge_from(j, 1)->kind = AJ_EDGE_DATA | AJ_EDGE_CONDITION;
}
static void break_unknown_edge_kind(tj_job *j) { edge_from(j, 1)->kind |= 16u; }
static void break_failure_without_required(tj_job *j)
{
    j->gates[3].rule = AJ_ON_FAILURE;
    j->gates[3].n_required = 0;
    j->gates[3].condition = -1;
    for (uint32_t e = 0; e < j->def.n_edges; e++)
        j->edges[e].kind = AJ_EDGE_DATA | AJ_EDGE_OPTIONAL;
}

/* An ungated step with a condition or optional edge into it. */
static tj_job *ungated_job(uint32_t kind)
{
    const aj_edge_def edges[] = { { 0, 1, kind } };
    tj_job *j = tj_new("ungated", 2, NULL, NULL, edges, 1);

    j->steps[0].output_type = "bool";
    j->steps[0].output_size = sizeof(bool);
    return j;
}

static void test_gates_check_refuses_edges_into_ungated_steps(void **state)
{
    tj_job *j;

    (void)state;
    j = ungated_job(AJ_EDGE_CONDITION);
    assert_int_equal(start_rc(j), AJ_EINVAL);
    tj_free(j);
    j = ungated_job(AJ_EDGE_DATA | AJ_EDGE_OPTIONAL);
    assert_int_equal(start_rc(j), AJ_EINVAL);
    tj_free(j);
    j = ungated_job(AJ_EDGE_DATA);
    assert_int_equal(start_rc(j), AJ_OK);
    tj_free(j);
}

/* One way to break check_job's tables. */
typedef struct breaker {
    void (*fn)(tj_job *j);
} breaker;

static void test_gates_check_refuses(void **state)
{
    const breaker *b = *state;
    tj_job *j = check_job();

    b->fn(j);
    assert_int_equal(start_rc(j), AJ_EINVAL);
    tj_free(j);
}

#define REFUSE(fn)                                                          \
    { "test_gates_check_refuses_" #fn, test_gates_check_refuses, NULL, NULL, \
      &(breaker){ break_##fn } }

int main(void)
{
    const struct CMUnitTest tests[] = {
        ROW(AJ_ON_SUCCESS, P_COMPLETED, AJ_SKIP_NONE, "on_success_after_completed"),
        ROW(AJ_ON_SUCCESS, P_FAILED, AJ_SKIP_UPSTREAM_FAILED, "on_success_after_failed"),
        ROW(AJ_ON_SUCCESS, P_SKIP_CONDITION, AJ_SKIP_UPSTREAM_SKIPPED,
            "on_success_after_skipped_by_condition"),
        ROW(AJ_ON_SUCCESS, P_SKIP_FAILURE, AJ_SKIP_UPSTREAM_FAILED,
            "on_success_after_skipped_by_failure"),
        ROW(AJ_ON_SUCCESS, P_CANCELLED, AJ_SKIP_UPSTREAM_CANCELLED, "on_success_after_cancelled"),
        ROW(AJ_ON_SUCCESS, P_NONFATAL, AJ_SKIP_UPSTREAM_FAILED, "on_success_after_nonfatal_failed"),
        ROW(AJ_ON_DONE, P_COMPLETED, AJ_SKIP_NONE, "on_done_after_completed"),
        ROW(AJ_ON_DONE, P_FAILED, AJ_SKIP_NONE, "on_done_after_failed"),
        ROW(AJ_ON_DONE, P_SKIP_CONDITION, AJ_SKIP_NONE, "on_done_after_skipped_by_condition"),
        ROW(AJ_ON_DONE, P_SKIP_FAILURE, AJ_SKIP_NONE, "on_done_after_skipped_by_failure"),
        ROW(AJ_ON_DONE, P_CANCELLED, AJ_SKIP_NONE, "on_done_after_cancelled"),
        ROW(AJ_ON_DONE, P_NONFATAL, AJ_SKIP_NONE, "on_done_after_nonfatal_failed"),
        ROW(AJ_ON_FAILURE, P_COMPLETED, AJ_SKIP_NO_FAILURE, "on_failure_after_completed"),
        ROW(AJ_ON_FAILURE, P_FAILED, AJ_SKIP_NONE, "on_failure_after_failed"),
        ROW(AJ_ON_FAILURE, P_SKIP_CONDITION, AJ_SKIP_NO_FAILURE,
            "on_failure_after_skipped_by_condition"),
        ROW(AJ_ON_FAILURE, P_SKIP_FAILURE, AJ_SKIP_NONE, "on_failure_after_skipped_by_failure"),
        ROW(AJ_ON_FAILURE, P_CANCELLED, AJ_SKIP_NO_FAILURE, "on_failure_after_cancelled"),
        ROW(AJ_ON_FAILURE, P_NONFATAL, AJ_SKIP_NONE, "on_failure_after_nonfatal_failed"),
        COND(false, 1, AJ_ON_SUCCESS, AJ_SKIP_NONE, "when_true_runs"),
        COND(false, 0, AJ_ON_SUCCESS, AJ_SKIP_CONDITION, "when_false_skips"),
        COND(true, 1, AJ_ON_SUCCESS, AJ_SKIP_CONDITION, "unless_true_skips"),
        COND(true, 0, AJ_ON_SUCCESS, AJ_SKIP_NONE, "unless_false_runs"),
        COND(false, -1, AJ_ON_SUCCESS, AJ_SKIP_UPSTREAM_FAILED, "when_failed_skips_upstream"),
        COND(true, -1, AJ_ON_SUCCESS, AJ_SKIP_UPSTREAM_FAILED, "unless_failed_skips_upstream"),
        COND(false, -1, AJ_ON_DONE, AJ_SKIP_CONDITION, "when_failed_on_done_skips_condition"),
        COND(true, -1, AJ_ON_DONE, AJ_SKIP_CONDITION, "unless_failed_on_done_skips_condition"),
        COND(false, -1, AJ_ON_FAILURE, AJ_SKIP_CONDITION, "when_failed_on_failure_skips_condition"),
        cmocka_unit_test(test_gates_optional_input_is_null_unless_its_producer_completed),
        cmocka_unit_test(test_gates_optional_producer_is_waited_for),
        cmocka_unit_test(test_gates_step_completed_refuses_bad_arguments),
        cmocka_unit_test(test_gates_step_completed_out_of_range_is_false),
        cmocka_unit_test(test_gates_nonfatal_failure_fails_nothing),
        cmocka_unit_test(test_gates_fatal_failure_is_the_root_beside_a_nonfatal_one),
        cmocka_unit_test(test_gates_upstream_reason_takes_the_worst),
        cmocka_unit_test(test_gates_cancelled_instance_cancels_gated_steps),
        cmocka_unit_test(test_gates_check_accepts_a_valid_gated_job),
        cmocka_unit_test(test_gates_check_refuses_edges_into_ungated_steps),
        REFUSE(flag_without_gate),
        REFUSE(gate_without_flag),
        REFUSE(unknown_flag),
        REFUSE(rule),
        REFUSE(condition_not_required),
        REFUSE(condition_out_of_range),
        REFUSE(condition_not_bool),
        REFUSE(condition_no_output),
        REFUSE(required_order),
        REFUSE(required_not_a_pred),
        REFUSE(required_too_few),
        REFUSE(required_too_many),
        REFUSE(optional_after),
        REFUSE(optional_alone),
        REFUSE(optional_condition),
        REFUSE(condition_edge_elsewhere),
        REFUSE(unknown_edge_kind),
        REFUSE(failure_without_required),
    };

    return cmocka_run_group_tests(tests, tj_rt_setup, tj_rt_teardown);
}
