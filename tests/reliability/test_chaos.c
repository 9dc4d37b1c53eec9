/*
 * test_chaos.c: the runtime under concurrency stress, meant for the TSan
 * build (make test-tsan, make stress). Batches of random DAGs (100 to 400
 * steps) run at once on 1, 2, 4 and 8 workers, with random failures,
 * retries (immediate, delayed, and an hour long), steps that overrun their
 * deadline, steps that run until cancelled, fail-fast, sequential
 * instances, waits with short timeouts, and cancellations at random
 * moments from another thread. Each instance (made in chaos_step.c) has
 * three kinds of steps: plain ones; a random share (0 to 30%) of
 * `blocking` ones, run on the runtime's blocking pool (1 to 8 threads,
 * which in some runs exit after 200 us idle); and another share of
 * `async` ones, whose function returns AJ_PENDING, their done called by a
 * pool of completer threads (chaos_done.c) at once or after a small delay,
 * or by the function itself before it returns. An async attempt fails
 * through done's code or through its function's return code without done;
 * an overrunning one gets its done after its deadline, which times it out
 * whatever that done says, and the done is discarded; some attempts
 * register a cancel hook that brings their done forward (as a failure),
 * and some, in instances that will be cancelled, get a done from that
 * hook only. In half the instances, steps of every kind are also gated
 * (trigger rules, `when` / `unless` conditions, optional inputs) or
 * nonfatal. The steps keep a ledger; the main thread checks it after each
 * instance ends:
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
 * - a step that overruns fails only by timing out: each retry and a final
 *   failure say AJ_ESTEPTIMEOUT, and it never completes on an attempt that
 *   overran;
 * - an attempt that began after aj_instance_cancel() returned saw the
 *   cancellation;
 * - a blocking step runs on a thread of the blocking pool ("aj-block"), a
 *   plain one never there nor on a completer, and in a sequential
 *   instance every step runs on the thread that started it;
 * - each async attempt that did not fail by its return code had exactly
 *   one done, and a retry begins only after the done of the attempt before
 *   it, a late one included; aj_instance_free returns only after every
 *   done (some instances are freed as soon as they end, while late dones
 *   are still to come);
 * - a cancelled instance ends: hour-long delays and steps that wait for
 *   the flag or for their hook would hang it otherwise, and every wait
 *   has a watchdog of WATCHDOG_S seconds that turns a hang into a failure
 *   naming the instance (for the dones still to come, too; a free, which
 *   cannot time out, has an alarm instead);
 * - the root cause and wait's code agree, and a nonfatal step is never
 *   the root cause nor cancels anything under fail-fast; boxed outputs
 *   are all freed (those of late dones included, once), and every thread
 *   created, of the workers and of the blocking pool, is joined (counters
 *   and /proc/self/task).
 * Each run prints how often each kind of step and done came, and what
 * the gates did.
 *
 * AJ_CHAOS_INSTANCES (default 32 per worker count) sets the size,
 * AJ_CHAOS_SEED replays a run.
 */
#include "aj_internal.h"
#include "chaos.h"

#include <dirent.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define BATCH 6
#define WATCHDOG_S 60
#define COMPLETERS 2

static int64_t worst_cancel_ns; /* longest cancel-to-end seen */

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
 * AJ_SKIP_NONE when it runs (unless the instance was cancelled first).
 * Final states alone decide, whatever the kind of the step or of its
 * predecessors: an async one is final once its done is judged. */
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

/* For the figures: what step i's gate did that no ungated step does. */
static void tally_gate(const chaos *c, uint32_t i, const aj_step_info *info)
{
    const aj_step_gate *g = c->job->steps[i].gate;

    if (g == NULL)
        return;
    if (info->skip_reason == AJ_SKIP_CONDITION || info->skip_reason == AJ_SKIP_NO_FAILURE)
        chaos_seen.gate_skips++;
    for (uint32_t k = 0; info->attempts > 0 && k < g->n_required; k++)
        if (tj_state(c->inst, g->required[k]) != AJ_STEP_COMPLETED) {
            chaos_seen.gate_runs++;
            break;
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
    tally_gate(c, i, &info);
}

/* A short wait first (it may time out, never change the end), then the
 * watchdog's. */
static int wait_for(chaos *c)
{
    static const int64_t shorts[] = { 0, 1, 999, 100000 };
    int rc = aj_instance_wait(c->inst, shorts[chaos_rnd(4)]);

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
    assert_int_equal(atomic_load(&c->misplaced), 0);
    assert_int_equal(atomic_load(&c->early), 0);
    assert_int_equal(atomic_load(&c->misrecorded), 0);
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

/* Every done queued comes within milliseconds of its instance's end (a
 * cancel hurried the ones that wait for it): waiting longer is a hang. */
static void drain(chaos *c)
{
    if (!cd_wait_zero(&c->outstanding, (int64_t)WATCHDOG_S * 1000000000))
        fail_msg("watchdog: instance %s: %d async dones still to come after %d s", c->id,
                 atomic_load(&c->outstanding), WATCHDOG_S);
}

static char hung_text[160];
static size_t hung_len;

static void free_hung(int sig)
{
    ssize_t n = write(STDERR_FILENO, hung_text, hung_len);

    (void)sig;
    (void)n;
    abort();
}

/* aj_instance_free waits for every done of the instance and cannot time
 * out: an alarm turns a hang into a failure that names the instance. */
static void watched_free(chaos *c)
{
    int n = snprintf(hung_text, sizeof hung_text,
                     "watchdog: aj_instance_free of instance %s still waiting after %d s\n",
                     c->id, WATCHDOG_S);

    hung_len = n > 0 && (size_t)n < sizeof hung_text ? (size_t)n : 0;
    if (atomic_load(&c->outstanding) > 0)
        atomic_fetch_add(&chaos_seen.free_waited, 1);
    alarm(WATCHDOG_S);
    aj_instance_free(c->inst);
    alarm(0);
}

/* Once its instance is freed, each async attempt that did not fail by its
 * return code has had its done: free waits for the late ones. */
static void check_dones(const chaos *c)
{
    for (uint32_t i = 0; i < c->job->def.n_steps; i++)
        if (c->steps[i].kind == CHAOS_ASYNC)
            assert_int_equal(atomic_load(&c->dones[i]) + atomic_load(&c->refused[i]),
                             atomic_load(&c->attempts[i]));
}

static void release(chaos *c)
{
    if (!c->free_first)
        drain(c);
    watched_free(c);
    check_dones(c);
    drain(c);
    chaos_drop(c);
}

static void run_batch(aj_runtime *rt)
{
    chaos batch[BATCH];
    canceller k = { batch, { 0 }, 0 };
    int rc[BATCH];

    for (int i = 0; i < BATCH; i++) {
        chaos_launch(&batch[i], rt);
        k.delays[i] = chaos_rnd(4) == 0 ? 0 : chaos_rnd(2000);
    }
    assert_int_equal(pthread_create(&k.thread, NULL, cancel_main, &k), 0);
    for (int i = 0; i < BATCH; i++) {
        rc[i] = wait_for(&batch[i]);
        /* At once, while its late dones may still come (the canceller
         * leaves it alone). */
        if (batch[i].free_first) {
            check_instance(&batch[i], rc[i]);
            release(&batch[i]);
        }
    }
    assert_int_equal(pthread_join(k.thread, NULL), 0);
    for (int i = 0; i < BATCH; i++) {
        if (!batch[i].free_first) {
            check_instance(&batch[i], rc[i]);
            release(&batch[i]);
        }
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

/* The figures of a run: how long cancels took, and how often each kind of
 * step and done came. */
static void print_run(unsigned workers, int instances, const aj_runtime_stats *st)
{
    const chaos_tally *t = &chaos_seen;

    print_message("%u workers: %d instances, longest cancel to end %.3f ms\n", workers,
                  instances, (double)worst_cancel_ns / 1e6);
    print_message("  %ld blocking attempts on at most %u threads (of %u)\n",
                  atomic_load(&t->blocking), st->blocking_peak, st->max_blocking);
    print_message("  %ld async attempts; dones: %ld before the return, %ld after the "
                  "deadline, %ld hurried; %ld frees waited for dones\n",
                  atomic_load(&t->async), atomic_load(&t->at_once), atomic_load(&t->late),
                  atomic_load(&t->hurried), atomic_load(&t->free_waited));
    print_message("  gated attempts: %ld plain, %ld blocking, %ld async; %ld gated steps ran "
                  "after a predecessor did not complete, %ld were skipped by their gate\n",
                  atomic_load(&t->gated[CHAOS_PLAIN]), atomic_load(&t->gated[CHAOS_BLOCKING]),
                  atomic_load(&t->gated[CHAOS_ASYNC]), t->gate_runs, t->gate_skips);
}

static void chaos_run(unsigned workers)
{
    const char *env = getenv("AJ_CHAOS_INSTANCES");
    int total = env != NULL ? atoi(env) : 32, tasks = task_count();
    long made = atomic_load(&chaos_boxes_made), freed = atomic_load(&chaos_boxes_freed);
    long created = aj__test_threads_created(), joined = aj__test_threads_joined();
    aj_runtime_opts ro = { .n_workers = workers };
    aj_runtime_stats st;
    aj_runtime *rt;

    /* A small blocking pool, whose threads may come and go. */
    ro.max_blocking = 1 + chaos_rnd(8);
    ro.blocking_keep_alive_ns = chaos_rnd(2) ? 200000 : 0;
    chaos_main_thread = pthread_self();
    memset(&chaos_seen, 0, sizeof chaos_seen);
    rt = aj_runtime_new(&ro);
    assert_non_null(rt);
    /* The workers and the canceller; blocking threads come on demand. */
    assert_int_equal(aj__test_threads_created() - created, workers + 1);
    worst_cancel_ns = 0;
    for (int done = 0; done < total; done += BATCH)
        run_batch(rt);
    assert_int_equal(aj_runtime_get_stats(rt, &st), AJ_OK);
    aj_runtime_free(rt);
    assert_true(aj__test_threads_created() - created >= workers + 1);
    assert_int_equal(aj__test_threads_joined() - joined, aj__test_threads_created() - created);
    assert_int_equal(task_count(), tasks);
    assert_int_equal(atomic_load(&chaos_boxes_made) - made,
                     atomic_load(&chaos_boxes_freed) - freed);
    print_run(workers, (total + BATCH - 1) / BATCH * BATCH, &st);
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

/* The completers serve every test, so that a failing one leaves them
 * usable; they are joined at the end. */
static int completers_start(void **state)
{
    (void)state;
    cd_start(COMPLETERS);
    return 0;
}

static int completers_stop(void **state)
{
    (void)state;
    cd_stop();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chaos_one_worker),
        cmocka_unit_test(test_chaos_two_workers),
        cmocka_unit_test(test_chaos_four_workers),
        cmocka_unit_test(test_chaos_eight_workers),
    };

    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = free_hung;
    sigaction(SIGALRM, &sa, NULL);
    chaos_rng = tj_rng_seed("AJ_CHAOS_SEED");
    return cmocka_run_group_tests_name("chaos", tests, completers_start, completers_stop);
}
