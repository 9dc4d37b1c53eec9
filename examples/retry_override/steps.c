/* steps.c: the weather job's steps. */
#include "retry_override.job.h"

int weather_PowerOn(aj_ctx *ctx, Sensor *sensor)
{
    (void)ctx;
    sensor->left = sensor->warmup_reads;
    return 0;
}

int weather_Read(aj_ctx *ctx, Sensor *sensor, int *tenths)
{
    if (sensor->left > 0) {
        sensor->left--;
        aj_ctx_set_message(ctx, "sensor not ready");
        return SENSOR_NOT_READY;
    }
    *tenths = sensor->tenths_celsius;
    return 0;
}
