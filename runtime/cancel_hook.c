/*
 * cancel_hook.c: aj_ctx_on_cancel. An attempt may arm one callback that
 * interrupts what its step is blocked on (closes a socket, posts a
 * semaphore). It is called once if the instance is cancelled
 * (aj__inst_fire_cancels, from whoever cancels), or the attempt's deadline
 * passes (aj__hooks_fire_due, from the runtime's canceller thread), or an
 * async attempt is abandoned (aj__ctx_fire_cancel) while the attempt runs;
 * never once the attempt has ended (aj__ctx_end).
 *
 * DESIGN
 * The ctx lives on the stack of the thread that runs the attempt (for an
 * async attempt, wherever its record is), and may be gone the moment the
 * attempt ends. Two things keep firers off a dead ctx:
 * - The state word ctx->hook. Its thread arms it (IDLE -> ARMED) and takes
 *   it back (ARMED -> IDLE by CAS); a firer takes it by CAS
 *   (ARMED -> FIRING), calls the callback, and stores IDLE (release) as
 *   its very last touch of the ctx. Exactly one of a firer and the ending
 *   attempt wins an armed hook; if the firer wins, the attempt waits until
 *   the state is IDLE again before it ends. So the callback runs either
 *   before the attempt has ended or not at all, and at most once per arming.
 * - Where firers find the ctx. A cancel walks inst->hooks under inst->mu,
 *   and the attempt unlinks its ctx under inst->mu as it ends; a deadline
 *   is found in rt->hook_timers under rt->hook_mu, and the attempt removes
 *   it there as it ends. Both firers take the hook by CAS while they hold
 *   that lock, and call it after they have dropped it.
 * Lock order: inst->mu and rt->hook_mu are leaves, never nested; no
 * callback is called under either. Arming reads inst->cancelled under
 * inst->mu, and a cancel sets it before it takes inst->mu to walk the list:
 * either the arming sees the flag and calls the callback at once, or the
 * walk finds the hook armed.
 */
#include "aj_data.h"

#include <sched.h>

/* Firing                                                                    */

/* A firer takes an armed hook; false when it is not armed. */
static bool take(aj_ctx *ctx)
{
    uint32_t armed = AJ__HOOK_ARMED;

    return atomic_compare_exchange_strong_explicit(&ctx->hook, &armed, AJ__HOOK_FIRING,
                                                   memory_order_acquire, memory_order_relaxed);
}

/* The ctx whose hook this thread is calling: an async step's hook often
 * completes the attempt itself (it aborts the operation, whose done then
 * comes on this thread), and ending the attempt must not wait for the
 * very call it is inside. */
static _Thread_local const aj_ctx *firing;

/* Calls the hooks taken on list (linked by hook_fired). Each ctx's next is
 * read before its IDLE lets the attempt end. IDLE only from FIRING: a hook
 * that ended its attempt from inside has set IDLE already, and a new
 * attempt of the same async record may have armed again since. */
static void fire_list(aj_ctx *list)
{
    while (list != NULL) {
        aj_ctx *ctx = list;
        uint32_t fired = AJ__HOOK_FIRING;
        list = ctx->hk->fired;
        firing = ctx;
        ctx->hk->fn(ctx->hk->arg);
        firing = NULL;
        atomic_compare_exchange_strong_explicit(&ctx->hook, &fired, AJ__HOOK_IDLE,
                                                memory_order_release, memory_order_relaxed);
    }
}

void aj__ctx_fire_cancel(aj_ctx *ctx)
{
    if (take(ctx)) {
        ctx->hk->fired = NULL;
        fire_list(ctx);
    }
}

void aj__inst_fire_cancels(aj_instance *inst)
{
    aj_ctx *fire = NULL;

    /* The listed ctxs stay alive while inst->mu is held: each unlinks
     * itself under it before its attempt ends. */
    pthread_mutex_lock(&inst->mu);
    for (aj_ctx *ctx = inst->hooks; ctx != NULL; ctx = ctx->hk->next)
        if (take(ctx)) {
            ctx->hk->fired = fire;
            fire = ctx;
        }
    pthread_mutex_unlock(&inst->mu);
    fire_list(fire);
}

int64_t aj__hooks_fire_due(aj_runtime *rt, int64_t now_ns)
{
    aj_ctx *fire = NULL;
    int64_t next;

    /* A ctx in the heap stays alive while hook_mu is held: its attempt
     * takes it out under hook_mu before it ends. */
    pthread_mutex_lock(&rt->hook_mu);
    while (rt->hook_timers != NULL && rt->hook_timers->due_ns <= now_ns) {
        aj_ctx *ctx = aj__timer_pop(&rt->hook_timers)->item;
        ctx->hk->in_timers = false;
        if (take(ctx)) {
            ctx->hk->fired = fire;
            fire = ctx;
        }
    }
    next = rt->hook_timers != NULL ? rt->hook_timers->due_ns : INT64_MAX;
    pthread_mutex_unlock(&rt->hook_mu);
    fire_list(fire);
    return next;
}

/* ------------------------------------------------------------------------ */
/* The attempt's side                                                        */

/* Takes back an armed hook, or waits until a firer that took it has
 * called it: afterwards no hook of ctx runs, and none is armed. A firer's
 * callback is short (it interrupts, it does not wait), so yielding is
 * cheaper than a sleep and a wake-up. */
static void disarm(aj_ctx *ctx)
{
    uint32_t armed = AJ__HOOK_ARMED;

    if (atomic_compare_exchange_strong_explicit(&ctx->hook, &armed, AJ__HOOK_IDLE,
                                                memory_order_relaxed, memory_order_relaxed))
        return;
    /* Called from inside the hook: it is this thread's own call. */
    if (firing == ctx) {
        atomic_store_explicit(&ctx->hook, AJ__HOOK_IDLE, memory_order_relaxed);
        return;
    }
    /* Acquire: what the callback did happens before the attempt goes on. */
    while (atomic_load_explicit(&ctx->hook, memory_order_acquire) == AJ__HOOK_FIRING)
        sched_yield();
}

/* Puts an armed ctx with a deadline in its runtime's heap, once per
 * attempt; the canceller learns of a new earliest deadline. A hook popped
 * by a deadline while it was not armed goes back: it is due, and the
 * canceller's next look fires it. */
static void arm_deadline(aj_ctx *ctx)
{
    aj_runtime *rt = ctx->inst->rt;
    bool first = false;

    if (rt == NULL || ctx->deadline_ns == INT64_MAX)
        return;
    pthread_mutex_lock(&rt->hook_mu);
    if (!ctx->hk->in_timers) {
        ctx->hk->timer = (aj__timer){ .due_ns = ctx->deadline_ns, .item = ctx };
        aj__timer_insert(&rt->hook_timers, &ctx->hk->timer);
        ctx->hk->in_timers = true;
        ctx->hk->timed = true;
        first = rt->hook_timers == &ctx->hk->timer;
    }
    pthread_mutex_unlock(&rt->hook_mu);
    if (first)
        sem_post(&rt->cancel_sem);
}

/* Arms fn(arg) unless the instance is cancelled; false then. */
static bool arm(aj_ctx *ctx, void (*fn)(void *), void *arg)
{
    aj_instance *inst = ctx->inst;

    pthread_mutex_lock(&inst->mu);
    /* Under inst->mu: a cancel that set the flag before this look walks
     * the list after it (see DESIGN). */
    if (atomic_load(&inst->cancelled)) {
        pthread_mutex_unlock(&inst->mu);
        return false;
    }
    if (!ctx->hooked) {
        /* First in this attempt: the hook's storage holds nothing yet. */
        ctx->hk->listed = false;
        ctx->hk->timed = false;
        ctx->hk->in_timers = false;
    }
    ctx->hk->fn = fn;
    ctx->hk->arg = arg;
    if (!ctx->hk->listed) {
        ctx->hk->prev = NULL;
        ctx->hk->next = inst->hooks;
        if (inst->hooks != NULL)
            inst->hooks->hk->prev = ctx;
        inst->hooks = ctx;
        ctx->hk->listed = true;
    }
    ctx->hooked = true;
    /* Release: a firer's CAS sees fn and arg. */
    atomic_store_explicit(&ctx->hook, AJ__HOOK_ARMED, memory_order_release);
    pthread_mutex_unlock(&inst->mu);
    arm_deadline(ctx);
    return true;
}

int aj_ctx_on_cancel(aj_ctx *ctx, void (*fn)(void *arg), void *arg)
{
    if (ctx == NULL)
        return AJ_EINVAL;
    /* Whatever was registered before is replaced, and is not running when
     * this returns. */
    disarm(ctx);
    if (fn == NULL)
        return AJ_OK;
    /* An async attempt's record has room for no hook: its first one is
     * made now, and kept for the step's later attempts. */
    if (ctx->hk == NULL && (ctx->hk = aj__alloc(sizeof(aj__hook), 0)) == NULL)
        return AJ_ENOMEM;
    /* Past the deadline, as aj_ctx_expired() tells. */
    if ((ctx->deadline_ns != INT64_MAX && aj_now_ns() > ctx->deadline_ns) ||
        !arm(ctx, fn, arg))
        fn(arg);
    return AJ_OK;
}

static void unlist(aj_ctx *ctx)
{
    aj_instance *inst = ctx->inst;

    pthread_mutex_lock(&inst->mu);
    if (ctx->hk->prev != NULL)
        ctx->hk->prev->hk->next = ctx->hk->next;
    else
        inst->hooks = ctx->hk->next;
    if (ctx->hk->next != NULL)
        ctx->hk->next->hk->prev = ctx->hk->prev;
    ctx->hk->listed = false;
    pthread_mutex_unlock(&inst->mu);
}

void aj__ctx_end_slow(aj_ctx *ctx)
{
    aj_runtime *rt = ctx->inst->rt;

    disarm(ctx);
    if (ctx->hk->listed)
        unlist(ctx);
    /* Even when the canceller popped it: its CAS under hook_mu is over
     * once this lock is taken. */
    if (ctx->hk->timed) {
        pthread_mutex_lock(&rt->hook_mu);
        if (ctx->hk->in_timers)
            aj__timer_remove(&rt->hook_timers, &ctx->hk->timer);
        ctx->hk->in_timers = false;
        pthread_mutex_unlock(&rt->hook_mu);
    }
    ctx->hooked = false;
}
