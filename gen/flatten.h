/* flatten.h: sub-job steps inlined, so that each job runs as one flat
 * graph (flatten.c says how). */
#ifndef AJC_FLATTEN_H
#define AJC_FLATTEN_H

#include "ast.h"

/* Once sema and the schedule found no error: replaces each job's sub-job
 * steps by copies of their jobs' steps (ast_step.origin, args), fills
 * ast_job.groups, renumbers steps and sets every step's c_field. */
void flatten_file(arena *a, ast_file *f);

#endif
