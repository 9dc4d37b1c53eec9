/*
 * admit.c: the attempts of steps that use limits (`uses db`). Before an
 * attempt its step takes a slot of every limit it uses (limit.c); where
 * one is not free the step waits in that limit's queue and the thread
 * goes on with other work. When the attempt ends (its function returned,
 * or an async attempt's done or deadline came) the slots are let go of,
 * before any retry delay, and the steps they let in are handed back to be
 * run: to the workers, or to the blocking pool for a blocking step. A
 * sequential instance has no other thread to run its steps, so its
 * starter's thread waits for the slot itself. A cancel takes its
 * instance's waiting steps out of the queues, to be settled as cancelled.
 * Everything here works on a step record alone, a step's or an element's
 * of a mapped step, whatever ran it.
 */
#include "aj_exec.h"

void aj__admit_grant(aj__step *granted)
{
    while (granted != NULL) {
        aj__step *s = granted;
        aj_instance *inst = s->inst;
        aj__runner r;

        granted = s->next;
        s->next = NULL;
        if (inst->sequential) {
            /* Its starter's thread waits on cv for the slot. */
            pthread_mutex_lock(&inst->mu);
            pthread_cond_broadcast(&inst->cv);
            pthread_mutex_unlock(&inst->mu);
        } else {
            aj__runner_init(&r, inst);
            /* No pool thread to take it: a worker runs it then. */
            if (!(inst->def->exec[s->index].flags & AJ_STEP_BLOCKING) ||
                !aj__blocking_submit(&r, s)) {
                aj__runner_adopt(&r, s);
                aj__sched_offer(&r, 0);
            }
        }
        /* The hold limit.c took as it let s in. */
        aj__sched_unhold(inst);
    }
}

/* Sequential mode: the starter's thread waits until s holds its slots
 * (true) or the instance is cancelled (false: s then holds nothing and
 * waits nowhere). A granter stores HELD before it takes inst->mu to wake
 * this thread, and a cancel sets cancelled before it does. */
static bool wait_slots(aj__step *s)
{
    aj_instance *inst = s->inst;
    bool held;

    pthread_mutex_lock(&inst->mu);
    while (!(held = aj__limit_holds(s)) && !atomic_load(&inst->cancelled))
        aj__cond_wait_until(&inst->cv, &inst->mu, INT64_MAX);
    pthread_mutex_unlock(&inst->mu);
    if (!held)
        aj__admit_grant(aj__limit_drop(s));
    return held;
}

aj__take aj__admit(aj__step *s)
{
    aj__take t = aj__limit_take(s);

    if (t != AJ__TAKE_QUEUED || !s->inst->sequential)
        return t;
    return wait_slots(s) ? AJ__TAKE_HELD : AJ__TAKE_CANCELLED;
}

void aj__admit_release(aj__step *s)
{
    aj__admit_grant(aj__limit_drop(s));
}

void aj__admit_cut(aj__runner *r)
{
    aj__step *granted, *cut;

    /* A sequential instance's waiting step is its starter's, which sees
     * the cancel itself. */
    if (r->inst->sequential)
        return;
    cut = aj__limit_cut(r->inst, &granted);
    aj__runner_adopt(r, cut);
    aj__admit_grant(granted);
}

int aj_runtime_set_limit(aj_runtime *rt, const char *name, uint32_t size)
{
    aj__step *granted;
    int rc;

    if (name == NULL || size == 0)
        return AJ_EINVAL;
    if (rt == NULL && (rt = aj__runtime_default()) == NULL)
        return AJ_EAGAIN;
    if ((rc = aj__limit_set(rt, name, size, &granted)) == AJ_OK)
        aj__admit_grant(granted);
    return rc;
}
