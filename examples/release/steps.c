/*
 * steps.c: the release job's steps. Each prints what it does, so that the
 * transcript shows which ran; none of them really ships anything.
 */
#include "release.job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void text_free(char *text)
{
    free(text);
}

int release_Build(aj_ctx *ctx, Release *rel, int *out)
{
    (void)ctx;
    *out = ++rel->builds;
    printf("  build %s: #%d\n", rel->name, *out);
    return 0;
}

int release_IsHotfix(aj_ctx *ctx, Release *rel, bool *out)
{
    (void)ctx;
    *out = rel->hotfix;
    return 0;
}

int release_Canary(aj_ctx *ctx, Release *rel, int build)
{
    if (rel->canary_failures > 0) {
        rel->canary_failures--;
        aj_ctx_set_message(ctx, "canary of build #%d: error rate 4%%", build);
        printf("  canary #%d: failed\n", build);
        return 1;
    }
    printf("  canary #%d: healthy\n", build);
    return 0;
}

int release_Rollout(aj_ctx *ctx, Release *rel, int build)
{
    (void)ctx;
    printf("  rollout %s #%d\n", rel->name, build);
    return 0;
}

int release_Hotfix(aj_ctx *ctx, Release *rel, int build)
{
    (void)ctx;
    printf("  hotfix %s #%d, everywhere at once\n", rel->name, build);
    return 0;
}

int release_Notes(aj_ctx *ctx, Release *rel, int build, Text *out)
{
    char line[128];

    if (rel->notes_fail) {
        aj_ctx_set_message(ctx, "changelog service unavailable");
        return 1;
    }
    snprintf(line, sizeof line, "%s (build #%d)", rel->name, build);
    *out = strdup(line);
    return *out == NULL ? AJ_ENOMEM : 0;
}

int release_Announce(aj_ctx *ctx, Release *rel, const Text *notes)
{
    (void)ctx;
    printf("  announce %s: %s\n", rel->name, notes != NULL ? *notes : "(no notes)");
    return 0;
}

int release_Page(aj_ctx *ctx, Release *rel, const char *team)
{
    (void)ctx;
    printf("  page %s: %s did not go out\n", team, rel->name);
    return 0;
}
