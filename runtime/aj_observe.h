/*
 * aj_observe.h: layer 5 of the runtime (see aj_internal.h), observing:
 * telling an instance's observers (the runtime's, then the instance's)
 * that a step started, will be retried, or is final. The callers check
 * inst->observed first, so an unobserved instance pays one load.
 */
#ifndef AJ_OBSERVE_H
#define AJ_OBSERVE_H

#include "aj_data.h"

/* An attempt opened in ctx has started. */
void aj__observe_start(const aj_ctx *ctx);
/* ctx's attempt failed with err and runs again in delay_ns. */
void aj__observe_retry(const aj_ctx *ctx, int err, int64_t delay_ns);
/* s is final (message: NULL or the failure's). */
void aj__observe_finish(aj__step *s, aj_step_state state, int err, const char *message,
                        int64_t end_ns);

/* Whether this thread is inside an observer callback of inst. */
bool aj__observing(const aj_instance *inst);

#endif
