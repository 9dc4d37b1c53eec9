/*
 * expand.c: the bookkeeping of mapped steps (the running is map.c's):
 * each instance's records of them, an expansion's one allocation, the
 * outputs of elements at the end, and the reset for a rerun. It runs
 * nothing and takes no lock.
 *
 * DESIGN
 * A head is a mapped step that maps over an array step; the steps that
 * map element by element after it, directly or not, are its chain, and
 * have as many elements. When the head is released, its expansion lays
 * out the whole chain in one allocation (whatever n, and nothing for an
 * empty array): per member, its element records, its async records if it
 * is async, and its outputs array, all zeros (none for a member that
 * produces nothing), and writes each member's slot, an aj_array of that
 * outputs array, so that an element of a follower may read its source's
 * element as soon as that completes. The
 * allocation is the head's; the instance frees it, or a rerun does when
 * the head did not complete. A rerun of a follower whose head completed
 * reuses its part of the allocation. Either way a rerun runs the whole
 * expansion of a mapped step that did not complete again, every element
 * with fresh attempts: an element that completed is not kept, since the
 * step's output is all its elements' outputs or nothing.
 */
#include "aj_state.h"

#include <stdalign.h>
#include <string.h>

/* No failure, no cancel, not open, not released. */
static void clear_outcome(aj__mapped *m)
{
    atomic_store_explicit(&m->failed, -1, memory_order_relaxed);
    atomic_store_explicit(&m->open, false, memory_order_relaxed);
    atomic_store_explicit(&m->cancelled, false, memory_order_relaxed);
    m->doom = 0;
    m->fail_err = 0;
    m->fail_kind = AJ_FAIL_NONE;
    m->fail_attempts = 0;
    m->message[0] = '\0';
}

/* What a step's record is before it is released: no elements. */
static void mapped_init(aj__mapped *m, const aj_job_def *def, uint32_t index)
{
    *m = (aj__mapped){ .index = index, .source = (uint32_t)def->steps[index].map_source,
                       .follower = -1, .sibling = -1 };
    atomic_init(&m->left, 0);
    atomic_init(&m->failed, -1);
    atomic_init(&m->took_ns, 0);
    atomic_init(&m->open, false);
    atomic_init(&m->cancelled, false);
    atomic_init(&m->expanded, false);
}

void aj__maps_init(aj_instance *inst)
{
    const aj_job_def *def = inst->def;
    uint32_t k = 0;

    for (uint32_t i = 0; i < def->n_steps && k < inst->n_maps; i++)
        if (def->exec[i].flags & AJ_STEP_MAPPED)
            mapped_init(&inst->maps[k++], def, i);
    /* Followers in reverse, so that each list runs in step order. */
    for (uint32_t j = inst->n_maps; j-- > 0;) {
        aj__mapped *m = &inst->maps[j];
        if (def->exec[m->source].flags & AJ_STEP_MAPPED) {
            aj__mapped *src = aj__inst_mapped(inst, m->source);
            m->sibling = src->follower;
            src->follower = (int32_t)j;
        }
    }
}

/* The head of m's chain: the member that maps over an array step. */
static aj__mapped *head_of(const aj_instance *inst, aj__mapped *m)
{
    while (inst->def->exec[m->source].flags & AJ_STEP_MAPPED)
        m = aj__inst_mapped(inst, m->source);
    return m;
}

static size_t round_up(size_t n, size_t align)
{
    return (n + align - 1) / align * align;
}

/* Bytes of member m's part of an expansion of n elements; 0 on overflow. */
static size_t part_size(const aj_instance *inst, const aj__mapped *m, size_t n)
{
    size_t element = inst->def->steps[m->index].element_size, per = sizeof(aj__elem) + element;

    if (inst->def->exec[m->index].flags & AJ_STEP_ASYNC)
        per += sizeof(aj__async);
    if (n > (SIZE_MAX / 2 - 3 * AJ__CACHE_LINE) / per)
        return 0;
    return round_up(n * sizeof(aj__elem), AJ__CACHE_LINE) +
           round_up(n * (per - sizeof(aj__elem) - element), AJ__CACHE_LINE) +
           round_up(n * element, AJ__CACHE_LINE);
}

/* Member m's part of an expansion, at *at in the allocation. */
static void lay_out(aj_instance *inst, aj__mapped *m, size_t n, char **at)
{
    const aj_step_def *sd = &inst->def->steps[m->index];
    bool async = inst->def->exec[m->index].flags & AJ_STEP_ASYNC;
    aj_array *slot = (aj_array *)((char *)inst->outputs + sd->output_offset);

    m->elems = (aj__elem *)*at;
    *at += round_up(n * sizeof(aj__elem), AJ__CACHE_LINE);
    m->asyncs = async ? (aj__async *)*at : NULL;
    *at += async ? round_up(n * sizeof(aj__async), AJ__CACHE_LINE) : 0;
    m->items = *at;
    *at += round_up(n * sd->element_size, AJ__CACHE_LINE);
    m->n = n;
    for (size_t i = 0; i < n; i++) {
        aj__elem *e = &m->elems[i];
        e->rec = (aj__step){ .inst = inst, .index = m->index };
        e->m = m;
        atomic_init(&e->claimed, false);
        atomic_init(&e->slots, AJ__SLOTS_NONE);
        if (async) {
            m->asyncs[i] = (aj__async){ .ctx = { .inst = inst, .step = &e->rec, .async = true,
                                                 .deadline_ns = INT64_MAX } };
            atomic_init(&m->asyncs[i].phase, 0);
        }
    }
    if (n > 0)
        memset(m->items, 0, n * sd->element_size);
    /* A step that produces nothing has no slot to write. */
    if (sd->output_type != NULL)
        *slot = (aj_array){ n > 0 ? m->items : NULL, n };
    atomic_store_explicit(&m->left, n + 1, memory_order_relaxed);
    atomic_store_explicit(&m->expanded, true, memory_order_release);
}

int aj__map_expand(aj_instance *inst, aj__mapped *head)
{
    const aj_step_def *src = &inst->def->steps[head->source];
    const aj_array *arr = (const aj_array *)((const char *)inst->outputs + src->output_offset);
    size_t n = arr->items != NULL ? arr->n : 0, total = 0;
    char *at;

    for (uint32_t k = 0; k < inst->n_maps && n > 0; k++) {
        size_t part = head_of(inst, &inst->maps[k]) == head ? part_size(inst, &inst->maps[k], n) : 0;
        if (head_of(inst, &inst->maps[k]) == head && (part == 0 || part > SIZE_MAX / 2 - total))
            return AJ_ENOMEM;
        total += part;
    }
    at = n > 0 ? aj__alloc(total, AJ__CACHE_LINE) : NULL;
    if (n > 0 && at == NULL)
        return AJ_ENOMEM;
    head->block = at;
    for (uint32_t k = 0; k < inst->n_maps; k++)
        if (head_of(inst, &inst->maps[k]) == head)
            lay_out(inst, &inst->maps[k], n, &at);
    return AJ_OK;
}

/* The outputs of m's completed elements (an async element's late one is
 * freed when it comes), and what its async records made. */
static void free_elements(aj_instance *inst, aj__mapped *m)
{
    const aj_step_def *sd = &inst->def->steps[m->index];

    if (sd->free_output == NULL && m->asyncs == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        if (sd->free_output != NULL && AJ__GET(&m->elems[i].rec, state) == AJ_STEP_COMPLETED)
            sd->free_output((char *)m->items + i * sd->element_size);
        if (m->asyncs != NULL) {
            aj__free(m->asyncs[i].ctx.message);
            aj__free(m->asyncs[i].ctx.hk);
        }
    }
}

void aj__maps_free(aj_instance *inst)
{
    for (uint32_t k = 0; k < inst->n_maps; k++)
        if (atomic_load(&inst->maps[k].expanded))
            free_elements(inst, &inst->maps[k]);
    for (uint32_t k = 0; k < inst->n_maps; k++)
        aj__free(inst->maps[k].block);
}

/* m did not complete: as before its release, with its part of a live
 * expansion (its head completed) kept, all zeros again. */
static void reset_in_place(aj_instance *inst, aj__mapped *m)
{
    char *at = (char *)m->elems;

    free_elements(inst, m);
    clear_outcome(m);
    lay_out(inst, m, m->n, &at);
}

void aj__maps_rerun(aj_instance *inst)
{
    for (uint32_t k = 0; k < inst->n_maps; k++) {
        aj__mapped *m = &inst->maps[k], *head = head_of(inst, m);
        if (!atomic_load(&m->expanded) ||
            AJ__GET(&inst->steps[m->index], state) == AJ_STEP_COMPLETED)
            continue;
        if (AJ__GET(&inst->steps[head->index], state) == AJ_STEP_COMPLETED) {
            reset_in_place(inst, m);
        } else {
            free_elements(inst, m);
            atomic_store(&m->expanded, false);
        }
    }
    /* Blocks last: members above read their elements' states in them. */
    for (uint32_t k = 0; k < inst->n_maps; k++) {
        aj__mapped *m = &inst->maps[k];
        if (atomic_load(&m->expanded))
            continue;
        aj__free(m->block);
        m->block = m->items = NULL;
        m->elems = NULL;
        m->asyncs = NULL;
        m->n = 0;
        clear_outcome(m);
    }
}
