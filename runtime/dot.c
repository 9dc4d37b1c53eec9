/*
 * dot.c: Graphviz DOT of a job definition.
 *
 * Nodes are named by step index ("s3"), never by step name, so that any
 * name (node, edge, graph, a name equal to the job's) gives a valid graph;
 * names appear only as quoted, escaped labels. Nodes come in topological
 * order and edges grouped by source in the same order, so that the output
 * is stable and can be diffed. `ajc --dot` prints exactly this text.
 */
#include "aj_dot.h"

#include <stdarg.h>

int aj__dot_printf(aj__dot *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vfprintf(d->out, fmt, ap) < 0)
        d->failed = true;
    va_end(ap);
    return d->failed ? AJ_EIO : AJ_OK;
}

/* Writes s as the inside of a DOT quoted string. */
void aj__dot_escaped(aj__dot *d, const char *s)
{
    for (; *s != '\0' && !d->failed; s++) {
        int rc;
        if (*s == '"' || *s == '\\')
            rc = fprintf(d->out, "\\%c", *s);
        else if (*s == '\n')
            rc = fputs("\\n", d->out);
        else
            rc = putc(*s, d->out);
        if (rc < 0)
            d->failed = true;
    }
}

void aj__dot_open(aj__dot *d, const aj_job_def *def)
{
    aj__dot_printf(d, "digraph \"");
    aj__dot_escaped(d, def->name);
    aj__dot_printf(d, "\" {\n\tnewrank = \"true\"\n");
}

int aj__dot_flush(aj__dot *d)
{
    if (fflush(d->out) != 0 || ferror(d->out))
        d->failed = true;
    return d->failed ? AJ_EIO : AJ_OK;
}

int aj__dot_close(aj__dot *d)
{
    aj__dot_printf(d, "}\n");
    return aj__dot_flush(d);
}

static void def_node(aj__dot *d, uint32_t i, const aj_step_def *s)
{
    aj__dot_printf(d, "\t\"s%" PRIu32 "\" [label=\"", i);
    aj__dot_escaped(d, s->name);
    aj__dot_printf(d, "\" shape=box style=filled fillcolor=gray tooltip=\"");
    aj__dot_escaped(d, s->name);
    if (s->output_type != NULL) {
        aj__dot_printf(d, " -> ");
        aj__dot_escaped(d, s->output_type);
    }
    aj__dot_printf(d, "\"]\n");
}

static void def_edge(aj__dot *d, const aj_job_def *def, const aj_edge_def *e)
{
    aj__dot_printf(d, "\t\"s%" PRIu32 "\" -> \"s%" PRIu32 "\" ", e->from, e->to);
    if (e->kind & AJ_EDGE_DATA) {
        aj__dot_printf(d, "[style=bold color=black tooltip=\"");
        aj__dot_escaped(d, def->steps[e->from].output_type);
        aj__dot_printf(d, "\"]\n");
    } else {
        aj__dot_printf(d, "[style=dashed color=black]\n");
    }
}

int aj_job_def_dot(const aj_job_def *def, FILE *out)
{
    aj__dot d = { out, false };

    if (def == NULL || out == NULL)
        return AJ_EINVAL;
    aj__dot_open(&d, def);
    aj__dot_printf(&d, "\t\"job\" [label=\"");
    aj__dot_escaped(&d, def->name);
    aj__dot_printf(&d, "\" shape=triangle style=filled fillcolor=gray]\n");
    for (uint32_t k = 0; k < def->n_steps; k++)
        def_node(&d, def->order[k], &def->steps[def->order[k]]);
    for (uint32_t k = 0; k < def->n_roots; k++)
        aj__dot_printf(&d, "\t\"job\" -> \"s%" PRIu32 "\" [color=black]\n", def->order[k]);
    for (uint32_t k = 0; k < def->n_edges; k++)
        def_edge(&d, def, &def->edges[k]);
    return aj__dot_close(&d);
}
