/*
 * flatten.c: inlines sub-job steps. After it, a job's steps are the steps
 * it runs, none of them a sub-job step: `step T1(...) job fetch_table` is
 * replaced, in its place, by copies of fetch_table's (already flat) steps,
 * named "T1/Open", "T1/Query", "T1/Audit/Log", ... with their own retries,
 * timeouts, rules and conditions, so that one instance runs everything.
 *
 * An inlined step calls the function of the step it copies (its origin),
 * and passes, for each input of the origin's job, T1's source for it: a
 * step of the parent, a literal, a parent job input or, nested, an outer
 * sub-job's input, all in the parent's terms (args). Edges:
 * - inside the sub-job, as written;
 * - from the producer of each of T1's inputs that is a step, into every
 *   inlined step, which reads it (optional if T1's input is);
 * - from T1's `after` steps into the sub-job's roots;
 * - out of T1: a step that takes T1's output (or its condition) takes the
 *   sub-job's result step's; `after T1` waits for every sink of the
 *   sub-job, so T1 is over when all its steps are final.
 * `nonfatal` on T1 makes every inlined step nonfatal; sema refuses the
 * attributes that cannot apply to a group of steps.
 *
 * A T1 that maps (`TableName t = ListTables[]`) runs its job once per
 * element, and is inlined all the same: every copy becomes a mapped step
 * over ListTables' elements. A copy maps element by element over the
 * first copy it reads, and reads element k of each copy it reads (the
 * runtime runs element k of a step only once its predecessors other than
 * the one it maps over have completed); a copy that reads none maps over
 * ListTables[] as T1 does. T1's mapped input passes element k to every
 * copy, its other inputs whole values; T1's output is its result copy's
 * elements. sema_subjob_map.c refuses the inner steps that cannot map.
 */
#include "flatten.h"

#include "sema.h"
#include "sema_job.h"

#include <string.h>

/* One job being flattened. now[i] is the flat step that stands for
 * original step i's output (itself, or a sub-job step's result copy);
 * a sub-job step's copies are copies[first[i] .. +n), its sinks sinks[i]. */
typedef struct flat {
    arena *a;
    ast_job *j;
    vec steps;           /* ast_step *, the flat list */
    ast_step **now;
    uint32_t *first;
    vec *sinks;
} flat;

static const char *field_of(arena *a, const char *name)
{
    char *f = arena_strndup(a, name, strlen(name));
    for (char *c = f; *c != '\0'; c++)
        if (*c == '/')
            *c = '_';
    return f;
}

/* Adds an edge from `from` into st, or merges it with one already there:
 * the kinds join, and it stays optional only if both are. */
static void add_pred(arena *a, ast_step *st, ast_step *from, uint32_t kind, bool optional,
                     ajc_loc loc)
{
    for (uint32_t i = 0; i < st->preds.n; i++) {
        ast_pred *p = ast_step_pred(st, i);
        if (p->from == from) {
            p->kind |= kind;
            p->optional = p->optional && optional;
            return;
        }
    }
    ast_pred *p = arena_alloc(a, sizeof *p);
    *p = (ast_pred){ from, kind, loc, optional };
    vec_push(a, &st->preds, p);
}

/* An edge from original step `from` of the job (a sub-job step or not)
 * into flat step st: data and conditions from what stands for its output,
 * `after` from every step it ends with. */
static void add_parent_pred(flat *f, ast_step *st, const ast_pred *p)
{
    const ast_step *from = p->from;
    uint32_t kind = p->kind & ~(uint32_t)(AST_EDGE_OPTIONAL | AST_EDGE_AFTER);
    if (from->subjob == NULL || kind != 0)
        add_pred(f->a, st, f->now[from->index], from->subjob == NULL ? p->kind : kind,
                 p->optional, p->loc);
    if (from->subjob == NULL || !(p->kind & AST_EDGE_AFTER))
        return;
    const vec *sinks = &f->sinks[from->index];
    for (uint32_t k = 0; k < sinks->n; k++)
        add_pred(f->a, st, sinks->items[k], AST_EDGE_AFTER, false, p->loc);
}

/* A parameter whose source is re-read through now (the parent's terms),
 * or through base (a copied sub-job's, from its own flat steps). */
static ast_param *rebind(flat *f, const ast_param *q, uint32_t base, bool inner)
{
    ast_param *p = arena_alloc(f->a, sizeof *p);
    *p = *q;
    if (q->source == AST_SRC_STEP)
        p->from = inner ? f->steps.items[base + q->from->index] : f->now[q->from->index];
    return p;
}

/* The source that input q of a copied step of T1 really has: T1's own
 * input when q reads one of the sub-job's inputs. Under a mapped T1 every
 * copy runs once per element, and reads element k of the copies it reads:
 * T1's brackets mark those inputs as maps. */
static ast_param *inner_source(flat *f, const ast_step *t1, const ast_param *q, uint32_t base)
{
    if (q->source != AST_SRC_INPUT) {
        ast_param *p = rebind(f, q, base, true);
        if (t1->mapped && q->source == AST_SRC_STEP)
            p->map = t1->map_input->map;
        return p;
    }
    const ast_job *sub = t1->subjob;
    uint32_t k = 0;
    while (ast_job_param(sub, k) != q->input)
        k++;
    ast_param *p = rebind(f, ast_step_input(t1, k), base, false);
    p->ctype = q->ctype;
    p->name = q->name;
    return p;
}

static void add_group(flat *f, const char *name, const ast_job *job, uint32_t first,
                      uint32_t n)
{
    ast_group *g = arena_alloc(f->a, sizeof *g);
    *g = (ast_group){ name, job, first, n };
    vec_push(f->a, &f->j->groups, g);
}

/* Places copies of T1's sub-job's steps, and its groups, at the end of
 * the flat list; their edges come once every step has its place. */
static void place_copies(flat *f, ast_step *t1)
{
    const ast_job *sub = t1->subjob;
    uint32_t base = f->steps.n;
    const char *prefix = arena_cat(f->a, t1->name.name, "/", NULL);

    f->first[t1->index] = base;
    add_group(f, t1->name.name, sub, base, sub->steps.n);
    for (uint32_t g = 0; g < sub->groups.n; g++) {
        const ast_group *in = sub->groups.items[g];
        add_group(f, arena_cat(f->a, prefix, in->name, NULL), in->job, base + in->first,
                  in->n_steps);
    }
    bool *feeds = arena_calloc(f->a, (size_t)sub->steps.n + 1, sizeof *feeds);
    for (uint32_t k = 0; k < sub->steps.n; k++) {
        const ast_step *s = ast_job_step(sub, k);
        ast_step *c = arena_alloc(f->a, sizeof *c);
        *c = *s;
        c->name.name = arena_cat(f->a, prefix, s->name.name, NULL);
        c->c_field = field_of(f->a, c->name.name);
        c->job = f->j;
        c->index = f->steps.n;
        c->origin = s->origin != NULL ? s->origin : s;
        c->stands_for = NULL;
        c->nonfatal = s->nonfatal || t1->nonfatal;
        c->preds = (vec){ 0 };
        c->inputs = (vec){ 0 };
        c->args = (vec){ 0 };
        vec_push(f->a, &f->steps, c);
        for (uint32_t i = 0; i < s->preds.n; i++)
            feeds[ast_step_pred(s, i)->from->index] = true;
    }
    for (uint32_t k = 0; k < sub->steps.n; k++)
        if (!feeds[k])
            vec_push(f->a, &f->sinks[t1->index], f->steps.items[base + k]);
    if (sub->result != NULL) {
        ast_step *res = f->steps.items[base + sub->result->index];
        f->now[t1->index] = res;
        res->stands_for = t1;
    }
}

/* Each parameter of a copied step (from) as its copy's (to); *first gets
 * the first that reads another copy. */
static void bind_list(flat *f, const ast_step *t1, const vec *from, vec *to, uint32_t base,
                      ast_param **first)
{
    for (uint32_t i = 0; i < from->n; i++) {
        const ast_param *q = from->items[i];
        ast_param *p = inner_source(f, t1, q, base);
        if (*first == NULL && q->source == AST_SRC_STEP)
            *first = p;
        vec_push(f->a, to, p);
    }
}

/* The inputs and job inputs of copy c of s, in the parent's terms, and
 * what it maps over if s maps. Returns the first of them that reads
 * another copy, or NULL. */
static ast_param *bind_params(flat *f, const ast_step *t1, const ast_step *s, ast_step *c,
                              uint32_t base)
{
    ast_param *first = NULL;
    bind_list(f, t1, &s->inputs, &c->inputs, base, &first);
    /* A copy already binds its origin's job inputs; an own step of the
     * sub-job gets T1's inputs for them. */
    if (s->origin != NULL)
        bind_list(f, t1, &s->args, &c->args, base, &first);
    else
        for (uint32_t i = 0; i < t1->subjob->params.n; i++)
            vec_push(f->a, &c->args, rebind(f, ast_step_input(t1, i), base, false));
    if (s->map_input != NULL)
        c->map_input = inner_source(f, t1, s->map_input, base);
    return first;
}

/* The edges of copy c of s: inside the sub-job as written, from the
 * producers of what it reads in the parent and, for a root of the
 * sub-job, from T1's `after` steps. */
static void bind_edges(flat *f, const ast_step *t1, const ast_step *s, ast_step *c,
                       uint32_t base)
{
    for (uint32_t i = 0; i < s->preds.n; i++) {
        const ast_pred *p = ast_step_pred(s, i);
        add_pred(f->a, c, f->steps.items[base + p->from->index], p->kind, p->optional, p->loc);
    }
    if (s->condition != NULL)
        c->condition = f->steps.items[base + s->condition->index];
    bool root = c->preds.n == 0;
    for (uint32_t i = 0; i < c->args.n; i++) {
        const ast_param *p = c->args.items[i];
        if (p->source == AST_SRC_STEP)
            add_pred(f->a, c, p->from, AST_EDGE_DATA, !ast_loc_empty(p->optional),
                     p->producer.loc);
    }
    for (uint32_t i = 0; root && i < t1->preds.n; i++)
        if (ast_step_pred(t1, i)->kind & AST_EDGE_AFTER) {
            ast_pred after = *ast_step_pred(t1, i);
            after.kind = AST_EDGE_AFTER;
            add_parent_pred(f, c, &after);
        }
}

/* Under a mapped T1, copy c runs once per element too: element by element
 * after the copy it first reads (over), or, reading none, over what T1
 * maps over. Element k of the other copies it reads is there when it runs:
 * the runtime runs an element only once the step's predecessors other
 * than its map source have all completed (runtime/map.c). */
static void map_copy(flat *f, const ast_step *t1, ast_step *c, ast_param *over)
{
    c->mapped = true;
    if (over == NULL) {
        over = rebind(f, t1->map_input, 0, false);
        add_pred(f->a, c, over->from, AST_EDGE_DATA, false, t1->map_input->producer.loc);
    }
    c->map_input = over;
}

/* The inputs, job inputs and edges of T1's copies, in the parent's terms. */
static void bind_copies(flat *f, const ast_step *t1)
{
    const ast_job *sub = t1->subjob;
    uint32_t base = f->first[t1->index];
    for (uint32_t k = 0; k < sub->steps.n; k++) {
        const ast_step *s = ast_job_step(sub, k);
        ast_step *c = f->steps.items[base + k];
        ast_param *over = bind_params(f, t1, s, c, base);
        bind_edges(f, t1, s, c, base);
        if (t1->mapped)
            map_copy(f, t1, c, over);
        sema_gate_edges(c);
    }
}

/* An own step's inputs, condition and edges, with sub-job steps replaced. */
static void rebind_own(flat *f, ast_step *st)
{
    vec preds = st->preds;
    st->preds = (vec){ 0 };
    for (uint32_t i = 0; i < preds.n; i++)
        add_parent_pred(f, st, preds.items[i]);
    for (uint32_t i = 0; i < st->inputs.n; i++) {
        ast_param *p = rebind(f, ast_step_input(st, i), 0, false);
        if (st->map_input == st->inputs.items[i])
            st->map_input = p;
        st->inputs.items[i] = p;
    }
    if (st->condition != NULL)
        st->condition = f->now[st->condition->index];
    sema_gate_edges(st);
}

static void flatten_job(arena *a, ast_job *j, bool *done)
{
    if (done[j->index])
        return;
    done[j->index] = true;
    bool any = false;
    for (uint32_t i = 0; i < j->steps.n; i++) {
        ast_step *st = ast_job_step(j, i);
        st->c_field = st->name.name;
        if (st->subjob != NULL) {
            flatten_job(a, st->subjob, done);
            any = true;
        }
    }
    if (!any)
        return;
    uint32_t n = j->steps.n;
    flat f = { a, j, { 0 }, arena_calloc(a, n, sizeof *f.now),
               arena_calloc(a, n, sizeof *f.first), arena_calloc(a, n, sizeof *f.sinks) };
    for (uint32_t i = 0; i < n; i++) {
        ast_step *st = ast_job_step(j, i);
        if (st->subjob != NULL) {
            place_copies(&f, st);
        } else {
            f.now[i] = st;
            vec_push(a, &f.steps, st);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        ast_step *st = ast_job_step(j, i);
        if (st->subjob != NULL)
            bind_copies(&f, st);
        else
            rebind_own(&f, st);
    }
    if (j->result != NULL)
        j->result = f.now[j->result->index];
    j->steps = f.steps;
    j->limits = (vec){ 0 };
    for (uint32_t i = 0; i < j->steps.n; i++) {
        ast_step *st = ast_job_step(j, i);
        st->index = i;
        for (uint32_t k = 0; k < st->uses.n; k++)
            sema_insert_limit(a, &j->limits, ast_step_limit(st, k));
    }
}

void flatten_file(arena *a, ast_file *f)
{
    bool *done = arena_calloc(a, (size_t)f->jobs.n + 1, sizeof *done);
    for (uint32_t i = 0; i < f->jobs.n; i++)
        flatten_job(a, ast_file_job(f, i), done);
}
