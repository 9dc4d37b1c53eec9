/* sema.h: every check on the meaning of a parsed .job file. */
#ifndef AJC_SEMA_H
#define AJC_SEMA_H

#include "ast.h"

/* A retry policy as the tables write it, once sema has checked it. */
typedef struct policy_value {
    ast_backoff backoff;
    uint32_t max_retries;
    int64_t delay_ns;
    const char *factor_text; /* C text of the factor; NULL unless exponential */
    int64_t cap_ns;
    uint32_t jitter_pct;
    const char *custom;      /* the custom function; NULL otherwise */
} policy_value;

/* The checker's state, shared by the file checks (sema.c) and the job
 * checks (sema_job.c). The caller runs sema_check_file() once, then
 * sema_check_job() on each job in file order; both report through diag
 * and go on after an error, so that one run reports everything. */
typedef struct sema {
    arena *arena;
    src *src;
    diag *diag;
    ast_file *file;
    symtab types;     /* name -> ast_type */
    symtab retries;   /* file-level policy name -> ast_retry */
    symtab limits;    /* name -> ast_limit */
    symtab jobs;      /* name -> ast_job */
    symtab steps;     /* step name -> the first ast_step of that name, any job */
    policy_value *policies; /* by ast_policy.index: the result */
    uint8_t *policy_state;  /* by ast_policy.index: POLICY_* of sema_value.c */
} sema;

void sema_init(sema *s, arena *a, src *sr, diag *d, ast_file *f);

/* Types, file-level retry policies and limits, and the index of every
 * step name. */
void sema_check_file(sema *s);

/* The job's name, inputs, policies, steps, edges, result, unused outputs.
 * Resolves into the AST what the schedule needs: each step's index and
 * preds, each input's producer, the result step. */
void sema_check_job(sema *s, ast_job *j);

/* After every job: the limits no step uses (warnings, on a file without
 * errors). */
void sema_finish_file(sema *s);

/* Once every job is checked: each `job NAME` step against the job it
 * runs (its inputs, its output), and jobs that contain themselves. */
void sema_check_subjobs(sema *s);

/* From st's edges: which are OPTIONAL, how many are required, whether
 * st is gated (sema_gate.c says when). flatten.c calls it again on the
 * edges inlining makes. */
void sema_gate_edges(ast_step *st);

/* The checked value of a policy sema accepted. */
static inline const policy_value *sema_policy_value(const sema *s, const ast_policy *p)
{
    return &s->policies[p->index];
}

#endif
