/*
 * main.c: three releases through one job. A regular one goes through the
 * canary and the hotfix step is skipped (its condition); a hotfix skips
 * the canary and so the rollout after it; a release whose canary fails
 * skips the rollout (a failure upstream), still announces (on done, with
 * no notes: that step is nonfatal and failed) and pages (on failure).
 * Once the canary is fixed, release_rerun() runs again only what did not
 * complete: the build is not made twice.
 */
#include "release.job.h"

#include <stdio.h>

/* Every step's final state, and why it was skipped. */
static void report(release *job)
{
    const aj_instance *inst = release_instance(job);
    const aj_job_def *def = aj_instance_def(inst);

    for (uint32_t i = 0; i < def->n_steps; i++) {
        aj_step_info info;
        aj_instance_step_info(inst, i, &info);
        printf("  %-9s %s", def->steps[i].name, aj_step_state_name(info.state));
        if (info.state == AJ_STEP_SKIPPED)
            printf(" (%s)", aj_skip_reason_name(info.skip_reason));
        if (info.attempts > 1)
            printf(", %u attempts", info.attempts);
        printf("\n");
    }
}

static int ship(Release *rel)
{
    release *job;
    int rc;

    printf("%s:\n", rel->name);
    if (release_start(NULL, rel, &(aj_start_opts){ .sequential = true }, &job) != AJ_OK)
        return -1;
    rc = release_wait(job, -1);
    printf("wait: %s\n", aj_strerror(rc));
    report(job);
    if (rc != AJ_OK) {
        /* Fixed: the canary passes now, and the notes can be written. */
        rel->canary_failures = 0;
        rel->notes_fail = false;
        printf("rerun:\n");
        release_rerun(job);
        rc = release_wait(job, -1);
        printf("wait: %s\n", aj_strerror(rc));
        report(job);
        int build = 0;
        release_Build_output(job, &build);
        printf("build #%d, made %d time(s)\n", build, rel->builds);
    }
    release_free(job);
    return rc;
}

int main(void)
{
    Release regular = { .name = "1.4.0" };
    Release hotfix = { .name = "1.4.1", .hotfix = true };
    Release broken = { .name = "1.5.0", .canary_failures = 2, .notes_fail = true };

    return ship(&regular) == AJ_OK && ship(&hotfix) == AJ_OK && ship(&broken) == AJ_OK ? 0 : 1;
}
