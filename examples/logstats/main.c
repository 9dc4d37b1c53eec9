/*
 * main.c: the logstats command.
 *
 *   logstats DIR REPORT            summarise the .log files of DIR into REPORT
 *   logstats --compare DIR REPORT  run it sequentially, then in parallel,
 *                                  and print both wall-clock times
 *   logstats --generate DIR FILES LINES   write synthetic logs into DIR
 */
#include "logstats.job.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fputs("usage: logstats DIR REPORT\n"
          "       logstats --compare DIR REPORT\n"
          "       logstats --generate DIR FILES LINES\n", stderr);
    return 2;
}

/* Runs the job once; returns its status and the time it took. */
static int run(const LogJob *cfg, bool sequential, int64_t *elapsed_ns, bool print)
{
    aj_start_opts opts = { .sequential = sequential };
    int64_t t0 = aj_now_ns();
    logstats *job;
    aj_failure f;
    Tally total;
    int rc = logstats_start(NULL, cfg, &opts, &job);

    if (rc != AJ_OK) {
        fprintf(stderr, "logstats: cannot start: %s\n", aj_strerror(rc));
        return rc;
    }
    rc = logstats_wait(job, -1);
    *elapsed_ns = aj_now_ns() - t0;
    if (rc != AJ_OK && aj_instance_failure(logstats_instance(job), &f) != 0)
        fprintf(stderr, "logstats: step %s failed after %u attempt(s): %s\n",
                f.step_name ? f.step_name : "-", f.attempts, f.message);
    if (rc == AJ_OK && print && logstats_result(job, &total) == AJ_OK)
        printf("%llu lines (%llu malformed), %zu paths, report in %s\n",
               (unsigned long long)total->lines, (unsigned long long)total->malformed,
               total->n_paths, cfg->report);
    logstats_free(job);
    return rc;
}

static int compare(const LogJob *cfg)
{
    int64_t seq_ns, par_ns;

    if (run(cfg, true, &seq_ns, false) != AJ_OK || run(cfg, false, &par_ns, true) != AJ_OK)
        return 1;
    printf("sequential %.3f s, parallel on %u workers %.3f s: %.2fx\n", seq_ns / 1e9,
           aj_runtime_workers(NULL), par_ns / 1e9, (double)seq_ns / (double)par_ns);
    return 0;
}

/* A count from the command line: digits only, 1 to 10,000,000. */
static bool parse_count(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < 1 || v > 10000000)
        return false;
    *out = (unsigned)v;
    return true;
}

static int generate(const char *dir, const char *files, const char *lines)
{
    unsigned n_files, n_lines;
    LogTally *expect;
    int rc;

    if (!parse_count(files, &n_files) || !parse_count(lines, &n_lines)) {
        fprintf(stderr, "logstats: FILES and LINES must be whole numbers from 1 to 10000000\n");
        return 2;
    }
    expect = log_tally_new();
    rc = expect == NULL ? ENOMEM : log_generate(dir, n_files, n_lines, 2026, expect);

    if (rc != 0)
        fprintf(stderr, "logstats: cannot generate logs in %s: %s\n", dir, strerror(rc));
    else
        printf("wrote %llu lines into %s\n", (unsigned long long)expect->lines, dir);
    log_tally_free(expect);
    return rc != 0;
}

int main(int argc, char **argv)
{
    int64_t ns;

    if (argc == 5 && strcmp(argv[1], "--generate") == 0)
        return generate(argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "--compare") == 0)
        return compare(&(LogJob){ argv[2], argv[3] });
    if (argc == 3 && argv[1][0] != '-')
        return run(&(LogJob){ argv[1], argv[2] }, false, &ns, true) != AJ_OK;
    return usage();
}
