/*
 * test_regress.c: sequences of calls the documentation allows that once
 * broke the runtime, one test each:
 * - wait with a timeout returns at its deadline although the waiting
 *   thread could help run the instance's steps;
 * - time an observer spends is not charged to the next step's timeout,
 *   and a step's recorded start is when its function was called;
 * - an instance never reaches a freed runtime: cancel after
 *   aj_runtime_free, and aj_runtime_free while a sequential instance runs;
 * - an output stored by an attempt that then fails is freed, once;
 * - cancelling from a signal handler, while the interrupted thread runs
 *   the instance's steps, neither deadlocks nor loses the cancel;
 * - a child of fork() runs jobs on the default runtime, with ids of its
 *   own, while the parent's threads were busy at the fork;
 * - waiting for an instance from its own observer is refused, not hung.
 */
#include "tjob.h"
#include "aj_internal.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define MS 1000000LL

static void sleep_ns(int64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A chain s0 -> s1 -> ... of n steps. */
static tj_job *chain(uint32_t n)
{
    aj_edge_def edges[8] = { { 0, 0, 0 } };

    for (uint32_t i = 0; i + 1 < n; i++)
        edges[i] = (aj_edge_def){ i, i + 1, AJ_EDGE_DATA };
    return tj_new("chain", n, NULL, NULL, edges, n - 1);
}

/* ------------------------------------------------------------------------ */
/* wait's timeout                                                            */

/* wait(job, 0) right after start: the waiter must not run a 300 ms step
 * before it looks at its deadline. */
static void test_wait_zero_does_not_run_steps(void **state)
{
    tj_job *j = chain(1);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_instance *inst;

    (void)state;
    r->behave[0].busy_ns = 300 * MS;
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, NULL, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, 0), AJ_ETIMEDOUT);
    assert_false(aj_instance_done(inst));
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

static void *open_later(void *arg)
{
    sleep_ns(2000 * MS);
    tj_gate_open(arg);
    return NULL;
}

/* A step that blocks until a gate opens: wait(job, 50 ms) returns at its
 * deadline whether the step is still queued or already running. (The gate
 * opens after 2 s anyway, so that a waiter stuck in the step fails the
 * test instead of hanging it.) */
static void test_wait_timeout_holds_while_step_blocks(void **state)
{
    tj_job *j = chain(1);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    tj_gate gate;
    pthread_t opener;
    aj_instance *inst;

    (void)state;
    tj_gate_init(&gate);
    r->behave[0].gate = &gate;
    assert_int_equal(pthread_create(&opener, NULL, open_later, &gate), 0);
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, NULL, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, 50 * MS), AJ_ETIMEDOUT);
    assert_false(aj_instance_done(inst));
    tj_gate_open(&gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    pthread_join(opener, NULL);
    aj_instance_free(inst);
    tj_gate_destroy(&gate);
    tj_run_free(r);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Observers' time                                                           */

typedef struct slow_obs {
    uint32_t step;       /* the step whose events take long */
    int which;           /* 0: its start, 2: its finish */
    _Atomic int64_t returned_ns; /* when the slow callback returned */
} slow_obs;

static void slow(slow_obs *o, int which, const aj_step_event *ev)
{
    if (ev->step_index != o->step || which != o->which)
        return;
    sleep_ns(150 * MS);
    atomic_store(&o->returned_ns, aj_now_ns());
}

static void slow_start(void *arg, const aj_step_event *ev)
{
    slow(arg, 0, ev);
}

static void slow_finish(void *arg, const aj_step_event *ev)
{
    slow(arg, 2, ev);
}

/* s0 -> s1, s1 with a 100 ms timeout; an observer spends 150 ms on one
 * event. s1 must complete, and its start is after the observer returned
 * when the slow event came before it. */
static void check_observer_time(uint32_t slow_step, int which, bool sequential)
{
    tj_job *j = chain(2);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    slow_obs so = { .step = slow_step, .which = which };
    aj_observer obs = { slow_start, NULL, slow_finish, &so };
    aj_start_opts o = { .sequential = sequential, .observer = &obs };
    aj_step_info info;
    aj_instance *inst;

    tj_set_timeout(j, 1, 100 * MS);
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(aj_instance_step_info(inst, 1, &info), AJ_OK);
    assert_int_equal(info.state, AJ_STEP_COMPLETED);
    assert_int_equal(info.attempts, 1);
    if (slow_step == 0 || which == 0)
        assert_true(info.start_ns >= atomic_load(&so.returned_ns));
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

static void test_finish_observer_time_not_charged(void **state)
{
    (void)state;
    check_observer_time(0, 2, false);
}

static void test_finish_observer_time_not_charged_sequential(void **state)
{
    (void)state;
    check_observer_time(0, 2, true);
}

static void test_start_observer_time_not_charged(void **state)
{
    (void)state;
    check_observer_time(1, 0, false);
}

static void test_start_observer_time_not_charged_sequential(void **state)
{
    (void)state;
    check_observer_time(1, 0, true);
}

/* ------------------------------------------------------------------------ */
/* A freed runtime                                                           */

/* Frees rt, then lays a locked mutex where its mutex was in the block the
 * allocator hands out next (the same one, for the same size, in glibc): a
 * later lock of the freed runtime's mutex then blocks instead of passing
 * unnoticed outside AddressSanitizer and valgrind. */
static void *free_and_poison(aj_runtime *rt)
{
    size_t size = sizeof(aj_runtime) + rt->n_workers * sizeof(pthread_t);
    pthread_mutex_t *mu;
    void *p;

    aj_runtime_free(rt);
    p = aj__alloc(size, AJ__CACHE_LINE);
    assert_non_null(p);
    memset(p, 0, size);
    mu = (pthread_mutex_t *)((char *)p + offsetof(aj_runtime, mu));
    pthread_mutex_init(mu, NULL);
    pthread_mutex_lock(mu);
    return p;
}

typedef struct late_cancel {
    aj_instance *inst;
    sem_t done;
} late_cancel;

static void *cancel_and_post(void *arg)
{
    late_cancel *c = arg;

    aj_instance_cancel(c->inst);
    sem_post(&c->done);
    return NULL;
}

/* start, wait, aj_runtime_free, cancel: the cancel of a finished instance
 * must not reach the runtime. It runs on a thread of its own, so that a
 * cancel stuck on the poisoned mutex fails the test after 2 s. */
static void test_cancel_after_runtime_free(void **state)
{
    tj_job *j = chain(3);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_runtime_opts ro = { .n_workers = 2 };
    aj_runtime *rt = aj_runtime_new(&ro);
    late_cancel c;
    struct timespec until;
    pthread_t t;
    void *poison;

    (void)state;
    assert_non_null(rt);
    assert_int_equal(aj_instance_start(rt, &j->def, &in, NULL, &c.inst), AJ_OK);
    assert_int_equal(aj_instance_wait(c.inst, -1), AJ_OK);
    poison = free_and_poison(rt);
    sem_init(&c.done, 0, 0);
    assert_int_equal(pthread_create(&t, NULL, cancel_and_post, &c), 0);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    assert_int_equal(sem_timedwait(&c.done, &until), 0);
    pthread_join(t, NULL);
    assert_int_equal(aj_instance_wait(c.inst, 0), AJ_OK);
    aj_instance_free(c.inst);
    aj__free(poison);
    sem_destroy(&c.done);
    tj_run_free(r);
    tj_free(j);
}

typedef struct seq_run {
    aj_runtime *rt;
    tj_job *job;
    tj_run *run;
    _Atomic int64_t ended_ns;   /* when the sequential start returned */
    _Atomic int64_t freed_ns;   /* when aj_runtime_free returned */
} seq_run;

static void count_event(void *arg, const aj_step_event *ev)
{
    (void)ev;
    atomic_fetch_add((_Atomic int *)arg, 1);
}

static void *start_sequential(void *arg)
{
    seq_run *s = arg;
    tj_inputs in = { s->run };
    aj_start_opts o = { .sequential = true };
    aj_instance *inst;

    assert_int_equal(aj_instance_start(s->rt, &s->job->def, &in, &o, &inst), AJ_OK);
    atomic_store(&s->ended_ns, aj_now_ns());
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    aj_instance_free(inst);
    return NULL;
}

static void *free_runtime(void *arg)
{
    seq_run *s = arg;

    aj_runtime_free(s->rt);
    atomic_store(&s->freed_ns, aj_now_ns());
    return NULL;
}

/* A sequential instance started on rt runs on its own thread; the runtime
 * (and its observer) must outlive it: aj_runtime_free waits. */
static void test_runtime_free_waits_for_sequential(void **state)
{
    _Atomic int events = 0;
    aj_observer obs = { count_event, NULL, count_event, (void *)&events };
    aj_runtime_opts ro = { .n_workers = 1, .observer = &obs };
    seq_run s = { .rt = aj_runtime_new(&ro), .job = chain(2) };
    tj_gate gate;
    sem_t started;
    pthread_t runner, freer;

    (void)state;
    assert_non_null(s.rt);
    s.run = tj_run_new(s.job);
    tj_gate_init(&gate);
    sem_init(&started, 0, 0);
    s.run->behave[0].started = &started;
    s.run->behave[0].gate = &gate;
    assert_int_equal(pthread_create(&runner, NULL, start_sequential, &s), 0);
    sem_wait(&started);
    assert_int_equal(pthread_create(&freer, NULL, free_runtime, &s), 0);
    sleep_ns(50 * MS);
    assert_int_equal(atomic_load(&s.freed_ns), 0);
    tj_gate_open(&gate);
    pthread_join(runner, NULL);
    pthread_join(freer, NULL);
    assert_true(atomic_load(&s.freed_ns) >= atomic_load(&s.ended_ns));
    assert_int_equal(atomic_load(&events), 4);
    sem_destroy(&started);
    tj_gate_destroy(&gate);
    tj_run_free(s.run);
    tj_free(s.job);
}

/* ------------------------------------------------------------------------ */
/* Outputs of failed attempts                                                */

static const aj_retry_policy twice = { .max_retries = 2 };

/* Boxed outputs stored by failing attempts, retried or final, are freed
 * exactly once each, like the one of the attempt that succeeds. */
static void check_failed_attempt_outputs(bool sequential, int fails)
{
    tj_job *j = chain(1);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_start_opts o = { .sequential = sequential };
    long made = atomic_load(&tj_boxes_made), freed = atomic_load(&tj_boxes_freed);
    aj_instance *inst;

    tj_box(j, r, 0);
    j->steps[0].retry = &twice;
    r->behave[0].fails = fails;
    r->behave[0].store_on_fail = true;
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), fails < 0 ? -7 : AJ_OK);
    aj_instance_free(inst);
    assert_int_equal(atomic_load(&tj_boxes_made) - made, fails < 0 ? 3 : fails + 1);
    assert_int_equal(atomic_load(&tj_boxes_freed) - freed,
                     atomic_load(&tj_boxes_made) - made);
    tj_run_free(r);
    tj_free(j);
}

static void test_failed_attempt_output_freed_on_retry(void **state)
{
    (void)state;
    check_failed_attempt_outputs(false, 2);
    check_failed_attempt_outputs(true, 2);
}

static void test_failed_attempt_output_freed_when_final(void **state)
{
    (void)state;
    check_failed_attempt_outputs(false, -1);
    check_failed_attempt_outputs(true, -1);
}

/* ------------------------------------------------------------------------ */
/* Cancelling from a signal handler                                          */

#ifndef SIGNAL_CANCEL
#define SIGNAL_CANCEL aj_instance_cancel_async
#endif

static _Atomic(aj_instance *) sig_target;
static _Atomic long sig_seen;

static void on_sigint(int sig)
{
    aj_instance *inst = atomic_load(&sig_target);

    (void)sig;
    if (inst != NULL)
        SIGNAL_CANCEL(inst);
    atomic_fetch_add(&sig_seen, 1);
}

typedef struct pelter {
    pthread_t target;
    _Atomic bool stop;
} pelter;

/* SIGINT to the target thread every 200 us until told to stop. */
static void *pelt(void *arg)
{
    pelter *p = arg;

    while (!atomic_load(&p->stop)) {
        pthread_kill(p->target, SIGINT);
        sleep_ns(200000);
    }
    return NULL;
}

/* The Ctrl-C pattern: the main thread starts and waits on a 2,000-step
 * job (running its steps alone, with the solo runner's flag held, most of
 * the time) while SIGINT keeps arriving; its handler cancels the job. */
static void test_cancel_from_signal_handler(void **state)
{
    uint64_t rng = tj_rng_seed("AJ_REGRESS_SEED");
    tj_job *j = tj_random(2000, &rng);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    struct sigaction sa = { .sa_handler = on_sigint }, old;
    pelter p = { .target = pthread_self() };
    long cancelled = 0, rounds = 0;
    pthread_t t;

    (void)state;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGINT, &sa, &old), 0);
    assert_int_equal(pthread_create(&t, NULL, pelt, &p), 0);
    for (int64_t end = aj_now_ns() + 1000 * MS; aj_now_ns() < end || rounds < 20; rounds++) {
        aj_instance *inst;
        int rc;
        assert_int_equal(aj_instance_start(NULL, &j->def, &in, NULL, &inst), AJ_OK);
        atomic_store(&sig_target, inst);
        rc = aj_instance_wait(inst, -1);
        atomic_store(&sig_target, NULL);
        assert_true(rc == AJ_OK || rc == AJ_ECANCELED);
        cancelled += rc == AJ_ECANCELED;
        aj_instance_free(inst);
    }
    atomic_store(&p.stop, true);
    pthread_join(t, NULL);
    sigaction(SIGINT, &old, NULL);
    assert_true(atomic_load(&sig_seen) > 0);
    assert_true(cancelled > 0);
    tj_run_free(r);
    tj_free(j);
}

/* A step asks to cancel its own instance: it sees the flag at once, the
 * steps after it end cancelled, on a runtime and sequentially without one
 * (where the sequential loop settles them). */
static void check_cancel_async_from_step(bool sequential)
{
    tj_job *j = chain(3);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_start_opts o = { .sequential = sequential };
    aj_instance *inst;

    r->behave[0].cancel_async = true;
    r->behave[0].until_cancelled = true;
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_ECANCELED);
    assert_int_equal(atomic_load(&r->cancel_seen[0]), 1);
    assert_int_equal(tj_state(inst, 0), AJ_STEP_COMPLETED);
    assert_int_equal(tj_state(inst, 1), AJ_STEP_CANCELLED);
    assert_int_equal(tj_state(inst, 2), AJ_STEP_CANCELLED);
    assert_int_equal(atomic_load(&r->attempts[1]), 0);
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

static void test_cancel_async_from_step(void **state)
{
    (void)state;
    check_cancel_async_from_step(false);
    check_cancel_async_from_step(true);
}

/* ------------------------------------------------------------------------ */
/* fork()                                                                    */

/* gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_CLANG_ASAN 1
#endif
#endif
#ifndef UNDER_CLANG_ASAN
#define UNDER_CLANG_ASAN 0
#endif

typedef struct busy_parent {
    tj_job *job;
    _Atomic bool stop;
} busy_parent;

/* Keeps the default runtime, its locks and the clock busy. */
static void *run_jobs(void *arg)
{
    busy_parent *b = arg;
    tj_run *r = tj_run_new(b->job);
    tj_inputs in = { r };

    while (!atomic_load(&b->stop)) {
        aj_instance *inst;
        if (aj_instance_start(NULL, &b->job->def, &in, NULL, &inst) != AJ_OK)
            abort();
        if (aj_instance_wait(inst, -1) != AJ_OK)
            abort();
        aj_instance_free(inst);
    }
    tj_run_free(r);
    return NULL;
}

/* In the child: three jobs on the default runtime, the last one waited
 * for with a timeout (so the workers, not this thread, run it), then the
 * child's next instance id down the pipe. */
static int child_runs(tj_job *j, int fd)
{
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    char id[37];

    alarm(30);
    for (int k = 0; k < 3; k++) {
        aj_instance *inst;
        int rc = aj_instance_start(NULL, &j->def, &in, NULL, &inst);
        if (rc != AJ_OK) {
            fprintf(stderr, "child: start %d: %s\n", k, aj_strerror(rc));
            return 1;
        }
        if ((rc = aj_instance_wait(inst, k < 2 ? -1 : 5000 * MS)) != AJ_OK) {
            fprintf(stderr, "child: wait %d: %s\n", k, aj_strerror(rc));
            return 1;
        }
        aj_instance_free(inst);
    }
    aj__uuid_v4(id);
    return write(fd, id, sizeof id) == (ssize_t)sizeof id ? 0 : 2;
}

static void test_fork_child_uses_default_runtime(void **state)
{
    busy_parent b = { .job = chain(3) };
    pthread_t t;

    (void)state;
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer cannot start threads in the child of a multi-threaded
     * process; the other builds run this test. */
    print_message("skipped under ThreadSanitizer: no threads after fork()\n");
    tj_free(b.job);
    skip();
#elif defined(__SANITIZE_ADDRESS__) || UNDER_CLANG_ASAN
    /* AddressSanitizer's allocator is not fork-safe: when the busy thread
     * holds one of its size-class locks at the fork, the lock stays taken
     * in the child, and the child's new workers block on it for ever in
     * their first free (seen as threads stuck in
     * SizeClassAllocator64::GetFromAllocator under AsanThread::Init). The
     * plain build runs this test, with glibc's fork-safe malloc. */
    print_message("skipped under AddressSanitizer: its allocator is not fork-safe\n");
    tj_free(b.job);
    skip();
#endif
    assert_int_equal(pthread_create(&t, NULL, run_jobs, &b), 0);
    for (int k = 0; k < 100; k++) {
        char mine[37], theirs[37] = "";
        int fds[2], status;
        pid_t pid;
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(child_runs(b.job, fds[1]));
        close(fds[1]);
        aj__uuid_v4(mine);
        /* The status first: it says how a child failed (1: a job, which
         * it names on stderr, 2: the pipe, SIGALRM: it hung). */
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : 0, 0);
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(read(fds[0], theirs, sizeof theirs), (ssize_t)sizeof theirs);
        close(fds[0]);
        assert_string_not_equal(mine, theirs);
    }
    atomic_store(&b.stop, true);
    pthread_join(t, NULL);
    tj_free(b.job);
}

/* ------------------------------------------------------------------------ */
/* Waiting from an observer                                                  */

typedef struct inner_wait {
    _Atomic(aj_instance *) inst;
    _Atomic int rc;
    _Atomic int calls;
} inner_wait;

static void wait_in_finish(void *arg, const aj_step_event *ev)
{
    inner_wait *w = arg;

    if (ev->step_index != 0)
        return;
    atomic_store(&w->rc, aj_instance_wait((aj_instance *)ev->instance, -1));
    atomic_fetch_add(&w->calls, 1);
}

/* wait(-1) from a step_finish observer of the same instance would wait
 * for itself: it returns AJ_EDEADLK at once, pooled and sequential. */
static void check_wait_from_observer(bool sequential)
{
    tj_job *j = chain(2);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    inner_wait w = { .rc = 1 };
    aj_observer obs = { NULL, NULL, wait_in_finish, &w };
    aj_start_opts o = { .sequential = sequential, .observer = &obs };
    aj_instance *inst;

    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    assert_int_equal(atomic_load(&w.calls), 1);
    assert_int_equal(atomic_load(&w.rc), AJ_EDEADLK);
    aj_instance_free(inst);
    tj_run_free(r);
    tj_free(j);
}

static void test_wait_from_own_observer_refused(void **state)
{
    (void)state;
    check_wait_from_observer(false);
    check_wait_from_observer(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_zero_does_not_run_steps),
        cmocka_unit_test(test_wait_timeout_holds_while_step_blocks),
        cmocka_unit_test(test_finish_observer_time_not_charged),
        cmocka_unit_test(test_finish_observer_time_not_charged_sequential),
        cmocka_unit_test(test_start_observer_time_not_charged),
        cmocka_unit_test(test_start_observer_time_not_charged_sequential),
        cmocka_unit_test(test_cancel_after_runtime_free),
        cmocka_unit_test(test_runtime_free_waits_for_sequential),
        cmocka_unit_test(test_failed_attempt_output_freed_on_retry),
        cmocka_unit_test(test_failed_attempt_output_freed_when_final),
        cmocka_unit_test(test_cancel_from_signal_handler),
        cmocka_unit_test(test_cancel_async_from_step),
        cmocka_unit_test(test_fork_child_uses_default_runtime),
        cmocka_unit_test(test_wait_from_own_observer_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
