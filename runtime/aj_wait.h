/*
 * aj_wait.h: layer 8 of the runtime (see aj_internal.h), waiting and
 * cancelling (wait.c): a waiter runs its instance's steps while it waits,
 * and a cancel settles what has not started; both above the runners they
 * use.
 */
#ifndef AJ_WAIT_H
#define AJ_WAIT_H

#include "aj_exec.h"

/* Runs and waits until inst is done (AJ_OK) or deadline_ns passes
 * (AJ_ETIMEDOUT; the instance goes on). */
int aj__wait_until(aj_instance *inst, int64_t deadline_ns);
/* Before freeing a done instance: waits until no other thread may still
 * touch it. */
void aj__wait_release(aj_instance *inst);

#endif
