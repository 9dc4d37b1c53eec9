/*
 * aj_api.h: layer 9 of the runtime (see aj_internal.h), what the public
 * functions share: an instance's layout in its one allocation, building
 * and tearing down an instance in memory someone else owns (api.c), and
 * the sub-instances of sub-job steps, which lie in their parent's
 * allocation (subjob.c).
 */
#ifndef AJ_API_H
#define AJ_API_H

#include "aj_wait.h"

/* Where each part of an instance lies, from its base. */
typedef struct aj__layout {
    size_t steps, timers, asyncs, overrides, names, inputs, outputs;
    size_t labels;     /* a sub-instance's step labels: pointers, then text */
    size_t rooms;      /* the rooms of its sub-job steps (subjob.c) */
    size_t total, align;
    uint32_t n_async;  /* async steps, one record each */
    uint32_t n_names;  /* slots of the override names' table; 0: no overrides */
    uint32_t n_rooms;  /* sub-job steps */
} aj__layout;

/* Sub-jobs nest at most this deep: a definition that contains itself
 * (tables not from ajc) is refused rather than laid out for ever. */
#define AJ__SUB_DEPTH_MAX 32

/* The layout of an instance of def, nested depth sub-jobs deep (0: a top
 * instance), whose labels start with prefix_len bytes ("T1" and a '/'
 * before the step's name; 0: no labels). AJ_OK, AJ_ENOMEM when it does
 * not fit in memory, AJ_EINVAL past AJ__SUB_DEPTH_MAX. */
int aj__layout_plan(const aj_job_def *def, size_t n_overrides, size_t prefix_len,
                    unsigned depth, aj__layout *l);

/* An instance of def built at base, laid out as l, with a copy of the
 * inputs and opts applied; it does not run yet. NULL with *rc (tables that
 * contradict themselves, override names of no step). */
aj_instance *aj__inst_build(char *base, const aj__layout *l, const aj_job_def *def,
                            const void *inputs, const aj_start_opts *opts, int *rc);
/* Ready to run on rt (NULL: sequential without a runtime): its locks,
 * its clock, how its counters are shared, counted live on rt. */
void aj__inst_launch(aj_instance *inst, aj_runtime *rt);
/* Everything aj_instance_free does to a final instance but free its
 * memory: waits until no other thread may touch it, frees its outputs not
 * taken and what its attempts allocated, tears its sub-instances down. */
void aj__inst_teardown(aj_instance *inst);

/* subjob.c. Plan: the labels (when prefix_len > 0) and the rooms of def's
 * sub-job steps, placed from *end. Furnish, once per allocation: the
 * labels of the instance at base under prefix (NULL: a top instance) and,
 * through every room, of every sub-instance the allocation may hold. Bind,
 * at every build: the async records of inst's sub-job steps to their
 * rooms. Release: every sub-instance still in inst's rooms is torn down. */
int aj__sub_plan(const aj_job_def *def, size_t prefix_len, unsigned depth, size_t *end,
                 aj__layout *l);
void aj__sub_furnish(char *base, const aj__layout *l, const aj_job_def *def,
                     const char *prefix);
void aj__sub_bind(aj_instance *inst, char *base, const aj__layout *l);
void aj__sub_release(aj_instance *inst);
/* The instance of sub-job step i's latest attempt, or NULL before its
 * first (pictures: it may be rebuilt meanwhile by a retry). */
const aj_instance *aj__sub_latest(const aj_instance *inst, uint32_t i);

#endif
