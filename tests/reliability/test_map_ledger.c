/*
 * test_map_ledger.c: mapped steps under stress, meant for the TSan build
 * too. Instances of ledger.job (an array, a map, a blocking and an async
 * map element by element after it, a collect) run with random sizes (0 to
 * 2,000 elements), random failures of random elements (retried, or
 * failing for good), sequential instances, and cancellations from inside
 * a step at a random moment of the expansion. The steps keep a ledger;
 * the main thread checks it after each instance ends:
 * - every element ran at most once per attempt, at most 1 + 3 times, and
 *   succeeded at most once;
 * - an element of a follower ran only after the same element of its
 *   source succeeded, with that element's output; the collector saw every
 *   element, in order;
 * - a run without failures or cancel completes with the right sum; a
 *   failure for good is the root cause, named "Step[i]" after an element
 *   planned to fail; a cancelled run ends cancelled unless a failure came
 *   first, and an attempt that began after the cancel saw it;
 * - every output (a boxed value) is freed exactly once: boxes made and
 *   freed agree once the instance is freed.
 * Each wait has a watchdog. AJ_MAP_LEDGER_SEED replays a run.
 */
#include "aj_internal.h"
#include "ledger.job.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define INSTANCES 48
#define MAX_RETRIES 3
#define WATCHDOG_NS (60 * 1000000000LL)

enum { WORK, SLOW, LATER, N_MAPPED };
static const char *const mapped_names[N_MAPPED] = { "Work", "Slow", "Later" };

struct ledger {
    size_t n;
    long base;
    _Atomic int *runs[N_MAPPED];    /* attempts started, by element */
    _Atomic int *wins[N_MAPPED];    /* attempts that succeeded */
    _Atomic unsigned *seen[N_MAPPED]; /* bit k: attempt k + 1 began */
    int *fails[N_MAPPED];           /* failures before a success; -1: all */
    _Atomic bool bad;               /* a rule was broken */
    char why[160];                  /* the first broken rule */
    _Atomic long started;           /* Work attempts begun */
    long cancel_at;                 /* cancel when started reaches it; 0: never */
    _Atomic bool cancel_done;       /* aj_instance_cancel returned */
    long collected;
    _Atomic long collected_n;
    bool stream;                    /* Work[1] waits until Slow[0] ran */
    _Atomic bool slow0_ran;
};

static _Atomic long boxes_made, boxes_freed;
static uint64_t rng;
static int outcomes[3]; /* completed, failed, cancelled */

static void broken(struct ledger *lg, const char *what, size_t i)
{
    if (!atomic_exchange(&lg->bad, true))
        snprintf(lg->why, sizeof lg->why, "%s (element %zu)", what, i);
}

void box_free(struct box *b)
{
    atomic_fetch_add(&boxes_freed, 1);
    free(b);
}

static struct box *box_new(long v)
{
    struct box *b = malloc(sizeof *b);
    atomic_fetch_add(&boxes_made, 1);
    b->v = v;
    return b;
}

/* The ledger's part of every attempt of a mapped step: true when this
 * attempt is to fail. */
static bool attempt(struct ledger *lg, aj_ctx *ctx, int step, size_t i)
{
    uint32_t a = aj_ctx_attempt(ctx);
    int plan = lg->fails[step][i];

    if (i >= lg->n)
        broken(lg, "index past the array", i);
    atomic_fetch_add(&lg->runs[step][i], 1);
    if (a == 0 || a > 1 + MAX_RETRIES)
        broken(lg, "attempt number out of range", i);
    else if (atomic_fetch_or(&lg->seen[step][i], 1u << (a - 1)) & (1u << (a - 1)))
        broken(lg, "an attempt ran twice", i);
    if (atomic_load(&lg->cancel_done) && !aj_ctx_cancelled(ctx))
        broken(lg, "an attempt after the cancel did not see it", i);
    return plan < 0 || (int)a <= plan;
}

/* Element i of step's source succeeded once, before this. */
static void check_source(struct ledger *lg, int source, size_t i, const struct box *b, long want)
{
    if (atomic_load(&lg->wins[source][i]) != 1)
        broken(lg, "an element ran before its source's element", i);
    if (b == NULL || b->v != want)
        broken(lg, "an element got the wrong input", i);
}

int ledger_Make(aj_ctx *ctx, struct ledger *lg, long **out, size_t *n_out)
{
    (void)ctx;
    *n_out = lg->n;
    if (lg->n == 0)
        return 0;
    *out = malloc(lg->n * sizeof **out);
    for (size_t i = 0; i < lg->n; i++)
        (*out)[i] = lg->base + (long)i;
    return 0;
}

int ledger_Work(aj_ctx *ctx, struct ledger *lg, long x, Box *out)
{
    size_t i = aj_ctx_index(ctx);
    long k = atomic_fetch_add(&lg->started, 1) + 1;

    if (k == lg->cancel_at) {
        /* The instance of the running step: cancelling it from inside. */
        aj_instance_cancel((aj_instance *)aj_ctx_instance(ctx));
        atomic_store(&lg->cancel_done, true);
    }
    if (x != lg->base + (long)i)
        broken(lg, "Work got the wrong element", i);
    /* Element 0 of Slow follows element 0 of Work at once, not after the
     * whole of Work. */
    for (int64_t until = aj_now_ns() + 10000000000LL;
         lg->stream && i == 1 && !atomic_load(&lg->slow0_ran);)
        if (aj_now_ns() > until) {
            broken(lg, "Slow[0] did not start before Work ended", i);
            break;
        }
    if (attempt(lg, ctx, WORK, i))
        return 5;
    *out = box_new(2 * x);
    atomic_fetch_add(&lg->wins[WORK][i], 1);
    return 0;
}

int ledger_Slow(aj_ctx *ctx, struct ledger *lg, Box b, Box *out)
{
    size_t i = aj_ctx_index(ctx);

    check_source(lg, WORK, i, b, 2 * (lg->base + (long)i));
    if (i == 0)
        atomic_store(&lg->slow0_ran, true);
    if (attempt(lg, ctx, SLOW, i))
        return 5;
    *out = box_new(b->v + 1);
    atomic_fetch_add(&lg->wins[SLOW][i], 1);
    return 0;
}

/* Async: done comes at once, on this thread, or from the completer. */
typedef struct pending {
    ledger_Later_reply *reply;
    int rc;
    Box out;
} pending;

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static pending queue[4096];
static size_t q_head, q_tail;
static bool q_stop;

static void *completer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&q_mu);
    for (;;) {
        while (q_head == q_tail && !q_stop)
            pthread_cond_wait(&q_cv, &q_mu);
        if (q_head == q_tail)
            break;
        pending p = queue[q_head++ % 4096];
        pthread_mutex_unlock(&q_mu);
        ledger_Later_done(p.reply, p.rc, p.out);
        pthread_mutex_lock(&q_mu);
    }
    pthread_mutex_unlock(&q_mu);
    return NULL;
}

/* False when the queue is full: the caller completes it then. */
static bool defer(pending p)
{
    bool ok;
    pthread_mutex_lock(&q_mu);
    ok = q_tail - q_head < 4096;
    if (ok)
        queue[q_tail++ % 4096] = p;
    pthread_cond_signal(&q_cv);
    pthread_mutex_unlock(&q_mu);
    return ok;
}

int ledger_Later(aj_ctx *ctx, struct ledger *lg, Box b, ledger_Later_reply *reply)
{
    size_t i = aj_ctx_index(ctx);
    pending p = { reply, 0, NULL };

    check_source(lg, SLOW, i, b, 2 * (lg->base + (long)i) + 1);
    if (attempt(lg, ctx, LATER, i)) {
        p.rc = 5;
    } else {
        p.out = box_new(b->v + 1);
        atomic_fetch_add(&lg->wins[LATER][i], 1);
    }
    if (i % 2 == 0 || !defer(p))
        ledger_Later_done(reply, p.rc, p.out);
    return AJ_PENDING;
}

int ledger_Collect(aj_ctx *ctx, struct ledger *lg, const Box *xs, size_t n_xs, long *out)
{
    long sum = 0;

    (void)ctx;
    if (n_xs != lg->n)
        broken(lg, "Collect got the wrong count", n_xs);
    for (size_t i = 0; i < n_xs; i++) {
        if (xs[i] == NULL || xs[i]->v != 2 * (lg->base + (long)i) + 2)
            broken(lg, "Collect saw an element out of order", i);
        else
            sum += xs[i]->v;
    }
    atomic_store(&lg->collected_n, (long)n_xs);
    *out = sum;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* One instance                                                              */

static const size_t sizes[] = { 0, 1, 2, 3, 17, 100, 1000, 2000 };

/* A random plan: mostly successes, some retried failures, rarely one for
 * good; true when some element fails for good. */
static bool plan(struct ledger *lg)
{
    bool doomed = false;
    for (int s = 0; s < N_MAPPED; s++) {
        lg->runs[s] = calloc(lg->n + 1, sizeof *lg->runs[s]);
        lg->wins[s] = calloc(lg->n + 1, sizeof *lg->wins[s]);
        lg->seen[s] = calloc(lg->n + 1, sizeof *lg->seen[s]);
        lg->fails[s] = calloc(lg->n + 1, sizeof *lg->fails[s]);
        for (size_t i = 0; i < lg->n; i++) {
            uint32_t r = tj_rnd(&rng, 1000);
            lg->fails[s][i] = r < 2 ? -1 : r < 60 ? (int)(r % 3) + 1 : 0;
            doomed |= lg->fails[s][i] < 0;
        }
    }
    return doomed;
}

static void unplan(struct ledger *lg)
{
    for (int s = 0; s < N_MAPPED; s++) {
        free((void *)lg->runs[s]);
        free((void *)lg->wins[s]);
        free((void *)lg->seen[s]);
        free(lg->fails[s]);
    }
}

/* The rules every ended instance keeps, whatever happened. */
static void check_elements(struct ledger *lg)
{
    for (int s = 0; s < N_MAPPED; s++)
        for (size_t i = 0; i < lg->n; i++) {
            int runs = atomic_load(&lg->runs[s][i]), wins = atomic_load(&lg->wins[s][i]);
            if (runs > 1 + MAX_RETRIES || wins > 1)
                broken(lg, "an element ran too often or won twice", i);
            if (wins == 1 && lg->fails[s][i] >= 0 && runs != lg->fails[s][i] + 1)
                broken(lg, "an element's runs disagree with its plan", i);
        }
}

/* The root cause names an element planned to fail for good. */
static bool names_doomed(const struct ledger *lg, const char *name)
{
    for (int s = 0; s < N_MAPPED; s++)
        for (size_t i = 0; i < lg->n; i++) {
            char want[64];
            snprintf(want, sizeof want, "%s[%zu]", mapped_names[s], i);
            if (lg->fails[s][i] < 0 && strcmp(name, want) == 0)
                return true;
        }
    return false;
}

static void run_one(aj_runtime *rt, int k)
{
    struct ledger lg = { .n = sizes[tj_rnd(&rng, sizeof sizes / sizeof sizes[0])],
                         .base = tj_rnd(&rng, 1000) };
    aj_start_opts opts = { .sequential = tj_rnd(&rng, 8) == 0 };
    bool doomed = plan(&lg);
    long before = atomic_load(&boxes_made) - atomic_load(&boxes_freed), total = -1;
    aj_failure f;
    ledger *job = NULL;
    int rc;

    atomic_init(&lg.bad, false);
    lg.cancel_at = lg.n > 0 && tj_rnd(&rng, 4) == 0 ? (long)tj_rnd(&rng, (uint32_t)lg.n) + 1 : 0;
    assert_int_equal(ledger_start(rt, &lg, &opts, &job), AJ_OK);
    rc = ledger_wait(job, WATCHDOG_NS);
    if (rc == AJ_ETIMEDOUT)
        fail_msg("instance %d (%zu elements) hangs", k, lg.n);
    check_elements(&lg);
    aj_instance_failure(ledger_instance(job), &f);
    if (lg.cancel_at == 0 && !doomed) {
        assert_int_equal(rc, AJ_OK);
        assert_int_equal(ledger_result(job, &total), AJ_OK);
        assert_int_equal(total, (long)lg.n * (2 * lg.base + 2) + (long)lg.n * ((long)lg.n - 1));
    } else if (rc == 5) {
        if (!names_doomed(&lg, f.step_name))
            fail_msg("instance %d: root cause %s was not planned to fail", k, f.step_name);
    } else {
        assert_int_equal(rc, doomed && lg.cancel_at == 0 ? 5 : AJ_ECANCELED);
    }
    outcomes[rc == AJ_OK ? 0 : rc == 5 ? 1 : 2]++;
    ledger_free(job);
    if (atomic_load(&lg.bad))
        fail_msg("instance %d (%zu elements, seed replay below): %s", k, lg.n, lg.why);
    assert_int_equal(atomic_load(&boxes_made) - atomic_load(&boxes_freed), before);
    unplan(&lg);
}

static void test_map_ledger_random_instances(void **state)
{
    (void)state;
    rng = tj_rng_seed("AJ_MAP_LEDGER_SEED");
    for (unsigned workers = 1; workers <= 4; workers *= 2) {
        aj_runtime_opts o = { .n_workers = workers };
        aj_runtime *rt = aj_runtime_new(&o);
        assert_non_null(rt);
        for (int k = 0; k < INSTANCES / 3; k++)
            run_one(rt, k);
        aj_runtime_free(rt);
    }
    assert_int_equal(atomic_load(&boxes_made), atomic_load(&boxes_freed));
    print_message("%d completed, %d failed, %d cancelled\n", outcomes[0], outcomes[1],
                  outcomes[2]);
}

/* A ledger of n elements without failures, for the tests below. */
static void plan_clean(struct ledger *lg, size_t n)
{
    *lg = (struct ledger){ .n = n, .base = 10 };
    atomic_init(&lg->bad, false);
    plan(lg);
    for (int s = 0; s < N_MAPPED; s++)
        memset(lg->fails[s], 0, (n + 1) * sizeof *lg->fails[s]);
}

/* Runtime allocations of one sequential instance (no pool threads): the
 * instance, and one expansion whatever its size, none when it is empty. */
static void test_map_ledger_one_allocation_per_expansion(void **state)
{
    static const size_t ns[] = { 0, 1, 2, 1000, 10000 };
    aj_start_opts opts = { .sequential = true };
    (void)state;
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        struct ledger lg;
        ledger *job;
        plan_clean(&lg, ns[k]);
        long before = aj__test_alloc_count();
        assert_int_equal(ledger_start(NULL, &lg, &opts, &job), AJ_OK);
        assert_int_equal(ledger_wait(job, -1), AJ_OK);
        assert_int_equal(aj__test_alloc_count() - before, ns[k] > 0 ? 2 : 1);
        ledger_free(job);
        assert_false(atomic_load(&lg.bad));
        unplan(&lg);
    }
    assert_int_equal(atomic_load(&boxes_made), atomic_load(&boxes_freed));
}

/* The expansion's allocation fails: Work fails with AJ_ENOMEM, nothing
 * of it ran, and nothing leaks (ASan's build checks that too). */
static void test_map_ledger_expansion_out_of_memory(void **state)
{
    aj_start_opts opts = { .sequential = true };
    struct ledger lg;
    ledger *job;
    aj_failure f;
    (void)state;
    plan_clean(&lg, 100);
    aj__test_fail_alloc(2); /* the instance, then the expansion */
    assert_int_equal(ledger_start(NULL, &lg, &opts, &job), AJ_OK);
    assert_int_equal(ledger_wait(job, -1), AJ_ENOMEM);
    aj__test_fail_alloc(0);
    aj_instance_failure(ledger_instance(job), &f);
    assert_string_equal(f.step_name, "Work");
    assert_int_equal(atomic_load(&lg.runs[WORK][0]), 0);
    ledger_free(job);
    unplan(&lg);
    assert_int_equal(atomic_load(&boxes_made), atomic_load(&boxes_freed));
}

/* A rerun of an instance whose mapped step failed runs its whole
 * expansion again, every element with fresh attempts, and what follows. */
static void test_map_ledger_rerun_runs_the_expansion_again(void **state)
{
    aj_runtime_opts o = { .n_workers = 2 };
    aj_runtime *rt = aj_runtime_new(&o);
    struct ledger lg;
    ledger *job;
    aj_failure f;
    long total = 0;
    (void)state;
    plan_clean(&lg, 50);
    lg.fails[WORK][3] = -1;
    assert_int_equal(ledger_start(rt, &lg, NULL, &job), AJ_OK);
    assert_int_equal(ledger_wait(job, -1), 5);
    aj_instance_failure(ledger_instance(job), &f);
    assert_string_equal(f.step_name, "Work[3]");
    assert_int_equal(atomic_load(&lg.runs[WORK][3]), 1 + MAX_RETRIES);
    assert_int_equal(atomic_load(&lg.runs[SLOW][3]), 0);
    lg.fails[WORK][3] = 0;
    /* Slow's and Later's elements other than 3 followed Work's at once and
     * completed; their steps did not, and run again too. */
    assert_int_equal(atomic_load(&lg.wins[SLOW][4]), 1);
    for (int s = 0; s < N_MAPPED; s++)
        for (size_t i = 0; i < lg.n; i++) {
            atomic_store(&lg.seen[s][i], 0);
            atomic_store(&lg.wins[s][i], 0);
        }
    assert_int_equal(ledger_rerun(job), AJ_OK);
    assert_int_equal(ledger_wait(job, -1), AJ_OK);
    assert_int_equal(ledger_result(job, &total), AJ_OK);
    assert_int_equal(total, 50 * (2 * 10 + 2) + 50 * 49);
    for (size_t i = 0; i < lg.n; i++)
        assert_int_equal(atomic_load(&lg.runs[WORK][i]), i == 3 ? 1 + MAX_RETRIES + 1 : 2);
    ledger_free(job);
    aj_runtime_free(rt);
    if (atomic_load(&lg.bad))
        fail_msg("%s", lg.why);
    unplan(&lg);
    assert_int_equal(atomic_load(&boxes_made), atomic_load(&boxes_freed));
}

/* Element 0 of a step that maps element by element starts while element
 * 1 of its source still runs. */
static void test_map_ledger_elements_follow_at_once(void **state)
{
    aj_runtime_opts o = { .n_workers = 2 };
    aj_runtime *rt = aj_runtime_new(&o);
    struct ledger lg;
    ledger *job;
    (void)state;
    plan_clean(&lg, 2);
    lg.stream = true;
    assert_int_equal(ledger_start(rt, &lg, NULL, &job), AJ_OK);
    assert_int_equal(ledger_wait(job, -1), AJ_OK);
    ledger_free(job);
    aj_runtime_free(rt);
    if (atomic_load(&lg.bad))
        fail_msg("%s", lg.why);
    unplan(&lg);
}

static pthread_t completer_thread;

static int setup(void **state)
{
    (void)state;
    return pthread_create(&completer_thread, NULL, completer, NULL);
}

static int teardown(void **state)
{
    (void)state;
    pthread_mutex_lock(&q_mu);
    q_stop = true;
    pthread_cond_signal(&q_cv);
    pthread_mutex_unlock(&q_mu);
    return pthread_join(completer_thread, NULL);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_ledger_random_instances),
        cmocka_unit_test(test_map_ledger_one_allocation_per_expansion),
        cmocka_unit_test(test_map_ledger_expansion_out_of_memory),
        cmocka_unit_test(test_map_ledger_rerun_runs_the_expansion_again),
        cmocka_unit_test(test_map_ledger_elements_follow_at_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
