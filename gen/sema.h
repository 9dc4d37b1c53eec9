/* sema.h: every check on the meaning of a parsed .job file. */
#ifndef AJC_SEMA_H
#define AJC_SEMA_H

#include "ast.h"

/* Checks f (which parsed without errors): names, types, policies, numbers,
 * edges, results, then the schedule (graph.c) and the C names (names.c).
 * Reports through d; returns true when it found no error. */
bool sema_check(arena *a, src *s, diag *d, ast_file *f);

/* Shared by sema.c and sema_job.c. */
typedef struct sema {
    arena *arena;
    src *src;
    diag *diag;
    ast_file *file;
    symtab types;     /* name -> ast_type */
    symtab retries;   /* file-level policy name -> ast_retry */
    symtab jobs;      /* name -> ast_job */
    symtab steps;     /* step name -> the first ast_step of that name, any job */
} sema;

bool sema_ctype(sema *s, ast_ctype *t, const char *what);
bool sema_policy(sema *s, ast_policy *p);
bool sema_duration(sema *s, const ast_duration *d, const char *what, int64_t min_ns,
                   int64_t *ns);
void sema_duplicate(sema *s, const char *what, const ast_ident *again, const ast_ident *first);
void sema_job(sema *s, ast_job *j);

#endif
