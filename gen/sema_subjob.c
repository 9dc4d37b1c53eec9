/*
 * sema_subjob.c: steps that run another job (`job NAME`), checked once
 * every job of the file is, so that a job may be used before or after its
 * declaration. The step's inputs become the job's inputs, in order and of
 * the same types; the step's output is the job's result; and no job may
 * contain itself, directly or through others (a depth-first walk over the
 * jobs, which names the chain of each cycle it closes). Then, what a
 * sub-job step that maps would run (sema_subjob_map.c).
 */
#include "sema_job.h"

#include "suggest.h"

#include <string.h>

static const char *job_name_of(const void *item)
{
    return ((const ast_job *)item)->name.name;
}

static const char *plural(uint32_t n)
{
    return n == 1 ? "" : "s";
}

static ast_job *find_job(sema *s, const ast_step *st)
{
    const ast_ident *ref = &st->job_attr->name;
    ast_job *j = symtab_get(&s->jobs, ref->name);
    if (j != NULL)
        return j;
    const char *near = suggest_name(ref->name, s->file->jobs.items, s->file->jobs.n, job_name_of);
    diag_error(s->diag, ref->loc, "unknown job '%s' in step '%s'%s%s%s", ref->name,
               st->name.name, near ? "; did you mean '" : ": no job of this file has that name",
               near ? near : "", near ? "'?" : "");
    return NULL;
}

static bool check_count(sema *s, const ast_step *st, const ast_job *sub)
{
    uint32_t n = st->inputs.n, want = sub->params.n;
    if (n == want)
        return true;
    diag_error(s->diag, st->name.loc, "step '%s' passes %u input%s to job '%s', which takes "
               "%u: give the step one input per input of the job, in order", st->name.name,
               (unsigned)n, plural(n), sub->name.name, (unsigned)want);
    diag_note(s->diag, sub->name.loc, "job '%s' is declared here with %u input%s",
              sub->name.name, (unsigned)want, plural(want));
    return false;
}

/* Input i of st becomes input i of sub: an optional one passes its
 * pointer, "const T *", which the job's input must then be. */
static void check_input(sema *s, const ast_step *st, const ast_job *sub, uint32_t i)
{
    const ast_param *in = ast_step_input(st, i), *p = ast_job_param(sub, i);
    bool ok = ast_loc_empty(in->optional) ? sema_same_type(in->ctype, p->ctype)
                                          : strcmp(in->c_type, p->ctype->text) == 0;
    if (ok)
        return;
    diag_error(s->diag, in->ctype->loc, "input '%s' of step '%s' is '%s' but input '%s' of "
               "job '%s' is '%s'", in->name.name, st->name.name, in->c_type, p->name.name,
               sub->name.name, p->ctype->text);
    diag_note(s->diag, p->name.loc, "job input '%s' is declared here", p->name.name);
}

static void check_output(sema *s, const ast_step *st, const ast_job *sub)
{
    const ast_step *res = sub->result;
    const char *job = sub->name.name;
    if (st->output != NULL && sub->results.n == 0) {
        diag_error(s->diag, st->output->loc, "step '%s' produces '%s' but job '%s' has no "
                   "result: remove '-> %s' or give job '%s' a 'result'", st->name.name,
                   st->output->text, job, st->output->text, job);
        diag_note(s->diag, sub->name.loc, "job '%s' is declared here", job);
    } else if (st->output == NULL && res != NULL) {
        diag_error(s->diag, st->job_attr->name.loc, "step '%s' produces nothing but job '%s' "
                   "has a result, '%s': declare '-> %s' so that the step takes it",
                   st->name.name, job, res->output->text, res->output->text);
        diag_note(s->diag, ast_job_result(sub, 0)->loc, "job '%s' gives its result here", job);
    } else if (st->output != NULL && res != NULL && !sema_same_type(st->output, res->output)) {
        diag_error(s->diag, st->output->loc, "step '%s' produces '%s' but the result of job "
                   "'%s' is '%s'", st->name.name, st->output->text, job, res->output->text);
        diag_note(s->diag, res->output->loc, "'%s', the result of job '%s', produces '%s' here",
                  res->name.name, job, res->output->text);
    }
}

static void check_step(sema *s, ast_step *st)
{
    ast_job *sub = find_job(s, st);
    if (sub == NULL)
        return;
    st->subjob = sub;
    if (check_count(s, st, sub))
        for (uint32_t i = 0; i < st->inputs.n; i++)
            check_input(s, st, sub, i);
    check_output(s, st, sub);
}

/* The walk's state: by job index, whether it is on the path (GRAY) or
 * done (BLACK); the steps that lead from the walk's root to where it is. */
enum { WHITE, GRAY, BLACK };

typedef struct walk {
    sema *s;
    uint8_t *color;
    const ast_step **path;
    uint32_t depth;
} walk;

/* The step at path[depth - 1] runs a job on the path: the chain from that
 * job's step on the path to it is a cycle. */
static void report_cycle(walk *w, const ast_job *again)
{
    uint32_t first = 0;
    while (w->path[first]->job != again)
        first++;
    const char *chain = again->name.name;
    for (uint32_t k = first; k < w->depth; k++)
        chain = arena_cat(w->s->arena, chain, " -> ", w->path[k]->subjob->name.name, NULL);
    const ast_step *st = w->path[first];
    diag_error(w->s->diag, st->job_attr->name.loc, "job '%s' contains itself through its "
               "step '%s': %s; a job cannot run inside itself", again->name.name,
               st->name.name, chain);
    for (uint32_t k = first + 1; k < w->depth; k++)
        diag_note(w->s->diag, w->path[k]->job_attr->name.loc, "step '%s' of job '%s' runs "
                  "job '%s' here", w->path[k]->name.name, w->path[k]->job->name.name,
                  w->path[k]->subjob->name.name);
}

static void visit(walk *w, const ast_job *j)
{
    w->color[j->index] = GRAY;
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *st = ast_job_step(j, i);
        if (st->subjob == NULL || w->color[st->subjob->index] == BLACK)
            continue;
        w->path[w->depth++] = st;
        if (w->color[st->subjob->index] == GRAY)
            report_cycle(w, st->subjob);
        else
            visit(w, st->subjob);
        w->depth--;
    }
    w->color[j->index] = BLACK;
}

void sema_check_subjobs(sema *s)
{
    const ast_file *f = s->file;
    size_t n_steps = 0;
    for (uint32_t i = 0; i < f->jobs.n; i++) {
        const ast_job *j = ast_file_job(f, i);
        n_steps += j->steps.n;
        for (uint32_t k = 0; k < j->steps.n; k++)
            if (ast_job_step(j, k)->job_attr != NULL)
                check_step(s, ast_job_step(j, k));
    }
    walk w = { s, arena_calloc(s->arena, (size_t)f->jobs.n + 1, 1),
               arena_calloc(s->arena, n_steps + 1, sizeof *w.path), 0 };
    unsigned errors = s->diag->n_errors;
    for (uint32_t i = 0; i < f->jobs.n; i++)
        if (w.color[i] == WHITE)
            visit(&w, ast_file_job(f, i));
    /* It walks into the jobs that sub-job steps run: not round a cycle. */
    if (s->diag->n_errors == errors)
        sema_check_mapped_subjobs(s);
}
