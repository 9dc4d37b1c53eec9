/*
 * steps.c: the logstats job's steps. Scan's array of paths is mapped: one
 * Count per file, each with its own attempts and state, and Merge gets
 * their tallies in the order of the files.
 */
#include "logstats.job.h"

#include <errno.h>
#include <string.h>

int logstats_Scan(aj_ctx *ctx, const LogJob *cfg, LogFile **out, size_t *n_out)
{
    int rc = log_files_scan(cfg->dir, out, n_out);
    if (rc != 0)
        aj_ctx_set_message(ctx, "cannot list %s: %s", cfg->dir, strerror(rc));
    return rc;
}

int logstats_Count(aj_ctx *ctx, const LogJob *cfg, LogFile file, Tally *out)
{
    LogTally *t = log_tally_new();
    int rc = t == NULL ? ENOMEM : log_tally_file(t, file);
    (void)cfg;

    if (rc != 0) {
        aj_ctx_set_message(ctx, "%s: %s", file, strerror(rc));
        log_tally_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int logstats_Merge(aj_ctx *ctx, const LogJob *cfg, const Tally *tallies, size_t n_tallies,
                   Tally *out)
{
    LogTally *total = log_tally_new();
    int rc = total == NULL ? ENOMEM : 0;
    (void)cfg;

    for (size_t i = 0; rc == 0 && i < n_tallies; i++)
        rc = log_tally_add(total, tallies[i]);
    if (rc != 0) {
        aj_ctx_set_message(ctx, "out of memory merging tallies");
        log_tally_free(total);
        return rc;
    }
    *out = total;
    return 0;
}

int logstats_Report(aj_ctx *ctx, const LogJob *cfg, Tally total)
{
    int rc = log_report_write(total, cfg->report);

    if (rc == EWOULDBLOCK) {
        aj_ctx_set_message(ctx, "%s is locked by another writer", cfg->report);
    } else if (rc != 0) {
        aj_ctx_set_message(ctx, "cannot write %s: %s", cfg->report, strerror(rc));
        aj_ctx_set_permanent(ctx); /* only a held lock is worth waiting out */
    }
    return rc;
}
