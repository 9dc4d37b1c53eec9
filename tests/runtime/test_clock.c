/*
 * test_clock.c: aj_now_ns(), read through the TSC where the CPU says it
 * is invariant. It never goes back, on one thread or from one thread to
 * another across its re-anchoring, it stays with CLOCK_MONOTONIC, and
 * AJ_CLOCK=monotonic (checked in a child process, since the source is
 * chosen once per process) makes it clock_gettime() itself, AJ_CLOCK=tsc
 * the TSC. A TSC that jumps ahead is given up without the clock going
 * back. A runner's copy of the clock's line reads the same clock.
 */
#include "aj_internal.h"

#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#define MS 1000000

static int64_t mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads for span_ns of CLOCK_MONOTONIC: *backwards counts readings below
 * the one before; *outside those not between two real readings, give or
 * take a millisecond. */
static void read_for(int64_t span_ns, long *backwards, long *outside)
{
    int64_t end = mono() + span_ns, last = aj_now_ns();

    for (int64_t before = mono(); before < end; before = mono()) {
        int64_t t = aj_now_ns(), after = mono();
        if (t < last)
            (*backwards)++;
        if (t < before - MS || t > after + MS)
            (*outside)++;
        last = t;
    }
}

typedef struct reader {
    pthread_t thread;
    long backwards, outside;
} reader;

static void *reader_main(void *arg)
{
    reader *r = arg;

    /* Several re-anchors (every 10 ms), raced by two threads. */
    read_for(40 * MS, &r->backwards, &r->outside);
    return NULL;
}

static void test_clock_monotonic_and_close_on_every_thread(void **state)
{
    reader rd[2] = { { 0 } };

    (void)state;
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&rd[i].thread, NULL, reader_main, &rd[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(rd[i].thread, NULL);
        assert_int_equal(rd[i].backwards, 0);
        assert_int_equal(rd[i].outside, 0);
    }
    assert_true(strcmp(aj__test_clock_source(), "calibrating") != 0);
}

/* A reading handed to another thread is never after that thread's own. */
typedef struct relay {
    sem_t go, back;
    _Atomic int64_t seen;
    long late;
    int rounds;
} relay;

static void *relay_main(void *arg)
{
    relay *r = arg;

    for (int k = 0; k < r->rounds; k++) {
        sem_wait(&r->go);
        if (aj_now_ns() < atomic_load(&r->seen))
            r->late++;
        atomic_store(&r->seen, aj_now_ns());
        sem_post(&r->back);
    }
    return NULL;
}

static void test_clock_never_back_between_threads(void **state)
{
    relay r = { .rounds = 50000 };
    pthread_t t;
    long late = 0;

    (void)state;
    sem_init(&r.go, 0, 0);
    sem_init(&r.back, 0, 0);
    assert_int_equal(pthread_create(&t, NULL, relay_main, &r), 0);
    for (int k = 0; k < r.rounds; k++) {
        atomic_store(&r.seen, aj_now_ns());
        sem_post(&r.go);
        sem_wait(&r.back);
        if (aj_now_ns() < atomic_load(&r.seen))
            late++;
    }
    pthread_join(t, NULL);
    assert_int_equal(late, 0);
    assert_int_equal(r.late, 0);
    sem_destroy(&r.go);
    sem_destroy(&r.back);
}

/* Readings from a kept line (aj__line_now) and from aj_now_ns() by turns,
 * across several re-anchors: neither goes back against the other. */
static void test_clock_kept_line_reads_the_same_clock(void **state)
{
    aj__clock_line line = { 0 };
    int64_t end = mono() + 40 * MS, last = aj_now_ns();
    long backwards = 0, outside = 0, kept = 0;

    (void)state;
    for (int64_t before = mono(); before < end; before = mono()) {
        int64_t a = aj__line_now(&line), b = aj_now_ns(), after = mono();
        backwards += (a < last) + (b < a);
        outside += a < before - MS || a > after + MS;
        kept += line.span > 0;
        last = b;
    }
    assert_int_equal(backwards, 0);
    assert_int_equal(outside, 0);
    /* Reading the TSC, the line was kept (else every reading renews it).
     * Counted over every reading: the last one may fall just past a span's
     * end, before the clock's next anchor, which a loaded machine makes
     * likely. */
    assert_true(strcmp(aj__test_clock_source(), "tsc") != 0 || kept > 0);
}

/* Runs body(arg) in a child process, since the clock's source is chosen
 * once per process: the child's exit status, -1 if it did not exit. */
static int in_child(int (*body)(const void *), const void *arg)
{
    pid_t pid = fork();
    int status = 0;

    if (pid == 0)
        _exit(body(arg));
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

typedef struct source_case {
    const char *value;   /* AJ_CLOCK; NULL: unset */
    const char *source;  /* what the clock must read then */
    int64_t span_ns;
} source_case;

/* Sets AJ_CLOCK, reads the clock for the span and checks that it came
 * from the source, never went back and stayed with CLOCK_MONOTONIC. */
static int reads_as(const void *arg)
{
    const source_case *c = arg;
    long backwards = 0, outside = 0;

    if (c->value != NULL)
        setenv("AJ_CLOCK", c->value, 1);
    else
        unsetenv("AJ_CLOCK");
    read_for(c->span_ns, &backwards, &outside);
    if (strcmp(aj__test_clock_source(), c->source) != 0 || backwards != 0 || outside != 0) {
        fprintf(stderr, "AJ_CLOCK=%s: source %s (want %s), %ld backwards, %ld outside\n",
                c->value != NULL ? c->value : "(unset)", aj__test_clock_source(), c->source,
                backwards, outside);
        return 1;
    }
    return 0;
}

static int child_with(const char *value, const char *source, int64_t span_ns)
{
    source_case c = { value, source, span_ns };

    return in_child(reads_as, &c);
}

static void test_clock_environment_chooses_clock_gettime(void **state)
{
    (void)state;
    assert_int_equal(child_with("monotonic", "monotonic", 5 * MS), 0);
}

/* AJ_CLOCK=tsc takes the TSC where the checks would not (kvm-clock), and
 * the clock stays with CLOCK_MONOTONIC through calibration and several
 * re-anchors. */
static void test_clock_environment_forces_the_tsc(void **state)
{
    (void)state;
#if defined(__x86_64__)
    assert_int_equal(child_with("tsc", "tsc", 40 * MS), 0);
#else
    assert_int_equal(child_with("tsc", "monotonic", 5 * MS), 0);
#endif
}

/* The CPU's word that its TSC is invariant is enough: where the kernel
 * keeps time with kvm-clock and lists no "tsc" (booted with tsc=unstable,
 * as some VMs are), the runtime still reads the TSC, and its own checks
 * (below) catch a TSC that misbehaves. */
static void test_clock_invariant_tsc_is_read(void **state)
{
    const char *want = "monotonic";

    (void)state;
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (__get_cpuid(0x80000007, &a, &b, &c, &d) && (d & 1u << 8) != 0)
        want = "tsc";
#endif
    /* 40 ms: a slow build (ThreadSanitizer) may calibrate again. */
    assert_int_equal(child_with(NULL, want, 40 * MS), 0);
}

/* How far the tests below make the TSC jump: 40 M ticks, 4 ms at 10 GHz,
 * 40 ms at 1 GHz. */
#define JUMP_TICKS 40000000u

/* In a child: sets AJ_CLOCK=tsc and reads past the calibration; true when
 * the clock then reads the TSC and never went back nor off
 * CLOCK_MONOTONIC. */
static bool on_calibrated_tsc(void)
{
    long backwards = 0, outside = 0;

    setenv("AJ_CLOCK", "tsc", 1);
    read_for(15 * MS, &backwards, &outside);
    return strcmp(aj__test_clock_source(), "tsc") == 0 && backwards == 0 && outside == 0;
}

/* On the TSC, the TSC jumps ahead by JUMP_TICKS (a few ms). The line, ahead
 * of CLOCK_MONOTONIC, gives the TSC up at its next re-anchor; the clock
 * holds until the real one catches up, never going back, then reads
 * clock_gettime(). 0 when all of that held. */
static int after_tsc_jump(const void *arg)
{
    long backwards = 0, outside = 0, ahead = 0;

    (void)arg;
    if (!on_calibrated_tsc())
        return 2;
    aj__test_tsc_jump(JUMP_TICKS);
    /* The hold lasts as long as the jump: under 50 ms below 1 GHz. */
    for (int64_t last = aj_now_ns(), end = mono() + 100 * MS; mono() < end;) {
        int64_t before = mono(), t = aj_now_ns();
        backwards += t < last;
        outside += t < before - MS;
        ahead += t > mono() + MS;
        last = t;
    }
    if (backwards != 0 || outside != 0 || ahead == 0) {
        fprintf(stderr, "after the jump: %ld backwards, %ld behind, %ld ahead\n", backwards,
                outside, ahead);
        return 3;
    }
    read_for(5 * MS, &backwards, &outside);
    if (strcmp(aj__test_clock_source(), "monotonic") != 0 || backwards != 0 || outside != 0) {
        fprintf(stderr, "later: source %s, %ld backwards, %ld outside\n",
                aj__test_clock_source(), backwards, outside);
        return 4;
    }
    return 0;
}

/* Reads for 80 ms, counting readings below the one before in *arg. */
static void *read_through(void *arg)
{
    long *backwards = arg;

    for (int64_t last = aj_now_ns(), end = mono() + 80 * MS; mono() < end;) {
        int64_t t = aj_now_ns();
        *backwards += t < last;
        last = t;
    }
    return NULL;
}

/* The same jump while two other threads read the clock: neither sees it
 * go back, through the re-anchor that gives the TSC up, the hold and the
 * switch to clock_gettime(). 0 when that held. */
static int jump_under_readers(const void *arg)
{
    pthread_t t[2];
    long backwards[2] = { 0, 0 };
    struct timespec pause = { 0, 10 * MS };

    (void)arg;
    if (!on_calibrated_tsc())
        return 2;
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, read_through, &backwards[i]) != 0)
            return 3;
    nanosleep(&pause, NULL);
    aj__test_tsc_jump(JUMP_TICKS);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (backwards[0] != 0 || backwards[1] != 0) {
        fprintf(stderr, "readers went back %ld and %ld times\n", backwards[0], backwards[1]);
        return 4;
    }
    return strcmp(aj__test_clock_source(), "monotonic") == 0 ? 0 : 5;
}

/* body in a child, where the TSC can be made to jump (x86-64 only). */
static void assert_jump_in_child(int (*body)(const void *))
{
#if defined(__x86_64__)
    assert_int_equal(in_child(body, NULL), 0);
#else
    (void)body;
    skip();
#endif
}

static void test_clock_gives_up_a_tsc_under_readers(void **state)
{
    (void)state;
    assert_jump_in_child(jump_under_readers);
}

static void test_clock_gives_up_a_tsc_that_runs_ahead(void **state)
{
    (void)state;
    assert_jump_in_child(after_tsc_jump);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_environment_chooses_clock_gettime),
        cmocka_unit_test(test_clock_environment_forces_the_tsc),
        cmocka_unit_test(test_clock_invariant_tsc_is_read),
        cmocka_unit_test(test_clock_gives_up_a_tsc_that_runs_ahead),
        cmocka_unit_test(test_clock_gives_up_a_tsc_under_readers),
        cmocka_unit_test(test_clock_monotonic_and_close_on_every_thread),
        cmocka_unit_test(test_clock_never_back_between_threads),
        cmocka_unit_test(test_clock_kept_line_reads_the_same_clock),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
