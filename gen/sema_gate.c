/*
 * sema_gate.c: what decides whether a step runs once its predecessors are
 * final: its condition (`when` / `unless` a step that produces bool), its
 * trigger rule (`on success`, the default, `done` or `failure`), and its
 * optional inputs; and `nonfatal`.
 *
 * A step's required predecessors are those of its data inputs that are
 * not optional, its `after` steps and its condition. An optional input's
 * edge is OPTIONAL only when nothing else makes its producer required. A
 * step is gated, and gets a gate in the tables, when its rule is not
 * `on success`, it has a condition, or one of its edges is OPTIONAL:
 * otherwise the runtime's default, every predecessor completed, is exactly
 * what the step says.
 */
#include "sema_job.h"

#include <string.h>

static const char *condition_word(const ast_attr *a)
{
    return a->negate ? "unless" : "when";
}

/* A second condition: the same one twice, its opposite (the step could
 * never run), or another step's (one condition per step). */
static void second_condition(job_check *c, const ast_step *st, const ast_attr *first,
                             const ast_attr *a, const ast_step *cond)
{
    diag *d = c->s->diag;
    if (cond == st->condition && a->negate != first->negate)
        diag_error(d, a->loc, "step '%s' can never run: 'when %s' and 'unless %s' cannot "
                   "both hold; keep one", st->name.name, cond->name.name, cond->name.name);
    else if (cond == st->condition)
        diag_error(d, a->loc, "step '%s' has '%s %s' twice", st->name.name,
                   condition_word(a), cond->name.name);
    else
        diag_error(d, a->loc, "step '%s' has a second condition, '%s %s'; a step has one "
                   "condition: compute both in one step that produces bool", st->name.name,
                   condition_word(a), cond->name.name);
    diag_note(d, first->loc, "the first condition is '%s %s'", condition_word(first),
              st->condition->name.name);
}

/* The condition's step must produce bool: a `type` that is bool will do. */
static bool produces_bool(job_check *c, const ast_step *st, const ast_attr *a,
                          const ast_step *cond)
{
    diag *d = c->s->diag;
    if (cond->output != NULL && strcmp(ast_ctype_real(cond->output), "bool") == 0)
        return true;
    if (cond->output == NULL) {
        diag_error(d, a->name.loc, "'%s %s' in step '%s': step '%s' produces nothing, and a "
                   "condition needs a step that produces bool", condition_word(a),
                   cond->name.name, st->name.name, cond->name.name);
        diag_note(d, cond->name.loc, "'%s' is declared here without '->'", cond->name.name);
    } else {
        diag_error(d, a->name.loc, "'%s %s' in step '%s': step '%s' produces '%s', not "
                   "bool; a condition needs a step that produces bool", condition_word(a),
                   cond->name.name, st->name.name, cond->name.name, cond->output->text);
        diag_note(d, cond->output->loc, "'%s' produces '%s' here", cond->name.name,
                  cond->output->text);
    }
    return false;
}

static void check_condition(job_check *c, ast_step *st, ast_attr *a, ast_attr **seen)
{
    ast_step *cond = sema_find_step(c, &a->name);
    if (cond == NULL)
        return;
    if (st->condition != NULL) {
        second_condition(c, st, *seen, a, cond);
        return;
    }
    *seen = a;
    if (sema_many_condition(c, st, a, cond) || !produces_bool(c, st, a, cond))
        return;
    uint32_t had;
    sema_add_pred(c, st, cond, AST_EDGE_CONDITION, a->name.loc, &had);
    cond->consumed = true;
    st->condition = cond;
    st->negate = a->negate;
}

void sema_check_gate_attr(job_check *c, ast_step *st, ast_attr *a, ast_attr *seen[SEEN_N])
{
    switch (a->kind) {
    case ATTR_CONDITION:
        check_condition(c, st, a, &seen[SEEN_CONDITION]);
        break;
    case ATTR_ON:
        if (seen[SEEN_ON] != NULL) {
            diag_error(c->s->diag, a->loc, "step '%s' has a second trigger rule, 'on %s'; "
                       "a step has one: keep the rule it runs by", st->name.name,
                       src_text(c->s->src, a->rule_loc));
            diag_note(c->s->diag, seen[SEEN_ON]->loc, "the first is 'on %s'",
                      src_text(c->s->src, seen[SEEN_ON]->rule_loc));
            break;
        }
        seen[SEEN_ON] = a;
        st->rule = a->rule;
        break;
    case ATTR_NONFATAL:
        if (sema_first_attr(c, st, &seen[SEEN_NONFATAL], a))
            st->nonfatal = true;
        break;
    default:
        break;
    }
}

void sema_gate_edges(ast_step *st)
{
    bool optional = false;
    st->n_required = 0;
    for (uint32_t i = 0; i < st->preds.n; i++) {
        ast_pred *p = ast_step_pred(st, i);
        p->kind &= ~(uint32_t)AST_EDGE_OPTIONAL;
        if (p->optional && (p->kind & (AST_EDGE_AFTER | AST_EDGE_CONDITION)) == 0) {
            p->kind |= AST_EDGE_OPTIONAL;
            optional = true;
        } else {
            st->n_required++;
        }
    }
    st->gated = st->rule != AST_ON_SUCCESS || st->condition != NULL || optional;
}

void sema_finish_gate(job_check *c, ast_step *st, ast_attr *const seen[SEEN_N])
{
    sema_gate_edges(st);
    if (st->rule == AST_ON_FAILURE && st->n_required == 0) {
        const ast_attr *on = seen[SEEN_ON];
        diag_error(c->s->diag, (ajc_loc){ on->loc.begin, on->rule_loc.end }, "step '%s' "
                   "runs 'on failure' of a required predecessor but has none, so it could "
                   "never run; add 'after' the steps whose failure it handles",
                   st->name.name);
    }
}
