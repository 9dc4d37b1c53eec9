/*
 * tjob.c: test jobs built at run time in ajc's table shape, one generic
 * step function with scripted behaviour, gates and the ledger. Runs on the
 * runtime's threads: it records, never asserts (cmocka is not
 * thread-safe); the tests assert on the ledger after wait.
 */
#include "tjob.h"

#include <sched.h>
#include <stdio.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <stdlib.h>
#include <time.h>
#include <string.h>

_Atomic long tj_boxes_freed;
_Atomic long tj_boxes_made;

void tj_gate_init(tj_gate *g)
{
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->open = false;
}

void tj_gate_destroy(tj_gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

void tj_gate_open(tj_gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

void tj_gate_wait(tj_gate *g)
{
    pthread_mutex_lock(&g->mu);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        abort();
    return p;
}

static void box_free(void *slot)
{
    free(*(int64_t **)slot);
    atomic_fetch_add(&tj_boxes_freed, 1);
}

/* One more inside; peak keeps the most at once. */
static void count_in(_Atomic int *inside, _Atomic int *peak)
{
    int now = atomic_fetch_add(inside, 1) + 1, was = atomic_load(peak);

    while (now > was && !atomic_compare_exchange_weak(peak, &was, now))
        ;
}

/* Sleeps, counting the attempts inside at once in b's counters. */
static void sleep_counted(const tj_behave *b)
{
    struct timespec ts = { (time_t)(b->sleep_ns / 1000000000), (long)(b->sleep_ns % 1000000000) };

    if (b->inside != NULL)
        count_in(b->inside, b->peak);
    if (b->sleep_ns > 0)
        while (nanosleep(&ts, &ts) != 0)
            ;
    if (b->inside != NULL)
        atomic_fetch_sub(b->inside, 1);
}

/* Whether this thread is one of the blocking pool's, by its name. */
static bool on_blocking_pool(void)
{
#if defined(__linux__)
    char name[17] = "";
    return prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && strcmp(name, "aj-block") == 0;
#else
    return false;
#endif
}

/* Waits as the behaviour says. */
static void hold(aj_ctx *ctx, const tj_behave *b, tj_run *r, uint32_t i)
{
    if (b->cancel_async)
        aj_instance_cancel_async((aj_instance *)aj_ctx_instance(ctx));
    if (b->opens != NULL)
        tj_gate_open(b->opens);
    for (int64_t t0 = aj_now_ns(); aj_now_ns() - t0 < b->busy_ns;)
        ;
    if (b->sleep_ns > 0 || b->inside != NULL)
        sleep_counted(b);
    if (b->started != NULL)
        sem_post(b->started);
    if (b->gate != NULL)
        tj_gate_wait(b->gate);
    if (b->until_cancelled) {
        while (!aj_ctx_cancelled(ctx))
            sched_yield();
        atomic_fetch_add(&r->cancel_seen[i], 1);
    }
    while (b->until_expired && !aj_ctx_expired(ctx))
        sched_yield();
}

/* What a hook_wait attempt's hook touches: on the attempt's stack. */
typedef struct tj_hook {
    sem_t woken;
    _Atomic uint32_t *calls;
    _Atomic uint32_t *inline_calls;
    pthread_t owner;
} tj_hook;

static void hook_count(tj_hook *h)
{
    atomic_fetch_add(h->calls, 1);
    if (pthread_equal(pthread_self(), h->owner))
        atomic_fetch_add(h->inline_calls, 1);
}

static void hook_wake(void *arg)
{
    tj_hook *h = arg;

    hook_count(h);
    sem_post(&h->woken);
}

static void hook_only_count(void *arg)
{
    atomic_fetch_add((_Atomic uint32_t *)arg, 1);
}

/* Blocks as a step blocked on I/O does, until its hook wakes it. The hook
 * goes before the semaphore: it may still be inside sem_post. */
static void hook_block(aj_ctx *ctx, tj_run *r, uint32_t i)
{
    tj_hook h = { .calls = &r->hook_calls[i], .inline_calls = &r->hook_inline[i],
                  .owner = pthread_self() };

    sem_init(&h.woken, 0, 0);
    aj_ctx_on_cancel(ctx, hook_wake, &h);
    while (sem_wait(&h.woken) != 0)
        ;
    aj_ctx_on_cancel(ctx, NULL, NULL);
    sem_destroy(&h.woken);
}

/* Whether predecessor p of step i has completed, as i's run needs: its
 * one success; a step with many values, its state (an element of a
 * follower needs only its own element of p, which the runtime orders). */
static bool pred_completed(const aj_ctx *ctx, const tj_run *r, uint32_t p, uint32_t i)
{
    const tj_job *j = r->job;

    if (!tj_many(j, p))
        return atomic_load(&r->successes[p]) != 0;
    if ((j->exec[p].flags & AJ_STEP_MAPPED) && j->steps[i].map_source == (int32_t)p &&
        (j->exec[i].flags & AJ_STEP_MAPPED))
        return true;
    return tj_state(aj_ctx_instance(ctx), p) == AJ_STEP_COMPLETED;
}

/* Every predecessor must have completed before a step starts; a gated
 * step's must be final, whatever their state. */
static void check_preds(const aj_ctx *ctx, tj_run *r, uint32_t i)
{
    const aj_step_exec *x = &r->job->exec[i];

    for (uint32_t k = 0; k < x->n_preds; k++) {
        uint32_t p = r->job->preds[i][k];
        int st = tj_state(aj_ctx_instance(ctx), p);
        bool final = st == AJ_STEP_COMPLETED || st == AJ_STEP_FAILED ||
                     st == AJ_STEP_SKIPPED || st == AJ_STEP_CANCELLED;
        if ((x->flags & AJ_STEP_GATED) ? !final : !pred_completed(ctx, r, p, i))
            atomic_fetch_add(&r->violations, 1);
    }
}

/* 1 + the sum of the data inputs: each output proves where it came from. */
static int64_t value_of(const tj_run *r, const aj_ctx *ctx, const void *outputs)
{
    const int64_t *slots = outputs;
    uint32_t i = aj_ctx_step_index(ctx);
    int64_t v = 1;

    for (uint32_t e = 0; e < r->job->def.n_edges; e++) {
        const aj_edge_def *ed = &r->job->edges[e];
        if (ed->to != i || !(ed->kind & AJ_EDGE_DATA))
            continue;
        if (tj_many(r->job, ed->from)) {
            v += tj_many_input(r->job, ed->from, ctx, outputs);
        } else if (r->behave[ed->from].box) {
            int64_t *b;
            memcpy(&b, &slots[ed->from], sizeof b);
            v += *b;
        } else {
            v += slots[ed->from];
        }
    }
    return v;
}

/* ctx's step's output (a box's pointer in its 8 bytes) into *slot. */
static void produce_at(const tj_run *r, const aj_ctx *ctx, const void *outputs, int64_t *slot)
{
    uint32_t i = aj_ctx_step_index(ctx);
    int64_t v = value_of(r, ctx, outputs);

    if (r->job->steps[i].output_type == NULL)
        return;
    if (r->behave[i].is_bool) {
        bool b = r->behave[i].truth;
        memcpy(slot, &b, sizeof b);
    } else if (r->behave[i].box) {
        int64_t *b = malloc(sizeof *b);
        if (b == NULL)
            abort();
        *b = v;
        memcpy(slot, &b, sizeof b);
        atomic_fetch_add(&tj_boxes_made, 1);
    } else {
        *slot = v;
    }
}

/* ctx's run stores its output: in its step's slot, its element's place,
 * or a new array. */
static void produce(const tj_run *r, aj_ctx *ctx, void *outputs)
{
    uint32_t i = aj_ctx_step_index(ctx);
    int64_t *elem = tj_elem_slot(r->job, ctx, outputs);

    if (r->job->exec[i].flags & AJ_STEP_ARRAY)
        tj_produce_array(r->job, i, r->behave[i].n_items, value_of(r, ctx, outputs), outputs);
    else
        produce_at(r, ctx, outputs, elem != NULL ? elem : (int64_t *)outputs + i);
}

/* done_on_hook: the operation is aborted, and says so. */
static void done_cancelled(void *reply)
{
    int64_t out = 0;

    aj_reply_done(reply, 125, &out);
}

/* An async attempt: its outcome goes to done, now or from the completer,
 * which *handed tells (the completer then ends its count in within). */
static int async_step(aj_ctx *ctx, tj_run *r, uint32_t attempt, const void *outputs,
                      bool *handed)
{
    uint32_t i = aj_ctx_step_index(ctx);
    const tj_behave *b = &r->behave[i];
    aj_reply *reply = aj_ctx_reply(ctx);
    bool fail = b->fails < 0 || attempt <= (uint32_t)b->fails;
    int rc = fail ? (b->code != 0 ? b->code : -7) : 0;
    int64_t out = 0;

    if (reply == NULL) {
        atomic_fetch_add(&r->violations, 1);
        return -99;
    }
    if (b->done_on_hook) {
        atomic_fetch_add(&r->hook_calls[i], 0);
        return aj_ctx_on_cancel(ctx, done_cancelled, reply) == AJ_OK ? AJ_PENDING : -98;
    }
    if (fail && b->message != NULL)
        aj_ctx_set_message(ctx, "%s", b->message);
    if (fail && b->permanent)
        aj_ctx_set_permanent(ctx);
    if (fail && b->done_refuse)
        return rc;
    if (!fail) {
        atomic_fetch_add(&r->successes[i], 1);
        produce_at(r, ctx, outputs, &out);
    }
    if (b->done_later && (b->slow_attempts == 0 || attempt <= (uint32_t)b->slow_attempts)) {
        *handed = b->within != NULL;
        tj_done_after_counted(reply, rc, out, b->done_after_ns, b->within);
        return AJ_PENDING;
    }
    aj_reply_done(reply, rc, &out);
    if (b->done_twice)
        aj_reply_done(reply, rc, &out);
    return AJ_PENDING;
}

/* Finds its inputs through the edges, not slots: tables built here have
 * none. An element counts in its step's attempts and successes, but its
 * attempt is its own. */
static int step_body(aj_ctx *ctx, void *inputs, void *outputs, bool *handed)
{
    tj_run *r = ((tj_inputs *)inputs)->run;
    uint32_t i = aj_ctx_step_index(ctx);
    const tj_behave *b = &r->behave[i];
    bool elem = r->job->exec[i].flags & AJ_STEP_MAPPED;
    uint32_t attempt = atomic_fetch_add(&r->attempts[i], 1) + 1;

    if (elem)
        attempt = aj_ctx_attempt(ctx);
    else
        r->thread[i] = pthread_self();
    if (on_blocking_pool())
        atomic_fetch_add(&r->on_pool[i], 1);
    if (b->policy != NULL)
        atomic_store(b->policy, sched_getscheduler(0));
    check_preds(ctx, r, i);
    hold(ctx, b, r, i);
    if (b->hook_keep)
        aj_ctx_on_cancel(ctx, hook_only_count, &r->hook_calls[i]);
    if (b->hook_wait) {
        hook_block(ctx, r, i);
        if (b->permanent)
            aj_ctx_set_permanent(ctx);
        return b->code != 0 ? b->code : -7;
    }
    if (b->until_expired && !(r->job->exec[i].flags & AJ_STEP_ASYNC))
        return b->after_expired;
    if (r->job->exec[i].flags & AJ_STEP_ASYNC)
        return async_step(ctx, r, attempt, outputs, handed);
    if (b->fails < 0 || attempt <= (uint32_t)b->fails) {
        if (b->store_on_fail)
            produce(r, ctx, outputs);
        if (b->message != NULL)
            aj_ctx_set_message(ctx, "%s", b->message);
        if (b->permanent)
            aj_ctx_set_permanent(ctx);
        return b->code != 0 ? b->code : -7;
    }
    if (atomic_fetch_add(&r->successes[i], 1) != 0 && !elem)
        atomic_fetch_add(&r->violations, 1);
    produce(r, ctx, outputs);
    return 0;
}

/* The step function: step_body, logged and counted from call to return
 * (or to the done the completer calls). */
static int tj_step(aj_ctx *ctx, void *inputs, void *outputs, const size_t *slots)
{
    const tj_behave *b = &((tj_inputs *)inputs)->run->behave[aj_ctx_step_index(ctx)];
    bool handed = false;
    int rc;

    (void)slots;
    if (b->log != NULL)
        b->log[atomic_fetch_add(b->log_n, 1)] = b->tag + (uint32_t)aj_ctx_index(ctx);
    if (b->within != NULL)
        count_in(b->within, b->within_peak);
    rc = step_body(ctx, inputs, outputs, &handed);
    if (b->within != NULL && !handed)
        atomic_fetch_sub(b->within, 1);
    return rc;
}

/* Levels by Kahn's algorithm; false on a cycle. */
static bool levels(uint32_t n, const aj_edge_def *edges, uint32_t n_edges, uint32_t *level)
{
    uint32_t *indeg = xcalloc(n, sizeof *indeg), *queue = xcalloc(n, sizeof *queue);
    uint32_t head = 0, tail = 0;

    for (uint32_t e = 0; e < n_edges; e++)
        indeg[edges[e].to]++;
    for (uint32_t i = 0; i < n; i++)
        if (indeg[i] == 0)
            queue[tail++] = i;
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t e = 0; e < n_edges; e++) {
            if (edges[e].from != u)
                continue;
            if (level[u] + 1 > level[edges[e].to])
                level[edges[e].to] = level[u] + 1;
            if (--indeg[edges[e].to] == 0)
                queue[tail++] = edges[e].to;
        }
    }
    free(indeg);
    free(queue);
    return tail == n;
}

static const uint32_t *sort_key;  /* the comparators' view of pos[] or level[] */

static int by_level(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    if (sort_key[x] != sort_key[y])
        return sort_key[x] < sort_key[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int by_pos(const void *a, const void *b)
{
    const aj_edge_def *x = a, *y = b;

    if (sort_key[x->from] != sort_key[y->from])
        return sort_key[x->from] < sort_key[y->from] ? -1 : 1;
    return sort_key[x->to] < sort_key[y->to] ? -1 : sort_key[x->to] > sort_key[y->to];
}

static void fill_steps(tj_job *j, uint32_t n, const char *const *names,
                       const char *const *types, const uint32_t *level)
{
    for (uint32_t i = 0; i < n; i++) {
        aj_step_def *sd = &j->steps[i];
        char buf[32];
        snprintf(buf, sizeof buf, "s%u", (unsigned)i);
        sd->name = strdup(names != NULL && names[i] != NULL ? names[i] : buf);
        sd->output_type = types != NULL ? types[i] : "int64_t";
        sd->output_offset = sd->output_type != NULL ? i * sizeof(int64_t) : 0;
        sd->output_size = sd->output_type != NULL ? sizeof(int64_t) : 0;
        sd->map_source = -1;
        j->exec[i].run = tj_step;
        sd->level = level[i];
        sd->line = i + 1;
        j->preds[i] = xcalloc(n, sizeof(uint32_t));
    }
}

/* Sorted edges, each step's successors (in step order) and its
 * predecessors. */
static void fill_edges(tj_job *j, uint32_t n, const uint32_t *pos)
{
    uint32_t *fill = xcalloc(n > 0 ? n : 1, sizeof *fill), next = 0;

    sort_key = pos;
    qsort(j->edges, j->def.n_edges, sizeof *j->edges, by_pos);
    for (uint32_t e = j->def.n_edges; e-- > 0;) {
        aj_edge_def *ed = &j->edges[e];
        j->exec[ed->from].n_succs++;
        j->preds[ed->to][j->exec[ed->to].n_preds++] = ed->from;
    }
    for (uint32_t i = 0; i < n; i++) {
        j->exec[i].first_succ = next;
        next += j->exec[i].n_succs;
    }
    for (uint32_t e = 0; e < j->def.n_edges; e++) {
        const aj_edge_def *ed = &j->edges[e];
        j->succs[j->exec[ed->from].first_succ + fill[ed->from]++] = ed->to;
    }
    free(fill);
}

tj_job *tj_new(const char *name, uint32_t n, const char *const *names,
               const char *const *types, const aj_edge_def *edges, uint32_t n_edges)
{
    tj_job *j = xcalloc(1, sizeof *j);
    uint32_t *level = xcalloc(n, sizeof *level), *pos = xcalloc(n, sizeof *pos);

    if (!levels(n, edges, n_edges, level)) {
        free(level);
        free(pos);
        free(j);
        return NULL;
    }
    j->steps = xcalloc(n, sizeof *j->steps);
    j->exec = xcalloc(n, sizeof *j->exec);
    j->order = xcalloc(n, sizeof *j->order);
    j->edges = xcalloc(n_edges, sizeof *j->edges);
    j->succs = xcalloc(n_edges, sizeof *j->succs);
    j->preds = xcalloc(n, sizeof *j->preds);
    if (n_edges > 0)
        memcpy(j->edges, edges, n_edges * sizeof *edges);
    fill_steps(j, n, names, types, level);
    for (uint32_t i = 0; i < n; i++)
        j->order[i] = i;
    sort_key = level;
    qsort(j->order, n, sizeof *j->order, by_level);
    j->def = (aj_job_def){
        .abi = AJ_GEN_ABI, .name = strdup(name), .source = "tjob.job", .n_steps = n,
        .steps = j->steps, .exec = j->exec, .order = j->order, .n_edges = n_edges,
        .edges = n_edges > 0 ? j->edges : NULL, .succs = n_edges > 0 ? j->succs : NULL, .result = n > 0 ? (int32_t)j->order[n - 1] : -1,
        .inputs_size = sizeof(tj_inputs), .inputs_align = _Alignof(tj_inputs),
        .outputs_size = n * sizeof(int64_t), .outputs_align = _Alignof(int64_t),
    };
    for (uint32_t k = 0; k < n; k++) {
        pos[j->order[k]] = k;
        j->def.n_roots += level[j->order[k]] == 0;
        if (level[j->order[k]] + 1 > j->def.n_levels)
            j->def.n_levels = level[j->order[k]] + 1;
    }
    fill_edges(j, n, pos);
    free(level);
    free(pos);
    return j;
}

uint64_t tj_rng_seed(const char *env)
{
    const char *text = getenv(env);
    uint64_t seed = text != NULL ? strtoull(text, NULL, 10) : (uint64_t)time(NULL) * 2654435761u;

    if (seed == 0)
        seed = 1;
    printf("seed: %s=%llu\n", env, (unsigned long long)seed);
    return seed;
}

uint32_t tj_rnd(uint64_t *rng, uint32_t n)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return (uint32_t)(*rng % n);
}

/* n steps under a random permutation of their indexes, each with up to 3
 * predecessors among the 20 generated before it. */
tj_job *tj_random(uint32_t n, uint64_t *rng)
{
    uint32_t *perm = xcalloc(n, sizeof *perm);
    aj_edge_def *edges = xcalloc((size_t)n * 3, sizeof *edges);
    uint32_t n_edges = 0;
    tj_job *j;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = tj_rnd(rng, i + 1);
        perm[i] = perm[k];
        perm[k] = i;
    }
    for (uint32_t i = 1; i < n; i++) {
        uint32_t want = tj_rnd(rng, 4), first = n_edges;
        for (uint32_t p = 0; p < want; p++) {
            uint32_t from = perm[i - 1 - tj_rnd(rng, i < 20 ? i : 20)];
            bool dup = false;
            for (uint32_t e = first; e < n_edges; e++)
                dup |= edges[e].from == from;
            if (!dup)
                edges[n_edges++] = (aj_edge_def){ from, perm[i], 1 + tj_rnd(rng, 3) };
        }
    }
    j = tj_new("stress", n, NULL, NULL, edges, n_edges);
    free(perm);
    free(edges);
    return j;
}

void tj_free(tj_job *j)
{
    if (j == NULL)
        return;
    for (uint32_t i = 0; i < j->def.n_steps; i++) {
        free((char *)j->steps[i].name);
        free(j->preds[i]);
    }
    for (uint32_t i = 0; j->gates != NULL && i < j->def.n_steps; i++)
        free((uint32_t *)j->gates[i].required);
    for (uint32_t i = 0; i < j->def.n_steps; i++)
        free((uint32_t *)j->steps[i].uses);
    for (uint32_t k = 0; k < j->def.n_limits; k++)
        free((char *)j->def.limits[k].name);
    free((aj_limit_def *)j->def.limits);
    free(j->gates);
    if (j->memo != NULL)
        free(j->memo->room);
    free(j->memo);
    free((char *)j->def.name);
    free(j->steps);
    free(j->exec);
    free(j->order);
    free(j->edges);
    free(j->succs);
    free(j->preds);
    free(j);
}

void tj_remember(tj_job *j)
{
    size_t n = AJ_MEMO_ROOM(j->def.n_steps);

    j->memo = xcalloc(1, sizeof *j->memo);
    j->memo->room = xcalloc(n, sizeof *j->memo->room);
    j->memo->n_room = n;
    j->def.memo = j->memo;
}

void tj_set_timeout(tj_job *j, uint32_t i, int64_t ns)
{
    j->steps[i].timeout_ns = ns;
    j->exec[i].flags = (j->exec[i].flags & ~(uint32_t)AJ_STEP_TIMED) |
                       (ns > 0 ? AJ_STEP_TIMED : 0u);
}

void tj_set_gate(tj_job *j, uint32_t i, aj_trigger_rule rule, int32_t condition, bool negate)
{
    uint32_t n = j->def.n_steps, *req = xcalloc(n, sizeof *req), n_req = 0;

    if (j->gates == NULL)
        j->gates = xcalloc(n, sizeof *j->gates);
    /* Sources of plain edges into i, ascending (no duplicate edges). */
    for (uint32_t p = 0; p < n; p++)
        for (uint32_t e = 0; e < j->def.n_edges; e++)
            if (j->edges[e].from == p && j->edges[e].to == i &&
                !(j->edges[e].kind & AJ_EDGE_OPTIONAL))
                req[n_req++] = p;
    free((uint32_t *)j->gates[i].required);
    j->gates[i] = (aj_step_gate){ rule, condition, negate, n_req, n_req > 0 ? req : NULL };
    if (n_req == 0)
        free(req);
    j->steps[i].gate = &j->gates[i];
    j->exec[i].flags |= AJ_STEP_GATED;
}

void tj_set_nonfatal(tj_job *j, uint32_t i, bool nonfatal)
{
    j->exec[i].flags = (j->exec[i].flags & ~(uint32_t)AJ_STEP_NONFATAL) |
                       (nonfatal ? AJ_STEP_NONFATAL : 0u);
}

void tj_set_bool(tj_job *j, tj_run *r, uint32_t i, bool value)
{
    j->steps[i].output_type = "bool";
    j->steps[i].output_size = sizeof(bool);
    r->behave[i].is_bool = true;
    r->behave[i].truth = value;
}

void tj_set_blocking(tj_job *j, uint32_t i, bool blocking)
{
    j->exec[i].flags = (j->exec[i].flags & ~(uint32_t)AJ_STEP_BLOCKING) |
                       (blocking ? AJ_STEP_BLOCKING : 0u);
}

void tj_set_limits(tj_job *j, uint32_t n, const aj_limit_def *limits)
{
    aj_limit_def *copy = n > 0 ? xcalloc(n, sizeof *copy) : NULL;

    for (uint32_t k = 0; k < j->def.n_limits; k++)
        free((char *)j->def.limits[k].name);
    free((aj_limit_def *)j->def.limits);
    for (uint32_t k = 0; k < n; k++) {
        copy[k].name = limits[k].name != NULL ? strdup(limits[k].name) : NULL;
        copy[k].size = limits[k].size;
    }
    j->def.n_limits = n;
    j->def.limits = copy;
}

void tj_set_uses(tj_job *j, uint32_t i, uint32_t n, const uint32_t *uses)
{
    uint32_t *copy = n > 0 ? xcalloc(n, sizeof *copy) : NULL;

    if (n > 0)
        memcpy(copy, uses, n * sizeof *copy);
    free((uint32_t *)j->steps[i].uses);
    j->steps[i].n_uses = n;
    j->steps[i].uses = copy;
    j->exec[i].flags = (j->exec[i].flags & ~(uint32_t)AJ_STEP_LIMITED) |
                       (n > 0 ? AJ_STEP_LIMITED : 0u);
}

void tj_seed_limits(tj_job *j)
{
    static const aj_limit_def limits[] = { { "db", 8 }, { "replica", 2 } };
    static const uint32_t db[] = { 0 }, both[] = { 0, 1 };

    tj_set_limits(j, 2, limits);
    tj_set_uses(j, SEED_QUERY1, 1, db);
    tj_set_uses(j, SEED_QUERY2, 2, both);
}

void tj_set_async(tj_job *j, uint32_t i, bool async)
{
    j->exec[i].flags = (j->exec[i].flags & ~(uint32_t)AJ_STEP_ASYNC) |
                       (async ? AJ_STEP_ASYNC : 0u);
}

static const aj_retry_policy seed_quick = {
    .max_retries = 3, .backoff = AJ_BACKOFF_FIXED, .delay_ns = 3000000, .factor = 2.0,
};
static const aj_retry_policy seed_summarize = {
    .max_retries = 3, .backoff = AJ_BACKOFF_EXPONENTIAL, .delay_ns = 1000000, .factor = 2.0,
    .cap_ns = 50000000, .jitter_pct = 20,
};

tj_job *tj_seed(void)
{
    static const char *const names[] = {
        "GetConnection", "CheckAuth", "GetTableClient1", "GetTableClient2",
        "QueryTable1", "QueryTable2", "Summarize", "EmailNotification",
    };
    static const char *const types[] = {
        "Conn", NULL, "SqlTableClient *", "SqlTableClient *",
        "SqlQueryResult *", "SqlQueryResult *", "SummarizedResult *", NULL,
    };
    static const aj_edge_def edges[] = {
        { 0, 2, AJ_EDGE_DATA }, { 0, 3, AJ_EDGE_DATA }, { 1, 4, AJ_EDGE_AFTER },
        { 1, 5, AJ_EDGE_AFTER }, { 2, 4, AJ_EDGE_DATA }, { 3, 5, AJ_EDGE_DATA },
        { 4, 6, AJ_EDGE_DATA }, { 5, 6, AJ_EDGE_DATA }, { 6, 7, AJ_EDGE_AFTER },
    };
    tj_job *j = tj_new("sql_summary", 8, names, types, edges, 9);

    j->def.source = "sql_summary.job";
    j->def.result = SEED_SUMMARIZE;
    j->steps[SEED_GETCONNECTION].retry = &seed_quick;
    j->steps[SEED_QUERY1].retry = &seed_quick;
    j->steps[SEED_SUMMARIZE].retry = &seed_summarize;
    tj_set_timeout(j, SEED_EMAIL, 2000000000);
    return j;
}

tj_run *tj_run_new(const tj_job *job)
{
    tj_run *r = xcalloc(1, sizeof *r);
    uint32_t n = job->def.n_steps;

    r->job = job;
    r->behave = xcalloc(n, sizeof *r->behave);
    r->attempts = xcalloc(n, sizeof *r->attempts);
    r->successes = xcalloc(n, sizeof *r->successes);
    r->cancel_seen = xcalloc(n, sizeof *r->cancel_seen);
    r->hook_calls = xcalloc(n, sizeof *r->hook_calls);
    r->hook_inline = xcalloc(n, sizeof *r->hook_inline);
    r->thread = xcalloc(n, sizeof *r->thread);
    r->on_pool = xcalloc(n, sizeof *r->on_pool);
    return r;
}

void tj_run_free(tj_run *r)
{
    if (r == NULL)
        return;
    free(r->behave);
    free((void *)r->attempts);
    free((void *)r->successes);
    free((void *)r->cancel_seen);
    free((void *)r->hook_calls);
    free((void *)r->hook_inline);
    free(r->thread);
    free((void *)r->on_pool);
    free(r);
}

void tj_box(tj_job *j, tj_run *r, uint32_t i)
{
    r->behave[i].box = true;
    j->steps[i].free_output = box_free;
}
