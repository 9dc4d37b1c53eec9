/*
 * ajc_time.c: figure G. Runs ajc as a child process on generated jobs of
 * growing size, taking wall time from the parent's clock and peak memory
 * from the child's resource usage. Then gcc -O2 on what ajc generated for a
 * job whose steps each call a function of their own, against gcc -O2 on
 * those functions themselves, the user's side of the same job: generated
 * code must cost at most half as much again. Compile times are the child's
 * CPU time, which other load on a shared machine moves far less than its
 * wall time.
 */
#define _DEFAULT_SOURCE /* wait4, mkdtemp */
#include "ajc_time.h"

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs ajc once; returns wall ns, or -1 if it failed. *rss_kb gets the
 * child's peak resident set. */
static double run_ajc(const char *ajc, const char *out_dir, const char *job, long *rss_kb)
{
    int64_t t0 = bench_now_ns();
    struct rusage ru;
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        execl(ajc, ajc, "-o", out_dir, job, (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    *rss_kb = ru.ru_maxrss;
    return (double)(bench_now_ns() - t0);
}

/* Median ms of BENCH_RUNS runs and the largest peak RSS, for N steps. */
static bool time_size(const char *ajc, const char *gdir, const char *out_dir, int n,
                      bench_stat *ms, long *rss_kb)
{
    char job[1024];
    double v[BENCH_RUNS];

    snprintf(job, sizeof job, "%s/mixed_%d.job", gdir, n);
    *rss_kb = 0;
    for (int r = 0; r < BENCH_RUNS; r++) {
        long rss;
        double ns = run_ajc(ajc, out_dir, job, &rss);
        if (ns < 0) {
            fprintf(stderr, "bench: %s -o %s %s failed\n", ajc, out_dir, job);
            return false;
        }
        v[r] = ns / 1e6;
        *rss_kb = rss > *rss_kb ? rss : *rss_kb;
    }
    *ms = bench_stat_of(v, BENCH_RUNS);
    return true;
}

/* CPU seconds of `gcc -std=c11 -O2 -c GDIR/FILE`, or -1 if it failed. */
static double gcc_cpu_s(const char *gdir, const char *file)
{
    char path[1024], inc[1024];
    struct rusage ru;
    int status;

    snprintf(path, sizeof path, "%s/%s", gdir, file);
    snprintf(inc, sizeof inc, "-I%s", gdir);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("gcc", "gcc", "-std=c11", "-O2", "-c", "-Iruntime", "-Ibench", inc, "-o",
               "/dev/null", path, (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: gcc -O2 -c %s failed\n", path);
        return -1;
    }
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Median of runs compilations of GDIR/FILE; false if one failed. */
static bool gcc_time(const char *gdir, const char *file, int runs, bench_stat *s)
{
    double v[BENCH_RUNS];
    for (int r = 0; r < runs; r++)
        if ((v[r] = gcc_cpu_s(gdir, file)) < 0)
            return false;
    *s = bench_stat_of(v, (size_t)runs);
    return true;
}

void bench_rows_cc(const char *gdir, int min_n, int max_n)
{
    /* 100,000 steps take minutes each side: one run, and only when asked. */
    static const struct { int n; int runs; const char *figure; } sizes[] = {
        { 1000, 3, "gcc -O2, generated C of 1,000 steps" },
        { 10000, 1, "gcc -O2, generated C of 10,000 steps" },
        { 100000, 1, "gcc -O2, generated C of 100,000 steps" },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char gen[64], user[64];
        bench_stat g, u;
        if (sizes[i].n < min_n || sizes[i].n > max_n)
            continue;
        snprintf(gen, sizeof gen, "distinct_%d.job.c", sizes[i].n);
        snprintf(user, sizeof user, "stubs_%d.c", sizes[i].n);
        if (!gcc_time(gdir, gen, sizes[i].runs, &g) || !gcc_time(gdir, user, sizes[i].runs, &u))
            return;
        /* direct: the user's own step functions; the target is half as much again. */
        bench_row r = { "G", sizes[i].figure, "s", g, u.median, 1.5 * u.median, LOWER_IS_BETTER };
        bench_print_row(&r);
    }
}

void bench_rows_ajc(const char *ajc, const char *gdir)
{
    static const int sizes[] = { 1000, 10000, 100000 };
    static const char *names[] = { "ajc, 1,000 steps", "ajc, 10,000 steps", "ajc, 100,000 steps" };
    char out_dir[] = "/tmp/bench-ajc-XXXXXX", cmd[64];
    double per_step[3];

    if (mkdtemp(out_dir) == NULL)
        return;
    for (int i = 0; i < 3; i++) {
        bench_stat ms;
        long rss_kb;
        char figure[64];
        if (!time_size(ajc, gdir, out_dir, sizes[i], &ms, &rss_kb))
            break;
        per_step[i] = ms.median / sizes[i];
        snprintf(figure, sizeof figure, "%s: time", names[i]);
        bench_row t = { "G", figure, "ms", ms, -1, i == 2 ? 1000 : -1, LOWER_IS_BETTER };
        bench_print_row(&t);
        snprintf(figure, sizeof figure, "%s: peak RSS", names[i]);
        double mb = rss_kb / 1024.0;
        bench_row m = { "G", figure, "MB", { mb, mb, mb }, -1, -1, LOWER_IS_BETTER };
        bench_print_row(&m);
        if (i == 2) {
            double growth = per_step[2] / per_step[1];
            bench_row g = { "G", "ajc: time per step, 100,000 over 10,000", "x",
                            { growth, growth, growth }, -1, 1.5, LOWER_IS_BETTER };
            bench_print_row(&g);
        }
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", out_dir);
}
