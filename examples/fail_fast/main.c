/*
 * main.c: the release job with and without fail-fast. By default a failure
 * stops only what depends on it: Lint fails, Publish is skipped, but
 * Compile and Test, which do not need Lint, run to the end (as in
 * go-asyncjob). With fail_fast the first failure cancels the instance:
 * nothing that has not started yet runs.
 *
 * Both runs are sequential (every step on this thread, in the job's
 * topological order: Lint, Compile, Test, Publish) so that what ran is the
 * same on every run. On a pool, fail-fast cancels whatever had not started
 * when Lint failed, and steps still running see aj_ctx_cancelled().
 */
#include "fail_fast.job.h"

static int run(bool fail_fast)
{
    aj_start_opts opts = { .sequential = true, .fail_fast = fail_fast };
    release *job;
    int rc;

    printf("fail_fast = %s\n", fail_fast ? "true" : "false");
    rc = release_start(NULL, "1.4.0", &opts, &job);
    if (rc != AJ_OK)
        return rc;
    rc = release_wait(job, -1);
    printf("  wait: %d\n  steps: ", rc);
    for (uint32_t i = 0; i < release_def.n_steps; i++) {
        aj_step_info info;
        aj_instance_step_info(release_instance(job), i, &info);
        printf("%s %s%s", release_def.steps[i].name, aj_step_state_name(info.state),
               i + 1 < release_def.n_steps ? ", " : "\n");
    }
    release_free(job);
    return rc;
}

int main(void)
{
    /* Either way wait returns the root cause: Lint's code. */
    if (run(false) != 1 || run(true) != 1)
        return 1;
    return 0;
}
