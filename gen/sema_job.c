/*
 * sema_job.c: the checks inside one job: inputs, steps, the edges between
 * them (`after` here; data in sema_source.c, conditions in sema_gate.c),
 * attributes, the result and unused outputs.
 *
 * Each step's references are resolved into ast_pred records, one per
 * distinct source step: a data edge and an `after` to the same step share a
 * record (kind DATA|AFTER). A per-job array indexed by source step, stamped
 * with the current target, finds the record in O(1), so a job is checked in
 * time linear in its size; graph.c works from these records.
 */
#include "sema_job.h"

#include "names_ident.h"
#include "sema_value.h"
#include "suggest.h"

#include <string.h>

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

static void check_param(job_check *c, ast_param *p, uint32_t stamp, const char *what)
{
    sema *s = c->s;
    const char *desc = quoted(c, what, p->name.name);
    sema_ctype(s, p->ctype, desc);
    p->c_type = p->ctype->text;
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

static const char *param_name_of(const void *item)
{
    return ((const ast_param *)item)->name.name;
}

/* A step of another job is named in a note; otherwise the nearest step
 * (or job input, where one would do) is suggested. */
static void report_unknown(job_check *c, const ast_ident *ref, bool or_input)
{
    const ast_job *j = c->job;
    const ast_step *other = symtab_get(&c->s->steps, ref->name);
    const char *near = NULL;
    if (other == NULL)
        near = suggest_name(ref->name, j->steps.items, j->steps.n, step_name_of);
    if (other == NULL && near == NULL && or_input)
        near = suggest_name(ref->name, j->params.items, j->params.n, param_name_of);
    diag_error(c->s->diag, ref->loc, "unknown step%s '%s' in job '%s'%s%s%s",
               or_input ? " or job input" : "", ref->name, j->name.name,
               near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    if (other != NULL)
        diag_note(c->s->diag, other->name.loc, "'%s' is a step of job '%s'; a step can "
                  "only use steps of its own job", ref->name, other->job->name.name);
}

ast_step *sema_find_step(job_check *c, const ast_ident *ref)
{
    ast_step *st = symtab_get(&c->job->step_names, ref->name);
    if (st == NULL)
        report_unknown(c, ref, false);
    return st;
}

const ast_param *sema_find_source(job_check *c, const ast_ident *ref, ast_step **step)
{
    const ast_param *in = NULL;
    *step = symtab_get(&c->job->step_names, ref->name);
    if (*step == NULL && (in = symtab_get(&c->inputs, ref->name)) == NULL)
        report_unknown(c, ref, true);
    return in;
}

ast_pred *sema_add_pred(job_check *c, ast_step *target, ast_step *from, uint32_t kind,
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
    p->optional = false;
    c->stamp[i] = target->index + 1;
    c->pred_of[i] = p;
    vec_push(c->s->arena, &target->preds, p);
    *had = 0;
    return p;
}

static void check_after(job_check *c, ast_step *st, const ast_ident *ref)
{
    diag *d = c->s->diag;
    ast_step *from = sema_find_step(c, ref);
    if (from == NULL)
        return;
    uint32_t had;
    ast_pred *p = sema_add_pred(c, st, from, AST_EDGE_AFTER, ref->loc, &had);
    if (had & AST_EDGE_AFTER) {
        diag_error(d, ref->loc, "'after %s' is given twice in step '%s'", from->name.name,
                   st->name.name);
        diag_note(d, p->loc, "'%s' is first listed here", from->name.name);
    } else if ((had & AST_EDGE_DATA) && !p->optional) {
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

static const char *limit_name_of(const void *item)
{
    return ((const ast_limit *)item)->name.name;
}

static ast_limit *find_limit(job_check *c, const ast_ident *ref)
{
    ast_limit *l = symtab_get(&c->s->limits, ref->name);
    if (l != NULL)
        return l;
    const vec *all = &c->s->file->limits;
    const char *near = suggest_name(ref->name, all->items, all->n, limit_name_of);
    if (near != NULL)
        diag_error(c->s->diag, ref->loc, "unknown limit '%s'; did you mean '%s'?", ref->name,
                   near);
    else
        diag_error(c->s->diag, ref->loc, "unknown limit '%s'; declare it at file level: "
                   "'limit %s = N;'", ref->name, ref->name);
    return NULL;
}

/* `uses A, B`: declared limits, each once. st->uses keeps them sorted by
 * name, the one order in which every step of every job takes them. */
static void check_uses(job_check *c, ast_step *st, const ast_attr *a)
{
    for (uint32_t i = 0; i < a->afters.n; i++) {
        const ast_ident *ref = ast_attr_after_name(a, i);
        ast_limit *l = find_limit(c, ref);
        uint32_t k = 0;
        while (k < i && strcmp(ast_attr_after_name(a, k)->name, ref->name) != 0)
            k++;
        if (k < i) {
            diag_error(c->s->diag, ref->loc, "'uses %s' is given twice in step '%s'",
                       ref->name, st->name.name);
            diag_note(c->s->diag, ast_attr_after_name(a, k)->loc, "'%s' is first listed here",
                      ref->name);
            continue;
        }
        if (l == NULL)
            continue;
        l->used = true;
        sema_insert_limit(c->s->arena, &st->uses, l);
    }
}

void sema_insert_limit(arena *a, vec *limits, ast_limit *l)
{
    uint32_t k = limits->n;
    for (uint32_t i = 0; i < limits->n; i++)
        if (limits->items[i] == l)
            return;
    vec_push(a, limits, l);
    for (; k > 0 && strcmp(((ast_limit *)limits->items[k - 1])->name.name, l->name.name) > 0; k--)
        limits->items[k] = limits->items[k - 1];
    limits->items[k] = l;
}

bool sema_first_attr(job_check *c, const ast_step *st, ast_attr **seen, ast_attr *a)
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

static void check_attr(job_check *c, ast_step *st, ast_attr *a, ast_attr *seen[SEEN_N])
{
    sema *s = c->s;
    switch (a->kind) {
    case ATTR_AFTER:
        for (uint32_t i = 0; i < a->afters.n; i++)
            check_after(c, st, ast_attr_after_name(a, i));
        break;
    case ATTR_RETRY:
        if (!sema_first_attr(c, st, &seen[SEEN_RETRY], a))
            break;
        if (a->policy != NULL) {
            st->retry = a->policy;
            sema_policy(s, a->policy);
        } else if ((st->retry_named = find_retry(c, &a->name)) != NULL) {
            st->retry = st->retry_named->policy;
        }
        break;
    case ATTR_TIMEOUT:
        if (sema_first_attr(c, st, &seen[SEEN_TIMEOUT], a))
            sema_duration(s, &a->timeout, "a timeout", 1, &st->timeout_ns);
        break;
    case ATTR_IMPL:
        if (sema_first_attr(c, st, &seen[SEEN_IMPL], a) &&
            names_check_ident(s->diag, &a->name, USE_FILE_SCOPE, "impl function"))
            st->impl = a->name;
        break;
    case ATTR_BLOCKING:
        if (sema_first_attr(c, st, &seen[SEEN_BLOCKING], a))
            st->blocking = true;
        break;
    case ATTR_ASYNC:
        if (sema_first_attr(c, st, &seen[SEEN_ASYNC], a))
            st->async = true;
        break;
    case ATTR_JOB:
        if (sema_first_attr(c, st, &seen[SEEN_JOB], a))
            st->job_attr = a;
        break;
    case ATTR_NONFATAL:
    case ATTR_CONDITION:
    case ATTR_ON:
        sema_check_gate_attr(c, st, a, seen);
        break;
    case ATTR_USES:
        if (sema_first_attr(c, st, &seen[SEEN_USES], a))
            check_uses(c, st, a);
        break;
    }
}

/* A blocking step's function runs to the end on a pool thread; an async
 * step's returns at once and completes later: one step cannot be both. */
static void check_waits(job_check *c, ast_step *st, ast_attr *const seen[SEEN_N])
{
    const ast_attr *blocking = seen[SEEN_BLOCKING], *async = seen[SEEN_ASYNC];
    if (blocking == NULL || async == NULL)
        return;
    const ast_attr *later = blocking->loc.begin > async->loc.begin ? blocking : async;
    const ast_attr *first = later == blocking ? async : blocking;
    diag_error(c->s->diag, later->loc, "step '%s' is both 'blocking' and 'async'; an async "
               "step returns before its work ends, so it never blocks: keep one",
               st->name.name);
    diag_note(c->s->diag, first->loc, "'%s' is here", src_text(c->s->src, first->loc));
    st->blocking = false;
}

/* A step that runs a job has no function of its own: nothing to name with
 * `impl`, to run `blocking`, or to complete `async`. */
static void no_function(job_check *c, const ast_step *st, const ast_attr *job,
                        const ast_attr *a)
{
    const char *kw = src_text(c->s->src, a->loc);
    diag_error(c->s->diag, a->loc, "step '%s' runs job '%s' and has no function of its "
               "own, so '%s' does not apply to it: remove '%s'", st->name.name,
               job->name.name, kw, kw);
    diag_note(c->s->diag, job->loc, "'job %s' is here", job->name.name);
}

/* ajc inlines the job's steps, which keep their own retries, timeouts,
 * rules and conditions: one for the group of them would mean something
 * else for each (a retry of one step, a rule of the first ones only). */
static void not_for_group(job_check *c, const ast_step *st, const ast_attr *job,
                          const ast_attr *a)
{
    const char *kw = src_text(c->s->src, a->loc);
    const char *hint = a->kind == ATTR_CONDITION || a->kind == ATTR_ON
                           ? "give the condition or rule to the steps of the job, or to a "
                             "step of this job that consumes its result"
                           : "give it to the steps of the job that need it";
    diag_error(c->s->diag, a->loc, "step '%s' runs job '%s', whose steps run inlined with "
               "their own attributes, so '%s' cannot apply to them as a group: %s",
               st->name.name, job->name.name, kw, hint);
    diag_note(c->s->diag, job->loc, "'job %s' is here", job->name.name);
}

/* Of a sub-job step's attributes, `after` and `nonfatal` carry over to
 * its inlined steps (flatten.c); the others are refused here, and only
 * here: the checks of gates and of mapped steps, which come next, do not
 * see them. */
static void check_subjob_attrs(job_check *c, ast_step *st, ast_attr *seen[SEEN_N])
{
    static const int own[] = { SEEN_IMPL, SEEN_BLOCKING, SEEN_ASYNC };
    const ast_attr *job = seen[SEEN_JOB];
    if (job == NULL)
        return;
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
        if (seen[own[k]] != NULL)
            no_function(c, st, job, seen[own[k]]);
    for (uint32_t i = 0; i < st->attrs.n; i++) {
        const ast_attr *a = ast_step_attr(st, i);
        if (a->kind == ATTR_RETRY || a->kind == ATTR_TIMEOUT || a->kind == ATTR_CONDITION ||
            a->kind == ATTR_ON || a->kind == ATTR_USES)
            not_for_group(c, st, job, a);
    }
    seen[SEEN_CONDITION] = seen[SEEN_ON] = seen[SEEN_USES] = NULL;
    st->rule = AST_ON_SUCCESS;
    st->condition = NULL;
    st->uses = (vec){ 0 };
    st->impl = (ast_ident){ NULL, AST_EMPTY_LOC };
    st->blocking = st->async = false;
    st->retry = NULL;
    st->retry_named = NULL;
    st->timeout_ns = 0;
}

static void check_step(job_check *c, ast_step *st)
{
    ast_attr *seen[SEEN_N] = { NULL };
    for (uint32_t i = 0; i < st->inputs.n; i++) {
        ast_param *in = ast_step_input(st, i);
        check_param(c, in, st->index + 1, "input");
        sema_check_source(c, st, in);
    }
    for (uint32_t i = 0; i < st->attrs.n; i++)
        check_attr(c, st, ast_step_attr(st, i), seen);
    check_waits(c, st, seen);
    check_subjob_attrs(c, st, seen);
    sema_finish_gate(c, st, seen);
    sema_finish_many(c, st, seen);
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
        const ast_param *in = symtab_get(&c->inputs, st->name.name);
        if (in != NULL) {
            diag_error(c->s->diag, st->name.loc, "step '%s' has the name of a job input of "
                       "job '%s'; an input's source names one or the other: rename one of "
                       "them", st->name.name, j->name.name);
            diag_note(c->s->diag, in->name.loc, "job input '%s' is declared here",
                      in->name.name);
        }
        for (uint32_t k = 0; k < st->inputs.n; k++)
            st->mapped |= !ast_loc_empty(ast_step_input(st, k)->map);
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
        ast_step *st = sema_find_step(c, r);
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
    if (names_check_ident(s->diag, &j->name, USE_TYPEDEF, "job name") &&
        (strcmp(j->name.name, "aj") == 0 || strcmp(j->name.name, "AJ") == 0))
        diag_error(s->diag, j->name.loc, "job name '%s' would put every generated name "
                   "('%s_def', '%s_start', ...) in the runtime's namespace; choose another name",
                   j->name.name, j->name.name, j->name.name);
}

void sema_check_job(sema *s, ast_job *j)
{
    job_check c = { s, j, NULL, NULL, { 0 }, { 0 }, { 0 } };
    const ast_job *first = symtab_put(&s->jobs, j->name.name, j);
    if (first != NULL)
        sema_duplicate(s, "job", &j->name, &first->name);
    /* Warnings wait for a job without errors of its own. */
    unsigned errors = s->diag->n_errors;
    symtab_init(&c.params, s->arena);
    symtab_init(&c.inputs, s->arena);
    symtab_init(&c.retries, s->arena);
    symtab_init(&j->step_names, s->arena);
    check_job_name(s, j);
    for (uint32_t i = 0; i < j->params.n; i++) {
        check_param(&c, ast_job_param(j, i), 0, "job input");
        symtab_put(&c.inputs, ast_job_param(j, i)->name.name, ast_job_param(j, i));
    }
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
    for (uint32_t i = 0; i < j->steps.n; i++)
        for (uint32_t k = 0; k < ast_job_step(j, i)->uses.n; k++)
            sema_insert_limit(s->arena, &j->limits, ast_step_limit(ast_job_step(j, i), k));
    if (s->diag->n_errors == errors)
        warn_unused(&c);
}
