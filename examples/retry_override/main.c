/*
 * main.c: the same job twice on a sensor that fails its first two reads.
 * As written in the .job file, Read is not retried and the instance fails.
 * With a retry override in its start options, the second instance retries
 * Read up to 3 times, 1 ms apart, and gets the temperature.
 */
#include "retry_override.job.h"

/* Runs one instance with the given start options and says how it went;
 * returns wait's code. */
static int measure(const char *label, const aj_start_opts *opts)
{
    Sensor sensor = { .warmup_reads = 2, .tenths_celsius = 215 };
    aj_failure why;
    aj_step_info read;
    weather *job;
    int tenths, rc = weather_start(NULL, &sensor, opts, &job);

    if (rc != AJ_OK)
        return rc;
    rc = weather_wait(job, -1);
    if (weather_result(job, &tenths) == AJ_OK) {
        /* Steps are found by name, as the override found Read. */
        aj_instance_step_info(weather_instance(job),
                              (uint32_t)aj_job_def_find_step(&weather_def, "Read"), &read);
        printf("%-16s %d.%d C after %u attempts\n", label, tenths / 10, tenths % 10,
               read.attempts);
    }
    else if (aj_instance_failure(weather_instance(job), &why) != 0)
        printf("%-16s %s failed after %u attempt(s): %s\n", label, why.step_name, why.attempts,
               why.message);
    weather_free(job);
    return rc;
}

int main(void)
{
    /* Overrides name a step and replace its whole policy. Like all start
     * options, they are copied by start: a local array is fine. */
    const aj_retry_override patient[] = {
        { "Read", { .max_retries = 3, .backoff = AJ_BACKOFF_FIXED, .delay_ns = 1000000 } },
    };
    const aj_start_opts with = { .n_retry_overrides = 1, .retry_overrides = patient };

    if (measure("as in the .job:", NULL) != SENSOR_NOT_READY)
        return 1;
    if (measure("with override:", &with) != AJ_OK)
        return 1;
    return 0;
}
