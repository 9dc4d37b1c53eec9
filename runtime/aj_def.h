/*
 * aj_def.h: layer 2 of the runtime (see aj_internal.h), a job's tables:
 * whether an aj_job_def can be run, and what the runtime needs to know of
 * it. def.c states the tables' invariants; every other layer relies on
 * them without checking again.
 */
#ifndef AJ_DEF_H
#define AJ_DEF_H

#include "aj_base.h"

/* What start checks on every call: the definition, its ABI, its name and
 * its alignments. AJ_OK, AJ_EABI or AJ_EINVAL. */
int aj__def_usable(const aj_job_def *def);

/* Facts of def: some step's output has a free function; some step is
 * blocking; some step is async, and how many, in the bits from
 * AJ__DEF_N_ASYNC_SHIFT up; some step is gated. */
#define AJ__DEF_FREES 1u
#define AJ__DEF_BLOCKS 2u
#define AJ__DEF_ASYNC 4u
#define AJ__DEF_GATED 8u
#define AJ__DEF_MAPPED 16u
#define AJ__DEF_ROOM 32u   /* the memo's room holds the trees and the async
                              places below */
#define AJ__DEF_N_ASYNC_SHIFT 32

/* The number of async steps of def, which the instance's layout needs
 * before its tables are checked: from the memo when they were, else
 * counted (unchecked tables: at most n_steps, 0 without exec). */
uint32_t aj__def_n_async(const aj_job_def *def);
/* Its mapped steps, counted from its flags alone. */
uint32_t aj__def_n_maps(const aj_job_def *def);

/* Scratch bytes per step that aj__def_check needs. */
#define AJ__DEF_SCRATCH 16

/* Checks def's tables, unless an earlier call did (def->memo), and tells
 * their facts (AJ__DEF_*). scratch: n_steps * AJ__DEF_SCRATCH bytes,
 * aligned for uint32_t, that it may overwrite. AJ_OK or AJ_EINVAL. The
 * first call that finds them good fills the memo, and its room with the
 * steps' trees and async places if it has room enough (AJ__DEF_ROOM
 * then). */
int aj__def_check(const aj_job_def *def, void *scratch, uint64_t *facts);

/*
 * Trees. A step with one predecessor, no gate and no mapping is in the
 * tree of that predecessor, and with it in the tree of each step whose
 * tree that one is in: the steps that end skipped with a step that did
 * not complete (cancelled once the instance is), whatever else happens,
 * since nothing but that one predecessor leads to them. Each step's tree
 * lies at room[2 * n_steps + first .. + n), first and n at room[2 * i]
 * and room[2 * i + 1]: a preorder, so that each step comes after its
 * predecessor and its own tree comes right after it. Linear in memory,
 * however deep the trees. A step reached through a join (two
 * predecessors) is in no tree: the counts decide it, as any other step.
 * After the preorder, one bit per place in it: whether that step leads
 * out of trees (to a step in none), so that the rest cost no look at
 * their successors.
 */

/* Whether the step of run row x is in its one predecessor's tree. */
static inline bool aj__def_in_tree(const aj_step_exec *x)
{
    return x->n_preds == 1 && !(x->flags & (AJ_STEP_GATED | AJ_STEP_MAPPED));
}

/* Step i's tree in room (AJ__DEF_ROOM): its steps, and their count in *n. */
static inline const uint32_t *aj__def_tree(const uint32_t *room, uint32_t n_steps, uint32_t i,
                                           uint32_t *n)
{
    *n = room[2 * (size_t)i + 1];
    return room + 2 * (size_t)n_steps + room[2 * (size_t)i];
}

/* Whether the step at tree (aj__def_tree's answer) leads out of trees. */
static inline bool aj__def_tree_leaves(const uint32_t *room, uint32_t n_steps,
                                       const uint32_t *tree)
{
    size_t at = (size_t)(tree - room) - 2 * (size_t)n_steps;

    return room[3 * (size_t)n_steps + at / 32] >> (at % 32) & 1;
}

/*
 * Async places. After the bits, one number per step: how many async steps
 * come before it in step order, which for an async step is where its
 * record lies among the instance's (inst->asyncs). A done finds its
 * record from the step at once, where a search would read a record of
 * another step for each probe: on an instance long out of the cache, each
 * probe is a miss.
 */
static inline size_t aj__def_async_places_at(uint32_t n_steps)
{
    return 3 * (size_t)n_steps + ((size_t)n_steps + 31) / 32;
}

static inline uint32_t aj__def_async_place(const uint32_t *room, uint32_t n_steps, uint32_t i)
{
    return room[aj__def_async_places_at(n_steps) + i];
}

#endif
