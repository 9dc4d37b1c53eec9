/*
 * generate.c: synthetic access logs with a known tally. The generator
 * counts what it writes as it writes it, so a test can compare the job's
 * answer with the truth instead of with a second run of the same parser.
 */
#include "logstats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_PAGES 400

static uint64_t next(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717u;
}

static unsigned pick_status(uint64_t r)
{
    static const unsigned codes[] = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
                                      200, 200, 200, 200, 304, 304, 404, 301, 500, 503 };
    return codes[r % (sizeof codes / sizeof codes[0])];
}

/* Writes one line and counts it in expect. Pages are skewed toward low
 * numbers (the square of a uniform draw) so that a top list is meaningful;
 * one line in 500 is garbage. */
static int write_line(FILE *f, uint64_t *seed, unsigned i, LogTally *expect)
{
    uint64_t r = next(seed), u = r % N_PAGES;
    unsigned page = (unsigned)(u * u / N_PAGES), status = pick_status(r >> 20);
    unsigned long long bytes = (r >> 32) % 50000;
    char path[32];

    expect->lines++;
    if (i % 500 == 499) {
        expect->malformed++;
        return fprintf(f, "garbage line %u without a request\n", i) < 0 ? EIO : 0;
    }
    snprintf(path, sizeof path, "/page/%u.html", page);
    if (fprintf(f, "10.0.%u.%u - - [29/Nov/2026:12:%02u:%02u +0000] \"GET %s HTTP/1.1\" %u %llu\n",
                (unsigned)(r >> 8) & 255, (unsigned)(r >> 16) & 255, (i / 60) % 60, i % 60, path,
                status, bytes) < 0)
        return EIO;
    expect->status[status / 100]++;
    expect->bytes += bytes;
    return log_tally_count_path(expect, path);
}

int log_generate(const char *dir, unsigned n_files, unsigned lines, uint64_t seed,
                 LogTally *expect)
{
    uint64_t s = seed | 1;
    int rc = 0;

    for (unsigned k = 0; k < n_files && rc == 0; k++) {
        char path[4096];
        FILE *f;
        snprintf(path, sizeof path, "%s/access-%03u.log", dir, k);
        if ((f = fopen(path, "w")) == NULL)
            return errno;
        for (unsigned i = 0; i < lines && rc == 0; i++)
            rc = write_line(f, &s, i, expect);
        if (fclose(f) != 0 && rc == 0)
            rc = errno;
    }
    return rc;
}
