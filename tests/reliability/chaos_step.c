/*
 * chaos_step.c: the instances of test_chaos (chaos.h). Each step of a
 * random DAG gets a script (fail so many times, overrun its deadline, wait
 * for the cancel, box its output) and a kind: plain, blocking (run on the
 * blocking pool) or async (its function returns AJ_PENDING and its done
 * comes from the completers of chaos_done.c, or before the function
 * returns). In half the instances a third of the steps with predecessors
 * also get a gate (a trigger rule, a condition, optional inputs), whatever
 * their kind, and an eighth of all steps are nonfatal. One step function
 * follows the script on whatever thread runs it, and it and the observers
 * write the ledger; they never assert (cmocka is not thread-safe),
 * test_chaos.c checks on the main thread.
 */
#include "aj_internal.h"
#include "chaos.h"

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <cmocka.h>

uint64_t chaos_rng;
pthread_t chaos_main_thread;
_Atomic long chaos_boxes_made, chaos_boxes_freed;
chaos_tally chaos_seen;

uint32_t chaos_rnd(uint32_t n)
{
    return tj_rnd(&chaos_rng, n);
}

/* The job input block: what aj_instance_start copies. */
typedef struct chaos_inputs {
    chaos *c;
} chaos_inputs;

static const aj_retry_policy retry_now = { .max_retries = 2 };
static const aj_retry_policy retry_later = { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                             .delay_ns = 50000, .jitter_pct = 50 };
static const aj_retry_policy retry_hour = { .max_retries = 2, .backoff = AJ_BACKOFF_FIXED,
                                            .delay_ns = 3600000000000 };

static void box_free(void *slot)
{
    free(*(int64_t **)slot);
    atomic_fetch_add(&chaos_boxes_freed, 1);
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

/* v as step i's output in *slot, boxed or not; a condition's step stores
 * its truth instead, a bool at the start of the slot. */
static void store(const chaos *c, uint32_t i, int64_t v, int64_t *slot)
{
    int64_t *b;

    if (c->steps[i].is_bool) {
        memcpy(slot, &c->steps[i].truth, sizeof(bool));
        return;
    }
    if (!c->steps[i].box) {
        *slot = v;
        return;
    }
    b = malloc(sizeof *b);
    if (b == NULL)
        abort();
    *b = v;
    memcpy(slot, &b, sizeof b);
    atomic_fetch_add(&chaos_boxes_made, 1);
}

/* The name of this thread's kind, as the ledger tells them apart. */
static bool thread_named(const char *name)
{
#if defined(__linux__)
    char mine[17] = "";
    return prctl(PR_GET_NAME, mine, 0, 0, 0) == 0 && strcmp(mine, name) == 0;
#else
    (void)name;
    return false;
#endif
}

/* Sequential: the starting thread runs everything. Else blocking steps run
 * on the pool, plain ones never there nor on a completer (done's thread
 * starts async steps only), async ones anywhere. */
static bool right_thread(const chaos *c, uint32_t i)
{
    if (c->sequential)
        return pthread_equal(pthread_self(), chaos_main_thread);
    if (c->steps[i].kind == CHAOS_BLOCKING)
        return thread_named("aj-block");
    if (c->steps[i].kind == CHAOS_PLAIN)
        return !thread_named("aj-block") && !thread_named("chaos-done");
    return true;
}

/* Step i may start: an ungated step once every predecessor completed, a
 * gated one once every one is final. The finish event of a step that ran
 * comes before its successors are released; a skipped one's may come
 * after, so a gated step, whose predecessors may have been skipped, reads
 * their states. */
static void check_preds(chaos *c, const aj_ctx *ctx, uint32_t i)
{
    for (uint32_t k = 0; k < c->job->exec[i].n_preds; k++) {
        uint32_t p = c->job->preds[i][k];
        bool ok = c->job->steps[i].gate == NULL
                      ? atomic_load(&c->completions[p]) != 0
                      : tj_state(aj_ctx_instance(ctx), p) >= AJ_STEP_COMPLETED &&
                            tj_state(aj_ctx_instance(ctx), p) <= AJ_STEP_CANCELLED;
        if (!ok)
            atomic_fetch_add(&c->violations, 1);
    }
}

/* Records what the ledger needs before the attempt does anything. */
static uint32_t begin(chaos *c, aj_ctx *ctx, uint32_t i)
{
    bool after_cancel = atomic_load(&c->cancel_returned);
    uint32_t attempt;

    if (after_cancel && !aj_ctx_cancelled(ctx))
        atomic_fetch_add(&c->unaware, 1);
    check_preds(c, ctx, i);
    if (!right_thread(c, i))
        atomic_fetch_add(&c->misplaced, 1);
    if (c->steps[i].kind == CHAOS_BLOCKING)
        atomic_fetch_add(&chaos_seen.blocking, 1);
    else if (c->steps[i].kind == CHAOS_ASYNC)
        atomic_fetch_add(&chaos_seen.async, 1);
    if (c->job->steps[i].gate != NULL)
        atomic_fetch_add(&chaos_seen.gated[c->steps[i].kind], 1);
    attempt = atomic_fetch_add(&c->attempts[i], 1) + 1;
    /* Every attempt before this one had its done, or failed without. */
    if (c->steps[i].kind == CHAOS_ASYNC &&
        atomic_load(&c->dones[i]) + atomic_load(&c->refused[i]) != attempt - 1)
        atomic_fetch_add(&c->early, 1);
    return attempt;
}

/* ------------------------------------------------------------------------ */
/* Async attempts                                                            */

/* Calls done as d says, or with the step's code when its hook hurried it:
 * the operation was aborted. */
static void make_done(done_call *d, bool hurried)
{
    chaos *c = d->c;
    uint32_t i = d->step;
    int rc = hurried ? c->steps[i].code : d->rc;
    int64_t out = 0;

    if (rc == 0) {
        atomic_fetch_add(&c->returned_ok[i], 1);
        store(c, i, d->value, &out);
    }
    if (hurried)
        atomic_fetch_add(&chaos_seen.hurried, 1);
    if (aj_now_ns() > d->deadline_ns)
        atomic_fetch_add(&chaos_seen.late, 1);
    atomic_fetch_add(&c->dones[i], 1);
    aj_reply_done(d->reply, rc, &out);
}

static void done_later(cd_call *call, bool hurried)
{
    done_call *d = (done_call *)call;
    chaos *c = d->c;

    make_done(d, hurried);
    /* The last touch of c: the main thread may free it now. */
    atomic_fetch_sub(&c->outstanding, 1);
}

/* How long after its start an attempt's done comes (0 at index 0: before
 * the function returns), and how long after its deadline a late one's; a
 * last attempt's, which nothing waits for but free, LAST_LATE_NS more. */
static const int64_t soon_ns[4] = { 0, 0, 20000, 300000 };
static const int64_t late_ns[4] = { 1, 10000, 300000, 3000000 };
#define LAST_LATE_NS 10000000

/* Attempt k uses bits 4k..4k+3 of the mix: bit 0 makes a late done a
 * failure, bits 1-2 pick its delay. */
static int async_attempt(chaos *c, aj_ctx *ctx, uint32_t i, uint32_t attempt,
                         const void *outputs)
{
    const script *s = &c->steps[i];
    bool late = (int)attempt <= s->overruns;
    bool fail = s->fails < 0 || (int)attempt <= s->overruns + s->fails;
    uint32_t bits = s->mix >> (4 * attempt);
    done_call *d;
    int64_t due;

    if (attempt > CHAOS_MAX_ATTEMPTS || aj_ctx_reply(ctx) == NULL) {
        atomic_fetch_add(&c->violations, 1);
        return s->code;
    }
    fail = fail && !late;
    if (fail && s->permanent)
        aj_ctx_set_permanent(ctx);
    if (fail && s->refuse) {
        atomic_fetch_add(&c->refused[i], 1);
        return s->code;
    }
    d = &c->calls[i * CHAOS_MAX_ATTEMPTS + attempt - 1];
    *d = (done_call){ .c = c, .reply = aj_ctx_reply(ctx), .step = i,
                      .rc = fail || (late && (bits & 1)) ? s->code : 0,
                      .value = value_of(c, ctx, i, outputs),
                      .deadline_ns = aj_ctx_deadline_ns(ctx) };
    cd_init(&d->call, done_later);
    if (!late && !s->spin && ((bits >> 1) & 3) == 0) {
        atomic_fetch_add(&chaos_seen.at_once, 1);
        make_done(d, false);
        return AJ_PENDING;
    }
    if (late)
        due = d->deadline_ns + late_ns[(bits >> 1) & 3] +
              (attempt == CHAOS_MAX_ATTEMPTS ? LAST_LATE_NS : 0);
    else
        due = s->spin ? INT64_MAX : aj_now_ns() + soon_ns[(bits >> 1) & 3];
    atomic_fetch_add(&c->outstanding, 1);
    /* Before the queue: done may come at once, and ends the attempt. */
    if (s->hooked && aj_ctx_on_cancel(ctx, cd_hurry, &d->call) != AJ_OK)
        atomic_fetch_add(&c->violations, 1);
    cd_queue(&d->call, due);
    return AJ_PENDING;
}

static int chaos_step(aj_ctx *ctx, void *inputs, void *outputs, const size_t *slots)
{
    chaos *c = ((chaos_inputs *)inputs)->c;
    uint32_t i = aj_ctx_step_index(ctx), attempt = begin(c, ctx, i);
    const script *s = &c->steps[i];

    (void)slots;
    if (s->kind == CHAOS_ASYNC)
        return async_attempt(c, ctx, i, attempt, outputs);
    while (s->spin && !aj_ctx_cancelled(ctx))
        sched_yield();
    if ((int)attempt <= s->overruns) {
        while (!aj_ctx_expired(ctx))
            sched_yield();
        /* On time this would be a success; late, the runtime must fail
         * it and free the output. */
        atomic_fetch_add(&c->returned_ok[i], 1);
        store(c, i, value_of(c, ctx, i, outputs), (int64_t *)outputs + i);
        return 0;
    }
    if (s->fails < 0 || (int)attempt <= s->overruns + s->fails) {
        if (s->permanent)
            aj_ctx_set_permanent(ctx);
        return s->code;
    }
    atomic_fetch_add(&c->returned_ok[i], 1);
    store(c, i, value_of(c, ctx, i, outputs), (int64_t *)outputs + i);
    return 0;
}

static void on_retry(void *arg, const aj_step_event *ev)
{
    chaos *c = arg;

    atomic_fetch_add(&c->retries[ev->step_index], 1);
    /* It returns 0 (or its done comes) late or on time: it fails only by
     * timing out. */
    if (c->steps[ev->step_index].overruns > 0 && ev->err != AJ_ESTEPTIMEOUT)
        atomic_fetch_add(&c->misrecorded, 1);
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

/* Async step i's way with done. */
static void script_async(chaos *c, uint32_t i)
{
    script *s = &c->steps[i];

    tj_set_async(c->job, i, true);
    s->refuse = chaos_rnd(2) == 0;
    s->hooked = s->spin || chaos_rnd(3) == 0;
    s->mix = chaos_rnd(UINT32_MAX);
}

/* Step i's script and its definition's retry policy and deadline; of 100
 * steps, pct[0] are blocking and pct[1] async. */
static void script_step(chaos *c, uint32_t i, const uint32_t pct[2])
{
    script *s = &c->steps[i];
    aj_step_def *sd = &c->job->steps[i];
    uint32_t dice = chaos_rnd(100), kind = chaos_rnd(100);

    s->code = -(int)(100 + i);
    c->job->exec[i].run = chaos_step;
    sd->retry = chaos_rnd(2) ? &retry_now : &retry_later;
    if (c->cancel && chaos_rnd(10) == 0)
        sd->retry = &retry_hour;   /* only a cancel ends its delay */
    if (dice < 2)
        s->fails = -1;
    else if (dice < 4)
        s->permanent = true, s->fails = 1;
    else if (dice < 10)
        s->fails = 1 + (int)chaos_rnd(2);
    else if (dice < 13)
        s->overruns = 1 + (int)chaos_rnd(3); /* 3: every attempt times out */
    /* Overrunning steps get 1 ns, 1 us, 20 us or 2 ms; a few others 10 s. */
    if (s->overruns > 0)
        tj_set_timeout(c->job, i, (int64_t[]){ 1, 1000, 20000, 2000000 }[chaos_rnd(4)]);
    else if (chaos_rnd(20) == 0)
        tj_set_timeout(c->job, i, 10000000000);
    s->spin = c->cancel && !c->sequential && chaos_rnd(60) == 0;
    s->box = chaos_rnd(8) == 0;
    sd->free_output = s->box ? box_free : NULL;
    s->kind = kind < pct[0]            ? CHAOS_BLOCKING
              : kind < pct[0] + pct[1] ? CHAOS_ASYNC
                                       : CHAOS_PLAIN;
    if (s->kind == CHAOS_BLOCKING)
        tj_set_blocking(c->job, i, true);
    else if (s->kind == CHAOS_ASYNC)
        script_async(c, i);
}

/* Step i's condition: one of its predecessors, whose edge becomes a
 * condition and whose output a bool (unboxed). */
static int32_t condition_of(chaos *c, uint32_t i)
{
    const aj_step_exec *x = &c->job->exec[i];
    uint32_t p = c->job->preds[i][chaos_rnd(x->n_preds)];

    for (uint32_t e = 0; e < c->job->def.n_edges; e++)
        if (c->job->edges[e].from == p && c->job->edges[e].to == i)
            c->job->edges[e].kind = AJ_EDGE_CONDITION;
    c->steps[p].box = false;
    c->job->steps[p].free_output = NULL;
    if (!c->steps[p].is_bool) {
        c->steps[p].is_bool = true;
        c->steps[p].truth = chaos_rnd(3) != 0;
        c->job->steps[p].output_type = "bool";
        c->job->steps[p].output_size = sizeof(bool);
    }
    return (int32_t)p;
}

/* A third of the steps with predecessors get a gate: a random rule, a
 * condition half the time, and (but under `on failure`, which needs a
 * required predecessor) some plain data inputs made optional. A step
 * already a condition keeps its output. Any kind of step may be gated or
 * be a condition: a gate is judged from its predecessors' final states,
 * and an async condition's bool comes through its done. */
static void gate_step(chaos *c, uint32_t i)
{
    aj_trigger_rule rule = (aj_trigger_rule)chaos_rnd(3);
    int32_t cond = -1;

    if (c->job->exec[i].n_preds == 0 || chaos_rnd(3) != 0)
        return;
    if (chaos_rnd(2) == 0)
        cond = condition_of(c, i);
    for (uint32_t e = 0; rule != AJ_ON_FAILURE && e < c->job->def.n_edges; e++) {
        aj_edge_def *ed = &c->job->edges[e];
        if (ed->to == i && ed->kind == AJ_EDGE_DATA && chaos_rnd(3) == 0)
            ed->kind = AJ_EDGE_DATA | AJ_EDGE_OPTIONAL;
    }
    tj_set_gate(c->job, i, rule, cond, chaos_rnd(2) == 0);
}

void chaos_launch(chaos *c, aj_runtime *rt)
{
    uint32_t n, pct[2];
    chaos_inputs in = { c };
    aj_observer obs = { NULL, on_retry, on_finish, c };
    aj_start_opts o;

    memset(c, 0, sizeof *c);
    pct[0] = 10 * chaos_rnd(4);
    pct[1] = 10 * chaos_rnd(4);
    c->job = tj_random(100 + chaos_rnd(300), &chaos_rng);
    n = c->job->def.n_steps;
    c->sequential = chaos_rnd(10) == 0;
    c->cancel = !c->sequential && chaos_rnd(3) == 0;
    c->fail_fast = chaos_rnd(6) == 0;
    c->free_first = !c->cancel && chaos_rnd(2) == 0;
    c->gates = chaos_rnd(2) == 0;
    c->steps = calloc(n, sizeof *c->steps);
    c->calls = calloc((size_t)n * CHAOS_MAX_ATTEMPTS, sizeof *c->calls);
    assert_true(c->steps != NULL && c->calls != NULL);
    c->attempts = counters(n);
    c->returned_ok = counters(n);
    c->retries = counters(n);
    c->finishes = counters(n);
    c->completions = counters(n);
    c->dones = counters(n);
    c->refused = counters(n);
    for (uint32_t i = 0; i < n; i++)
        script_step(c, i, pct);
    for (uint32_t i = 0; c->gates && i < n; i++) {
        gate_step(c, i);
        tj_set_nonfatal(c->job, i, chaos_rnd(8) == 0);
    }
    o = (aj_start_opts){ .fail_fast = c->fail_fast, .sequential = c->sequential,
                         .observer = &obs };
    assert_int_equal(aj_instance_start(rt, &c->job->def, &in, &o, &c->inst), AJ_OK);
    snprintf(c->id, sizeof c->id, "%s", aj_instance_id(c->inst));
}

void chaos_drop(chaos *c)
{
    free(c->steps);
    free(c->calls);
    free((void *)c->attempts);
    free((void *)c->returned_ok);
    free((void *)c->retries);
    free((void *)c->finishes);
    free((void *)c->completions);
    free((void *)c->dones);
    free((void *)c->refused);
    tj_free(c->job);
}
