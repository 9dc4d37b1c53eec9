/*
 * main.c: an observer logs every step of one backup instance as it starts,
 * retries and finishes: the hook for logging and metrics, with no change
 * to the steps themselves.
 *
 * The callbacks run on whichever thread ran the step, with no runtime lock
 * held. The job is a chain, so its events come one after the other and
 * the log reads the same on every run.
 */
#include "observer.job.h"

static void on_start(void *arg, const aj_step_event *ev)
{
    fprintf(arg, "%s/%s  start   %s, attempt %u\n", ev->job, ev->instance_id, ev->step,
            ev->attempt);
}

static void on_retry(void *arg, const aj_step_event *ev)
{
    /* The delay is the policy's (fixed 1ms): print it, it is not a time. */
    fprintf(arg, "%s/%s  retry   %s, attempt %u failed (%s), again in %lld ms\n", ev->job,
            ev->instance_id, ev->step, ev->attempt, ev->message,
            (long long)(ev->delay_ns / 1000000));
}

static void on_finish(void *arg, const aj_step_event *ev)
{
    /* ev->duration_ns is there for metrics; a log that must not change
     * from run to run leaves it out. */
    fprintf(arg, "%s/%s  finish  %s, %s after %u attempt(s)\n", ev->job, ev->instance_id,
            ev->step, aj_step_state_name(ev->state), ev->attempt);
}

int main(void)
{
    /* The observer is copied at start; its arg, here the log's stream, is
     * handed to every callback. */
    aj_observer log = { on_start, on_retry, on_finish, stdout };
    aj_start_opts opts = { .instance_id = "nightly", .observer = &log };
    backup *job;
    int rc;

    rc = backup_start(NULL, "/var/db", &opts, &job);
    if (rc != AJ_OK) {
        fprintf(stderr, "backup: cannot start: %s\n", aj_strerror(rc));
        return 1;
    }
    rc = backup_wait(job, -1);
    printf("wait: %s\n", aj_strerror(rc));
    backup_free(job);
    return rc == AJ_OK ? 0 : 1;
}
