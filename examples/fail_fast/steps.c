/* steps.c: the release job's steps; each says when it runs. Lint always
 * finds a problem. */
#include "fail_fast.job.h"

int release_Lint(aj_ctx *ctx, const char *version)
{
    printf("  Lint %s: 3 warnings\n", version);
    aj_ctx_set_message(ctx, "warnings are errors");
    return 1;
}

int release_Compile(aj_ctx *ctx, const char *version, int *size)
{
    (void)ctx;
    printf("  Compile %s\n", version);
    *size = 4096;
    return 0;
}

int release_Test(aj_ctx *ctx, const char *version, int size)
{
    (void)ctx;
    printf("  Test %s (%d bytes)\n", version, size);
    return 0;
}

int release_Publish(aj_ctx *ctx, const char *version)
{
    (void)ctx;
    printf("  Publish %s\n", version);
    return 0;
}
