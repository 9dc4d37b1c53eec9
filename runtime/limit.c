/*
 * limit.c: a runtime's limits (`limit db = 8;`): their slots, by name,
 * the steps waiting for one, and what each step holds. An attempt of a
 * step that uses limits first takes a slot of each, in the order of its
 * uses; where none is free, the step waits in that limit's queue, holding
 * the slots before it and no thread. A slot that frees goes to the
 * limit's oldest waiter, which takes the rest or waits again in the next
 * queue; once it holds them all it goes back to the caller, to be run
 * (admit.c). Nothing here runs a step. An element of a mapped step is a
 * step record of its own: each attempt of each element takes its step's
 * limits, waits in their queues through its own timer node and keeps what
 * it holds in its own word (aj__step_slots), so everything below works on
 * a record, whichever it is.
 *
 * DESIGN
 * A job's limits are sorted by name and a step's uses ascend, so every
 * step of every job takes any two limits in the same order: a step never
 * waits for a slot held by a step that waits for one of its own, and
 * several limits cannot deadlock. Lock: rt->lim_mu guards the list, every
 * limit's size, count and queue, the timer nodes of waiting steps (the
 * queue's links; a step waiting here is in no other queue nor heap), and
 * the slots words of steps and elements, which only their owner reads
 * unlocked, for HELD. It is a leaf lock. Invariant: a limit with waiters
 * has no free slot, since whoever frees one or grows the size hands slots
 * to waiters at once; so a step that finds a free slot jumps no queue.
 * Cancel: a waiting step counts in its instance's n_queued before it reads
 * cancelled, and a cancel sets cancelled before it reads n_queued, both
 * seq_cst, so that either the step does not wait or the cancel finds it in
 * the queues of its instance's limits (aj__limit_cut).
 * Lifetime: a step handed back holds its instance (holders) until the
 * caller has handed it on.
 */
#include "aj_queue.h"

#include <string.h>

struct aj__limit {
    aj__limit *next;               /* rt->limits; under rt->lim_mu, as all below */
    uint32_t size;
    uint32_t in_use;               /* slots held; above size after a shrink */
    uint32_t n_waiting;
    aj__timer *head;               /* waiting steps, oldest first, linked */
    aj__timer *tail;               /* through their timer nodes */
    char name[];
};

/* The limit at position k of s's uses. */
static aj__limit *limit_of(const aj__step *s, uint32_t k)
{
    const aj_instance *inst = s->inst;

    return inst->limits[inst->def->steps[s->index].uses[k]];
}

static uint32_t slots_get(const aj__step *s)
{
    return atomic_load_explicit(aj__step_slots(s), memory_order_relaxed);
}

static void slots_set(aj__step *s, uint32_t v)
{
    atomic_store_explicit(aj__step_slots(s), v, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Queues, under rt->lim_mu                                                  */

static void push_locked(aj__limit *l, aj__step *s, uint32_t k)
{
    aj__timer *t = aj__step_timer(s);

    t->item = s;
    aj__tlist_push(&l->head, &l->tail, t);
    l->n_waiting++;
    slots_set(s, k + 1);
}

static void unlink_locked(aj__limit *l, aj__step *s)
{
    aj__tlist_unlink(&l->head, &l->tail, aj__step_timer(s));
    l->n_waiting--;
}

/* s holds the limits before its k-th: it takes the others, or waits in
 * the queue of the first without a free slot. True when it holds all. */
static bool take_from_locked(aj__step *s, uint32_t k)
{
    uint32_t n = s->inst->def->steps[s->index].n_uses;

    for (; k < n; k++) {
        aj__limit *l = limit_of(s, k);
        if (l->in_use >= l->size) {
            push_locked(l, s, k);
            return false;
        }
        l->in_use++;
    }
    slots_set(s, AJ__SLOTS_HELD);
    return true;
}

/* l's free slots go to its oldest waiters; those that then hold every
 * limit they use are pushed on *granted, their instance held. */
static void grant_locked(aj__limit *l, aj__step **granted)
{
    while (l->head != NULL && l->in_use < l->size) {
        aj__step *w = l->head->item;
        uint32_t k = slots_get(w) - 1;

        unlink_locked(l, w);
        l->in_use++;
        if (!take_from_locked(w, k + 1))
            continue;
        atomic_fetch_sub(&w->inst->n_queued, 1);
        atomic_fetch_add_explicit(&w->inst->holders, 1, memory_order_relaxed);
        w->next = *granted;
        *granted = w;
    }
}

/* s, in no queue, lets go of the first n limits of its uses; waiters take
 * the slots. */
static void drop_locked(aj__step *s, uint32_t n, aj__step **granted)
{
    for (uint32_t k = 0; k < n; k++)
        limit_of(s, k)->in_use--;
    for (uint32_t k = 0; k < n; k++)
        grant_locked(limit_of(s, k), granted);
    slots_set(s, AJ__SLOTS_NONE);
}

/* Granted steps in the order they were let in. */
static aj__step *oldest_first(aj__step *list)
{
    aj__step *out = NULL;

    while (list != NULL) {
        aj__step *s = list;
        list = s->next;
        s->next = out;
        out = s;
    }
    return out;
}

/* ------------------------------------------------------------------------ */
/* Attempts                                                                  */

aj__take aj__limit_take(aj__step *s)
{
    aj_instance *inst = s->inst;
    pthread_mutex_t *mu = &inst->rt->lim_mu;
    uint32_t k = 0, n = inst->def->steps[s->index].n_uses;

    if (aj__limit_holds(s))
        return AJ__TAKE_HELD;
    pthread_mutex_lock(mu);
    for (; k < n && limit_of(s, k)->in_use < limit_of(s, k)->size; k++)
        limit_of(s, k)->in_use++;
    if (k == n) {
        slots_set(s, AJ__SLOTS_HELD);
        pthread_mutex_unlock(mu);
        return AJ__TAKE_HELD;
    }
    /* Counted before the look at cancelled: a cancel either finds the
     * step in the queue or is seen here. */
    atomic_fetch_add(&inst->n_queued, 1);
    if (atomic_load(&inst->cancelled)) {
        atomic_fetch_sub(&inst->n_queued, 1);
        /* Free a moment ago, so nobody waits for them. */
        while (k-- > 0)
            limit_of(s, k)->in_use--;
        pthread_mutex_unlock(mu);
        return AJ__TAKE_CANCELLED;
    }
    push_locked(limit_of(s, k), s, k);
    pthread_mutex_unlock(mu);
    return AJ__TAKE_QUEUED;
}

aj__step *aj__limit_drop(aj__step *s)
{
    aj_instance *inst = s->inst;
    aj__step *granted = NULL;
    uint32_t v;

    pthread_mutex_lock(&inst->rt->lim_mu);
    v = slots_get(s);
    if (v == AJ__SLOTS_HELD) {
        drop_locked(s, inst->def->steps[s->index].n_uses, &granted);
    } else if (v != AJ__SLOTS_NONE) {
        unlink_locked(limit_of(s, v - 1), s);
        atomic_fetch_sub(&inst->n_queued, 1);
        drop_locked(s, v - 1, &granted);
    }
    pthread_mutex_unlock(&inst->rt->lim_mu);
    return oldest_first(granted);
}

/* inst's steps and elements waiting in l's queue leave it, onto *cut. */
static void cut_queue_locked(aj__limit *l, aj_instance *inst, aj__step **cut)
{
    aj__timer *next;

    for (aj__timer *t = l->head; t != NULL && atomic_load(&inst->n_queued) > 0; t = next) {
        aj__step *s = t->item;
        next = t->sibling;
        if (s->inst != inst)
            continue;
        unlink_locked(l, s);
        atomic_fetch_sub(&inst->n_queued, 1);
        s->next = *cut;
        *cut = s;
    }
}

aj__step *aj__limit_cut(aj_instance *inst, aj__step **granted)
{
    aj__step *cut = NULL;

    *granted = NULL;
    if (inst->limits == NULL || atomic_load(&inst->n_queued) == 0)
        return NULL;
    pthread_mutex_lock(&inst->rt->lim_mu);
    /* Out of every queue first, so that the slots they let go of go to
     * other instances' steps. Each waits in a queue of one of the limits
     * its instance uses: those queues find its waiting elements too,
     * however many elements it has. */
    for (uint32_t k = 0; k < inst->def->n_limits && atomic_load(&inst->n_queued) > 0; k++)
        cut_queue_locked(inst->limits[k], inst, &cut);
    for (aj__step *s = cut; s != NULL; s = s->next)
        drop_locked(s, slots_get(s) - 1, granted);
    pthread_mutex_unlock(&inst->rt->lim_mu);
    *granted = oldest_first(*granted);
    return cut;
}

/* ------------------------------------------------------------------------ */
/* Limits by name                                                            */

static aj__limit *find_locked(aj_runtime *rt, const char *name)
{
    aj__limit *l = rt->limits;

    while (l != NULL && strcmp(l->name, name) != 0)
        l = l->next;
    return l;
}

static aj__limit *make_locked(aj_runtime *rt, const char *name, uint32_t size)
{
    size_t len = strlen(name);
    aj__limit *l = aj__alloc(sizeof *l + len + 1, 0);

    if (l == NULL)
        return NULL;
    *l = (aj__limit){ .next = rt->limits, .size = size };
    memcpy(l->name, name, len + 1);
    rt->limits = l;
    return l;
}

void aj__limits_init(aj_runtime *rt)
{
    aj__mutex_init(&rt->lim_mu);
    rt->limits = NULL;
}

void aj__limits_free(aj_runtime *rt)
{
    while (rt->limits != NULL) {
        aj__limit *l = rt->limits;
        rt->limits = l->next;
        aj__free(l);
    }
    pthread_mutex_destroy(&rt->lim_mu);
}

int aj__limits_resolve(aj_instance *inst)
{
    aj_runtime *rt = inst->rt;
    const aj_job_def *def = inst->def;
    int rc = AJ_OK;

    pthread_mutex_lock(&rt->lim_mu);
    for (uint32_t k = 0; k < def->n_limits && rc == AJ_OK; k++) {
        const aj_limit_def *ld = &def->limits[k];
        aj__limit *l = find_locked(rt, ld->name);
        if (l == NULL && (l = make_locked(rt, ld->name, ld->size)) == NULL)
            rc = AJ_ENOMEM;
        inst->limits[k] = l;
    }
    pthread_mutex_unlock(&rt->lim_mu);
    return rc;
}

int aj__limit_set(aj_runtime *rt, const char *name, uint32_t size, aj__step **granted)
{
    aj__limit *l;

    *granted = NULL;
    pthread_mutex_lock(&rt->lim_mu);
    if ((l = find_locked(rt, name)) != NULL) {
        l->size = size;
        grant_locked(l, granted);
    } else if (make_locked(rt, name, size) == NULL) {
        pthread_mutex_unlock(&rt->lim_mu);
        return AJ_ENOMEM;
    }
    pthread_mutex_unlock(&rt->lim_mu);
    *granted = oldest_first(*granted);
    return AJ_OK;
}

int aj__limit_peek(aj_runtime *rt, const char *name, aj__limit_stat *out)
{
    aj__limit *l;

    pthread_mutex_lock(&rt->lim_mu);
    if ((l = find_locked(rt, name)) != NULL)
        *out = (aj__limit_stat){ .size = l->size, .in_use = l->in_use,
                                 .n_waiting = l->n_waiting };
    pthread_mutex_unlock(&rt->lim_mu);
    return l != NULL ? AJ_OK : AJ_EINVAL;
}
