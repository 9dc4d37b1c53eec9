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
 * aligned for uint32_t, that it may overwrite. AJ_OK or AJ_EINVAL. */
int aj__def_check(const aj_job_def *def, void *scratch, uint64_t *facts);

#endif
