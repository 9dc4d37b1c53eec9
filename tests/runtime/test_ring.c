/*
 * test_ring.c: the shape of make bench's W1 throughput row, where an
 * instance's holder count once wrapped below zero and aj_instance_free()
 * hung for ever: 16 seed instances in flight in a ring (wait the oldest,
 * free it, start the next), hundreds of thousands of them, on the default
 * two workers. A few steps run long enough (AJ__SHARE_NS) that their
 * runner shares the rest, so instances end while still in the runtime's
 * queue, where workers may take them.
 *
 * It runs once with the clock the machine gives (the TSC where the kernel
 * uses it) and once, in a child process, with AJ_CLOCK=monotonic
 * (clock_gettime, as on a VM whose clocksource is kvm-clock). A watchdog
 * thread aborts the run when no instance has been freed for WATCHDOG_S
 * seconds, so a hang fails like an assertion.
 *
 * AJ_RING_INSTANCES sets the count per clock (default 200,000; make stress
 * runs more).
 */
#include "tjob.h"
#include "aj_internal.h"

#include <errno.h>
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

#define DEPTH 16
#define WATCHDOG_S 20
#define CHILD_ENV "AJ_RING_CHILD"

/* Sanitizer builds run about 20 times slower: a smaller ring keeps make
 * test-tsan within its watchdog; make stress sets the full count. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define DEFAULT_INSTANCES 20000
#else
#define DEFAULT_INSTANCES 200000
#endif

static _Atomic long freed;
/* Whether this process runs a ring: the parent waits for a child's ring
 * with its own watchdog still counting its frees, and must not fire. */
static _Atomic bool ringing;

static long instances(void)
{
    const char *env = getenv("AJ_RING_INSTANCES");
    long n = env != NULL ? strtol(env, NULL, 10) : 0;

    return n > 0 ? n : DEFAULT_INSTANCES;
}

static void *watchdog(void *arg)
{
    long last = -1;

    (void)arg;
    for (;;) {
        long now;
        sleep(WATCHDOG_S);
        if (!atomic_load(&ringing))
            return NULL;
        now = atomic_load(&freed);
        if (now == last) {
            fprintf(stderr, "test_ring: no instance freed for %d s after %ld\n", WATCHDOG_S,
                    now);
            abort();
        }
        last = now;
    }
    return NULL;
}

/* One run script per slot of the ring, reused: a few steps of each
 * instance keep their thread past AJ__SHARE_NS. */
static void script(tj_run *r, uint64_t *rng)
{
    for (uint32_t i = 0; i < r->job->def.n_steps; i++)
        r->behave[i].busy_ns = tj_rnd(rng, 64) == 0 ? 25000 : 0;
}

static void run_ring(long total)
{
    tj_job *job = tj_seed();
    tj_run *runs[DEPTH];
    aj_instance *ring[DEPTH] = { NULL };
    uint64_t rng = tj_rng_seed("AJ_RING_SEED");
    pthread_t dog;

    atomic_store(&ringing, true);
    assert_int_equal(pthread_create(&dog, NULL, watchdog, NULL), 0);
    pthread_detach(dog);
    for (int k = 0; k < DEPTH; k++)
        runs[k] = tj_run_new(job);
    for (long i = 0; i < total + DEPTH; i++) {
        aj_instance **slot = &ring[i % DEPTH];
        tj_inputs in = { runs[i % DEPTH] };
        if (*slot != NULL) {
            assert_int_equal(aj_instance_wait(*slot, -1), AJ_OK);
            aj_instance_free(*slot);
            *slot = NULL;
            atomic_fetch_add(&freed, 1);
        }
        if (i >= total)
            continue;
        script(in.run, &rng);
        assert_int_equal(aj_instance_start(NULL, &job->def, &in, NULL, slot), AJ_OK);
    }
    atomic_store(&ringing, false);
    for (int k = 0; k < DEPTH; k++)
        tj_run_free(runs[k]);
    tj_free(job);
}

static void test_ring_machine_clock(void **state)
{
    (void)state;
    run_ring(instances());
}

/* The same ring in a child whose clock is clock_gettime(): the clock is
 * chosen once per process. */
static void test_ring_monotonic_clock(void **state)
{
    int status = 0;
    pid_t pid;

    (void)state;
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("AJ_CLOCK", "monotonic", 1);
        setenv(CHILD_ENV, "1", 1);
        execl("/proc/self/exe", "test_ring", (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_machine_clock),
        cmocka_unit_test(test_ring_monotonic_clock),
    };

    if (getenv(CHILD_ENV) != NULL) {
        run_ring(instances());
        return strcmp(aj__test_clock_source(), "monotonic") == 0 ? 0 : 3;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
