/* ajc_time.h: figure G, the compiler's time and memory on large jobs, and
 * the C compiler's time on what it generates. */
#ifndef BENCH_AJC_TIME_H
#define BENCH_AJC_TIME_H

/* Times `AJC -o TMP GDIR/mixed_N.job` for N = 1,000 / 10,000 / 100,000
 * and prints the rows. */
void bench_rows_ajc(const char *ajc, const char *gdir);

/* Times `gcc -O2 -c` of GDIR/distinct_N.job.c, the generated C of a job of
 * N steps with a function each, against GDIR/stubs_N.c, those functions,
 * for each N of 1,000 / 10,000 / 100,000 within [min_n, max_n], and prints
 * the rows. */
void bench_rows_cc(const char *gdir, int min_n, int max_n);

#endif
