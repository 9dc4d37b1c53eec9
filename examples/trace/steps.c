/* steps.c: the one function behind the thumbnail job's four steps. It
 * stands for some work by sleeping a few milliseconds, long enough to be
 * seen on a timeline. The first fetch of "dog.png" fails, so that its
 * timeline shows two attempts of Fetch and the retry wait between them. */
#include "trace.job.h"

#include <string.h>
#include <time.h>

int pretend_work(aj_ctx *ctx, const char *image)
{
    /* By step index, in declaration order: Fetch, Resize, Watermark, Store. */
    static const long ms[] = { 2, 3, 2, 1 };
    uint32_t i = aj_ctx_step_index(ctx);
    struct timespec t = { 0, ms[i] * 1000000L };

    if (i == 0 && aj_ctx_attempt(ctx) == 1 && strcmp(image, "dog.png") == 0) {
        aj_ctx_set_message(ctx, "%s: connection reset", image);
        return 104;
    }
    return nanosleep(&t, NULL) == 0 ? 0 : 1;
}
