/*
 * fmt.c: how times read in the pictures: durations as Go prints them
 * (go-asyncjob's tooltips do), instants as RFC 3339 in UTC with
 * microseconds.
 */
#include "aj_base.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The digits of frac (prec of them), trailing zeros dropped, after a '.';
 * nothing when frac is 0. */
static void fraction(char *buf, size_t size, uint64_t frac, int prec)
{
    char digits[16];
    int n = prec;

    buf[0] = '\0';
    if (frac == 0)
        return;
    snprintf(digits, sizeof digits, "%0*" PRIu64, prec, frac);
    while (n > 0 && digits[n - 1] == '0')
        n--;
    snprintf(buf, size, ".%.*s", n, digits);
}

const char *aj__fmt_duration(char buf[AJ__FMT_MAX], int64_t ns)
{
    uint64_t u = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    const char *sign = ns < 0 ? "-" : "";
    char frac[16];

    if (u == 0) {
        snprintf(buf, AJ__FMT_MAX, "0s");
    } else if (u < 1000) {
        snprintf(buf, AJ__FMT_MAX, "%s%" PRIu64 "ns", sign, u);
    } else if (u < 1000000000) {
        bool micro = u < 1000000;
        uint64_t scale = micro ? 1000 : 1000000;
        fraction(frac, sizeof frac, u % scale, micro ? 3 : 6);
        snprintf(buf, AJ__FMT_MAX, "%s%" PRIu64 "%s%s", sign, u / scale, frac,
                 micro ? "µs" : "ms");
    } else {
        uint64_t s = u / 1000000000, h = s / 3600, m = s / 60 % 60;
        fraction(frac, sizeof frac, u % 1000000000, 9);
        if (h > 0)
            snprintf(buf, AJ__FMT_MAX, "%s%" PRIu64 "h%" PRIu64 "m%" PRIu64 "%ss", sign, h, m,
                     s % 60, frac);
        else if (m > 0)
            snprintf(buf, AJ__FMT_MAX, "%s%" PRIu64 "m%" PRIu64 "%ss", sign, m, s % 60, frac);
        else
            snprintf(buf, AJ__FMT_MAX, "%s%" PRIu64 "%ss", sign, s, frac);
    }
    return buf;
}

const char *aj__fmt_wall(char buf[AJ__FMT_MAX], int64_t wall_ns)
{
    int64_t sec = wall_ns / 1000000000, rem = wall_ns % 1000000000;
    time_t t;
    struct tm tm;

    if (rem < 0) {
        rem += 1000000000;
        sec--;
    }
    t = (time_t)sec;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, AJ__FMT_MAX, "?");
        return buf;
    }
    snprintf(buf, AJ__FMT_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(rem / 1000));
    return buf;
}
