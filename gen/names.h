/* names.h: every file-scope C name ajc emits, names.c's result. */
#ifndef AJC_NAMES_H
#define AJC_NAMES_H

#include "ast.h"

/* The C names one step needs. */
typedef struct step_names {
    const char *fn;        /* the user's function: JOB_STEP or its impl */
    bool declares_fn;      /* the first step calling fn: the header declares it here */
    const char *run;       /* its wrapper: JOB__run_STEP, or JOB__run_FN when shared */
    bool writes_run;       /* the first step of its wrapper: the wrapper is written here */
    bool by_slots;         /* the wrapper is shared, so it reads the step's slots */
    const char *free_out;  /* JOB__free_TYPE; NULL when its output needs no free */
    bool writes_free;      /* the first step of its job to need free_out */
    bool frees_array;      /* `-> T[]`: free_out, JOB__free_STEP, frees each
                              element (if T has a free) and then the array */
    const char *retry;     /* its policy's table; NULL: no retry */
    const char *reply;     /* async: JOB_STEP_reply, the opaque type of its reply */
    const char *done;      /* async: JOB_STEP_done, which completes an attempt */
    const char *output;    /* JOB_STEP_output, which lends its output; NULL: none */
} step_names;

/* A policy table a job defines, named or inline, in the order of first use. */
typedef struct policy_table {
    const char *c_name;    /* JOB__retry_NAME or JOB__retry_STEP */
    const ast_policy *policy;
} policy_table;

typedef struct job_names {
    /* The contract, DESIGN.md's names. */
    const char *def, *start, *wait, *cancel, *cancel_async, *result, *take, *instance, *free;
    const char *rerun;
    /* Internal: structs and tables of the .c. */
    const char *in, *out, *order, *edges, *steps, *exec, *succs, *slots, *memo, *room;
    const char *output_helper;  /* NULL when no step has an output */
    const char *gates, *required; /* NULL when no step is gated */
    const char *limits, *uses;    /* NULL when no step uses a limit */
    const char *subjobs;   /* the sub-job table; NULL when it inlines none */
    step_names *step;      /* by step index */
    vec policies;          /* policy_table *: named ones first, then inline ones */
} job_names;

typedef struct file_names {
    job_names *job;        /* by job index */
    vec custom_fns;        /* const ast_ident *: distinct custom functions, first use first */
} file_names;

/* Builds every file-scope C name of a checked file (contract and internal)
 * and reserves each; reports two origins that give the same name, and job
 * inputs that would shadow one of them. */
file_names *names_assign(arena *a, diag *d, const ast_file *f);

static inline const policy_table *names_policy(const job_names *jn, uint32_t i)
{
    return (const policy_table *)jn->policies.items[i];
}

static inline const ast_ident *names_custom_fn(const file_names *fn, uint32_t i)
{
    return (const ast_ident *)fn->custom_fns.items[i];
}

#endif
