/* sema_value.h: checks of values that file and job checks share: C types,
 * durations, retry policies, duplicate names. */
#ifndef AJC_SEMA_VALUE_H
#define AJC_SEMA_VALUE_H

#include "sema.h"

bool sema_ctype(sema *s, ast_ctype *t, const char *what);
/* A checked output type: the step stores its output through a pointer to
 * it, so it cannot be const itself (a const it points at is fine). */
bool sema_output_ctype(sema *s, const ast_ctype *t, const char *what);
bool sema_duration(sema *s, const ast_duration *d, const char *what, int64_t min_ns,
                   int64_t *ns);

/* Checks p once, however many steps use it, and stores its value. */
bool sema_policy(sema *s, const ast_policy *p);
/* A limit's size, 1 to UINT32_MAX, into l->value. */
bool sema_limit_size(sema *s, ast_limit *l);
void sema_duplicate(sema *s, const char *what, const ast_ident *again, const ast_ident *first);

#endif
