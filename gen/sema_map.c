/*
 * sema_map.c: fan-out and collect. A step that returns an array
 * (`-> T[]`) or runs once per element (an input `T x = S[]`, a mapped
 * step) has many values for an output: another step takes them one at a
 * time by mapping over them (`S[]`), or all at once by collecting them
 * (`T[] xs = S`), never as one plain input. A mapped step maps over one
 * array; after a mapped S, `S[]` maps again element by element.
 *
 * What a mapped step does not support, said so: a condition, a trigger
 * rule other than `on success`, optional inputs, mapped or not (each
 * element would have to decide), `async` on a step that returns an array
 * (its done would take an array), and a mapped or array step as a
 * condition.
 */
#include "sema_job.h"

#include <string.h>

/* What a step's many values are, for messages. */
static const char *many_what(const ast_step *from)
{
    return from->mapped ? "is mapped: it has one output per element"
                        : "returns an array";
}

/* `T x = S[]`: S returns an array, or is mapped; one such input a step. */
static void check_map(job_check *c, ast_step *st, ast_param *in, ast_step *from)
{
    diag *d = c->s->diag;
    if (!ast_step_many(from)) {
        diag_error(d, in->map, "input '%s' of step '%s' maps over '%s[]', but step '%s' "
                   "produces one '%s', not an array; declare its output '-> %s[]' or "
                   "drop the '[]'", in->name.name, st->name.name, from->name.name,
                   from->name.name, from->output->text, from->output->text);
        diag_note(d, from->output->loc, "'%s' produces '%s' here", from->name.name,
                  from->output->text);
        return;
    }
    if (st->map_input != NULL) {
        const ast_param *first = st->map_input;
        diag_error(d, in->map, "step '%s' maps over '%s[]' and '%s[]'; a step maps over "
                   "one array: collect the other ('%s[] %s = %s') or pass it to a step "
                   "that maps over it", st->name.name, first->producer.name,
                   from->name.name, in->ctype->text, in->name.name, from->name.name);
        diag_note(d, first->map, "the first map is over '%s[]'", first->producer.name);
        return;
    }
    st->map_input = in;
    if (!sema_same_type(in->ctype, from->output)) {
        diag_error(d, in->producer.loc, "input '%s' of step '%s' is '%s' but the elements "
                   "of '%s' are '%s'", in->name.name, st->name.name, in->ctype->text,
                   from->name.name, from->output->text);
        diag_note(d, from->output->loc, "'%s' produces '%s' here", from->name.name,
                  from->output->text);
    }
}

/* The count parameter of a collect, n_xs, must not be named like another
 * parameter of the step function. */
static void check_count_name(job_check *c, const ast_step *st, const ast_param *in)
{
    const char *count = arena_cat(c->s->arena, "n_", in->name.name, NULL);
    const ast_param *other = symtab_get(&c->inputs, count);
    for (uint32_t i = 0; other == NULL && i < st->inputs.n; i++)
        if (strcmp(ast_step_input(st, i)->name.name, count) == 0)
            other = ast_step_input(st, i);
    if (other == NULL)
        return;
    diag_error(c->s->diag, in->name.loc, "input '%s' of step '%s' collects, so its count is "
               "passed as '%s', which is the name of %s '%s'; rename one of them",
               in->name.name, st->name.name, count,
               other->producer.name == NULL ? "job input" : "input", other->name.name);
    diag_note(c->s->diag, other->name.loc, "'%s' is declared here", other->name.name);
}

/* `T[] xs = S`: S is mapped (or returns an array); the C parameters are
 * `const T *xs, size_t n_xs`. */
static void check_collect(job_check *c, ast_step *st, ast_param *in, ast_step *from)
{
    diag *d = c->s->diag;
    in->c_type = sema_const_pointer(c->s->arena, in->ctype->text);
    check_count_name(c, st, in);
    if (!ast_step_many(from)) {
        diag_error(d, in->collect, "input '%s' of step '%s' collects the outputs of '%s', "
                   "but step '%s' is not mapped and produces one '%s'; bind it as '%s %s "
                   "= %s' or map '%s' over an array", in->name.name, st->name.name,
                   from->name.name, from->name.name, from->output->text, from->output->text,
                   in->name.name, from->name.name, from->name.name);
        diag_note(d, from->name.loc, "'%s' is declared here", from->name.name);
        return;
    }
    if (!sema_same_type(in->ctype, from->output)) {
        diag_error(d, in->ctype->loc, "input '%s' of step '%s' collects '%s[]' but the "
                   "outputs of '%s' are '%s'; write '%s[] %s'", in->name.name, st->name.name,
                   in->ctype->text, from->name.name, from->output->text, from->output->text,
                   in->name.name);
        diag_note(d, from->output->loc, "'%s' produces '%s' here", from->name.name,
                  from->output->text);
    }
}

bool sema_check_many(job_check *c, ast_step *st, ast_param *in, ast_step *from)
{
    diag *d = c->s->diag;
    if (!ast_loc_empty(in->optional) && (!ast_loc_empty(in->map) || !ast_loc_empty(in->collect))) {
        diag_error(d, in->optional, "input '%s' of step '%s' is 'optional' and %s; "
                   "optional inputs of maps and collects are not supported: remove "
                   "'optional'", in->name.name, st->name.name,
                   ast_loc_empty(in->map) ? "collects" : "maps");
        return true;
    }
    if (!ast_loc_empty(in->map)) {
        check_map(c, st, in, from);
        return true;
    }
    if (!ast_loc_empty(in->collect)) {
        check_collect(c, st, in, from);
        return true;
    }
    if (!ast_step_many(from))
        return false;
    diag_error(d, in->producer.loc, "input '%s' of step '%s' takes one '%s', but step '%s' "
               "%s; map over it ('%s %s = %s[]') or collect it ('%s[] %s = %s')",
               in->name.name, st->name.name, in->ctype->text, from->name.name, many_what(from),
               in->ctype->text, in->name.name, from->name.name, in->ctype->text, in->name.name,
               from->name.name);
    diag_note(d, from->name.loc, "'%s' is declared here", from->name.name);
    return true;
}

void sema_check_many_source(job_check *c, const ast_step *st, const ast_param *in,
                            const ast_param *job_in)
{
    bool map = !ast_loc_empty(in->map);
    if (!map && ast_loc_empty(in->collect))
        return;
    diag_error(c->s->diag, map ? in->map : in->collect, "input '%s' of step '%s' %s %s%s%s, "
               "which is one value; '[]' applies to a step that returns an array or is "
               "mapped: remove it", in->name.name, st->name.name, map ? "maps over" : "collects",
               job_in != NULL ? "job input '" : "a literal",
               job_in != NULL ? job_in->name.name : "", job_in != NULL ? "'" : "");
}

bool sema_many_condition(job_check *c, const ast_step *st, const ast_attr *a,
                         const ast_step *cond)
{
    if (!ast_step_many(cond))
        return false;
    diag_error(c->s->diag, a->name.loc, "'%s %s' in step '%s': step '%s' %s, and a condition "
               "needs one bool; collect its values in a step that decides",
               a->negate ? "unless" : "when", cond->name.name, st->name.name, cond->name.name,
               many_what(cond));
    diag_note(c->s->diag, cond->name.loc, "'%s' is declared here", cond->name.name);
    return true;
}

/* A plain optional input makes a step gated, which a mapped step cannot
 * be: its elements would decide one by one (an optional map or collect is
 * reported by sema_check_many). */
static void check_optional(job_check *c, const ast_step *st)
{
    for (uint32_t i = 0; i < st->inputs.n; i++) {
        const ast_param *in = ast_step_input(st, i);
        if (ast_loc_empty(in->optional) || !ast_loc_empty(in->map) || !ast_loc_empty(in->collect))
            continue;
        diag_error(c->s->diag, in->optional, "input '%s' of step '%s' is 'optional' and step "
                   "'%s' maps over '%s[]'; optional inputs of mapped steps are not supported: "
                   "remove 'optional'", in->name.name, st->name.name, st->name.name,
                   st->map_input != NULL ? st->map_input->producer.name : "...");
    }
}

/* Which attribute of a mapped step is not supported, or NULL. */
static const ast_attr *unsupported(ast_attr *const seen[SEEN_N])
{
    if (seen[SEEN_CONDITION] != NULL)
        return seen[SEEN_CONDITION];
    if (seen[SEEN_ON] != NULL && seen[SEEN_ON]->rule != AST_ON_SUCCESS)
        return seen[SEEN_ON];
    return NULL;
}

void sema_finish_many(job_check *c, ast_step *st, ast_attr *const seen[SEEN_N])
{
    diag *d = c->s->diag;
    const ast_attr *a = unsupported(seen);
    if (st->mapped && a != NULL) {
        ajc_loc at = a->kind == ATTR_ON ? (ajc_loc){ a->loc.begin, a->rule_loc.end } : a->loc;
        diag_error(d, at, "step '%s' maps over '%s[]' and has '%s'; conditions and trigger "
                   "rules of mapped steps are not supported: decide in the step that "
                   "makes the array, or in a step that collects", st->name.name,
                   st->map_input != NULL ? st->map_input->producer.name : "...",
                   src_text(c->s->src, at));
    }
    if (ast_step_array(st) && st->async)
        diag_error(d, seen[SEEN_ASYNC]->loc, "step '%s' returns an array and is 'async'; "
                   "async steps that return arrays are not supported: make it a plain or "
                   "'blocking' step", st->name.name);
    if (st->mapped)
        check_optional(c, st);
}
