/* sema_job.h: what the checks of one job share: sema_job.c (names,
 * inputs, attributes, the result), sema_source.c (what each step input is
 * bound to), sema_gate.c (conditions, trigger rules, nonfatal),
 * sema_map.c (maps and collects) and, for sub-job steps that map,
 * sema_subjob_map.c. */
#ifndef AJC_SEMA_JOB_H
#define AJC_SEMA_JOB_H

#include "sema.h"

typedef struct job_check {
    sema *s;
    ast_job *job;
    ast_pred **pred_of;   /* by source step index: its record for `stamp` */
    uint32_t *stamp;      /* target index + 1 that pred_of[i] belongs to */
    symtab params;        /* parameter name -> param_seen */
    symtab inputs;        /* job input name -> ast_param */
    symtab retries;       /* job-level policy name -> ast_retry */
} job_check;

/* The attributes a step may give once, by where seen[] keeps the first. */
enum {
    SEEN_RETRY,
    SEEN_TIMEOUT,
    SEEN_IMPL,
    SEEN_BLOCKING,
    SEEN_ASYNC,
    SEEN_ON,
    SEEN_NONFATAL,
    SEEN_CONDITION,
    SEEN_USES,
    SEEN_JOB,
    SEEN_N
};

/* The step of the job that ref names, or NULL after reporting it unknown
 * (with a did-you-mean, or the other job that has it). */
ast_step *sema_find_step(job_check *c, const ast_ident *ref);

/* What a source name is: *step, or the job input returned; neither
 * (both NULL) after reporting it unknown. */
const ast_param *sema_find_source(job_check *c, const ast_ident *ref, ast_step **step);

/* The record of edge from -> target, new or shared; *had gets the kinds it
 * had before this reference. */
ast_pred *sema_add_pred(job_check *c, ast_step *target, ast_step *from, uint32_t kind,
                        ajc_loc loc, uint32_t *had);

/* Adds l to limits (ast_limit *, sorted by name) unless it is there. */
void sema_insert_limit(arena *a, vec *limits, ast_limit *l);

/* Keeps a in *seen if it is the first of its kind, else reports it twice. */
bool sema_first_attr(job_check *c, const ast_step *st, ast_attr **seen, ast_attr *a);

/* Whether a value of type a goes where b is expected: the same `type`, or
 * the same C text when neither is one. */
bool sema_same_type(const ast_ctype *a, const ast_ctype *b);

/* Binds a step input to its source (a step, a job input or a literal) and
 * checks its type against the source's. */
void sema_check_source(job_check *c, ast_step *st, ast_param *in);

/* when / unless NAME, on RULE, nonfatal. */
void sema_check_gate_attr(job_check *c, ast_step *st, ast_attr *a, ast_attr *seen[SEEN_N]);

/* Once a step's inputs and attributes are checked: which edges are
 * optional, whether it is gated, and whether its rule can ever hold. */
void sema_finish_gate(job_check *c, ast_step *st, ast_attr *const seen[SEEN_N]);

/* Whether two types are the same: by name for `type`s, by text for C's. */
bool sema_same_type(const ast_ctype *a, const ast_ctype *b);

/* "const T *" for a T: an optional input's, a collect's parameter. */
const char *sema_const_pointer(arena *a, const char *t);

/* sema_map.c. An input bound to step from with `[]` (a map or a collect),
 * or bound plainly to a step with many values: checks it and returns true;
 * false when it is none of these, for the plain check. */
bool sema_check_many(job_check *c, ast_step *st, ast_param *in, ast_step *from);

/* An input bound to a job input or a literal: '[]' does not apply. */
void sema_check_many_source(job_check *c, const ast_step *st, const ast_param *in,
                            const ast_param *job_in);

/* A condition's step that has many values: reports it, true. */
bool sema_many_condition(job_check *c, const ast_step *st, const ast_attr *a,
                         const ast_step *cond);

/* Once a step's attributes are checked: what mapped and array steps do not
 * support. */
void sema_finish_many(job_check *c, ast_step *st, ast_attr *const seen[SEEN_N]);

/* sema_subjob_map.c. Once sub-job steps know their jobs and no job
 * contains itself: the steps that a mapped sub-job step would run once
 * per element, and cannot. */
void sema_check_mapped_subjobs(sema *s);

#endif
