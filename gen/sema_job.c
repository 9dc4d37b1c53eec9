/*
 * sema_job.c: the checks inside one job: inputs, steps, the edges between
 * them (data and `after`), attributes, the result and unused outputs.
 *
 * Each step's references are resolved into ast_pred records, one per
 * distinct source step: a data edge and an `after` to the same step share a
 * record (kind DATA|AFTER). A per-job array indexed by source step, stamped
 * with the current target, finds the record in O(1), so a job is checked in
 * time linear in its size; graph.c works from these records.
 */
#include "sema.h"

#include "names_ident.h"
#include "sema_value.h"
#include "suggest.h"

#include <string.h>

typedef struct job_check {
    sema *s;
    ast_job *job;
    ast_pred **pred_of;   /* by source step index: its record for `stamp` */
    uint32_t *stamp;      /* target index + 1 that pred_of[i] belongs to */
    symtab params;        /* parameter name -> param_seen */
    symtab retries;       /* job-level policy name -> ast_retry */
} job_check;

typedef struct param_seen {
    uint32_t stamp;       /* 0: a job input; i + 1: an input of step i */
    const ast_param *p;
} param_seen;

static const char *quoted(job_check *c, const char *what, const char *name)
{
    return arena_cat(c->s->arena, what, " '", name, "'", NULL);
}

/* The earlier parameter of the same generated function named like p. */
static const ast_param *seen_param(job_check *c, const ast_param *p, uint32_t stamp)
{
    param_seen *e = symtab_get(&c->params, p->name.name);
    if (e != NULL && (e->stamp == stamp || e->stamp == 0))
        return e->p;
    if (e == NULL) {
        e = arena_alloc(c->s->arena, sizeof *e);
        symtab_put(&c->params, p->name.name, e);
    }
    e->stamp = stamp;
    e->p = p;
    return NULL;
}

static void check_param(job_check *c, const ast_param *p, uint32_t stamp, const char *what)
{
    sema *s = c->s;
    const char *desc = quoted(c, what, p->name.name);
    sema_ctype(s, p->ctype, desc);
    if (!names_check_ident(s->diag, &p->name, USE_PARAM, what))
        return;
    if (strcmp(p->name.name, "ctx") == 0 || strcmp(p->name.name, "out") == 0) {
        diag_error(s->diag, p->name.loc, "%s is named like a parameter every step "
                   "function has ('ctx', 'out'); rename it", desc);
        return;
    }
    const ast_type *t = symtab_get(&s->types, p->name.name);
    if (t != NULL) {
        diag_error(s->diag, p->name.loc, "%s is named like type '%s'; rename it", desc,
                   t->name.name);
        diag_note(s->diag, t->name.loc, "type '%s' is declared here", t->name.name);
        return;
    }
    const ast_param *first = seen_param(c, p, stamp);
    if (first == NULL)
        return;
    if (stamp != 0 && first->producer.name == NULL)
        diag_error(s->diag, p->name.loc, "%s is named like job input '%s', which every "
                   "step function also takes; rename one of them", desc, first->name.name);
    else
        diag_error(s->diag, p->name.loc, "duplicate %s '%s'", what, p->name.name);
    diag_note(s->diag, first->name.loc, "'%s' is first declared here", first->name.name);
}

static const char *step_name_of(const void *item)
{
    return ((const ast_step *)item)->name.name;
}

static ast_step *find_step(job_check *c, const ast_ident *ref)
{
    ast_step *st = symtab_get(&c->job->step_names, ref->name);
    if (st != NULL)
        return st;
    const ast_step *other = symtab_get(&c->s->steps, ref->name);
    const char *near = other != NULL ? NULL
                                     : suggest_name(ref->name, c->job->steps.items,
                                                    c->job->steps.n, step_name_of);
    diag_error(c->s->diag, ref->loc, "unknown step '%s' in job '%s'%s%s%s", ref->name,
               c->job->name.name, near ? "; did you mean '" : "", near ? near : "",
               near ? "'?" : "");
    if (other != NULL)
        diag_note(c->s->diag, other->name.loc, "'%s' is a step of job '%s'; a step can "
                  "only use steps of its own job", ref->name, other->job->name.name);
    return NULL;
}

/* The record of edge from -> target, new or shared; *had gets the kinds it
 * had before this reference. */
static ast_pred *add_pred(job_check *c, ast_step *target, ast_step *from, uint32_t kind,
                          ajc_loc loc, uint32_t *had)
{
    uint32_t i = from->index;
    if (c->stamp[i] == target->index + 1) {
        *had = c->pred_of[i]->kind;
        c->pred_of[i]->kind |= kind;
        return c->pred_of[i];
    }
    ast_pred *p = arena_alloc(c->s->arena, sizeof *p);
    p->from = from;
    p->kind = kind;
    p->loc = loc;
    c->stamp[i] = target->index + 1;
    c->pred_of[i] = p;
    vec_push(c->s->arena, &target->preds, p);
    *had = 0;
    return p;
}

static bool same_type(const ast_ctype *a, const ast_ctype *b)
{
    if (a->named != NULL || b->named != NULL)
        return a->named == b->named;
    return strcmp(a->text, b->text) == 0;
}

static void check_input(job_check *c, ast_step *st, ast_param *in)
{
    diag *d = c->s->diag;
    check_param(c, in, st->index + 1, "input");
    ast_step *from = find_step(c, &in->producer);
    if (from == NULL)
        return;
    in->from = from;
    uint32_t had;
    ast_pred *p = add_pred(c, st, from, AST_EDGE_DATA, in->producer.loc, &had);
    if (had & AST_EDGE_DATA) {
        diag_error(d, in->producer.loc, "step '%s' takes the output of '%s' twice; bind it "
                   "to one input", st->name.name, from->name.name);
        diag_note(d, p->loc, "'%s' is first bound here", from->name.name);
        return;
    }
    if (from->output == NULL) {
        diag_error(d, in->producer.loc, "input '%s' of step '%s' is bound to step '%s', "
                   "which produces nothing", in->name.name, st->name.name, from->name.name);
        diag_note(d, from->name.loc, "'%s' is declared here without '->'", from->name.name);
        return;
    }
    from->consumed = true;
    if (in->ctype != NULL && !same_type(in->ctype, from->output)) {
        diag_error(d, in->producer.loc, "input '%s' of step '%s' is '%s' but step '%s' "
                   "produces '%s'", in->name.name, st->name.name, in->ctype->text,
                   from->name.name, from->output->text);
        diag_note(d, from->output->loc, "'%s' produces '%s' here", from->name.name,
                  from->output->text);
    }
}

static void check_after(job_check *c, ast_step *st, const ast_ident *ref)
{
    diag *d = c->s->diag;
    ast_step *from = find_step(c, ref);
    if (from == NULL)
        return;
    uint32_t had;
    ast_pred *p = add_pred(c, st, from, AST_EDGE_AFTER, ref->loc, &had);
    if (had & AST_EDGE_AFTER) {
        diag_error(d, ref->loc, "'after %s' is given twice in step '%s'", from->name.name,
                   st->name.name);
        diag_note(d, p->loc, "'%s' is first listed here", from->name.name);
    } else if (had & AST_EDGE_DATA) {
        diag_warning(d, ref->loc, "'after %s' is redundant: step '%s' already takes its "
                     "output", from->name.name, st->name.name);
        diag_note(d, p->loc, "'%s' is bound here", from->name.name);
    }
}

static const char *retry_name_of(const void *item)
{
    return ((const ast_retry *)item)->name.name;
}

static ast_retry *find_retry(job_check *c, const ast_ident *ref)
{
    ast_retry *r = symtab_get(&c->retries, ref->name);
    if (r == NULL)
        r = symtab_get(&c->s->retries, ref->name);
    if (r != NULL)
        return r;
    const vec *job = &c->job->retries, *file = &c->s->file->retries;
    const char *near = suggest_name(ref->name, job->items, job->n, retry_name_of);
    if (near == NULL)
        near = suggest_name(ref->name, file->items, file->n, retry_name_of);
    diag_error(c->s->diag, ref->loc, "unknown retry policy '%s'%s%s%s", ref->name,
               near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    return NULL;
}

/* retry, timeout, impl, blocking and async may each appear once. */
static bool first_attr(job_check *c, ast_step *st, ast_attr **seen, ast_attr *a)
{
    if (*seen == NULL) {
        *seen = a;
        return true;
    }
    const char *kw = src_text(c->s->src, a->loc);
    diag_error(c->s->diag, a->loc, "step '%s' has '%s' twice", st->name.name, kw);
    diag_note(c->s->diag, (*seen)->loc, "the first '%s' is here", kw);
    return false;
}

static void check_attr(job_check *c, ast_step *st, ast_attr *a, ast_attr *seen[5])
{
    sema *s = c->s;
    switch (a->kind) {
    case ATTR_AFTER:
        for (uint32_t i = 0; i < a->afters.n; i++)
            check_after(c, st, ast_attr_after_name(a, i));
        break;
    case ATTR_RETRY:
        if (!first_attr(c, st, &seen[0], a))
            break;
        if (a->policy != NULL) {
            st->retry = a->policy;
            sema_policy(s, a->policy);
        } else if ((st->retry_named = find_retry(c, &a->name)) != NULL) {
            st->retry = st->retry_named->policy;
        }
        break;
    case ATTR_TIMEOUT:
        if (first_attr(c, st, &seen[1], a))
            sema_duration(s, &a->timeout, "a timeout", 1, &st->timeout_ns);
        break;
    case ATTR_IMPL:
        if (first_attr(c, st, &seen[2], a) &&
            names_check_ident(s->diag, &a->name, USE_FILE_SCOPE, "impl function"))
            st->impl = a->name;
        break;
    case ATTR_BLOCKING:
        if (first_attr(c, st, &seen[3], a))
            st->blocking = true;
        break;
    case ATTR_ASYNC:
        if (first_attr(c, st, &seen[4], a))
            st->async = true;
        break;
    }
}

/* A blocking step's function runs to the end on a pool thread; an async
 * step's returns at once and completes later: one step cannot be both. */
static void check_waits(job_check *c, ast_step *st, ast_attr *const seen[5])
{
    if (seen[3] == NULL || seen[4] == NULL)
        return;
    const ast_attr *later = seen[3]->loc.begin > seen[4]->loc.begin ? seen[3] : seen[4];
    const ast_attr *first = later == seen[3] ? seen[4] : seen[3];
    diag_error(c->s->diag, later->loc, "step '%s' is both 'blocking' and 'async'; an async "
               "step returns before its work ends, so it never blocks: keep one",
               st->name.name);
    diag_note(c->s->diag, first->loc, "'%s' is here", src_text(c->s->src, first->loc));
    st->blocking = false;
}

static void check_step(job_check *c, ast_step *st)
{
    ast_attr *seen[5] = { NULL, NULL, NULL, NULL, NULL };
    for (uint32_t i = 0; i < st->inputs.n; i++)
        check_input(c, st, ast_step_input(st, i));
    for (uint32_t i = 0; i < st->attrs.n; i++)
        check_attr(c, st, ast_step_attr(st, i), seen);
    check_waits(c, st, seen);
}

static void check_job_retries(job_check *c)
{
    for (uint32_t i = 0; i < c->job->retries.n; i++) {
        ast_retry *r = ast_job_retry(c->job, i);
        const ast_retry *first = symtab_put(&c->retries, r->name.name, r);
        const ast_retry *outer = symtab_get(&c->s->retries, r->name.name);
        if (first != NULL) {
            sema_duplicate(c->s, "retry policy", &r->name, &first->name);
        } else if (outer != NULL) {
            diag_error(c->s->diag, r->name.loc, "retry policy '%s' of job '%s' has the name "
                       "of a file-level policy; rename it", r->name.name, c->job->name.name);
            diag_note(c->s->diag, outer->name.loc, "'%s' is declared here", outer->name.name);
        }
        sema_policy(c->s, r->policy);
    }
}

/* Names and output types of every step first: an input may name a step
 * declared after it. */
static void declare_steps(job_check *c)
{
    ast_job *j = c->job;
    for (uint32_t i = 0; i < j->steps.n; i++) {
        ast_step *st = ast_job_step(j, i);
        st->index = i;
        const ast_step *first = symtab_put(&j->step_names, st->name.name, st);
        if (first != NULL)
            sema_duplicate(c->s, "step", &st->name, &first->name);
        names_check_ident(c->s->diag, &st->name, USE_MEMBER, "step name");
        const char *what = quoted(c, "the output of step", st->name.name);
        if (st->output != NULL && sema_ctype(c->s, st->output, what))
            sema_output_ctype(c->s, st->output, what);
    }
}

static void check_result(job_check *c)
{
    ast_job *j = c->job;
    for (uint32_t i = 0; i < j->results.n; i++) {
        const ast_ident *r = ast_job_result(j, i);
        if (i > 0) {
            const ast_ident *first = ast_job_result(j, 0);
            diag_error(c->s->diag, r->loc, "job '%s' has a second 'result'; a job has one "
                       "result", j->name.name);
            diag_note(c->s->diag, first->loc, "the first 'result' is '%s'", first->name);
            continue;
        }
        ast_step *st = find_step(c, r);
        if (st != NULL && st->output == NULL) {
            diag_error(c->s->diag, r->loc, "result step '%s' produces nothing; give it an "
                       "output with '->' or choose another step", st->name.name);
            diag_note(c->s->diag, st->name.loc, "'%s' is declared here", st->name.name);
        } else if (st != NULL) {
            j->result = st;
        }
    }
}

static void warn_unused(job_check *c)
{
    for (uint32_t i = 0; i < c->job->steps.n; i++) {
        const ast_step *st = ast_job_step(c->job, i);
        if (st->output != NULL && !st->consumed && st != c->job->result)
            diag_warning(c->s->diag, st->name.loc, "output '%s' of step '%s' is never "
                         "used: no step takes it and it is not the job's result",
                         st->output->text, st->name.name);
    }
}

static void check_job_name(sema *s, const ast_job *j)
{
    if (names_check_ident(s->diag, &j->name, USE_FILE_SCOPE, "job name") &&
        (strcmp(j->name.name, "aj") == 0 || strcmp(j->name.name, "AJ") == 0))
        diag_error(s->diag, j->name.loc, "job name '%s' would put every generated name "
                   "('%s_def', '%s_start', ...) in the runtime's namespace; choose another name",
                   j->name.name, j->name.name, j->name.name);
}

void sema_check_job(sema *s, ast_job *j)
{
    job_check c = { s, j, NULL, NULL, { 0 }, { 0 } };
    const ast_job *first = symtab_put(&s->jobs, j->name.name, j);
    if (first != NULL)
        sema_duplicate(s, "job", &j->name, &first->name);
    /* Warnings wait for a job without errors of its own. */
    unsigned errors = s->diag->n_errors;
    symtab_init(&c.params, s->arena);
    symtab_init(&c.retries, s->arena);
    symtab_init(&j->step_names, s->arena);
    check_job_name(s, j);
    for (uint32_t i = 0; i < j->params.n; i++)
        check_param(&c, ast_job_param(j, i), 0, "job input");
    check_job_retries(&c);
    if (j->steps.n == 0) {
        diag_error(s->diag, j->name.loc, "job '%s' has no steps: nothing to run", j->name.name);
        return;
    }
    c.pred_of = arena_alloc(s->arena, (size_t)j->steps.n * sizeof *c.pred_of);
    c.stamp = arena_calloc(s->arena, j->steps.n, sizeof *c.stamp);
    declare_steps(&c);
    for (uint32_t i = 0; i < j->steps.n; i++)
        check_step(&c, ast_job_step(j, i));
    check_result(&c);
    if (s->diag->n_errors == errors)
        warn_unused(&c);
}
