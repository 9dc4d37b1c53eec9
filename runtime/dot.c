/*
 * dot.c: Graphviz DOT of a job definition.
 *
 * Nodes are named by step index ("s3"), never by step name, so that any
 * name (node, edge, graph, a name equal to the job's) gives a valid graph;
 * names appear only as quoted, escaped labels. Nodes come in topological
 * order and edges grouped by source in the same order, so that the output
 * is stable and can be diffed; an inlined sub-job's steps lie in a cluster.
 * `ajc --dot` prints exactly this text.
 */
#include "aj_write.h"

/* "\non done", "\non failure" (nothing for the default rule), then
 * "\nnonfatal": the lines that both a node's label and its tooltip end with. */
static void gate_lines(aj__writer *d, const aj_step_def *s, const aj_step_exec *x)
{
    if (s->gate != NULL && s->gate->rule == AJ_ON_DONE)
        aj__write_printf(d, "\\non done");
    else if (s->gate != NULL && s->gate->rule == AJ_ON_FAILURE)
        aj__write_printf(d, "\\non failure");
    if (x->flags & AJ_STEP_NONFATAL)
        aj__write_printf(d, "\\nnonfatal");
}

/* "\nuses db, pool": the limits the step takes a slot of, in the order it
 * takes them (by name), in the label and the tooltip, since a step's
 * limits shape its schedule; what a damaged table names out of range is
 * left out. */
static void uses_line(aj__writer *d, const aj_job_def *def, const aj_step_def *s)
{
    for (uint32_t k = 0; k < s->n_uses && s->uses != NULL && def->limits != NULL; k++) {
        if (s->uses[k] >= def->n_limits || def->limits[s->uses[k]].name == NULL)
            return;
        aj__write_printf(d, k == 0 ? "\\nuses " : ", ");
        aj__dot_escaped(d, def->limits[s->uses[k]].name);
    }
}

static void def_node(aj__writer *d, uint32_t i, unsigned tabs, void *arg)
{
    const aj_job_def *def = arg;
    const aj_step_def *s = &def->steps[i];
    const aj_step_exec *x = &def->exec[i];

    aj__dot_tabs(d, tabs);
    aj__write_printf(d, "\"s%" PRIu32 "\" [label=\"", i);
    aj__dot_escaped(d, s->name);
    if (x->flags & AJ_STEP_MAPPED)
        aj__write_printf(d, "[]");
    uses_line(d, def, s);
    gate_lines(d, s, x);
    aj__write_printf(d, x->flags & AJ_STEP_NONFATAL
                            ? "\" shape=box style=\"filled,dashed\" fillcolor=gray tooltip=\""
                            : "\" shape=box style=filled fillcolor=gray tooltip=\"");
    aj__dot_escaped(d, s->name);
    if (s->output_type != NULL) {
        aj__write_printf(d, " -> ");
        aj__dot_escaped(d, s->output_type);
    }
    if (x->flags & AJ_STEP_MAPPED) {
        aj__write_printf(d, "\\nmaps over ");
        aj__dot_escaped(d, def->steps[s->map_source].name);
        aj__write_printf(d, "[]");
    }
    if (x->flags & AJ_STEP_BLOCKING)
        aj__write_printf(d, "\\nblocking");
    if (x->flags & AJ_STEP_ASYNC)
        aj__write_printf(d, "\\nasync");
    uses_line(d, def, s);
    gate_lines(d, s, x);
    aj__write_printf(d, "\"]\n");
}

static void def_edge(aj__writer *d, const aj_job_def *def, const aj_edge_def *e)
{
    aj__write_printf(d, "\t\"s%" PRIu32 "\" -> \"s%" PRIu32 "\" ", e->from, e->to);
    if (e->kind & AJ_EDGE_CONDITION) {
        const aj_step_gate *g = def->steps[e->to].gate;
        aj__write_printf(d, g != NULL && g->negate
                                ? "[style=dotted color=black label=\"unless\"]\n"
                                : "[style=dotted color=black label=\"when\"]\n");
    } else if (e->kind & AJ_EDGE_DATA) {
        aj__write_printf(d, e->kind & AJ_EDGE_OPTIONAL
                                ? "[style=\"bold,dashed\" color=black tooltip=\"optional "
                                : "[style=bold color=black tooltip=\"");
        aj__dot_escaped(d, def->steps[e->from].output_type);
        aj__write_printf(d, "\"]\n");
    } else {
        aj__write_printf(d, "[style=dashed color=black]\n");
    }
}

int aj_job_def_dot(const aj_job_def *def, FILE *out)
{
    aj__writer d = { out, false };

    if (def == NULL || out == NULL)
        return AJ_EINVAL;
    aj__dot_open(&d, def);
    aj__write_printf(&d, "\t\"job\" [label=\"");
    aj__dot_escaped(&d, def->name);
    aj__write_printf(&d, "\" shape=triangle style=filled fillcolor=gray]\n");
    aj__dot_nodes(&d, def, def_node, (void *)def);
    for (uint32_t k = 0; k < def->n_roots; k++)
        aj__write_printf(&d, "\t\"job\" -> \"s%" PRIu32 "\" [color=black]\n", def->order[k]);
    for (uint32_t k = 0; k < def->n_edges; k++)
        def_edge(&d, def, &def->edges[k]);
    return aj__dot_close(&d);
}
