/*
 * sema.c: the checks that concern the file as a whole: `type`
 * declarations, file-level retry policies and limits, and the index of
 * every step name that lets a job's checks say an unknown step exists in
 * another job.
 * sema_job.c checks each job; the compiler's driver (ajc.c) runs both.
 */
#include "sema.h"

#include "names_ident.h"
#include "sema_value.h"

#include <string.h>

void sema_init(sema *s, arena *a, src *sr, diag *d, ast_file *f)
{
    memset(s, 0, sizeof *s);
    s->arena = a;
    s->src = sr;
    s->diag = d;
    s->file = f;
    symtab_init(&s->types, a);
    symtab_init(&s->retries, a);
    symtab_init(&s->limits, a);
    symtab_init(&s->jobs, a);
    symtab_init(&s->steps, a);
    s->policies = arena_calloc(a, (size_t)f->n_policies + 1, sizeof *s->policies);
    s->policy_state = arena_calloc(a, (size_t)f->n_policies + 1, sizeof *s->policy_state);
}

static void check_types(sema *s)
{
    for (uint32_t i = 0; i < s->file->types.n; i++) {
        ast_type *t = ast_file_type(s->file, i);
        const ast_type *first = symtab_put(&s->types, t->name.name, t);
        if (first != NULL)
            sema_duplicate(s, "type", &t->name, &first->name);
        names_check_ident(s->diag, &t->name, USE_TYPEDEF, "type name");
        if (t->free_fn.name != NULL)
            names_check_ident(s->diag, &t->free_fn, USE_FILE_SCOPE, "free function");
        for (uint32_t k = 0; k < t->ctype->words.n; k++) {
            const ajc_loc *w = ast_ctype_word(t->ctype, k);
            if (strlen(t->name.name) == w->end - w->begin &&
                memcmp(t->name.name, s->src->text + w->begin, w->end - w->begin) == 0)
                diag_error(s->diag, *w, "type '%s' is defined in terms of itself",
                           t->name.name);
        }
        sema_ctype(s, t->ctype, "type");
        if (t->ctype->named == t)
            t->ctype->named = NULL;
    }
}

static void check_retries(sema *s)
{
    for (uint32_t i = 0; i < s->file->retries.n; i++) {
        ast_retry *r = ast_file_retry(s->file, i);
        const ast_retry *first = symtab_put(&s->retries, r->name.name, r);
        if (first != NULL)
            sema_duplicate(s, "retry policy", &r->name, &first->name);
        sema_policy(s, r->policy);
    }
}

static void check_limits(sema *s)
{
    for (uint32_t i = 0; i < s->file->limits.n; i++) {
        ast_limit *l = ast_file_limit(s->file, i);
        const ast_limit *first = symtab_put(&s->limits, l->name.name, l);
        if (first != NULL)
            sema_duplicate(s, "limit", &l->name, &first->name);
        names_check_ident(s->diag, &l->name, USE_MEMBER, "limit name");
        sema_limit_size(s, l);
    }
}

/* Every step name, first declaration first, for the note that says an
 * unknown step exists in another job. */
static void index_steps(sema *s)
{
    for (uint32_t i = 0; i < s->file->jobs.n; i++) {
        ast_job *j = ast_file_job(s->file, i);
        for (uint32_t k = 0; k < j->steps.n; k++) {
            ast_step *st = ast_job_step(j, k);
            st->job = j;
            symtab_put(&s->steps, st->name.name, st);
        }
    }
}

void sema_check_file(sema *s)
{
    check_types(s);
    check_retries(s);
    check_limits(s);
    index_steps(s);
}

void sema_finish_file(sema *s)
{
    if (s->diag->n_errors > 0)
        return;
    for (uint32_t i = 0; i < s->file->limits.n; i++) {
        const ast_limit *l = ast_file_limit(s->file, i);
        if (!l->used && symtab_get(&s->limits, l->name.name) == l)
            diag_warning(s->diag, l->name.loc, "limit '%s' is never used: no step has "
                         "'uses %s'; remove it or add it to a step", l->name.name, l->name.name);
    }
}
