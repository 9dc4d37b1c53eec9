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

static void node(out *o, uint32_t i, const ast_step *s)
{
    char n[TPL_NUM];
    tpl_out(o, "\t\"s$i$\" [label=\"", TPL_VARS("i", tpl_u32(n, i)));
    escaped(o, s->name.name);
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
    for (uint32_t k = 0; k < s->uses.n; k++) {
        out_puts(o, k == 0 ? "\\nuses " : ", ");
        escaped(o, ast_step_limit(s, k)->name.name);
    }
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

static void job_dot(out *o, const ast_job *j, const sched *s)
{
    out_puts(o, "digraph \"");
    escaped(o, j->name.name);
    out_puts(o, "\" {\n\tnewrank = \"true\"\n\t\"job\" [label=\"");
    escaped(o, j->name.name);
    out_puts(o, "\" shape=triangle style=filled fillcolor=gray]\n");
    for (uint32_t k = 0; k < s->n_steps; k++)
        node(o, s->order[k], ast_job_step(j, s->order[k]));
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
