/* steps.c: the steps of the backup job. Upload's first attempt fails, as
 * a network upload sometimes does; the retry policy in observer.job runs
 * it again. */
#include "observer.job.h"

#include <errno.h>

int backup_Snapshot(aj_ctx *ctx, const char *dir)
{
    (void)ctx;
    (void)dir;
    return 0;
}

int backup_Upload(aj_ctx *ctx, const char *dir)
{
    if (aj_ctx_attempt(ctx) == 1) {
        aj_ctx_set_message(ctx, "%s: connection reset", dir);
        return ECONNRESET;
    }
    return 0;
}

int backup_Verify(aj_ctx *ctx, const char *dir)
{
    (void)ctx;
    (void)dir;
    return 0;
}
