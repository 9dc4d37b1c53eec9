/*
 * clock.c: the runtime's clocks. Every step records when it starts and
 * ends, so the monotonic clock is read once per step and must be cheap.
 *
 * aj_now_ns() gives CLOCK_MONOTONIC nanoseconds. Where the TSC is
 * invariant (x86-64, and either the kernel itself keeps time with it -
 * current clocksource "tsc" - or the CPU says so through cpuid leaf
 * 0x80000007, EDX bit 8), it is read through the TSC instead of
 * clock_gettime(): lfence, rdtsc, a multiply and a shift, about 15 ns
 * against 20 ns for the vDSO call on a VM that keeps time with the TSC.
 * Most cloud VMs keep time with kvm-clock although their TSC is
 * invariant; there clock_gettime() reads kvm-clock's page (about 35 ns)
 * and the TSC is worth more still. aj__now_ns() leaves out the lfence (9
 * ns): its reading may come a few ns early against what the thread did
 * just before, which a step's end time can afford, not a reading that
 * orders events between threads. Anywhere else (no invariant TSC, another
 * architecture, or AJ_CLOCK=monotonic in the environment) both are
 * clock_gettime(). AJ_CLOCK=tsc takes the TSC whatever the checks say
 * (x86-64 only), for tests.
 *
 * DESIGN
 * Calibration: for the first CAL_NS after the first reading, readings come
 * from clock_gettime() while the TSC is sampled alongside; the rate is the
 * ratio of the two spans. From then on the clock is a line through an
 * anchor (tsc0, ns0) with slope mult (ns per tick, 32.32 fixed point),
 * re-anchored every SPAN_NS by whichever reader passes the end of the
 * span: the new line starts where the old one ends (so the clock never
 * goes back) and its slope is the long-run rate, corrected so as to close
 * the gap to CLOCK_MONOTONIC over the next span (at most MAX_PPM). The gap
 * stays well under a microsecond; NTP slewing is followed. A reading far
 * behind CLOCK_MONOTONIC (after a suspend) jumps forward to it. A line
 * found far ahead of it (a TSC that jumped or runs fast, or CPUs whose
 * TSCs disagree) gives the TSC up: the clock then holds still until
 * CLOCK_MONOTONIC passes the furthest reading handed out, and reads
 * clock_gettime() from then on.
 * The anchor is published under a seqlock: readers never wait except while
 * a re-anchor (a few tens of ns every SPAN_NS) is being written.
 */
#include "aj_base.h"
#ifdef AJ_TEST_HOOKS
#include "aj_test_hooks.h"
#endif

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CAL_NS 2000000    /* calibration span */
#define SPAN_NS 10000000  /* re-anchor period */
#define MAX_PPM 1000      /* largest slope correction, parts per million */
#define JUMP_NS 1000000   /* behind CLOCK_MONOTONIC by more: jump to it */
#define TRUST_NS 100000   /* ahead of it by more: give the TSC up (about
                           * 30 ns is usual) */

__extension__ typedef unsigned __int128 u128;

enum { CLK_UNKNOWN, CLK_CALIBRATING, CLK_TSC, CLK_SYSCALL };

/* What readers need, on one cache line of its own. */
static struct {
    _Alignas(AJ__CACHE_LINE) _Atomic uint32_t seq; /* odd while written */
    _Atomic int mode;
    _Atomic uint64_t tsc0;     /* anchor */
    _Atomic int64_t ns0;
    _Atomic uint64_t mult;     /* ns per tick << 32 */
    _Atomic uint64_t span;     /* ticks after tsc0 until the next re-anchor */
    _Atomic int64_t wall_off;  /* CLOCK_REALTIME - CLOCK_MONOTONIC, last anchor */
} clk;

/* Since the TSC was given up (distrust): no reading below this. */
static _Atomic int64_t held_ns;

/* Calibration base: the first reading; written under the writer's seq. */
static uint64_t cal_tsc;
static uint64_t cal_width; /* how far off cal_tsc may be, in ticks */
static int64_t cal_ns;

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#if defined(__x86_64__)
#include <cpuid.h>

#ifdef AJ_TEST_HOOKS
/* Added to every TSC reading of this file (aj__test_tsc_jump). */
static _Atomic uint64_t test_tsc_jump;
#define TSC_JUMP atomic_load_explicit(&test_tsc_jump, memory_order_relaxed)
#else
#define TSC_JUMP 0
#endif

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32 | lo) + TSC_JUMP;
}

/* rdtsc may run before the instructions ahead of it are done (a reading
 * taken after a lock could come out earlier than one taken, on another
 * thread, before it); lfence makes it wait for them. 6 ns more here. */
static uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32 | lo) + TSC_JUMP;
}

/* Whether a small sysfs file holds word, as a whole word. open and read,
 * not stdio: no allocation on the way. */
static bool file_has(const char *path, const char *word)
{
    char text[256];
    size_t n = strlen(word);
    ssize_t got;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return false;
    got = read(fd, text, sizeof text - 1);
    close(fd);
    text[got > 0 ? got : 0] = '\0';
    for (char *p = text; (p = strstr(p, word)) != NULL; p += n)
        if ((p == text || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

/* The CPU says its TSC ticks at one rate in every power state. */
static bool tsc_invariant(void)
{
    unsigned a, b, c, d;

    return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & 1u << 8) != 0;
}

#define CLOCKSOURCES "/sys/devices/system/clocksource/clocksource0/"

/* The TSC is invariant, and nobody asked us not to use it: the kernel
 * keeps time with it, or the CPU says it is invariant. The kernel's list
 * of usable clocksources is not asked: VMs that may be moved between
 * hosts are booted with tsc=unstable, which strikes it off that list
 * whatever the TSC does. The line's own check (reanchor) catches a TSC
 * that runs off. */
static bool tsc_usable(void)
{
    const char *env = getenv("AJ_CLOCK");

    if (env != NULL && strcmp(env, "monotonic") == 0)
        return false;
    if (env != NULL && strcmp(env, "tsc") == 0)
        return true;
    if (file_has(CLOCKSOURCES "current_clocksource", "tsc"))
        return true;
    return tsc_invariant();
}
#else
static uint64_t rdtsc(void)
{
    return 0;
}

static uint64_t rdtsc_ordered(void)
{
    return 0;
}

static bool tsc_usable(void)
{
    return false;
}
#endif

#define PAIR_TRIES 4

/* A TSC reading and the CLOCK_MONOTONIC reading taken in its middle: the
 * tightest of a few tries, since a thread preempted between the reads
 * would pair them up to a time slice apart, and a calibration (2 ms) made
 * of such a pair would leave the line off by as much. *width: the ticks
 * the pair may be off by. */
static int64_t pair(uint64_t *tsc, uint64_t *width)
{
    int64_t best = 0;

    *width = UINT64_MAX;
    for (int k = 0; k < PAIR_TRIES; k++) {
        uint64_t a = rdtsc_ordered();
        int64_t ns = read_clock(CLOCK_MONOTONIC);
        uint64_t b = rdtsc_ordered();
        if (b - a < *width) {
            *width = b - a;
            *tsc = a + (b - a) / 2;
            best = ns;
        }
    }
    return best;
}

static int64_t line_at(uint64_t tsc0, int64_t ns0, uint64_t mult, uint64_t t)
{
    if (t >= tsc0)
        return ns0 + (int64_t)(((u128)(t - tsc0) * mult) >> 32);
    return ns0 - (int64_t)(((u128)(tsc0 - t) * mult) >> 32);
}

/* ns, or the reading the clock holds at since the TSC was given up. */
static int64_t held(int64_t ns)
{
    int64_t floor = atomic_load_explicit(&held_ns, memory_order_relaxed);

    return ns < floor ? floor : ns;
}

/* Starts writing: false if another thread is writing. */
static bool write_begin(uint32_t *q)
{
    *q = atomic_load_explicit(&clk.seq, memory_order_relaxed);
    return (*q & 1) == 0 &&
           atomic_compare_exchange_strong_explicit(&clk.seq, q, *q + 1, memory_order_acquire,
                                                   memory_order_relaxed);
}

static void write_end(uint32_t q)
{
    atomic_store_explicit(&clk.seq, q + 2, memory_order_release);
}

/* Release stores under the seqlock: a reader that sees one sees the odd
 * seq before it (plain stores on x86). */
static void anchor(uint64_t tsc0, int64_t ns0, uint64_t mult, int64_t wall_off)
{
    uint64_t span = (uint64_t)(((u128)SPAN_NS << 32) / mult);

    atomic_store_explicit(&clk.tsc0, tsc0, memory_order_release);
    atomic_store_explicit(&clk.ns0, ns0, memory_order_release);
    atomic_store_explicit(&clk.mult, mult, memory_order_release);
    atomic_store_explicit(&clk.span, span > 0 ? span : 1, memory_order_release);
    atomic_store_explicit(&clk.wall_off, wall_off, memory_order_release);
}

/* Long-run ns per tick << 32 since the calibration base. */
static uint64_t rate(uint64_t tsc, int64_t ns)
{
    return (uint64_t)(((u128)(uint64_t)(ns - cal_ns) << 32) / (tsc - cal_tsc));
}

/* Calibrating, with the writer's seq held, so that every reading handed
 * out comes before the line's anchor: the real clock, and the switch to
 * the TSC once the span is long enough. The line starts at this reading,
 * so nothing goes back. */
static int64_t calibrate(void)
{
    uint64_t tsc, width;
    int64_t ns = pair(&tsc, &width);

    /* Together, the two ends of the calibration must be tight to a
     * thousandth of it, else it starts again from this reading: a loaded
     * machine may delay the switch to the TSC, never skew its rate. */
    if (cal_ns == 0 || (ns - cal_ns >= CAL_NS && (tsc <= cal_tsc ||
                                                  (width + cal_width) > (tsc - cal_tsc) / 1000))) {
        cal_tsc = tsc;
        cal_ns = ns;
        cal_width = width;
    } else if (ns - cal_ns >= CAL_NS) {
        anchor(tsc, ns, rate(tsc, ns), read_clock(CLOCK_REALTIME) - ns);
        atomic_store_explicit(&clk.mode, CLK_TSC, memory_order_relaxed);
    }
    return ns;
}

/* Gives the TSC up for good, the line having run ahead of the real clock
 * at tsc: from now on readings come from clock_gettime(), held at the
 * furthest the line may have handed out (the end of its span, or where it
 * is at tsc) until the real clock passes it, so that no reading goes
 * back. */
static int64_t distrust(uint64_t tsc0, int64_t ns0, uint64_t mult, uint64_t tsc)
{
    uint64_t span = atomic_load_explicit(&clk.span, memory_order_relaxed);
    int64_t end = line_at(tsc0, ns0, mult, tsc0 + span), now = line_at(tsc0, ns0, mult, tsc);
    int64_t furthest = now > end ? now : end;

    atomic_store_explicit(&held_ns, furthest, memory_order_relaxed);
    /* Release: a reader that sees the mode sees the floor. */
    atomic_store_explicit(&clk.mode, CLK_SYSCALL, memory_order_release);
    return furthest;
}

/* The next line: from where the old one is at tsc, steered towards the
 * real clock. A line that ran TRUST_NS ahead, judged on a tight pair, had
 * a TSC that jumped or ran fast, or one CPU's TSC ahead of another's:
 * the TSC is given up. */
static int64_t reanchor(uint64_t tsc0, int64_t ns0, uint64_t mult)
{
    uint64_t tsc, width;
    int64_t real = pair(&tsc, &width), now = line_at(tsc0, ns0, mult, tsc), gap = real - now;
    uint64_t r = rate(tsc, real), step = r / (1000000 / MAX_PPM);
    uint64_t span = (uint64_t)(((u128)SPAN_NS << 32) / r);
    int64_t fix;

    if (gap < -TRUST_NS && (int64_t)(((u128)width * mult) >> 32) < TRUST_NS / 2)
        return distrust(tsc0, ns0, mult, tsc);
    if (gap > JUMP_NS) {
        now = real;
        gap = 0;
    }
    /* Close the gap over one span: gap ns spread over span ticks. */
    fix = (int64_t)(((u128)(uint64_t)(gap < 0 ? -gap : gap) << 32) / (span ? span : 1));
    if ((uint64_t)fix > step)
        fix = (int64_t)step;
    mult = gap < 0 ? r - (uint64_t)fix : r + (uint64_t)fix;
    anchor(tsc, now, mult, read_clock(CLOCK_REALTIME) - real);
    return now;
}

/* In a child of fork(), where only the forking thread goes on: a thread
 * of the parent was writing the line when it forked, its line may be
 * half-written, and it will never finish. The child reads clock_gettime()
 * from then on. */
static void after_fork(void)
{
    uint32_t q = atomic_load_explicit(&clk.seq, memory_order_relaxed);

    if ((q & 1) == 0)
        return;
    atomic_store_explicit(&clk.mode, CLK_SYSCALL, memory_order_relaxed);
    atomic_store_explicit(&clk.seq, q + 1, memory_order_release);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* Without the handler a child is only as safe as it was: nothing to say. */
static void watch_fork(void)
{
    (void)pthread_atfork(NULL, NULL, after_fork);
}

static void choose_mode(void)
{
    int unknown = CLK_UNKNOWN;
    int mode = tsc_usable() ? CLK_CALIBRATING : CLK_SYSCALL;

    pthread_once(&fork_once, watch_fork);
    atomic_compare_exchange_strong(&clk.mode, &unknown, mode);
}


/* Everything but a reading inside the current span: out of line, so that
 * the common path needs no stack frame. */
__attribute__((noinline, cold)) static int64_t now_slow(void)
{
    for (;;) {
        int mode = atomic_load_explicit(&clk.mode, memory_order_acquire);
        uint32_t q;
        int64_t ns;
        if (mode == CLK_UNKNOWN) {
            choose_mode();
            continue;
        }
        if (mode == CLK_SYSCALL)
            return held(read_clock(CLOCK_MONOTONIC));
        if (!write_begin(&q)) {
            /* Someone else writes: read again once they are done. */
            for (unsigned spins = 0;
                 (atomic_load_explicit(&clk.seq, memory_order_acquire) & 1) != 0; spins++)
                if (spins > 64)
                    sched_yield();
            return aj_now_ns();
        }
        if (mode == CLK_CALIBRATING)
            ns = calibrate();
        else
            ns = reanchor(atomic_load_explicit(&clk.tsc0, memory_order_relaxed),
                          atomic_load_explicit(&clk.ns0, memory_order_relaxed),
                          atomic_load_explicit(&clk.mult, memory_order_relaxed));
        write_end(q);
        return ns;
    }
}

/* A consistent copy of the line, if the clock reads the TSC. */
static inline __attribute__((always_inline)) bool line_copy(aj__clock_line *c)
{
    uint32_t q = atomic_load_explicit(&clk.seq, memory_order_acquire);

    if ((q & 1) != 0 || atomic_load_explicit(&clk.mode, memory_order_relaxed) != CLK_TSC)
        return false;
    /* Acquire loads (plain on x86): the second read of seq follows them,
     * and sees a writer whose stores they saw. */
    c->tsc0 = atomic_load_explicit(&clk.tsc0, memory_order_acquire);
    c->ns0 = atomic_load_explicit(&clk.ns0, memory_order_acquire);
    c->mult = atomic_load_explicit(&clk.mult, memory_order_acquire);
    c->span = atomic_load_explicit(&clk.span, memory_order_acquire);
    return atomic_load_explicit(&clk.seq, memory_order_relaxed) == q;
}

/* Inline into both readers, so that ordered is a constant. A line read
 * before the TSC is still right for a reading inside its span: the next
 * line only starts once a reading has passed that span's end. */
static inline __attribute__((always_inline)) int64_t read_now(bool ordered)
{
    aj__clock_line c;

    if (line_copy(&c)) {
        uint64_t d = (ordered ? rdtsc_ordered() : rdtsc()) - c.tsc0;
        if (d < c.span)
            return c.ns0 + (int64_t)(((u128)d * c.mult) >> 32);
        /* A hair before the anchor (this CPU's TSC read early). */
        if (d > ~c.span)
            return line_at(c.tsc0, c.ns0, c.mult, c.tsc0 + d);
    }
    return now_slow();
}

int64_t aj_now_ns(void)
{
    return read_now(true);
}

int64_t aj__now_ns(void)
{
    return read_now(false);
}

int64_t aj__clock_refresh(aj__clock_line *l)
{
    aj__clock_line c;

    if (line_copy(&c)) {
        uint64_t d = rdtsc() - c.tsc0;
        if (d < c.span) {
            *l = c;
            return c.ns0 + (int64_t)(((u128)d * c.mult) >> 32);
        }
    }
    l->span = 0;
    return aj__now_ns();
}

int64_t aj_wall_now_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

#ifdef AJ_TEST_HOOKS
void aj__test_tsc_jump(uint64_t ticks)
{
#if defined(__x86_64__)
    atomic_fetch_add(&test_tsc_jump, ticks);
#else
    (void)ticks;
#endif
}

const char *aj__test_clock_source(void)
{
    aj_now_ns();
    switch (atomic_load(&clk.mode)) {
    case CLK_TSC:
        return "tsc";
    case CLK_CALIBRATING:
        return "calibrating";
    default:
        return "monotonic";
    }
}
#endif

int64_t aj__wall_offset_ns(void)
{
    if (atomic_load_explicit(&clk.mode, memory_order_relaxed) != CLK_TSC)
        return read_clock(CLOCK_REALTIME) - read_clock(CLOCK_MONOTONIC);
    return atomic_load_explicit(&clk.wall_off, memory_order_relaxed);
}
