/*
 * emit_table.c: the static tables of one job: slots, topological order,
 * edges, successor lists, gates, limits, steps and what running each step
 * reads.
 *
 * Rows are written from templates and lists (tpl.c), one comment per row,
 * in the order asyncjob.h documents. These are the rows a 100,000-step job
 * repeats, so each costs a few string copies and no format parsing.
 */
#include "emit_table.h"

#include "tpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_outputs(const ast_job *j)
{
    for (uint32_t i = 0; i < j->steps.n; i++)
        if (ast_job_step(j, i)->output != NULL)
            return true;
    return false;
}

static uint32_t n_slots(const ast_step *s)
{
    return s->inputs.n + (s->output != NULL ? 1 : 0);
}

static bool reads_slots(const job_names *c, const ast_step *s)
{
    return c->step[s->index].by_slots && n_slots(s) > 0;
}

/* Per step of a shared wrapper, the slots it reads: its producers'
 * outputs, in the order of its inputs, then its own output. */
static void slot_table(out *o, const ast_job *j, const job_names *c)
{
    tpl_out(o, "/* Per step of a shared wrapper: the output slots of its inputs, then its own. */\n"
               "static const size_t $slots$[] = {\n", TPL_VARS("slots", c->slots));
    const char *of = arena_cat(o->arena, "offsetof(", c->out, ", ", NULL);
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = ast_job_step(j, i);
        tpl_list l;
        if (!reads_slots(c, s))
            continue;
        tpl_out(o, "    /* $step$ */ ", TPL_VARS("step", s->name.name));
        tpl_list_open(&l, o, "", 0, NULL);
        for (uint32_t k = 0; k < s->inputs.n; k++)
            tpl_list_item3(&l, of, ast_step_input(s, k)->from->c_field, ")");
        if (s->output != NULL)
            tpl_list_item3(&l, of, s->c_field, ")");
        tpl_list_close(&l, ",\n");
    }
    out_puts(o, "};\n\n");
}

static bool any_slots(const ast_job *j, const job_names *c)
{
    for (uint32_t i = 0; i < j->steps.n; i++)
        if (reads_slots(c, ast_job_step(j, i)))
            return true;
    return false;
}

#define ORDER_ROW 8  /* step indexes per row of the order table */

/* Rows break at a level change and every ORDER_ROW entries. */
static uint32_t row_end(const sched *s, uint32_t from)
{
    uint32_t to = from + 1;
    while (to < s->n_steps && to - from < ORDER_ROW &&
           s->level[s->order[to]] == s->level[s->order[from]])
        to++;
    return to;
}

static size_t digits(uint32_t v)
{
    size_t n = 1;
    for (; v >= 10; v /= 10)
        n++;
    return n;
}

/* Columns of "0, 1," for the indexes of one row. */
static size_t order_width(const sched *s, uint32_t from, uint32_t to)
{
    size_t w = 0;
    for (uint32_t k = from; k < to; k++)
        w += digits(s->order[k]) + (k + 1 < to ? 2 : 1);
    return w;
}

static void order_row(out *o, const ast_job *j, const sched *s, uint32_t from, uint32_t to,
                      size_t width)
{
    char n[TPL_NUM];
    out_puts(o, "    ");
    for (uint32_t k = from; k < to; k++)
        out_strs(o, tpl_u32(n, s->order[k]), k + 1 < to ? ", " : ",", NULL);
    tpl_out(o, "$pad$/* level $level$:",
            TPL_VARS("pad", tpl_spaces(width + 2 - order_width(s, from, to)),
                     "level", tpl_u32(n, s->level[s->order[from]])));
    for (uint32_t m = from; m < to; m++)
        out_strs(o, " ", ast_job_step(j, s->order[m])->name.name, NULL);
    out_puts(o, " */\n");
}

static void order_table(out *o, const ast_job *j, const sched *s, const job_names *c)
{
    size_t width = 0;
    for (uint32_t k = 0; k < s->n_steps; k = row_end(s, k)) {
        size_t w = order_width(s, k, row_end(s, k));
        width = w > width ? w : width;
    }
    tpl_out(o, "/* Topological order: by level, then declaration. */\n"
               "static const uint32_t $order$[] = {\n", TPL_VARS("order", c->order));
    for (uint32_t k = 0; k < s->n_steps; k = row_end(s, k))
        order_row(o, j, s, k, row_end(s, k), width);
    out_puts(o, "};\n\n");
}

/* The names of the bits set in bits, joined by " | ", in buf; "0" for none. */
static const char *bit_names(char *buf, size_t size, uint32_t bits, const char *const *names,
                             size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (bits & (1u << i))
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len > 0 ? " | " : "",
                                    names[i]);
    return len > 0 ? buf : "0";
}

#define KIND_TEXT 80  /* room for every edge kind's names */

static const char *edge_kind(char buf[KIND_TEXT], uint32_t kind)
{
    static const char *const names[] = {
        "AJ_EDGE_DATA", "AJ_EDGE_AFTER", "AJ_EDGE_CONDITION", "AJ_EDGE_OPTIONAL",
    };
    return bit_names(buf, KIND_TEXT, kind, names, sizeof names / sizeof names[0]);
}

/* Columns of one edge row up to its comment, for padding. */
static size_t edge_width(uint32_t k, const sched_edge *e)
{
    char kind[KIND_TEXT];
    return digits(k) + digits(e->from) + digits(e->to) + strlen(edge_kind(kind, e->kind)) + 17;
}

static void edge_table(out *o, const ast_job *j, const sched *s, const job_names *c)
{
    size_t width = 0;
    for (uint32_t k = 0; k < s->n_edges; k++)
        width = edge_width(k, &s->edges[k]) > width ? edge_width(k, &s->edges[k]) : width;
    tpl_out(o, "/* Edges grouped by source, in topological order of source then target. */\n"
               "static const aj_edge_def $edges$[] = {\n", TPL_VARS("edges", c->edges));
    for (uint32_t k = 0; k < s->n_edges; k++) {
        const sched_edge *e = &s->edges[k];
        char n[3][TPL_NUM], kind[KIND_TEXT];
        tpl_out(o, "    /* $k$ */ { $from$, $to$, $kind$ },$pad$/* $source$ -> $target$ */\n",
                TPL_VARS("k", tpl_u32(n[0], k), "from", tpl_u32(n[1], e->from),
                         "to", tpl_u32(n[2], e->to), "kind", edge_kind(kind, e->kind),
                         "pad", tpl_spaces(width + 2 - edge_width(k, e)),
                         "source", ast_job_step(j, e->from)->name.name,
                         "target", ast_job_step(j, e->to)->name.name));
    }
    out_puts(o, "};\n\n");
}

/* The runtime's successor lists: each step's edge targets, one line per
 * step in step order, so that steps run one after the other read their
 * lists from one cache line. */
static void succ_table(out *o, const ast_job *j, const sched *s, const job_names *c)
{
    tpl_out(o, "/* Each step's edge targets, step after step. */\n"
               "static const uint32_t $succs$[] = {\n", TPL_VARS("succs", c->succs));
    for (uint32_t i = 0; i < j->steps.n; i++) {
        tpl_list l;
        if (s->n_succs[i] == 0)
            continue;
        tpl_out(o, "    /* $step$ */ ", TPL_VARS("step", ast_job_step(j, i)->name.name));
        tpl_list_open(&l, o, "", 0, NULL);
        for (uint32_t k = s->first_edge[i]; k < s->first_edge[i] + s->n_succs[i]; k++) {
            char n[TPL_NUM];
            tpl_list_item(&l, tpl_u32(n, s->edges[k].to), NULL);
        }
        tpl_list_close(&l, ",\n");
    }
    out_puts(o, "};\n\n");
}

#define TAIL_TEXT 256  /* room for the tail columns of a step row */

/* The last columns of a step's row: the limits it uses (count, list), the
 * step it maps over, its element size (0 for a mapped step that produces
 * nothing). */
static const char *step_tail(char buf[TAIL_TEXT], const ast_step *st, const char *uses)
{
    const ast_step *over = st->map_input != NULL ? st->map_input->from : NULL;
    char element[TAIL_TEXT / 2] = "0";
    if (ast_step_many(st) && st->output != NULL)
        snprintf(element, sizeof element, "sizeof(%s)", st->output->text);
    snprintf(buf, TAIL_TEXT, "%u, %s, %ld, %s", st->uses.n, uses,
             over ? (long)over->index : -1L, element);
    return buf;
}

/* The output type a step row names: "T[]" for an array, "T" for each
 * element of a mapped step. */
static const char *output_type(const emit_ctx *e, const ast_step *st)
{
    if (st->output == NULL)
        return "";
    return ast_step_array(st) ? arena_cat(e->arena, st->output->text, "[]", NULL)
                              : st->output->text;
}

/* One row of the step table, positional: the table's comment names the
 * columns. A row is a third of its designated form, for 100,000 steps. A
 * row too long for one line breaks where its columns change meaning: what
 * the step is, then its output's slot, then how it runs. */
static void step_row(const emit_ctx *e, out *o, const ast_job *j, const ast_step *st,
                     const char *gate, const char *uses)
{
    static const char *const rows[2][2] = {
        { "    /* $i$ */ { \"$name$\", NULL, 0, 0, $free$, $amp$$retry$, $timeout$, $level$, $line$, $gate$, $tail$ },\n",
          "    /* $i$ */ { \"$name$\", NULL, 0, 0,\n"
          "$pad$$free$, $amp$$retry$, $timeout$, $level$, $line$, $gate$, $tail$ },\n" },
        { "    /* $i$ */ { \"$name$\", \"$type$\", offsetof($out$, $field$), sizeof($size$), $free$, "
          "$amp$$retry$, $timeout$, $level$, $line$, $gate$, $tail$ },\n",
          "    /* $i$ */ { \"$name$\", \"$type$\",\n"
          "$pad$offsetof($out$, $field$), sizeof($size$),\n"
          "$pad$$free$, $amp$$retry$, $timeout$, $level$, $line$, $gate$, $tail$ },\n" },
    };
    const job_names *c = emit_job_names(e, j);
    const step_names *sc = &c->step[st->index];
    char n[4][TPL_NUM], tail[TAIL_TEXT];
    const char *i = tpl_u32(n[0], st->index);
    const char *const *vars = TPL_VARS(
        "i", i, "name", st->name.name, "field", st->c_field, "type", output_type(e, st),
        "size", ast_step_many(st) ? "aj_array" : st->output != NULL ? st->output->text : "",
        "out", c->out, "free", sc->free_out != NULL ? sc->free_out : "NULL",
        "amp", sc->retry != NULL ? "&" : "", "retry", sc->retry != NULL ? sc->retry : "NULL",
        "timeout", tpl_i64(n[1], st->timeout_ns),
        "level", tpl_u32(n[2], emit_sched(e, j)->level[st->index]),
        "line", tpl_u32(n[3], emit_line(e, st->loc)), "gate", gate,
        "tail", step_tail(tail, st, uses), "pad", tpl_spaces(strlen(i) + 13));
    const char *const *shape = rows[st->output != NULL];
    tpl_out(o, shape[tpl_len(shape[0], vars) > TPL_WIDTH + 1], vars);
}

#define FLAGS_TEXT 160  /* room for every flag's name */

/* The run row's flags: what a runner tests before it runs the step. A
 * step is never both blocking and async (sema_job.c). */
static const char *exec_flags(char buf[FLAGS_TEXT], const ast_step *st)
{
    static const char *const names[] = {
        "AJ_STEP_TIMED", "AJ_STEP_BLOCKING", "AJ_STEP_ASYNC", "AJ_STEP_NONFATAL",
        "AJ_STEP_GATED", "AJ_STEP_LIMITED", "AJ_STEP_ARRAY", "AJ_STEP_MAPPED",
    };
    uint32_t bits = (st->timeout_ns > 0 ? 1u : 0u) | (st->blocking ? 2u : 0u) |
                    (st->async ? 4u : 0u) | (st->nonfatal ? 8u : 0u) | (st->gated ? 16u : 0u) |
                    (st->uses.n > 0 ? 32u : 0u) | (ast_step_array(st) ? 64u : 0u) |
                    (st->mapped ? 128u : 0u);
    return bit_names(buf, FLAGS_TEXT, bits, names, sizeof names / sizeof names[0]);
}

/* One row of the run table: what running the step reads. Its slots start
 * at at[0], its successors at at[1]. */
static void exec_row(const emit_ctx *e, out *o, const ast_job *j, const ast_step *st,
                     const uint32_t at[2])
{
    const job_names *c = emit_job_names(e, j);
    const sched *s = emit_sched(e, j);
    uint32_t i = st->index;
    char n[5][TPL_NUM], flags[FLAGS_TEXT];
    tpl_out(o, reads_slots(c, st)
                   ? "    /* $i$ */ { $run$, $slots$ + $slot$, $preds$, $first$, $succs$, $flags$ },\n"
                   : "    /* $i$ */ { $run$, NULL, $preds$, $first$, $succs$, $flags$ },\n",
            TPL_VARS("i", tpl_u32(n[0], i), "run", c->step[i].run, "slots", c->slots,
                     "slot", tpl_u32(n[1], at[0]), "preds", tpl_u32(n[2], s->n_preds[i]),
                     "first", tpl_u32(n[3], at[1]), "succs", tpl_u32(n[4], s->n_succs[i]),
                     "flags", exec_flags(flags, st)));
}

static void step_tables(const emit_ctx *e, out *o, const ast_job *j)
{
    const job_names *c = emit_job_names(e, j);
    uint32_t at[2] = { 0, 0 }; /* next slot, next successor */
    tpl_out(o, "/* name, output type, its slot and size, free, retry, timeout (ns), level, .job line, gate,\n * limits used (count, list), mapped over, element size */\n"
               "static const aj_step_def $steps$[] = {\n", TPL_VARS("steps", c->steps));
    for (uint32_t i = 0, k = 0, u = 0; i < j->steps.n; i++) {
        const ast_step *st = ast_job_step(j, i);
        char n[2][TPL_NUM];
        step_row(e, o, j, st,
                 st->gated ? arena_cat(o->arena, "&", c->gates, "[", tpl_u32(n[0], k++), "]", NULL)
                           : "NULL",
                 st->uses.n > 0 ? arena_cat(o->arena, c->uses, " + ", tpl_u32(n[1], u), NULL)
                                : "NULL");
        u += st->uses.n;
    }
    tpl_out(o, "};\n\n/* wrapper, its slots, predecessors, first successor, successors, flags */\n"
               "static const aj_step_exec $exec$[] = {\n", TPL_VARS("exec", c->exec));
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *st = ast_job_step(j, i);
        exec_row(e, o, j, st, at);
        at[0] += reads_slots(c, st) ? n_slots(st) : 0;
        at[1] += emit_sched(e, j)->n_succs[i];
    }
    out_puts(o, "};\n\n");
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The step indexes of st's required predecessors, ascending. */
static uint32_t *required_of(arena *a, const ast_step *st)
{
    uint32_t *req = arena_alloc(a, ((size_t)st->n_required + 1) * sizeof *req), n = 0;
    for (uint32_t k = 0; k < st->preds.n; k++)
        if ((ast_step_pred(st, k)->kind & AST_EDGE_OPTIONAL) == 0)
            req[n++] = ast_step_pred(st, k)->from->index;
    qsort(req, n, sizeof *req, cmp_u32);
    return req;
}

static void required_table(out *o, const ast_job *j, const job_names *c)
{
    tpl_out(o, "/* Each gated step's required predecessors, ascending. */\n"
               "static const uint32_t $required$[] = {\n", TPL_VARS("required", c->required));
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *st = ast_job_step(j, i);
        tpl_list l;
        if (!st->gated || st->n_required == 0)
            continue;
        const uint32_t *req = required_of(o->arena, st);
        tpl_out(o, "    /* $step$ */ ", TPL_VARS("step", st->name.name));
        tpl_list_open(&l, o, "", 0, NULL);
        for (uint32_t k = 0; k < st->n_required; k++) {
            char n[TPL_NUM];
            tpl_list_item(&l, tpl_u32(n, req[k]), NULL);
        }
        tpl_list_close(&l, ",\n");
    }
    out_puts(o, "};\n\n");
}

/* What decides whether each gated step runs: the rows step_row's last
 * column points at, in step order. */
static void gate_tables(out *o, const ast_job *j, const job_names *c)
{
    static const char *const rules[] = {
        [AST_ON_SUCCESS] = "AJ_ON_SUCCESS", [AST_ON_DONE] = "AJ_ON_DONE",
        [AST_ON_FAILURE] = "AJ_ON_FAILURE",
    };
    uint32_t at = 0; /* next entry of the required table */
    bool any_required = false;
    for (uint32_t i = 0; i < j->steps.n; i++)
        any_required |= ast_job_step(j, i)->gated && ast_job_step(j, i)->n_required > 0;
    if (any_required)
        required_table(o, j, c);
    tpl_out(o, "/* rule, condition (-1: none), unless, required predecessors */\n"
               "static const aj_step_gate $gates$[] = {\n", TPL_VARS("gates", c->gates));
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *st = ast_job_step(j, i);
        char n[3][TPL_NUM];
        if (!st->gated)
            continue;
        tpl_out(o, st->n_required > 0
                       ? "    /* $step$ */ { $rule$, $cond$, $negate$, $n$, $required$ + $at$ },\n"
                       : "    /* $step$ */ { $rule$, $cond$, $negate$, 0, NULL },\n",
                TPL_VARS("step", st->name.name, "rule", rules[st->rule],
                         "cond", st->condition != NULL ? tpl_u32(n[0], st->condition->index) : "-1",
                         "negate", st->negate ? "true" : "false",
                         "n", tpl_u32(n[1], st->n_required), "required", c->required,
                         "at", tpl_u32(n[2], at)));
        at += st->n_required;
    }
    out_puts(o, "};\n\n");
}

/* The limits j's steps use, by name (the order every job takes them in),
 * then each limited step's, as ascending indexes into them. */
static void limit_tables(out *o, const ast_job *j, const job_names *c)
{
    tpl_out(o, "/* The limits its steps use, by name: every job takes them in this order. */\n"
               "static const aj_limit_def $limits$[] = {\n", TPL_VARS("limits", c->limits));
    for (uint32_t k = 0; k < j->limits.n; k++) {
        const ast_limit *l = AST_AT(const ast_limit, j->limits, k);
        char n[2][TPL_NUM];
        tpl_out(o, "    /* $k$ */ { \"$name$\", $size$ },\n",
                TPL_VARS("k", tpl_u32(n[0], k), "name", l->name.name,
                         "size", tpl_u32(n[1], l->value)));
    }
    tpl_out(o, "};\n\n/* Each limited step's limits, indexes into $limits$. */\n"
               "static const uint32_t $uses$[] = {\n",
            TPL_VARS("limits", c->limits, "uses", c->uses));
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *st = ast_job_step(j, i);
        tpl_list l;
        if (st->uses.n == 0)
            continue;
        tpl_out(o, "    /* $step$ */ ", TPL_VARS("step", st->name.name));
        tpl_list_open(&l, o, "", 0, NULL);
        for (uint32_t k = 0; k < st->uses.n; k++) {
            uint32_t at = 0;
            char n[TPL_NUM];
            while (j->limits.items[at] != st->uses.items[k])
                at++;
            tpl_list_item(&l, tpl_u32(n, at), NULL);
        }
        tpl_list_close(&l, ",\n");
    }
    out_puts(o, "};\n\n");
}

/* The sub-jobs flatten.c inlined, which pictures draw as clusters. */
static void subjob_table(out *o, const ast_job *j, const job_names *c)
{
    tpl_out(o, "/* Inlined sub-jobs, for pictures: name, job, first step, steps. */\n"
               "static const aj_subjob_def $subjobs$[] = {\n", TPL_VARS("subjobs", c->subjobs));
    for (uint32_t i = 0; i < j->groups.n; i++) {
        const ast_group *g = j->groups.items[i];
        char n[3][TPL_NUM];
        tpl_out(o, "    /* $i$ */ { \"$name$\", \"$job$\", $first$, $n$ },\n",
                TPL_VARS("i", tpl_u32(n[0], i), "name", g->name, "job", g->job->name.name,
                         "first", tpl_u32(n[1], g->first), "n", tpl_u32(n[2], g->n_steps)));
    }
    out_puts(o, "};\n\n");
}

void emit_tables(const emit_ctx *e, out *o, const ast_job *j)
{
    const sched *s = emit_sched(e, j);
    const job_names *c = emit_job_names(e, j);
    if (has_outputs(j) && any_slots(j, c))
        slot_table(o, j, c);
    order_table(o, j, s, c);
    if (s->n_edges > 0) {
        edge_table(o, j, s, c);
        succ_table(o, j, s, c);
    }
    if (c->gates != NULL)
        gate_tables(o, j, c);
    if (c->limits != NULL)
        limit_tables(o, j, c);
    step_tables(e, o, j);
    if (j->groups.n > 0)
        subjob_table(o, j, c);
}
