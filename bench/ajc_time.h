/* ajc_time.h: figure G, the compiler's time and memory on large jobs. */
#ifndef BENCH_AJC_TIME_H
#define BENCH_AJC_TIME_H

/* Times `AJC -o TMP GDIR/mixed_N.job` for N = 1,000 / 10,000 / 100,000
 * and prints the rows. */
void bench_rows_ajc(const char *ajc, const char *gdir);

#endif
