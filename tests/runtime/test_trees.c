/*
 * test_trees.c: a step that does not complete takes its tree with it
 * (aj_def.h): the steps behind it through single-predecessor, ungated,
 * unmapped steps end in one pass, skipped for the same reason, or
 * cancelled once the instance is. What the memo holds for each step; the
 * steps at a tree's edge (a join, on done, on failure, an optional input)
 * decided as before, whichever of their predecessors ends last; reruns
 * of skipped trees; cancels; observers told of every step; and, on
 * random jobs, the same outcome for every step with trees as without.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ------------------------------------------------------------------------ */
/* The branch: a tree with every kind of edge around it                      */

/* c -when-> b0 -> b1 -> b2 -> b3: b0's tree is b1, b2, b3. x and b1 join
 * at j, whose tree is k; d (on done) is after b2; o takes b3 as an
 * optional input; f (on failure) is after b3. */
enum { C, B0, B1, B2, B3, X, J, K, D, O, F, N_BRANCH };

static tj_job *branch_job(tj_run **run, bool take)
{
    static const char *const names[] = { "c", "b0", "b1", "b2", "b3", "x", "j", "k", "d", "o", "f" };
    const aj_edge_def edges[] = {
        { C, B0, AJ_EDGE_CONDITION }, { B0, B1, AJ_EDGE_DATA }, { B1, B2, AJ_EDGE_DATA },
        { B2, B3, AJ_EDGE_DATA },     { B1, J, AJ_EDGE_DATA },  { X, J, AJ_EDGE_DATA },
        { J, K, AJ_EDGE_DATA },       { B2, D, AJ_EDGE_AFTER },
        { B3, O, AJ_EDGE_DATA | AJ_EDGE_OPTIONAL },             { B3, F, AJ_EDGE_AFTER },
    };
    tj_job *j = tj_new("branch", N_BRANCH, names, NULL, edges, sizeof edges / sizeof *edges);
    tj_run *r = *run = tj_run_new(j);

    tj_set_bool(j, r, C, take);
    tj_set_gate(j, B0, AJ_ON_SUCCESS, C, false);
    tj_set_gate(j, D, AJ_ON_DONE, -1, false);
    tj_set_gate(j, O, AJ_ON_SUCCESS, -1, false);
    tj_set_gate(j, F, AJ_ON_FAILURE, -1, false);
    tj_remember(j);
    return j;
}

/* Every step's info after wait, and the finish events' reasons. */
typedef struct outcome {
    int wait;
    aj_step_info info[N_BRANCH];
    aj_skip_reason told[N_BRANCH];
    uint32_t finishes;
} outcome;

static void collect(aj_instance *inst, outcome *out)
{
    out->wait = aj_instance_wait(inst, -1);
    for (uint32_t i = 0; i < N_BRANCH; i++)
        assert_int_equal(aj_instance_step_info(inst, i, &out->info[i]), AJ_OK);
}

/* Runs j to its end, observed (every finish recorded) or not. */
static void run_branch(const tj_job *j, tj_run *r, bool sequential, bool observed, outcome *out)
{
    static tj_rec rec;
    aj_observer obs = tj_rec_init(&rec);
    aj_start_opts o = { .sequential = sequential, .observer = observed ? &obs : NULL };
    aj_instance *inst = tj_start(sequential ? NULL : tj_rt, j, r, &o);

    memset(out, 0, sizeof *out);
    collect(inst, out);
    aj_instance_free(inst);
    for (uint32_t k = 0; observed && k < rec.n; k++) {
        if (rec.ev[k].which != 2)
            continue;
        out->finishes++;
        out->told[rec.ev[k].step] = rec.ev[k].skip_reason;
    }
    assert_int_equal(atomic_load(&r->violations), 0);
}

/* Step i ended as state says, for reason, and ran only if it completed. */
static void check_end(const outcome *o, const tj_run *r, uint32_t i, aj_step_state state,
                      aj_skip_reason reason)
{
    assert_int_equal(o->info[i].state, state);
    assert_int_equal(o->info[i].skip_reason, reason);
    if (state == AJ_STEP_SKIPPED || state == AJ_STEP_CANCELLED)
        assert_int_equal(o->info[i].attempts, 0);
    if (state == AJ_STEP_COMPLETED)
        assert_int_equal(atomic_load(&r->successes[i]), 1);
}

static void check_tree(const uint32_t *room, uint32_t n_steps, uint32_t i, const uint32_t *want,
                       uint32_t n_want, const bool *leaves)
{
    uint32_t n;
    const uint32_t *tree = aj__def_tree(room, n_steps, i, &n);

    assert_int_equal(n, n_want);
    for (uint32_t k = 0; k < n; k++) {
        assert_int_equal(tree[k], want[k]);
        assert_int_equal(aj__def_tree_leaves(room, n_steps, tree + k), leaves[k]);
    }
}

/* The first start fills the memo: each step's tree in preorder, and which
 * of its steps lead out of trees. */
static void test_trees_memo_holds_each_steps_tree(void **state)
{
    tj_run *r;
    tj_job *j = branch_job(&r, false);
    outcome o;

    (void)state;
    run_branch(j, r, true, false, &o);
    assert_true(j->memo->checked != 0);
    assert_true(j->memo->facts & AJ__DEF_ROOM);
    check_tree(j->memo->room, N_BRANCH, B0, (uint32_t[]){ B1, B2, B3 }, 3,
               (bool[]){ true, true, true });
    check_tree(j->memo->room, N_BRANCH, B1, (uint32_t[]){ B2, B3 }, 2, (bool[]){ true, true });
    check_tree(j->memo->room, N_BRANCH, J, (uint32_t[]){ K }, 1, (bool[]){ false });
    for (uint32_t i = 0; i < N_BRANCH; i++)
        if (i != B0 && i != B1 && i != B2 && i != J)
            check_tree(j->memo->room, N_BRANCH, i, NULL, 0, NULL);
    tj_run_free(r);
    tj_free(j);
}

/* How a step of the branch ends. */
typedef struct end {
    aj_step_state state;
    aj_skip_reason reason;
} end;

#define RAN { AJ_STEP_COMPLETED, AJ_SKIP_NONE }
#define SKIPPED(why) { AJ_STEP_SKIPPED, AJ_SKIP_##why }

/* Runs the branch (its condition says take; b0 fails if asked) threaded
 * and sequential, observed and not: wait returns rc and each step ends as
 * want says. Observed, each step is told once, with its info's reason. */
static void check_branch(bool take, bool b0_fails, int rc, const end *want)
{
    for (int k = 0; k < 4; k++) {
        bool observed = k & 2;
        tj_run *r;
        tj_job *j = branch_job(&r, take);
        outcome o;

        r->behave[B0].fails = b0_fails ? -1 : 0;
        run_branch(j, r, k & 1, observed, &o);
        assert_int_equal(o.wait, rc);
        for (uint32_t i = 0; i < N_BRANCH; i++)
            check_end(&o, r, i, want[i].state, want[i].reason);
        assert_int_equal(o.finishes, observed ? N_BRANCH : 0);
        for (uint32_t i = 0; observed && i < N_BRANCH; i++)
            assert_int_equal(o.told[i], o.info[i].skip_reason);
        tj_run_free(r);
        tj_free(j);
    }
}

/* The condition is false: b0 is skipped for it, its tree as upstream
 * skipped, and so is the join j (and its tree) once x completes; on done
 * and the optional input run, on failure is skipped. */
static void test_trees_skip_a_branch_for_its_condition(void **state)
{
    static const end want[N_BRANCH] = {
        [C] = RAN, [B0] = SKIPPED(CONDITION), [B1] = SKIPPED(UPSTREAM_SKIPPED),
        [B2] = SKIPPED(UPSTREAM_SKIPPED), [B3] = SKIPPED(UPSTREAM_SKIPPED), [X] = RAN,
        [J] = SKIPPED(UPSTREAM_SKIPPED), [K] = SKIPPED(UPSTREAM_SKIPPED), [D] = RAN, [O] = RAN,
        [F] = SKIPPED(NO_FAILURE),
    };

    (void)state;
    check_branch(false, false, AJ_OK, want);
}

/* b0 fails: its tree and the join are skipped because of a failure, on
 * failure runs, wait returns b0's code. */
static void test_trees_skip_a_branch_after_a_failure(void **state)
{
    static const end want[N_BRANCH] = {
        [C] = RAN, [B0] = { AJ_STEP_FAILED, AJ_SKIP_NONE }, [B1] = SKIPPED(UPSTREAM_FAILED),
        [B2] = SKIPPED(UPSTREAM_FAILED), [B3] = SKIPPED(UPSTREAM_FAILED), [X] = RAN,
        [J] = SKIPPED(UPSTREAM_FAILED), [K] = SKIPPED(UPSTREAM_FAILED), [D] = RAN, [O] = RAN,
        [F] = RAN,
    };

    (void)state;
    check_branch(true, true, -7, want);
}

/* ------------------------------------------------------------------------ */
/* Steps at the edge of a tree, whichever predecessor ends last               */

static void wait_state(aj_instance *inst, uint32_t i, aj_step_state state)
{
    while (tj_state(inst, i) != (int)state)
        sched_yield();
}

/* held waits at a gate (on the blocking pool if blocking) until first
 * has ended as it should; then the join j is decided by whichever of its
 * predecessors ends last, and it and its tree are skipped all the same. */
static void check_join(uint32_t held, bool blocking, uint32_t first, aj_step_state state)
{
    tj_gate gate;
    tj_run *r;
    tj_job *j = branch_job(&r, false);
    aj_instance *inst;
    outcome o;

    tj_gate_init(&gate);
    r->behave[held].gate = &gate;
    tj_set_blocking(j, held, blocking);
    inst = tj_start(tj_rt, j, r, NULL);
    wait_state(inst, first, state);
    assert_int_equal(tj_state(inst, J), AJ_STEP_PENDING);
    tj_gate_open(&gate);
    collect(inst, &o);
    aj_instance_free(inst);
    assert_int_equal(o.wait, AJ_OK);
    check_end(&o, r, J, AJ_STEP_SKIPPED, AJ_SKIP_UPSTREAM_SKIPPED);
    check_end(&o, r, K, AJ_STEP_SKIPPED, AJ_SKIP_UPSTREAM_SKIPPED);
    tj_gate_destroy(&gate);
    tj_run_free(r);
    tj_free(j);
}

/* x completes after b0's tree was settled: x's arrival decides the join. */
static void test_trees_join_decided_by_a_later_predecessor(void **state)
{
    (void)state;
    check_join(X, false, B3, AJ_STEP_SKIPPED);
}

/* x completes before the condition is known: b1's arrival, from inside
 * the tree, is the join's last. The condition blocks, on the blocking
 * pool, so that a worker runs x meanwhile; the tree is settled there, in
 * an instance shared by then. */
static void test_trees_join_decided_from_inside_the_tree(void **state)
{
    (void)state;
    check_join(C, true, X, AJ_STEP_COMPLETED);
}

/* ------------------------------------------------------------------------ */
/* Reruns and cancels                                                        */

/* b0 fails twice, then succeeds: the first rerun skips the tree again
 * (its records were reset), the second runs all of it. */
static void test_trees_rerun_after_a_skipped_tree(void **state)
{
    tj_run *r;
    tj_job *j = branch_job(&r, true);
    aj_instance *inst;
    outcome o;

    (void)state;
    r->behave[B0].fails = 2;
    inst = tj_start(tj_rt, j, r, NULL);
    for (int round = 0; round < 3; round++) {
        if (round > 0)
            assert_int_equal(aj_instance_rerun(inst), AJ_OK);
        collect(inst, &o);
        assert_int_equal(o.wait, round < 2 ? -7 : AJ_OK);
        for (uint32_t i = B1; i <= K; i++) {
            if (i == X)
                continue;
            check_end(&o, r, i, round < 2 ? AJ_STEP_SKIPPED : AJ_STEP_COMPLETED,
                      round < 2 ? AJ_SKIP_UPSTREAM_FAILED : AJ_SKIP_NONE);
        }
    }
    assert_int_equal(atomic_load(&r->attempts[B0]), 3);
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

/* Cancelled while its condition runs: b0 and its whole tree end
 * cancelled, never skipped. */
static void test_trees_cancel_cancels_the_tree(void **state)
{
    tj_run *r;
    tj_job *j = branch_job(&r, true);
    aj_instance *inst;
    outcome o;

    (void)state;
    r->behave[C].until_cancelled = true;
    r->behave[C].fails = -1;
    inst = tj_start(tj_rt, j, r, NULL);
    aj_instance_cancel(inst);
    collect(inst, &o);
    aj_instance_free(inst);
    assert_int_equal(o.wait, AJ_ECANCELED);
    for (uint32_t i = C; i <= B3; i++)
        check_end(&o, r, i, AJ_STEP_CANCELLED, AJ_SKIP_NONE);
    tj_run_free(r);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Random jobs                                                               */

static uint64_t rng;

/* Whether t is in the tree of step i, by the definition: its one
 * predecessor is i or in i's tree, and it has no gate. */
static bool in_tree_of(const tj_job *j, uint32_t i, uint32_t t)
{
    if (j->exec[t].n_preds != 1 || (j->exec[t].flags & AJ_STEP_GATED))
        return false;
    return j->preds[t][0] == i || in_tree_of(j, i, j->preds[t][0]);
}

/* Step i's tree in the memo holds exactly its tree's steps, each once and
 * after its predecessor, each marked as leading out of trees or not. */
static void check_random_tree(const tj_job *j, uint32_t i)
{
    uint32_t n, n_steps = j->def.n_steps, want = 0;
    const uint32_t *room = j->memo->room, *tree = aj__def_tree(room, n_steps, i, &n);
    bool *seen = calloc(n_steps, sizeof *seen);

    for (uint32_t t = 0; t < n_steps; t++)
        want += in_tree_of(j, i, t);
    assert_int_equal(n, want);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t t = tree[k];
        bool out = false;
        assert_true(in_tree_of(j, i, t) && !seen[t]);
        assert_true(j->preds[t][0] == i || seen[j->preds[t][0]]);
        seen[t] = true;
        for (uint32_t s = 0; s < j->exec[t].n_succs; s++) {
            const aj_step_exec *x = &j->exec[j->succs[j->exec[t].first_succ + s]];
            out |= x->n_preds != 1 || (x->flags & AJ_STEP_GATED);
        }
        assert_int_equal(aj__def_tree_leaves(room, n_steps, tree + k), out);
    }
    free(seen);
}

/* A random job and its script: some steps gated by a random rule, some
 * failing for good (all with one code, so that wait says the same
 * whichever fails first), some of those nonfatal. */
static tj_job *random_job(tj_run **script)
{
    tj_job *j = tj_random(150 + tj_rnd(&rng, 150), &rng);
    tj_run *r = *script = tj_run_new(j);

    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        if (j->exec[i].n_preds > 0 && tj_rnd(&rng, 6) == 0)
            tj_set_gate(j, i, (aj_trigger_rule)tj_rnd(&rng, 3), -1, false);
        if (tj_rnd(&rng, 15) == 0) {
            r->behave[i].fails = -1;
            tj_set_nonfatal(j, i, tj_rnd(&rng, 3) == 0);
        }
    }
    return j;
}

/* Runs def (j's tables, with or without a memo) as script says: what wait
 * returned, every step's info in info. Observed, every step is told once,
 * with the reason its info gives. */
static int run_random(const tj_job *j, const aj_job_def *def, const tj_run *script,
                      bool sequential, bool observed, aj_step_info *info)
{
    static tj_rec rec;
    aj_observer obs = tj_rec_init(&rec);
    aj_start_opts o = { .sequential = sequential, .observer = observed ? &obs : NULL };
    uint32_t n = j->def.n_steps, told = 0;
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_instance *inst = NULL;
    int rc;

    memcpy(r->behave, script->behave, n * sizeof *r->behave);
    assert_int_equal(aj_instance_start(sequential ? NULL : tj_rt, def, &in, &o, &inst), AJ_OK);
    rc = aj_instance_wait(inst, -1);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(aj_instance_step_info(inst, i, &info[i]), AJ_OK);
    aj_instance_free(inst);
    for (uint32_t k = 0; observed && k < rec.n; k++) {
        if (rec.ev[k].which != 2)
            continue;
        told++;
        assert_int_equal(rec.ev[k].skip_reason, info[rec.ev[k].step].skip_reason);
    }
    assert_int_equal(told, observed ? n : 0);
    assert_int_equal(atomic_load(&r->violations), 0);
    tj_run_free(r);
    return rc;
}

/* Each step ends the same way with trees as without, alone or threaded,
 * observed or not; and each step's tree in the memo is as defined. */
static void test_trees_change_no_outcome_on_random_jobs(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        tj_run *script;
        tj_job *j = random_job(&script);
        uint32_t n = j->def.n_steps;
        aj_step_info *want = calloc(n, sizeof *want), *got = calloc(n, sizeof *got);
        aj_job_def plain = j->def;
        int rc = run_random(j, &plain, script, true, false, want);

        tj_remember(j);
        for (int way = 0; way < 4; way++) {
            const aj_job_def *def = way == 0 ? &plain : &j->def;
            assert_int_equal(run_random(j, def, script, way == 1, way == 3, got), rc);
            for (uint32_t i = 0; i < n; i++) {
                assert_int_equal(got[i].state, want[i].state);
                assert_int_equal(got[i].skip_reason, want[i].skip_reason);
                assert_int_equal(got[i].attempts, want[i].attempts);
            }
        }
        assert_true(j->memo->facts & AJ__DEF_ROOM);
        for (uint32_t i = 0; i < n; i++)
            check_random_tree(j, i);
        free(want);
        free(got);
        tj_run_free(script);
        tj_free(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trees_memo_holds_each_steps_tree),
        cmocka_unit_test(test_trees_skip_a_branch_for_its_condition),
        cmocka_unit_test(test_trees_skip_a_branch_after_a_failure),
        cmocka_unit_test(test_trees_join_decided_by_a_later_predecessor),
        cmocka_unit_test(test_trees_join_decided_from_inside_the_tree),
        cmocka_unit_test(test_trees_rerun_after_a_skipped_tree),
        cmocka_unit_test(test_trees_cancel_cancels_the_tree),
        cmocka_unit_test(test_trees_change_no_outcome_on_random_jobs),
    };

    rng = tj_rng_seed("AJ_TREES_SEED");
    return cmocka_run_group_tests(tests, tj_rt_setup, tj_rt_teardown);
}
