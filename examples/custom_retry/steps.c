/* steps.c: the booking job's step and the function that decides its
 * retries (named by `custom` in custom_retry.job). */
#include "custom_retry.job.h"

int booking_Reserve(aj_ctx *ctx, Venue *venue, int *seat)
{
    if (venue->busy_answers > 0) {
        venue->busy_answers--;
        return VENUE_BUSY;
    }
    if (venue->sold_out) {
        aj_ctx_set_message(ctx, "no seat left");
        return VENUE_SOLD_OUT;
    }
    *seat = venue->next_seat++;
    return 0;
}

/* Called after each failed attempt: retry is 0 before the first retry.
 * Only "busy" is worth another try, at most 4 times, waiting 1 ms more
 * each time; any other error ends the step at once. */
bool retry_when_busy(const aj_ctx *ctx, int err, uint32_t retry, int64_t *delay_ns)
{
    if (err != VENUE_BUSY || retry >= 4) {
        printf("  %s attempt %u: error %d, give up\n", aj_ctx_step_name(ctx),
               aj_ctx_attempt(ctx), err);
        return false;
    }
    *delay_ns = (int64_t)(retry + 1) * 1000000;
    printf("  %s attempt %u: busy, retry in %u ms\n", aj_ctx_step_name(ctx), aj_ctx_attempt(ctx),
           retry + 1);
    return true;
}
