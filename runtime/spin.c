/*
 * spin.c: when a thread with nothing to do spins for work, and for how
 * long, before it sleeps. Spinning saves the wake-up (a futex call for the
 * waker, tens of microseconds on a VM for the woken thread) only when the
 * work comes sooner than that; otherwise it is CPU burnt for nothing.
 *
 * DESIGN
 * The budget is a ski-rental bound: never spin longer than a wake-up costs
 * (AJ__SPIN_MAX_NS), so that spinning at most doubles what waiting costs.
 * Within that bound it follows the idle gaps seen lately (the time from
 * the moment a thread ran out of work to the moment work came, whether it
 * spun or slept meanwhile): a gap the budget would have covered lengthens
 * it to twice that gap, a longer one (work comes in milliseconds: steps
 * that sleep, instances started now and then) halves it, down to a token
 * AJ__SPIN_MIN_NS. A spinner gives up at once, and the budget drops to
 * the minimum, when two of its clock readings lie more than GAP_NS apart:
 * it lost its CPU to another thread or process, so it was not saving
 * anyone a wake-up, only taking the CPU from whoever needs it. Budgets are
 * shared by the threads of one kind (workers, waiters) with relaxed
 * atomics: a stale value costs one spin of the wrong length.
 */
#include "aj_base.h"

#include <sched.h>

#define GAP_NS 20000 /* readings further apart: descheduled meanwhile */

void aj__spin_init(aj__spin *s)
{
    /* A store, not atomic_init: another thread may already use it. */
    atomic_store_explicit(&s->budget_ns, AJ__SPIN_MAX_NS, memory_order_relaxed);
}

int64_t aj__spin_budget(const aj__spin *s)
{
    return atomic_load_explicit(&((aj__spin *)s)->budget_ns, memory_order_relaxed);
}

static void set_budget(aj__spin *s, int64_t ns)
{
    ns = ns < AJ__SPIN_MIN_NS ? AJ__SPIN_MIN_NS : ns > AJ__SPIN_MAX_NS ? AJ__SPIN_MAX_NS : ns;
    atomic_store_explicit(&s->budget_ns, ns, memory_order_relaxed);
}

void aj__spin_learn(aj__spin *s, int64_t gap_ns)
{
    int64_t b = aj__spin_budget(s);

    if (gap_ns >= 0 && gap_ns <= AJ__SPIN_MAX_NS)
        set_budget(s, b > 2 * gap_ns ? b : 2 * gap_ns);
    else
        set_budget(s, b / 2);
}

aj__spin_end aj__spin_until(aj__spin *s, bool (*found)(void *), void *arg, int64_t until_ns)
{
    int64_t last = aj__now_ns();

    for (unsigned i = 1;; i++) {
        if (found(arg))
            return AJ__SPIN_FOUND;
        if (i % 16 == 0) {
            int64_t now = aj__now_ns();
            if (now - last > GAP_NS) {
                set_budget(s, AJ__SPIN_MIN_NS);
                return AJ__SPIN_LOST;
            }
            if (now >= until_ns)
                return AJ__SPIN_MISSED;
            last = now;
        }
        /* Lets a thread waiting for this CPU have it: the next reading
         * then shows the gap, and the spin ends. */
        if (i % 256 == 0)
            sched_yield();
        aj__cpu_relax();
    }
}
