/* emit.h: C and DOT text from a checked, scheduled, named file. */
#ifndef AJC_EMIT_H
#define AJC_EMIT_H

#include "ast.h"
#include "graph.h"
#include "names.h"
#include "out.h"
#include "sema.h"

/* What the stages before emission found, read-only here. */
typedef struct emit_ctx {
    arena *arena;
    src *src;               /* for line numbers; src->name is the #line path */
    const ast_file *file;
    const sema *sema;       /* checked policy values */
    sched *const *sched;    /* by job index */
    const file_names *names;
    const char *source_base; /* "sql_summary.job": the banner names it */
    const char *h_base;      /* "sql_summary.job.h": the .c includes it */
} emit_ctx;

/* FILE.job.h; o->name is the header's path for #line. */
void emit_header(const emit_ctx *e, out *o);

/* FILE.job.c; o->name is its path for #line. */
void emit_source(const emit_ctx *e, out *o);

/* The definition DOT of every job, in file order, exactly as the runtime's
 * aj_job_def_dot() writes it. */
void emit_dot(const emit_ctx *e, out *o);

/* "void JOB_STEP_done(JOB_STEP_reply *reply, int rc, T out)" of async
 * step i of j, then end: the header's prototype and the source's head. */
void emit_done_head(const emit_ctx *e, out *o, const ast_job *j, uint32_t i, const char *end);

/* "T *out" for step s's output of type T, as result, take and the output
 * functions take it; "aj_array *out" when it returns an array or is
 * mapped. */
const char *emit_out_param(const emit_ctx *e, const ast_step *s);

/* Steps of every job of the file, to size an output buffer up front. */
size_t emit_total_steps(const ast_file *f);

/* 1-based .job line of a place. */
uint32_t emit_line(const emit_ctx *e, ajc_loc loc);

static inline const job_names *emit_job_names(const emit_ctx *e, const ast_job *j)
{
    return &e->names->job[j->index];
}

static inline const sched *emit_sched(const emit_ctx *e, const ast_job *j)
{
    return e->sched[j->index];
}

#endif
