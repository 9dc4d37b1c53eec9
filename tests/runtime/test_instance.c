/*
 * test_instance.c: the decisions of an instance, driven in sequential mode
 * (no threads): states, data flow, skip propagation, the root cause,
 * outputs and their ownership, ids, the step context, bad arguments and
 * allocation failures.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>


static aj_instance *start_seq(const aj_observer *obs)
{
    tj_inputs in = { seed_run };
    aj_start_opts o = { .sequential = true, .observer = obs };
    aj_instance *inst = NULL;

    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &inst), AJ_OK);
    return inst;
}

static void test_instance_seed_runs_in_order_with_data(void **state)
{
    tj_rec rec;
    aj_observer obs = tj_rec_init(&rec);
    aj_instance *inst;
    uint32_t k = 0;

    (void)state;
    inst = start_seq(&obs);
    /* Sequential: final when start returns. */
    assert_true(aj_instance_done(inst));
    assert_int_equal(aj_instance_wait(inst, 0), AJ_OK);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(tj_state(inst, i), AJ_STEP_COMPLETED);
    /* Each output is 1 + its data inputs: the values prove the wiring. */
    assert_int_equal(tj_output(inst, SEED_GETCONNECTION), 1);
    assert_int_equal(tj_output(inst, SEED_CLIENT1), 2);
    assert_int_equal(tj_output(inst, SEED_QUERY2), 3);
    assert_int_equal(tj_output(inst, SEED_SUMMARIZE), 7);
    assert_int_equal(atomic_load(&seed_run->violations), 0);
    /* Starts follow def->order, all on this thread; one finish per step. */
    for (uint32_t e = 0; e < rec.n; e++) {
        assert_true(rec.ev[e].on_main);
        if (rec.ev[e].which == 0)
            assert_int_equal(rec.ev[e].step, seed_job->order[k++]);
    }
    assert_int_equal(k, 8);
    assert_int_equal(tj_rec_count(&rec, 2, UINT32_MAX), 8);
    aj_instance_free(inst);
}

static void test_instance_failure_skips_downstream_only(void **state)
{
    aj_instance *inst;
    aj_failure f;
    static tj_rec rec;
    aj_observer obs = tj_rec_init(&rec);

    (void)state;
    seed_run->behave[SEED_CLIENT1].fails = -1;
    seed_run->behave[SEED_CLIENT1].code = 1234;
    inst = start_seq(&obs);
    /* Every step is told finished, skipped ones too, never started. */
    assert_int_equal(tj_rec_count(&rec, 2, UINT32_MAX), 8);
    assert_int_equal(tj_rec_count(&rec, 0, UINT32_MAX), 5);
    for (uint32_t e = 0; e < rec.n; e++)
        if (rec.ev[e].which == 2 && rec.ev[e].step == SEED_SUMMARIZE) {
            assert_int_equal(rec.ev[e].state, AJ_STEP_SKIPPED);
            assert_int_equal(rec.ev[e].attempt, 0);
        } else if (rec.ev[e].which == 2 && rec.ev[e].step == SEED_CLIENT1) {
            assert_int_equal(rec.ev[e].state, AJ_STEP_FAILED);
            assert_int_equal(rec.ev[e].err, 1234);
        }
    assert_int_equal(aj_instance_wait(inst, -1), 1234);
    assert_int_equal(tj_state(inst, SEED_CLIENT1), AJ_STEP_FAILED);
    assert_int_equal(tj_state(inst, SEED_QUERY1), AJ_STEP_SKIPPED);
    assert_int_equal(tj_state(inst, SEED_SUMMARIZE), AJ_STEP_SKIPPED);
    assert_int_equal(tj_state(inst, SEED_EMAIL), AJ_STEP_SKIPPED);
    /* The independent branch runs to the end. */
    assert_int_equal(tj_state(inst, SEED_CLIENT2), AJ_STEP_COMPLETED);
    assert_int_equal(tj_state(inst, SEED_QUERY2), AJ_STEP_COMPLETED);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_QUERY1]), 0);
    assert_int_equal(atomic_load(&seed_run->attempts[SEED_SUMMARIZE]), 0);
    assert_int_equal(aj_instance_failure(inst, &f), 1234);
    assert_int_equal(f.step, SEED_CLIENT1);
    assert_string_equal(f.step_name, "GetTableClient1");
    assert_int_equal(f.kind, AJ_FAIL_ERROR);
    assert_string_equal(f.message, "");
    aj_instance_free(inst);
}

static void test_instance_root_cause_is_first_failure(void **state)
{
    aj_instance *inst;
    aj_failure f;

    (void)state;
    seed_run->behave[SEED_CLIENT2].fails = -1;
    seed_run->behave[SEED_CLIENT2].code = 2;
    seed_run->behave[SEED_QUERY1].fails = -1;
    seed_run->behave[SEED_QUERY1].permanent = true;
    seed_run->behave[SEED_QUERY1].code = 3;
    inst = start_seq(NULL);
    /* order[]: Client2 (level 1) fails before QueryTable1 (level 2). */
    assert_int_equal(aj_instance_wait(inst, -1), 2);
    assert_int_equal(tj_state(inst, SEED_QUERY1), AJ_STEP_FAILED);
    assert_int_equal(aj_instance_failure(inst, &f), 2);
    assert_int_equal(f.step, SEED_CLIENT2);
    aj_instance_free(inst);
}

static void test_instance_output_lend_take(void **state)
{
    aj_instance *inst;
    void *slot = NULL, *again = NULL;

    (void)state;
    seed_run->behave[SEED_QUERY2].fails = -1;
    inst = start_seq(NULL);
    assert_int_equal(aj_instance_output(inst, SEED_CLIENT1, false, &slot), AJ_OK);
    assert_int_equal(*(int64_t *)slot, 2);
    assert_int_equal(aj_instance_output(inst, SEED_CLIENT1, true, &again), AJ_OK);
    assert_ptr_equal(slot, again);
    assert_int_equal(aj_instance_output(inst, SEED_CLIENT1, true, &again), AJ_ETAKEN);
    assert_int_equal(aj_instance_output(inst, SEED_CLIENT1, false, &again), AJ_ETAKEN);
    assert_int_equal(aj_instance_output(inst, SEED_QUERY2, false, &slot), AJ_ENORESULT);
    assert_int_equal(aj_instance_output(inst, SEED_SUMMARIZE, false, &slot), AJ_ENORESULT);
    assert_int_equal(aj_instance_output(inst, SEED_CHECKAUTH, false, &slot), AJ_ENORESULT);
    assert_int_equal(aj_instance_output(inst, 8, false, &slot), AJ_EINVAL);
    assert_int_equal(aj_instance_output(inst, 0, false, NULL), AJ_EINVAL);
    assert_int_equal(aj_instance_output(NULL, 0, false, &slot), AJ_EINVAL);
    aj_instance_free(inst);
}

static void test_instance_free_frees_outputs_once(void **state)
{
    aj_instance *inst;
    void *slot;
    int64_t *taken;
    long made = atomic_load(&tj_boxes_made), freed = atomic_load(&tj_boxes_freed);

    (void)state;
    tj_box(seed_job, seed_run, SEED_GETCONNECTION);
    tj_box(seed_job, seed_run, SEED_CLIENT1);
    tj_box(seed_job, seed_run, SEED_SUMMARIZE);
    tj_box(seed_job, seed_run, SEED_QUERY2);
    seed_run->behave[SEED_QUERY2].fails = -1; /* produces nothing: nothing to free */
    inst = start_seq(NULL);
    /* Summarize is skipped; the values still flow through the boxes. */
    assert_int_equal(atomic_load(&tj_boxes_made) - made, 2);
    assert_int_equal(aj_instance_output(inst, SEED_CLIENT1, true, &slot), AJ_OK);
    taken = *(int64_t **)slot;
    assert_int_equal(*taken, 2);
    aj_instance_free(inst);
    /* GetConnection's box freed by the instance, the taken one not. */
    assert_int_equal(atomic_load(&tj_boxes_freed) - freed, 1);
    free(taken);
}

static void test_instance_ids(void **state)
{
    tj_inputs in = { seed_run };
    aj_start_opts o = { .sequential = true };
    aj_instance *a = NULL, *b = NULL;
    char id[AJ_ID_MAX + 1];
    const char *u;

    (void)state;
    memset(id, 'x', sizeof id);
    id[AJ_ID_MAX] = '\0';
    o.instance_id = id; /* AJ_ID_MAX bytes: one too many */
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &a), AJ_EINVAL);
    assert_null(a);
    id[AJ_ID_MAX - 1] = '\0';
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &a), AJ_OK);
    assert_string_equal(aj_instance_id(a), id);
    aj_instance_free(a);
    o.instance_id = NULL;
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &a), AJ_OK);
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &b), AJ_OK);
    u = aj_instance_id(a);
    assert_int_equal(strlen(u), 36);
    assert_int_equal(u[8], '-');
    assert_int_equal(u[14], '4');
    assert_non_null(strchr("89ab", u[19]));
    assert_string_not_equal(u, aj_instance_id(b));
    assert_ptr_equal(aj_instance_def(a), &seed_job->def);
    aj_instance_free(a);
    aj_instance_free(b);
}

static struct {
    char job[32], id[AJ_ID_MAX], step[32];
    uint32_t index, attempt;
    int64_t deadline;
    bool expired, cancelled;
    void *user;
    const aj_instance *inst;
} seen;

static int inspect_step(aj_ctx *ctx, void *in, void *out, const size_t *slots)
{
    (void)in;
    (void)out;
    (void)slots;
    snprintf(seen.job, sizeof seen.job, "%s", aj_ctx_job_name(ctx));
    snprintf(seen.id, sizeof seen.id, "%s", aj_ctx_instance_id(ctx));
    snprintf(seen.step, sizeof seen.step, "%s", aj_ctx_step_name(ctx));
    seen.index = aj_ctx_step_index(ctx);
    seen.attempt = aj_ctx_attempt(ctx);
    seen.deadline = aj_ctx_deadline_ns(ctx);
    seen.expired = aj_ctx_expired(ctx);
    seen.cancelled = aj_ctx_cancelled(ctx);
    seen.user = aj_ctx_user(ctx);
    seen.inst = aj_ctx_instance(ctx);
    /* 300 characters: kept as 252 and "...". */
    aj_ctx_set_message(ctx, "%0300d", 7);
    return 99;
}

static void test_instance_ctx_tells_the_step(void **state)
{
    tj_inputs in = { seed_run };
    int user;
    aj_start_opts o = { .sequential = true, .instance_id = "run-1", .user = &user };
    aj_instance *inst = NULL;
    aj_failure f;

    (void)state;
    seed_job->exec[SEED_CLIENT2].run = inspect_step;
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &inst), AJ_OK);
    assert_string_equal(seen.job, "sql_summary");
    assert_string_equal(seen.id, "run-1");
    assert_string_equal(seen.step, "GetTableClient2");
    assert_int_equal(seen.index, SEED_CLIENT2);
    assert_int_equal(seen.attempt, 1);
    assert_true(seen.deadline == INT64_MAX);
    assert_false(seen.expired);
    assert_false(seen.cancelled);
    assert_ptr_equal(seen.user, &user);
    assert_ptr_equal(seen.inst, inst);
    assert_int_equal(aj_instance_failure(inst, &f), 99);
    assert_int_equal(strlen(f.message), AJ_MESSAGE_MAX - 1);
    assert_string_equal(f.message + AJ_MESSAGE_MAX - 4, "...");
    assert_int_equal(f.message[0], '0');
    aj_instance_free(inst);
    /* A NULL context reads as empty and takes no message. */
    assert_string_equal(aj_ctx_job_name(NULL), "");
    assert_int_equal(aj_ctx_attempt(NULL), 0);
    assert_false(aj_ctx_cancelled(NULL));
    aj_ctx_set_message(NULL, "x");
    aj_ctx_set_permanent(NULL);
}

static void test_instance_step_info_times(void **state)
{
    aj_instance *inst;
    aj_step_info info;
    int64_t before = aj_wall_now_ns();

    (void)state;
    seed_run->behave[SEED_CLIENT1].fails = -1;
    inst = start_seq(NULL);
    assert_int_equal(aj_instance_step_info(inst, SEED_GETCONNECTION, &info), AJ_OK);
    assert_true(info.start_ns > 0);
    assert_true(info.duration_ns >= 0);
    assert_true(info.start_wall_ns >= before - 1000000000);
    assert_int_equal(info.attempts, 1);
    assert_int_equal(info.err, 0);
    assert_int_equal(aj_instance_step_info(inst, SEED_CLIENT1, &info), AJ_OK);
    assert_int_equal(info.err, -7);
    assert_int_equal(info.kind, AJ_FAIL_ERROR);
    assert_int_equal(aj_instance_step_info(inst, SEED_SUMMARIZE, &info), AJ_OK);
    assert_int_equal(info.start_ns, 0);
    assert_int_equal(info.start_wall_ns, 0);
    assert_int_equal(info.attempts, 0);
    assert_int_equal(aj_instance_step_info(inst, 8, &info), AJ_EINVAL);
    assert_int_equal(aj_instance_step_info(inst, 0, NULL), AJ_EINVAL);
    aj_instance_free(inst);
}

static void test_instance_bad_arguments(void **state)
{
    tj_inputs in = { seed_run };
    aj_instance *inst = (aj_instance *)&in;
    aj_job_def def = seed_job->def;
    aj_failure f;

    (void)state;
    assert_int_equal(aj_instance_start(NULL, NULL, &in, NULL, &inst), AJ_EINVAL);
    assert_null(inst);
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, NULL), AJ_EINVAL);
    def.abi = AJ_GEN_ABI + 1;
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EABI);
    def = seed_job->def;
    assert_int_equal(aj_instance_start(NULL, &def, NULL, NULL, &inst), AJ_EINVAL);
    def.inputs_align = 3;
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    assert_int_equal(aj_instance_wait(NULL, -1), AJ_EINVAL);
    assert_int_equal(aj_instance_failure(NULL, &f), AJ_EINVAL);
    assert_false(aj_instance_done(NULL));
    assert_null(aj_instance_id(NULL));
    assert_null(aj_instance_def(NULL));
    aj_instance_cancel(NULL);
    aj_instance_free(NULL);
    assert_int_equal(aj_job_def_find_step(&seed_job->def, "Summarize"), SEED_SUMMARIZE);
    assert_int_equal(aj_job_def_find_step(&seed_job->def, "summarize"), -1);
    assert_int_equal(aj_job_def_find_step(NULL, "Summarize"), -1);
    assert_string_equal(aj_step_state_name(AJ_STEP_SKIPPED), "skipped");
    assert_string_equal(aj_step_state_name((aj_step_state)77), "unknown");
    assert_string_equal(aj_err_name(AJ_EABI), "AJ_EABI");
    assert_null(aj_err_name(-7));
    assert_string_equal(aj_strerror(-7), "step failed");
    assert_string_equal(aj_strerror(AJ_ECANCELED), "instance was cancelled");
    assert_string_equal(aj_strerror(-1500), "unknown asyncjob error");
}

/* Tables that contradict themselves are refused, never seed_run. */
static void test_instance_inconsistent_tables_refused(void **state)
{
    tj_inputs in = { seed_run };
    aj_instance *inst = NULL;
    aj_edge_def edges[9];
    uint32_t order[8];
    aj_step_exec exec[8];
    uint32_t succs[9];
    aj_job_def def = seed_job->def;

    (void)state;
    memcpy(edges, seed_job->edges, sizeof edges);
    memcpy(order, seed_job->order, sizeof order);
    memcpy(exec, seed_job->exec, sizeof exec);
    memcpy(succs, seed_job->succs, sizeof succs);
    def.edges = edges;
    def.order = order;
    def.exec = exec;
    def.succs = succs;
    edges[0].to = 8; /* out of range */
    succs[0] = 8;
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    /* cppcheck-suppress redundantAssignment ; start read the bad value through def */
    edges[0].to = 2;
    /* cppcheck-suppress redundantAssignment ; start read the bad value through def */
    succs[0] = 3; /* disagrees with the edge */
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    /* cppcheck-suppress redundantAssignment ; start read the bad value through def */
    succs[0] = 2;
    exec[SEED_EMAIL].flags = 0; /* its timeout says timed */
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    /* cppcheck-suppress redundantAssignment ; start read the bad value through def */
    exec[SEED_EMAIL].flags = AJ_STEP_TIMED;
    order[0] = 7; /* not a permutation, and not topological */
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    /* cppcheck-suppress redundantAssignment ; start read the bad value through def */
    order[0] = 0;
    exec[SEED_SUMMARIZE].n_preds = 1; /* disagrees with the edges */
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    exec[SEED_SUMMARIZE].n_preds = 2;
    exec[SEED_EMAIL].run = NULL;
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    exec[SEED_EMAIL].run = seed_job->exec[SEED_EMAIL].run;
    def.n_roots = 1;
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    def.n_roots = 2;
    exec[0].first_succ = 2; /* its run holds another step's successors */
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    /* cppcheck-suppress redundantAssignment ; start read the bad value through def */
    exec[0].first_succ = 0;
    exec[0].n_succs = 1; /* shorter than its edges: the runs miss one */
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    /* cppcheck-suppress redundantAssignment ; start read the bad value through def */
    exec[0].n_succs = 2;
    /* cppcheck-suppress redundantAssignment ; start read the bad value through def */
    exec[0].first_succ = 8; /* past the table's end */
    assert_int_equal(aj_instance_start(NULL, &def, &in, NULL, &inst), AJ_EINVAL);
    assert_null(inst);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(atomic_load(&seed_run->attempts[i]), 0);
}

/* A definition with a memo is checked once. Refused tables leave the memo
 * unset; after a good start a later one trusts it (shown here by tables
 * broken behind its back, which generated code cannot do: they are
 * const); the memo of one definition means nothing to another. */
static void test_instance_memo_remembers_checked_tables(void **state)
{
    tj_inputs in = { seed_run };
    aj_start_opts o = { .sequential = true };
    aj_instance *inst = NULL;
    aj_job_memo memo = { 0 };
    aj_step_def steps[8];
    aj_job_def def = seed_job->def, copy;

    (void)state;
    memcpy(steps, seed_job->steps, sizeof steps);
    def.steps = steps;
    def.memo = &memo;
    steps[SEED_EMAIL].name = NULL;
    assert_int_equal(aj_instance_start(NULL, &def, &in, &o, &inst), AJ_EINVAL);
    assert_true(memo.checked == 0);
    steps[SEED_EMAIL].name = seed_job->steps[SEED_EMAIL].name;
    assert_int_equal(aj_instance_start(NULL, &def, &in, &o, &inst), AJ_OK);
    aj_instance_free(inst);
    assert_true(memo.checked != 0);
    steps[SEED_EMAIL].name = NULL;
    assert_int_equal(aj_instance_start(NULL, &def, &in, &o, &inst), AJ_OK);
    aj_instance_free(inst);
    copy = def;
    assert_int_equal(aj_instance_start(NULL, &copy, &in, &o, &inst), AJ_EINVAL);
    def.memo = NULL;
    assert_int_equal(aj_instance_start(NULL, &def, &in, &o, &inst), AJ_EINVAL);
    assert_null(inst);
}

/* What the first start learns about outputs to free holds for the next
 * ones, which skip the check. */
static void test_instance_memo_remembers_outputs_to_free(void **state)
{
    tj_inputs in = { seed_run };
    aj_start_opts o = { .sequential = true };
    aj_job_memo memo = { 0 };
    aj_job_def def;

    (void)state;
    tj_box(seed_job, seed_run, SEED_GETCONNECTION);
    def = seed_job->def;
    def.memo = &memo;
    for (int round = 0; round < 2; round++) {
        long freed = atomic_load(&tj_boxes_freed);
        aj_instance *inst = NULL;
        assert_int_equal(aj_instance_start(NULL, &def, &in, &o, &inst), AJ_OK);
        assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
        aj_instance_free(inst);
        assert_int_equal(atomic_load(&tj_boxes_freed) - freed, 1);
        assert_true(memo.checked != 0);
    }
}

static void test_instance_one_allocation_and_enomem(void **state)
{
    long before;
    aj_instance *inst = NULL;
    tj_inputs in = { seed_run };
    aj_start_opts o = { .sequential = true };
    FILE *devnull = fopen("/dev/null", "w");

    (void)state;
    before = aj__test_alloc_count();
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj__test_alloc_count() - before, 1);
    /* The pictures need a copy of the records: their failure is ENOMEM. */
    aj__test_fail_alloc(1);
    assert_int_equal(aj_instance_dot(inst, devnull, 0), AJ_ENOMEM);
    aj__test_fail_alloc(1);
    assert_int_equal(aj_instance_trace_json(inst, devnull), AJ_ENOMEM);
    aj__test_fail_alloc(1);
    assert_int_equal(aj_instance_mermaid(inst, devnull), AJ_ENOMEM);
    aj_instance_free(inst);
    aj__test_fail_alloc(1);
    inst = (aj_instance *)&in;
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &inst), AJ_ENOMEM);
    assert_null(inst);
    assert_int_equal(atomic_load(&seed_run->attempts[0]), 1); /* the first seed_run's only */
    aj__test_fail_alloc(0);
    fclose(devnull);
}

static void test_instance_no_steps(void **state)
{
    tj_job *empty = tj_new("empty", 0, NULL, NULL, NULL, 0);
    tj_inputs in = { seed_run };
    aj_start_opts o = { .sequential = true };
    aj_instance *inst = NULL;
    aj_failure f;

    (void)state;
    assert_int_equal(aj_instance_start(NULL, &empty->def, &in, &o, &inst), AJ_OK);
    assert_true(aj_instance_done(inst));
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(aj_instance_failure(inst, &f), 0);
    assert_int_equal(f.step, -1);
    aj_instance_free(inst);
    tj_free(empty);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, seed_setup, seed_teardown)
    const struct CMUnitTest tests[] = {
        T(test_instance_seed_runs_in_order_with_data),
        T(test_instance_failure_skips_downstream_only),
        T(test_instance_root_cause_is_first_failure),
        T(test_instance_output_lend_take),
        T(test_instance_free_frees_outputs_once),
        T(test_instance_ids),
        T(test_instance_ctx_tells_the_step),
        T(test_instance_step_info_times),
        T(test_instance_bad_arguments),
        T(test_instance_inconsistent_tables_refused),
        T(test_instance_memo_remembers_checked_tables),
        T(test_instance_memo_remembers_outputs_to_free),
        T(test_instance_one_allocation_and_enomem),
        T(test_instance_no_steps),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
