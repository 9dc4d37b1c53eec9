/*
 * emit_dot.c: `ajc --dot`, the definition graph of every job.
 *
 * The text is the runtime's aj_job_def_dot() format, byte for byte, written
 * here from the schedule so that ajc links nothing of libasyncjob: nodes
 * named by step index in topological order, the roots hung from a "job"
 * node, edges grouped by source in the same order. Tests compare the two
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

/* Where a node lies: the sub-job steps that lead to it from the top job,
 * outermost first. Its DOT name is "s2/s0" for step 0 of the job that step
 * 2 runs, "s0" at the top. */
typedef struct path {
    const struct path *up;
    uint32_t step;
} path;

static void node_name(out *o, const path *p, uint32_t i)
{
    char n[TPL_NUM];
    if (p != NULL) {
        node_name(o, p->up, p->step);
        out_puts(o, "/");
    }
    tpl_out(o, "s$i$", TPL_VARS("i", tpl_u32(n, i)));
}

/* A tab per level of clusters, and one more. */
static void indent(out *o, const path *p)
{
    for (; p != NULL; p = p->up)
        out_puts(o, "\t");
    out_puts(o, "\t");
}

/* Step i's node under p, indented as under tabs: a sub-job step's node
 * lies in its own cluster. */
static void node(out *o, const path *p, uint32_t i, const ast_step *s, const path *tabs)
{
    indent(o, tabs);
    out_puts(o, "\"");
    node_name(o, p, i);
    out_puts(o, "\" [label=\"");
    escaped(o, s->name.name);
    gate_lines(o, s);
    out_puts(o, s->nonfatal ? "\" shape=box style=\"filled,dashed\" fillcolor=gray tooltip=\""
                            : "\" shape=box style=filled fillcolor=gray tooltip=\"");
    escaped(o, s->name.name);
    if (s->output != NULL) {
        out_puts(o, " -> ");
        escaped(o, s->output->text);
    }
    if (s->blocking)
        out_puts(o, "\\nblocking");
    if (s->subjob != NULL) {
        out_puts(o, "\\njob ");
        escaped(o, s->subjob->name.name);
    } else if (s->async) {
        out_puts(o, "\\nasync");
    }
    gate_lines(o, s);
    out_puts(o, "\"]\n");
}

/* "\"s0\" -> \"s1\" ", from's and to's names under p. */
static void edge_ends(out *o, const path *p, uint32_t from, uint32_t to)
{
    indent(o, p);
    out_puts(o, "\"");
    node_name(o, p, from);
    out_puts(o, "\" -> \"");
    node_name(o, p, to);
    out_puts(o, "\" ");
}

static void edge(out *o, const path *p, const ast_job *j, const sched_edge *e)
{
    edge_ends(o, p, e->from, e->to);
    if (e->kind & AST_EDGE_CONDITION) {
        out_puts(o, ast_job_step(j, e->to)->negate
                        ? "[style=dotted color=black label=\"unless\"]\n"
                        : "[style=dotted color=black label=\"when\"]\n");
    } else if (e->kind & AST_EDGE_DATA) {
        out_puts(o, e->kind & AST_EDGE_OPTIONAL
                        ? "[style=\"bold,dashed\" color=black tooltip=\"optional "
                        : "[style=bold color=black tooltip=\"");
        escaped(o, ast_job_step(j, e->from)->output->text);
        out_puts(o, "\"]\n");
    } else {
        out_puts(o, "[style=dashed color=black]\n");
    }
}

static void job_body(const emit_ctx *e, out *o, const path *p, const ast_job *j);

/* Step i of the job under p runs a job: a cluster labelled "T1: job"
 * holds its node, which leads to the job's roots, and the job's steps. */
static void cluster(const emit_ctx *e, out *o, const path *p, uint32_t i, const ast_step *s)
{
    const path inner = { p, i };
    const sched *sub = emit_sched(e, s->subjob);
    indent(o, p);
    out_puts(o, "subgraph \"cluster_");
    node_name(o, p, i);
    out_puts(o, "\" {\n");
    indent(o, &inner);
    out_puts(o, "label=\"");
    escaped(o, s->name.name);
    out_puts(o, ": ");
    escaped(o, s->subjob->name.name);
    out_puts(o, "\"\n");
    node(o, p, i, s, &inner);
    job_body(e, o, &inner, s->subjob);
    for (uint32_t k = 0; k < sub->n_roots; k++) {
        indent(o, &inner);
        out_puts(o, "\"");
        node_name(o, p, i);
        out_puts(o, "\" -> \"");
        node_name(o, &inner, sub->order[k]);
        out_puts(o, "\" [color=black]\n");
    }
    for (uint32_t k = 0; k < sub->n_edges; k++)
        edge(o, &inner, s->subjob, &sub->edges[k]);
    indent(o, p);
    out_puts(o, "}\n");
}

/* The nodes of j's steps under p, in topological order. */
static void job_body(const emit_ctx *e, out *o, const path *p, const ast_job *j)
{
    const sched *s = emit_sched(e, j);
    for (uint32_t k = 0; k < s->n_steps; k++) {
        const ast_step *st = ast_job_step(j, s->order[k]);
        if (st->subjob != NULL)
            cluster(e, o, p, s->order[k], st);
        else
            node(o, p, s->order[k], st, p);
    }
}

static void job_dot(const emit_ctx *e, out *o, const ast_job *j, const sched *s)
{
    out_puts(o, "digraph \"");
    escaped(o, j->name.name);
    out_puts(o, "\" {\n\tnewrank = \"true\"\n\t\"job\" [label=\"");
    escaped(o, j->name.name);
    out_puts(o, "\" shape=triangle style=filled fillcolor=gray]\n");
    job_body(e, o, NULL, j);
    for (uint32_t k = 0; k < s->n_roots; k++) {
        char n[TPL_NUM];
        tpl_out(o, "\t\"job\" -> \"s$i$\" [color=black]\n", TPL_VARS("i", tpl_u32(n, s->order[k])));
    }
    for (uint32_t k = 0; k < s->n_edges; k++)
        edge(o, NULL, j, &s->edges[k]);
    out_puts(o, "}\n");
}

void emit_dot(const emit_ctx *e, out *o)
{
    for (uint32_t i = 0; i < e->file->jobs.n; i++)
        job_dot(e, o, ast_file_job(e->file, i), emit_sched(e, ast_file_job(e->file, i)));
}
