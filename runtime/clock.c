/* clock.c: the monotonic and wall clocks every timing in the runtime uses. */
#include "aj_internal.h"

#include <time.h>

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t aj_now_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

int64_t aj_wall_now_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

/* Saturates: a monotonic reading centuries after the start (only a fake
 * clock gives one) must not overflow. */
int64_t aj__inst_wall(const aj_instance *inst, int64_t mono_ns)
{
    return aj__add_sat(inst->start_wall_ns, mono_ns - inst->start_ns);
}
