/*
 * main.c: two bookings, one at a venue that is busy twice and then has a
 * seat, one at a venue that is sold out. The same custom policy retries
 * the first and gives up on the second after one attempt.
 */
#include "custom_retry.job.h"

static int book(const char *what, Venue *venue)
{
    booking *job;
    int seat, rc;

    /* Before start: the policy prints from the thread that runs the step. */
    printf("%s:\n", what);
    rc = booking_start(NULL, venue, NULL, &job);
    if (rc != AJ_OK) {
        fprintf(stderr, "booking: cannot start: %s\n", aj_strerror(rc));
        return rc;
    }
    rc = booking_wait(job, -1);
    if (rc == AJ_OK && booking_result(job, &seat) == AJ_OK) {
        aj_step_info info; /* of Reserve, step 0: steps count in declaration order */
        aj_instance_step_info(booking_instance(job), 0, &info);
        printf("  seat %d, after %u attempts\n", seat, info.attempts);
    } else {
        aj_failure f;
        aj_instance_failure(booking_instance(job), &f);
        printf("  failed: %s (code %d) after %u attempt(s)\n", f.message, f.code, f.attempts);
    }
    booking_free(job);
    return rc;
}

int main(void)
{
    Venue busy = { .busy_answers = 2, .next_seat = 12 };
    Venue full = { .sold_out = true };

    /* The first booking must succeed and the second must fail. */
    if (book("busy venue", &busy) != AJ_OK || book("sold-out venue", &full) != VENUE_SOLD_OUT)
        return 1;
    return 0;
}
