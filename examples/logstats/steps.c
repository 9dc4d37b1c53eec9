/*
 * steps.c: the logstats job's steps. Count0..Count3 share one
 * implementation (impl logstats_count in the .job), which the .job passes
 * each one's shard number: a step takes the files whose position modulo
 * LOG_SHARDS is its shard.
 */
#include "logstats.job.h"

#include <errno.h>
#include <string.h>

int logstats_Scan(aj_ctx *ctx, const LogJob *cfg, Files *out)
{
    int rc = log_files_scan(cfg->dir, out);
    if (rc != 0)
        aj_ctx_set_message(ctx, "cannot list %s: %s", cfg->dir, strerror(rc));
    return rc;
}

int logstats_count(aj_ctx *ctx, const LogJob *cfg, Files files, int shard, Tally *out)
{
    LogTally *t = log_tally_new();
    int rc = t == NULL ? ENOMEM : 0;
    (void)cfg;

    for (size_t i = (size_t)shard % LOG_SHARDS; rc == 0 && i < files->n; i += LOG_SHARDS) {
        if (aj_ctx_cancelled(ctx)) {
            rc = ECANCELED;
            break;
        }
        if ((rc = log_tally_file(t, files->paths[i])) != 0)
            aj_ctx_set_message(ctx, "%s: %s", files->paths[i], strerror(rc));
    }
    if (rc != 0) {
        log_tally_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int logstats_Merge(aj_ctx *ctx, const LogJob *cfg, Tally t0, Tally t1, Tally t2, Tally t3,
                   Tally *out)
{
    const LogTally *parts[] = { t1, t2, t3 };
    LogTally *total = log_tally_new();
    int rc = total == NULL ? ENOMEM : log_tally_add(total, t0);
    (void)cfg;

    for (size_t i = 0; rc == 0 && i < 3; i++)
        rc = log_tally_add(total, parts[i]);
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
