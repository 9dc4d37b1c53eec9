/*
 * record.c: reading step records from any thread (the owner writes them
 * under the seqlock of aj_data.h), and an instance's identity and times:
 * its id, made on first use, and wall-clock readings of its instants.
 */
#include "aj_data.h"

#include <sched.h>
#include <stdio.h>

#define TAKE(field) atomic_load_explicit(&s->field, memory_order_acquire)

_Static_assert(sizeof(aj__step) == AJ__CACHE_LINE, "a step record is one cache line");

void aj__inst_snap(const aj_instance *inst, uint32_t i, aj__snap *out)
{
    aj__rec_snap(&inst->steps[i], out);
}

aj__step *aj__inst_next_elem(aj_instance *inst, uint32_t *k, size_t *i)
{
    for (; *k < inst->n_maps; (*k)++, *i = 0) {
        aj__mapped *m = &inst->maps[*k];
        if (atomic_load_explicit(&m->expanded, memory_order_acquire) && *i < m->n)
            return &m->elems[(*i)++].rec;
    }
    return NULL;
}

void aj__rec_snap(const aj__step *s0, aj__snap *out)
{
    aj__step *s = (aj__step *)s0;

    for (unsigned spins = 0;; spins++) {
        uint32_t q = atomic_load_explicit(&s->seq, memory_order_acquire);
        if ((q & 1) == 0) {
            /* Acquire loads: the second read of seq comes after them, and
             * sees the writer's odd value if any of them saw its stores. */
            uint32_t kind;
            out->state = (aj_step_state)TAKE(state);
            kind = TAKE(kind);
            out->kind = (aj_fail_kind)(kind & ((1u << AJ__REASON_SHIFT) - 1));
            out->reason = (aj_skip_reason)(kind >> AJ__REASON_SHIFT);
            out->err = TAKE(err);
            out->attempts = TAKE(attempts);
            out->start_ns = TAKE(start_ns);
            out->end_ns = TAKE(end_ns);
            if (atomic_load_explicit(&s->seq, memory_order_relaxed) == q)
                return;
        }
        /* The writer was preempted inside its few stores: let it run. */
        if (spins > 64)
            sched_yield();
    }
}

aj__snap *aj__inst_snap_all(const aj_instance *inst)
{
    uint32_t n = inst->def->n_steps;
    aj__snap *all = aj__alloc((n > 0 ? n : 1) * sizeof *all, _Alignof(aj__snap));

    for (uint32_t i = 0; all != NULL && i < n; i++)
        aj__inst_snap(inst, i, &all[i]);
    return all;
}

const char *aj__inst_id(const aj_instance *inst)
{
    /* The id is made once, on the instance's own memory: not const. */
    aj_instance *m = (aj_instance *)inst;
    uint32_t none = 0;

    if (atomic_load_explicit(&m->id_state, memory_order_acquire) == 2)
        return m->id;
    if (atomic_compare_exchange_strong(&m->id_state, &none, 1)) {
        aj__uuid_v4(m->id);
        atomic_store_explicit(&m->id_state, 2, memory_order_release);
    }
    while (atomic_load_explicit(&m->id_state, memory_order_acquire) != 2)
        sched_yield();
    return m->id;
}

int64_t aj__inst_wall(const aj_instance *inst, int64_t mono_ns)
{
    return aj__add_sat(inst->start_wall_ns, mono_ns - inst->start_ns);
}
