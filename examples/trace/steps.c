/* steps.c: the one function behind the thumbnail job's four steps. It
 * stands for some work by sleeping a few milliseconds, long enough to be
 * seen on a timeline. */
#include "trace.job.h"

#include <time.h>

int pretend_work(aj_ctx *ctx, const char *image)
{
    /* By step index, in declaration order: Fetch, Resize, Watermark, Store. */
    static const long ms[] = { 2, 3, 2, 1 };
    struct timespec t = { 0, ms[aj_ctx_step_index(ctx)] * 1000000L };

    (void)image;
    return nanosleep(&t, NULL) == 0 ? 0 : 1;
}
