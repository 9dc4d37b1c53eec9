/*
 * canceller.c: cancelling from a signal handler. aj_instance_cancel takes
 * the instance's and the runtime's locks and settles steps on the calling
 * thread, so a handler that interrupted a thread inside one of those
 * stretches (a waiter running steps alone, say) would wait for itself.
 * A request instead does only what a handler may do: stores and
 * read-modify-writes on lock-free atomics, and sem_post(). Each runtime
 * has a canceller thread, parked on a semaphore, that makes the real
 * cancel of every instance requested since it last looked.
 *
 * DESIGN
 * Requests form a lock-free stack (rt->cancel_head, linked by
 * inst->cancel_next); an instance is on it at most once (cancel_queued)
 * and is held (holders) from its push until the canceller is done with
 * it, so its owner cannot free it meanwhile. The flag steps read
 * (cancelled) is set by the request itself: running steps see it at once.
 * The same thread calls the cancel hooks of attempts whose deadline has
 * passed (cancel_hook.c): it sleeps until the earliest, and an attempt
 * that arms a new earliest one posts the semaphore.
 */
#include "aj_exec.h"

#include <errno.h>
#include <time.h>

/* What a handler touches must not hide a lock. */
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2 &&
                   ATOMIC_BOOL_LOCK_FREE == 2,
               "cancelling from a signal handler needs lock-free atomics");

/* Takes every request made so far, oldest last. */
static aj_instance *take_requests(aj_runtime *rt)
{
    return atomic_exchange_explicit(&rt->cancel_head, NULL, memory_order_acquire);
}

/* Each request holds its instance: it cannot be freed under the cancel. */
static void cancel_all(aj_instance *list)
{
    while (list != NULL) {
        aj_instance *inst = list;
        list = inst->cancel_next;
        if (!aj__inst_done(inst))
            aj__exec_cancel(inst);
        aj__sched_unhold(inst);
    }
}

/* Sleeps until posted (a request, a new earliest deadline, the stop) or
 * until due_ns. sem_timedwait counts on the realtime clock: the wait is
 * cut to a second, so a step of that clock delays a deadline by a second
 * at most, and the caller looks at the monotonic clock on waking. */
static void park(aj_runtime *rt, int64_t due_ns)
{
    int64_t now = aj_now_ns(), until;
    struct timespec ts;

    if (due_ns == INT64_MAX) {
        while (sem_wait(&rt->cancel_sem) != 0 && errno == EINTR)
            ;
        return;
    }
    if (due_ns <= now)
        return;
    until = (due_ns - now < 1000000000 ? due_ns : now + 1000000000) + aj__wall_offset_ns();
    ts.tv_sec = (time_t)(until / 1000000000);
    ts.tv_nsec = (long)(until % 1000000000);
    while (sem_timedwait(&rt->cancel_sem, &ts) != 0 && errno == EINTR)
        ;
}

static void *canceller_main(void *arg)
{
    aj_runtime *rt = arg;

    for (;;) {
        park(rt, aj__hooks_fire_due(rt, aj_now_ns()));
        cancel_all(take_requests(rt));
        if (atomic_load_explicit(&rt->cancel_stop, memory_order_acquire))
            break;
    }
    /* Requests made up to the stop, which nothing makes any more. */
    cancel_all(take_requests(rt));
    return NULL;
}

int aj__canceller_start(aj_runtime *rt)
{
    if (sem_init(&rt->cancel_sem, 0, 0) != 0)
        return AJ_EAGAIN;
    aj__mutex_init(&rt->hook_mu);
    if (aj__thread_create(&rt->canceller, canceller_main, rt) != 0) {
        pthread_mutex_destroy(&rt->hook_mu);
        sem_destroy(&rt->cancel_sem);
        return AJ_EAGAIN;
    }
    rt->has_canceller = true;
    return AJ_OK;
}

void aj__canceller_stop(aj_runtime *rt)
{
    if (!rt->has_canceller)
        return;
    atomic_store_explicit(&rt->cancel_stop, true, memory_order_release);
    sem_post(&rt->cancel_sem);
    aj__thread_join(rt->canceller);
    pthread_mutex_destroy(&rt->hook_mu);
    sem_destroy(&rt->cancel_sem);
    rt->has_canceller = false;
}

/* Pushes inst, held, on its runtime's stack and wakes the canceller. */
static void request(aj_runtime *rt, aj_instance *inst)
{
    aj_instance *head = atomic_load_explicit(&rt->cancel_head, memory_order_relaxed);

    do
        inst->cancel_next = head;
    while (!atomic_compare_exchange_weak_explicit(&rt->cancel_head, &head, inst,
                                                  memory_order_release,
                                                  memory_order_relaxed));
    sem_post(&rt->cancel_sem);
}

void aj_instance_cancel_async(aj_instance *inst)
{
    if (inst == NULL)
        return;
    /* Held before the look at done: an owner that sees it done then waits. */
    atomic_fetch_add(&inst->holders, 1);
    if (aj__inst_done(inst) || atomic_exchange(&inst->cancel_queued, true)) {
        aj__sched_unhold(inst);
        return;
    }
    atomic_store(&inst->cancelled, true);
    /* Without a runtime the instance runs sequentially inside its start,
     * whose loop settles what is left as cancelled when it sees the flag. */
    if (inst->rt == NULL) {
        aj__sched_unhold(inst);
        return;
    }
    request(inst->rt, inst);
}
