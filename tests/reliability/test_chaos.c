/*
 * test_chaos.c: the runtime under concurrency stress, meant for the TSan
 * build (make test-tsan, make stress). Batches of random DAGs (100 to 400
 * steps) run at once on 1, 2, 4 and 8 workers, with random failures,
 * retries (immediate, delayed, and an hour long), steps that overrun their
 * deadline, steps that run until cancelled, fail-fast, sequential
 * instances, waits with short timeouts, and cancellations at random
 * moments from another thread; and, in half the instances, gated steps
 * (trigger rules, `when` / `unless` conditions, optional inputs) and
 * nonfatal steps. The steps keep a ledger; the main thread checks it
 * after each instance ends:
 * - an ungated step starts only after every step it depends on
 *   completed, a gated one after every one is final; a step ran exactly
 *   when its rule and condition held, given how its predecessors ended
 *   (an ungated one: when they all completed), unless the instance was
 *   cancelled first; a skipped step says why, by the same oracle; an
 *   optional input is read only when its producer completed;
 * - a step succeeds at most once, runs at most 1 + max_retries times, and
 *   attempts = 1 + the retries it used (retry events seen by an
 *   observer; a step cancelled during its delay used one fewer);
 * - every step is final, with one finish event, the state its script
 *   implies, and outputs carry the values of their inputs;
 * - an attempt that began after aj_instance_cancel() returned saw the
 *   cancellation;
 * - a cancelled instance ends: hour-long delays and steps that wait for
 *   the flag would hang it otherwise, and every wait has a watchdog of
 *   WATCHDOG_S seconds that turns a hang into a failure naming the
 *   instance;
 * - the root cause and wait's code agree, and a nonfatal step is never
 *   the root cause nor cancels anything under fail-fast; boxed outputs
 *   are all freed, and every thread created is joined (counters and
 *   /proc/self/task).
 *
 * AJ_CHAOS_INSTANCES (default 32 per worker count) sets the size,
 * AJ_CHAOS_SEED replays a run.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <dirent.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define BATCH 6
#define WATCHDOG_S 60

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
    return tj_rnd(&rng, n);
}

static const aj_retry_policy retry_now = { .max_retries = 2 };
static const aj_retry_policy retry_later = { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                             .delay_ns = 50000, .jitter_pct = 50 };
static const aj_retry_policy retry_hour = { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                            .delay_ns = 3600000000000 };

/* What one step does on each attempt. */
typedef struct script {
    int fails;          /* attempts that fail before one succeeds; -1: all */
    int overruns;       /* attempts that run past their deadline first */
    bool permanent;     /* failing attempts are marked permanent */
    bool spin;          /* every attempt waits until the instance is cancelled */
    bool box;           /* output is a malloc'd int64_t *, freed by the instance */
    bool is_bool;       /* output is a bool, truth: some step's condition */
    bool truth;
    int code;
} script;

/* One instance: its script, its ledger (written by steps and observers on
 * any thread, read by the main thread after wait). */
typedef struct chaos {
    tj_job *job;
    script *steps;
    aj_instance *inst;
    bool cancel;                   /* the canceller thread cancels it */
    bool fail_fast, sequential;
    bool gates;                    /* has gated and nonfatal steps */
    _Atomic bool cancel_returned;  /* aj_instance_cancel has returned */
    _Atomic uint32_t *attempts;    /* attempts the step function saw */
    _Atomic uint32_t *returned_ok; /* ... that returned 0 (late ones fail) */
    _Atomic uint32_t *retries, *finishes, *completions; /* observer events */
    _Atomic uint32_t violations;   /* started before a predecessor completed,
                                      or completed twice */
    _Atomic uint32_t unaware;      /* began after cancel returned, saw no flag */
    int64_t cancel_ns, done_ns;    /* main thread's view, for the figures */
} chaos;

typedef struct chaos_inputs {
    chaos *c;
} chaos_inputs;

static _Atomic long boxes_made, boxes_freed;
static int64_t worst_cancel_ns; /* longest cancel-to-end seen */

static void box_free(void *slot)
{
    free(*(int64_t **)slot);
    atomic_fetch_add(&boxes_freed, 1);
}

/* 1 + the sum of the data inputs, each read as its producer stored it;
 * one counts only when its producer completed (as a generated wrapper
 * passes NULL for an optional one otherwise; a step `on done` or `on
 * failure` may run after a required producer did not complete). */
static int64_t value_of(const chaos *c, const aj_ctx *ctx, uint32_t i, const void *outputs)
{
    const int64_t *slots = outputs;
    int64_t v = 1;

    for (uint32_t e = 0; e < c->job->def.n_edges; e++) {
        const aj_edge_def *ed = &c->job->edges[e];
        int64_t *b;
        if (ed->to != i || !(ed->kind & AJ_EDGE_DATA) || !aj_ctx_step_completed(ctx, ed->from))
            continue;
        if (c->steps[ed->from].box) {
            memcpy(&b, &slots[ed->from], sizeof b);
            v += *b;
        } else {
            v += slots[ed->from];
        }
    }
    return v;
}

static void produce(const chaos *c, const aj_ctx *ctx, uint32_t i, void *outputs)
{
    int64_t v = value_of(c, ctx, i, outputs), *b;

    if (c->steps[i].is_bool) {
        memcpy((int64_t *)outputs + i, &c->steps[i].truth, sizeof(bool));
        return;
    }
    if (!c->steps[i].box) {
        ((int64_t *)outputs)[i] = v;
        return;
    }
    b = malloc(sizeof *b);
    if (b == NULL)
        abort();
    *b = v;
    memcpy((int64_t *)outputs + i, &b, sizeof b);
    atomic_fetch_add(&boxes_made, 1);
}

/* Records what the ledger needs before the attempt does anything. */
static uint32_t begin(chaos *c, aj_ctx *ctx, uint32_t i)
{
    bool after_cancel = atomic_load(&c->cancel_returned);

    if (after_cancel && !aj_ctx_cancelled(ctx))
        atomic_fetch_add(&c->unaware, 1);
    /* The finish event of a step that ran comes before its successors are
     * released; a skipped one's may come after, so a gated step, whose
     * predecessors may have been skipped, reads their states. */
    for (uint32_t k = 0; k < c->job->exec[i].n_preds; k++) {
        uint32_t p = c->job->preds[i][k];
        bool ok = c->job->steps[i].gate == NULL
                      ? atomic_load(&c->completions[p]) != 0
                      : tj_state(aj_ctx_instance(ctx), p) >= AJ_STEP_COMPLETED &&
                            tj_state(aj_ctx_instance(ctx), p) <= AJ_STEP_CANCELLED;
        if (!ok)
            atomic_fetch_add(&c->violations, 1);
    }
    return atomic_fetch_add(&c->attempts[i], 1) + 1;
}

static int chaos_step(aj_ctx *ctx, void *inputs, void *outputs, const size_t *slots)
{
    chaos *c = ((chaos_inputs *)inputs)->c;
    uint32_t i = aj_ctx_step_index(ctx), attempt = begin(c, ctx, i);
    const script *s = &c->steps[i];

    (void)slots;
    while (s->spin && !aj_ctx_cancelled(ctx))
        sched_yield();
    if ((int)attempt <= s->overruns) {
        while (!aj_ctx_expired(ctx))
            sched_yield();
        /* On time this would be a success; late, the runtime must fail
         * it and free the output. */
        atomic_fetch_add(&c->returned_ok[i], 1);
        produce(c, ctx, i, outputs);
        return 0;
    }
    if (s->fails < 0 || (int)attempt <= s->overruns + s->fails) {
        if (s->permanent)
            aj_ctx_set_permanent(ctx);
        return s->code;
    }
    atomic_fetch_add(&c->returned_ok[i], 1);
    produce(c, ctx, i, outputs);
    return 0;
}

static void on_retry(void *arg, const aj_step_event *ev)
{
    atomic_fetch_add(&((chaos *)arg)->retries[ev->step_index], 1);
}

static void on_finish(void *arg, const aj_step_event *ev)
{
    chaos *c = arg;

    atomic_fetch_add(&c->finishes[ev->step_index], 1);
    if (ev->state == AJ_STEP_COMPLETED &&
        atomic_fetch_add(&c->completions[ev->step_index], 1) != 0)
        atomic_fetch_add(&c->violations, 1);
}

static _Atomic uint32_t *counters(uint32_t n)
{
    _Atomic uint32_t *p = calloc(n ? n : 1, sizeof *p);

    if (p == NULL)
        abort();
    return p;
}

/* Step i's script and its definition's retry policy and deadline. */
static void script_step(chaos *c, uint32_t i)
{
    script *s = &c->steps[i];
    aj_step_def *sd = &c->job->steps[i];
    uint32_t dice = rnd(100);

    s->code = -(int)(100 + i);
    c->job->exec[i].run = chaos_step;
    sd->retry = rnd(2) ? &retry_now : &retry_later;
    if (c->cancel && rnd(10) == 0)
        sd->retry = &retry_hour;   /* only a cancel ends its delay */
    if (dice < 2)
        s->fails = -1;
    else if (dice < 4)
        s->permanent = true, s->fails = 1;
    else if (dice < 10)
        s->fails = 1 + (int)rnd(2);
    else if (dice < 13)
        s->overruns = 1 + (int)rnd(3); /* 3: every attempt times out */
    /* Overrunning steps get 1 ns, 1 us, 20 us or 2 ms; a few others 10 s. */
    if (s->overruns > 0)
        tj_set_timeout(c->job, i, (int64_t[]){ 1, 1000, 20000, 2000000 }[rnd(4)]);
    else if (rnd(20) == 0)
        tj_set_timeout(c->job, i, 10000000000);
    s->spin = c->cancel && !c->sequential && rnd(60) == 0;
    s->box = rnd(8) == 0;
    sd->free_output = s->box ? box_free : NULL;
}

/* Step i's condition: one of its predecessors, whose edge becomes a
 * condition and whose output a bool (unboxed). */
static int32_t condition_of(chaos *c, uint32_t i)
{
    const aj_step_exec *x = &c->job->exec[i];
    uint32_t p = c->job->preds[i][rnd(x->n_preds)];

    for (uint32_t e = 0; e < c->job->def.n_edges; e++)
        if (c->job->edges[e].from == p && c->job->edges[e].to == i)
            c->job->edges[e].kind = AJ_EDGE_CONDITION;
    c->steps[p].box = false;
    c->job->steps[p].free_output = NULL;
    if (!c->steps[p].is_bool) {
        c->steps[p].is_bool = true;
        c->steps[p].truth = rnd(3) != 0;
        c->job->steps[p].output_type = "bool";
        c->job->steps[p].output_size = sizeof(bool);
    }
    return (int32_t)p;
}

/* A third of the steps with predecessors get a gate: a random rule, a
 * condition half the time, and (but under `on failure`, which needs a
 * required predecessor) some plain data inputs made optional. A step
 * already a condition keeps its output. */
static void gate_step(chaos *c, uint32_t i)
{
    aj_trigger_rule rule = (aj_trigger_rule)rnd(3);
    int32_t cond = -1;

    if (c->job->exec[i].n_preds == 0 || rnd(3) != 0)
        return;
    if (rnd(2) == 0)
        cond = condition_of(c, i);
    for (uint32_t e = 0; rule != AJ_ON_FAILURE && e < c->job->def.n_edges; e++) {
        aj_edge_def *ed = &c->job->edges[e];
        if (ed->to == i && ed->kind == AJ_EDGE_DATA && rnd(3) == 0)
            ed->kind = AJ_EDGE_DATA | AJ_EDGE_OPTIONAL;
    }
    tj_set_gate(c->job, i, rule, cond, rnd(2) == 0);
}

static void launch(chaos *c, aj_runtime *rt)
{
    uint32_t n;
    chaos_inputs in = { c };
    aj_observer obs = { NULL, on_retry, on_finish, c };
    aj_start_opts o;

    memset(c, 0, sizeof *c);
    c->job = tj_random(100 + rnd(300), &rng);
    n = c->job->def.n_steps;
    c->sequential = rnd(10) == 0;
    c->cancel = !c->sequential && rnd(3) == 0;
    c->fail_fast = rnd(6) == 0;
    c->gates = rnd(2) == 0;
    c->steps = calloc(n, sizeof *c->steps);
    assert_non_null(c->steps);
    c->attempts = counters(n);
    c->returned_ok = counters(n);
    c->retries = counters(n);
    c->finishes = counters(n);
    c->completions = counters(n);
    for (uint32_t i = 0; i < n; i++)
        script_step(c, i);
    for (uint32_t i = 0; c->gates && i < n; i++) {
        gate_step(c, i);
        tj_set_nonfatal(c->job, i, rnd(8) == 0);
    }
    o = (aj_start_opts){ .fail_fast = c->fail_fast, .sequential = c->sequential,
                         .observer = &obs };
    assert_int_equal(aj_instance_start(rt, &c->job->def, &in, &o, &c->inst), AJ_OK);
}

/* The canceller: cancels its instances at random moments, in a random
 * order, while the main thread waits on them. */
typedef struct canceller {
    chaos *batch;
    uint32_t delays[BATCH];  /* yields before each cancel */
    pthread_t thread;
} canceller;

static void *cancel_main(void *arg)
{
    canceller *k = arg;

    for (int i = 0; i < BATCH; i++) {
        chaos *c = &k->batch[i];
        if (!c->cancel)
            continue;
        for (uint32_t y = k->delays[i]; y > 0; y--)
            sched_yield();
        c->cancel_ns = aj_now_ns();
        aj_instance_cancel(c->inst);
        atomic_store(&c->cancel_returned, true);
    }
    return NULL;
}

/* A step that overran its deadline may time out again on the next
 * attempts too: its deadline is tighter than a scheduling delay. */
static uint32_t allowed_attempts(const chaos *c, uint32_t i)
{
    const script *s = &c->steps[i];
    uint32_t max = 1 + c->job->steps[i].retry->max_retries;

    if (s->permanent)
        return 1;
    if (s->fails < 0 || s->overruns > 0 || (uint32_t)s->fails + 1 > max)
        return max;
    return (uint32_t)s->fails + 1;
}

/* How predecessor p ended, for its successors: 0 completed, 1 failed (or
 * skipped for a failure), 2 cancelled (or skipped for one), 4 skipped. */
static unsigned ended(const chaos *c, uint32_t p)
{
    aj_step_info info;

    assert_int_equal(aj_instance_step_info(c->inst, p, &info), AJ_OK);
    if (info.state == AJ_STEP_COMPLETED)
        return 0;
    if (info.state == AJ_STEP_FAILED || info.skip_reason == AJ_SKIP_UPSTREAM_FAILED)
        return 1;
    if (info.state == AJ_STEP_CANCELLED || info.skip_reason == AJ_SKIP_UPSTREAM_CANCELLED)
        return 2;
    assert_int_equal(info.state, AJ_STEP_SKIPPED);
    return 4;
}

static aj_skip_reason upstream(unsigned seen)
{
    return seen & 1 ? AJ_SKIP_UPSTREAM_FAILED
           : seen & 2 ? AJ_SKIP_UPSTREAM_CANCELLED
                      : AJ_SKIP_UPSTREAM_SKIPPED;
}

/* The oracle: why step i is skipped, given how its predecessors ended, or
 * AJ_SKIP_NONE when it runs (unless the instance was cancelled first). */
static aj_skip_reason verdict(const chaos *c, uint32_t i)
{
    const aj_step_gate *g = c->job->steps[i].gate;
    unsigned seen = 0;
    void *p;

    if (g == NULL) {
        for (uint32_t k = 0; k < c->job->exec[i].n_preds; k++)
            seen |= ended(c, c->job->preds[i][k]);
        return seen != 0 ? upstream(seen) : AJ_SKIP_NONE;
    }
    for (uint32_t k = 0; k < g->n_required; k++)
        seen |= ended(c, g->required[k]);
    if (g->rule == AJ_ON_SUCCESS && seen != 0)
        return upstream(seen);
    if (g->rule == AJ_ON_FAILURE && !(seen & 1))
        return AJ_SKIP_NO_FAILURE;
    if (g->condition >= 0 &&
        (aj_instance_output(c->inst, (uint32_t)g->condition, false, &p) != AJ_OK ||
         *(bool *)p == g->negate))
        return AJ_SKIP_CONDITION;
    return AJ_SKIP_NONE;
}

/* The value step i's data inputs imply, from the instance's outputs. */
static int64_t expected_value(const chaos *c, uint32_t i)
{
    int64_t v = 1;

    for (uint32_t e = 0; e < c->job->def.n_edges; e++) {
        const aj_edge_def *ed = &c->job->edges[e];
        void *p;
        if (ed->to != i || !(ed->kind & AJ_EDGE_DATA) ||
            tj_state(c->inst, ed->from) != AJ_STEP_COMPLETED)
            continue;
        assert_int_equal(aj_instance_output(c->inst, ed->from, false, &p), AJ_OK);
        v += c->steps[ed->from].box ? **(int64_t **)p : *(int64_t *)p;
    }
    return v;
}

/* attempts = 1 + retries used; a retry cut short by a cancel was not used. */
static void check_attempts(const chaos *c, uint32_t i, const aj_step_info *info)
{
    uint32_t retries = atomic_load(&c->retries[i]);

    assert_int_equal(info->attempts, atomic_load(&c->attempts[i]));
    assert_true(info->attempts <= allowed_attempts(c, i));
    if (info->attempts == 0)
        assert_int_equal(retries, 0);
    else if (info->state == AJ_STEP_CANCELLED)
        assert_true(retries == info->attempts || retries + 1 == info->attempts);
    else
        assert_int_equal(retries + 1, info->attempts);
}

static bool nonfatal(const chaos *c, uint32_t i)
{
    return (c->job->exec[i].flags & AJ_STEP_NONFATAL) != 0;
}

/* fatal: some step failed that is not nonfatal: fail-fast cancels then. */
static void check_final(const chaos *c, uint32_t i, const aj_step_info *info, bool fatal)
{
    void *p;

    switch (info->state) {
    case AJ_STEP_COMPLETED:
        assert_int_equal(atomic_load(&c->completions[i]), 1);
        assert_true(atomic_load(&c->returned_ok[i]) >= 1);
        assert_true(info->attempts > (uint32_t)c->steps[i].overruns);
        assert_int_equal(aj_instance_output(c->inst, i, false, &p), AJ_OK);
        if (c->steps[i].is_bool)
            assert_int_equal(*(bool *)p, c->steps[i].truth);
        else if (!c->steps[i].box)
            assert_int_equal(*(int64_t *)p, expected_value(c, i));
        break;
    case AJ_STEP_FAILED:
        assert_int_equal(atomic_load(&c->completions[i]), 0);
        if (c->steps[i].overruns > 0) {
            assert_int_equal(info->kind, AJ_FAIL_TIMEOUT);
            assert_int_equal(info->err, AJ_ESTEPTIMEOUT);
        } else {
            assert_int_equal(info->kind, AJ_FAIL_ERROR);
            assert_int_equal(info->err, c->steps[i].code);
        }
        break;
    case AJ_STEP_SKIPPED:
        assert_int_not_equal(info->skip_reason, AJ_SKIP_NONE);
        assert_int_equal(info->skip_reason, verdict(c, i));
        break;
    case AJ_STEP_CANCELLED:
        assert_true(c->cancel || (c->fail_fast && fatal));
        assert_int_equal(atomic_load(&c->completions[i]), 0);
        break;
    default:
        fail_msg("step %u not final after wait", (unsigned)i);
    }
}

static void check_step(const chaos *c, uint32_t i, bool fatal)
{
    aj_step_info info;

    assert_int_equal(aj_instance_step_info(c->inst, i, &info), AJ_OK);
    check_attempts(c, i, &info);
    /* It ran exactly when its gate (or, ungated, its predecessors) let
     * it; a cancel may have come first. */
    if (info.state != AJ_STEP_CANCELLED)
        assert_int_equal(info.attempts > 0, verdict(c, i) == AJ_SKIP_NONE);
    else if (info.attempts > 0)
        assert_int_equal(verdict(c, i), AJ_SKIP_NONE);
    assert_int_equal(atomic_load(&c->finishes[i]), 1);
    /* Without a tight deadline, returning 0 is completing. */
    if (c->steps[i].overruns == 0)
        assert_int_equal(atomic_load(&c->returned_ok[i]), atomic_load(&c->completions[i]));
    check_final(c, i, &info, fatal);
}

/* A short wait first (it may time out, never change the end), then the
 * watchdog's. */
static int wait_for(chaos *c)
{
    static const int64_t shorts[] = { 0, 1, 999, 100000 };
    int rc = aj_instance_wait(c->inst, shorts[rnd(4)]);

    if (rc == AJ_ETIMEDOUT)
        rc = aj_instance_wait(c->inst, (int64_t)WATCHDOG_S * 1000000000);
    if (rc == AJ_ETIMEDOUT)
        fail_msg("watchdog: instance %s of %u steps (%s%s) still running after %d s",
                 aj_instance_id(c->inst), (unsigned)c->job->def.n_steps,
                 c->cancel ? "cancelled" : "not cancelled", c->fail_fast ? ", fail-fast" : "",
                 WATCHDOG_S);
    c->done_ns = aj_now_ns();
    return rc;
}

static void check_instance(chaos *c, int rc)
{
    bool failed = false;
    aj_failure f;

    assert_true(aj_instance_done(c->inst));
    assert_int_equal(atomic_load(&c->violations), 0);
    assert_int_equal(atomic_load(&c->unaware), 0);
    for (uint32_t i = 0; i < c->job->def.n_steps; i++)
        failed |= tj_state(c->inst, i) == AJ_STEP_FAILED && !nonfatal(c, i);
    for (uint32_t i = 0; i < c->job->def.n_steps; i++)
        check_step(c, i, failed);
    aj_instance_failure(c->inst, &f);
    /* Nonfatal failures are never the root cause. */
    if (failed) {
        assert_true(f.step >= 0);
        assert_int_equal(tj_state(c->inst, (uint32_t)f.step), AJ_STEP_FAILED);
        assert_false(nonfatal(c, (uint32_t)f.step));
        assert_int_equal(rc, f.code);
    } else {
        assert_int_equal(f.step, -1);
        assert_int_equal(rc, f.code); /* AJ_ECANCELED or AJ_OK */
    }
    if (c->cancel && c->done_ns - c->cancel_ns > worst_cancel_ns)
        worst_cancel_ns = c->done_ns - c->cancel_ns;
}

static void release(chaos *c)
{
    aj_instance_free(c->inst);
    free(c->steps);
    free((void *)c->attempts);
    free((void *)c->returned_ok);
    free((void *)c->retries);
    free((void *)c->finishes);
    free((void *)c->completions);
    tj_free(c->job);
}

static void run_batch(aj_runtime *rt)
{
    chaos batch[BATCH];
    canceller k = { batch, { 0 }, 0 };
    int rc[BATCH];

    for (int i = 0; i < BATCH; i++) {
        launch(&batch[i], rt);
        k.delays[i] = rnd(4) == 0 ? 0 : rnd(2000);
    }
    assert_int_equal(pthread_create(&k.thread, NULL, cancel_main, &k), 0);
    for (int i = 0; i < BATCH; i++)
        rc[i] = wait_for(&batch[i]);
    assert_int_equal(pthread_join(k.thread, NULL), 0);
    for (int i = 0; i < BATCH; i++) {
        check_instance(&batch[i], rc[i]);
        release(&batch[i]);
    }
}

static void *nothing(void *arg)
{
    return arg;
}

/* Threads of this process, as the kernel lists them. A sanitizer starts
 * its own thread with the first pthread_create: one is made and joined
 * first, so that the count only moves with the runtime's workers. */
static int task_count(void)
{
    static bool warm;
    pthread_t t;
    DIR *d;
    struct dirent *e;
    int n = 0;

    if (!warm) {
        assert_int_equal(pthread_create(&t, NULL, nothing, NULL), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        warm = true;
    }
    d = opendir("/proc/self/task");
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void chaos_run(unsigned workers)
{
    const char *env = getenv("AJ_CHAOS_INSTANCES");
    int total = env != NULL ? atoi(env) : 32, tasks = task_count();
    long made = atomic_load(&boxes_made), freed = atomic_load(&boxes_freed);
    long created = aj__test_threads_created(), joined = aj__test_threads_joined();
    aj_runtime_opts ro = { .n_workers = workers };
    aj_runtime *rt = aj_runtime_new(&ro);

    assert_non_null(rt);
    /* The workers and the canceller. */
    assert_int_equal(aj__test_threads_created() - created, workers + 1);
    worst_cancel_ns = 0;
    for (int done = 0; done < total; done += BATCH)
        run_batch(rt);
    aj_runtime_free(rt);
    assert_int_equal(aj__test_threads_joined() - joined, workers + 1);
    assert_int_equal(aj__test_threads_created() - created, workers + 1);
    assert_int_equal(task_count(), tasks);
    assert_int_equal(atomic_load(&boxes_made) - made, atomic_load(&boxes_freed) - freed);
    print_message("%u workers: %d instances, longest cancel to end %.3f ms\n", workers,
                  (total + BATCH - 1) / BATCH * BATCH, (double)worst_cancel_ns / 1e6);
}

static void test_chaos_one_worker(void **state)
{
    (void)state;
    chaos_run(1);
}

static void test_chaos_two_workers(void **state)
{
    (void)state;
    chaos_run(2);
}

static void test_chaos_four_workers(void **state)
{
    (void)state;
    chaos_run(4);
}

static void test_chaos_eight_workers(void **state)
{
    (void)state;
    chaos_run(8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chaos_one_worker),
        cmocka_unit_test(test_chaos_two_workers),
        cmocka_unit_test(test_chaos_four_workers),
        cmocka_unit_test(test_chaos_eight_workers),
    };

    rng = tj_rng_seed("AJ_CHAOS_SEED");
    return cmocka_run_group_tests_name("chaos", tests, NULL, NULL);
}
