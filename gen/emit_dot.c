/*
 * emit_dot.c: `ajc --dot`, the definition graph of every job.
 *
 * The text is the runtime's aj_job_def_dot() format, byte for byte, written
 * here from the schedule so that ajc links nothing of libasyncjob: nodes
 * named by step index in topological order, the roots hung from a "job"
 * node, edges grouped by source in the same order, the steps of each
 * inlined sub-job in a cluster. Tests compare the two
 * writers on every good case (tests/generated/), so they cannot drift.
 */
#include "emit.h"

#include "tpl.h"

/* s as the inside of a DOT quoted string, escaped as the runtime does. */
static void escaped(out *o, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            out_write(o, "\\", 1);
        if (*s == '\n')
            out_puts(o, "\\n");
        else
            out_write(o, s, 1);
    }
}

/* "\non done", "\non failure" (nothing for the default rule), then
 * "\nnonfatal": the lines that both a node's label and its tooltip end with. */
static void gate_lines(out *o, const ast_step *s)
{
    static const char *const rules[] = {
        [AST_ON_SUCCESS] = "", [AST_ON_DONE] = "\\non done", [AST_ON_FAILURE] = "\\non failure",
    };
    out_puts(o, rules[s->rule]);
    if (s->nonfatal)
        out_puts(o, "\\nnonfatal");
}

/* "\nuses db, pool": the limits the step takes a slot of, in the order it
 * takes them; in the label too, since a step's limits shape its schedule. */
static void uses_line(out *o, const ast_step *s)
{
    for (uint32_t k = 0; k < s->uses.n; k++) {
        out_puts(o, k == 0 ? "\\nuses " : ", ");
        escaped(o, ast_step_limit(s, k)->name.name);
    }
}

static void tabs(out *o, unsigned n)
{
    while (n-- > 0)
        out_puts(o, "\t");
}

static void node(out *o, uint32_t i, const ast_step *s, unsigned indent)
{
    char n[TPL_NUM];
    tabs(o, indent);
    tpl_out(o, "\"s$i$\" [label=\"", TPL_VARS("i", tpl_u32(n, i)));
    escaped(o, s->name.name);
    if (s->map_input != NULL)
        out_puts(o, "[]");
    uses_line(o, s);
    gate_lines(o, s);
    out_puts(o, s->nonfatal ? "\" shape=box style=\"filled,dashed\" fillcolor=gray tooltip=\""
                            : "\" shape=box style=filled fillcolor=gray tooltip=\"");
    escaped(o, s->name.name);
    if (s->output != NULL) {
        out_puts(o, " -> ");
        escaped(o, s->output->text);
        if (ast_step_array(s))
            out_puts(o, "[]");
    }
    if (s->map_input != NULL) {
        out_puts(o, "\\nmaps over ");
        escaped(o, s->map_input->from->name.name);
        out_puts(o, "[]");
    }
    if (s->blocking)
        out_puts(o, "\\nblocking");
    if (s->async)
        out_puts(o, "\\nasync");
    uses_line(o, s);
    gate_lines(o, s);
    out_puts(o, "\"]\n");
}

static void edge(out *o, const ast_job *j, const sched_edge *e)
{
    char from[TPL_NUM], to[TPL_NUM];
    tpl_out(o, "\t\"s$from$\" -> \"s$to$\" ",
            TPL_VARS("from", tpl_u32(from, e->from), "to", tpl_u32(to, e->to)));
    if (e->kind & AST_EDGE_CONDITION) {
        out_puts(o, ast_job_step(j, e->to)->negate
                        ? "[style=dotted color=black label=\"unless\"]\n"
                        : "[style=dotted color=black label=\"when\"]\n");
    } else if (e->kind & AST_EDGE_DATA) {
        out_puts(o, e->kind & AST_EDGE_OPTIONAL
                        ? "[style=\"bold,dashed\" color=black tooltip=\"optional "
                        : "[style=bold color=black tooltip=\"");
        escaped(o, ast_job_step(j, e->from)->output->text);
        out_puts(o, ast_step_array(ast_job_step(j, e->from)) ? "[]\"]\n" : "\"]\n");
    } else {
        out_puts(o, "[style=dashed color=black]\n");
    }
}

/* The group that holds step i most closely, or -1: the last that holds
 * it, as enclosing groups come first. */
static int64_t innermost(const ast_job *j, uint32_t i)
{
    int64_t in = -1;
    for (uint32_t g = 0; g < j->groups.n; g++) {
        const ast_group *gr = j->groups.items[g];
        if (gr->first > i)
            break;
        if (i - gr->first < gr->n_steps)
            in = g;
    }
    return in;
}

/* The group that holds group g most closely, or -1. */
static int64_t enclosing(const ast_job *j, uint32_t g)
{
    const ast_group *in = j->groups.items[g];
    int64_t at = -1;
    for (uint32_t h = 0; h < g; h++) {
        const ast_group *up = j->groups.items[h];
        if (in->first - up->first < up->n_steps)
            at = h;
    }
    return at;
}

/* The nodes group g (-1: the job) holds most closely in topological order,
 * then, as clusters, the groups it holds most closely: as the runtime's
 * aj__dot_nodes() draws them. */
static void nodes_in(out *o, const ast_job *j, const sched *s, int64_t g, unsigned indent)
{
    const ast_group *gr = g < 0 ? NULL : j->groups.items[g];
    uint32_t lo = gr != NULL ? gr->first : 0, n = gr != NULL ? gr->n_steps : s->n_steps;
    for (uint32_t k = 0; k < s->n_steps; k++) {
        uint32_t i = s->order[k];
        if (i - lo < n && innermost(j, i) == g)
            node(o, i, ast_job_step(j, i), indent);
    }
    for (uint32_t h = (uint32_t)(g + 1); h < j->groups.n; h++) {
        if (enclosing(j, h) != g)
            continue;
        const ast_group *in = j->groups.items[h];
        tabs(o, indent);
        out_puts(o, "subgraph \"cluster_");
        escaped(o, in->name);
        out_puts(o, "\" {\n");
        tabs(o, indent + 1);
        out_puts(o, "label=\"");
        escaped(o, in->name);
        out_puts(o, ": ");
        escaped(o, in->job->name.name);
        out_puts(o, "\"\n");
        nodes_in(o, j, s, h, indent + 1);
        tabs(o, indent);
        out_puts(o, "}\n");
    }
}

static void job_dot(out *o, const ast_job *j, const sched *s)
{
    out_puts(o, "digraph \"");
    escaped(o, j->name.name);
    out_puts(o, "\" {\n\tnewrank = \"true\"\n\t\"job\" [label=\"");
    escaped(o, j->name.name);
    out_puts(o, "\" shape=triangle style=filled fillcolor=gray]\n");
    nodes_in(o, j, s, -1, 1);
    for (uint32_t k = 0; k < s->n_roots; k++) {
        char n[TPL_NUM];
        tpl_out(o, "\t\"job\" -> \"s$i$\" [color=black]\n", TPL_VARS("i", tpl_u32(n, s->order[k])));
    }
    for (uint32_t k = 0; k < s->n_edges; k++)
        edge(o, j, &s->edges[k]);
    out_puts(o, "}\n");
}

void emit_dot(const emit_ctx *e, out *o)
{
    for (uint32_t i = 0; i < e->file->jobs.n; i++)
        job_dot(o, ast_file_job(e->file, i), emit_sched(e, ast_file_job(e->file, i)));
}
