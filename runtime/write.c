/*
 * write.c: the writer of the pictures (dot.c, inst_dot.c, timeline.c,
 * trace.c): formatted output that keeps the first failure, DOT's quoting
 * and frame, which both DOT pictures share, and JSON's quoting and times,
 * which both trace writers share.
 */
#include "aj_write.h"

#include <stdarg.h>

int aj__write_printf(aj__writer *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vfprintf(w->out, fmt, ap) < 0)
        w->failed = true;
    va_end(ap);
    return w->failed ? AJ_EIO : AJ_OK;
}

int aj__write_flush(aj__writer *w)
{
    if (fflush(w->out) != 0 || ferror(w->out))
        w->failed = true;
    return w->failed ? AJ_EIO : AJ_OK;
}

void aj__dot_escaped(aj__writer *w, const char *s)
{
    for (; *s != '\0' && !w->failed; s++) {
        int rc;
        if (*s == '"' || *s == '\\')
            rc = fprintf(w->out, "\\%c", *s);
        else if (*s == '\n')
            rc = fputs("\\n", w->out);
        else
            rc = putc(*s, w->out);
        if (rc < 0)
            w->failed = true;
    }
}

void aj__dot_open(aj__writer *w, const aj_job_def *def)
{
    aj__write_printf(w, "digraph \"");
    aj__dot_escaped(w, def->name);
    aj__write_printf(w, "\" {\n\tnewrank = \"true\"\n");
}

void aj__dot_tabs(aj__writer *w, unsigned tabs)
{
    while (tabs-- > 0)
        aj__write_printf(w, "\t");
}

/* The sub-job that holds step i most closely, or -1: the last that holds
 * it, as enclosing ones come first. */
static int64_t innermost(const aj_job_def *def, uint32_t i)
{
    int64_t in = -1;
    for (uint32_t g = 0; g < def->n_subjobs && def->subjobs[g].first_step <= i; g++)
        if (i - def->subjobs[g].first_step < def->subjobs[g].n_steps)
            in = g;
    return in;
}

/* The sub-job that holds sub-job g most closely, or -1. */
static int64_t enclosing(const aj_job_def *def, uint32_t g)
{
    int64_t in = -1;
    for (uint32_t h = 0; h < g; h++)
        if (def->subjobs[g].first_step - def->subjobs[h].first_step < def->subjobs[h].n_steps)
            in = h;
    return in;
}

static void nodes_in(aj__writer *w, const aj_job_def *def, int64_t g, unsigned tabs,
                     aj__dot_node_fn *node, void *arg);

static void cluster(aj__writer *w, const aj_job_def *def, uint32_t g, unsigned tabs,
                    aj__dot_node_fn *node, void *arg)
{
    aj__dot_tabs(w, tabs);
    aj__write_printf(w, "subgraph \"cluster_");
    aj__dot_escaped(w, def->subjobs[g].name);
    aj__write_printf(w, "\" {\n");
    aj__dot_tabs(w, tabs + 1);
    aj__write_printf(w, "label=\"");
    aj__dot_escaped(w, def->subjobs[g].name);
    aj__write_printf(w, ": ");
    aj__dot_escaped(w, def->subjobs[g].job);
    aj__write_printf(w, "\"\n");
    nodes_in(w, def, g, tabs + 1, node, arg);
    aj__dot_tabs(w, tabs);
    aj__write_printf(w, "}\n");
}

/* The nodes that g holds most closely in topological order, then the
 * clusters of the sub-jobs it holds most closely in table order. Pictures
 * are no hot path: O(steps * sub-jobs). */
static void nodes_in(aj__writer *w, const aj_job_def *def, int64_t g, unsigned tabs,
                     aj__dot_node_fn *node, void *arg)
{
    uint32_t lo = g < 0 ? 0 : def->subjobs[g].first_step;
    uint32_t n = g < 0 ? def->n_steps : def->subjobs[g].n_steps;

    for (uint32_t k = 0; k < def->n_steps; k++) {
        uint32_t i = def->order[k];
        if (i - lo < n && innermost(def, i) == g)
            node(w, i, tabs, arg);
    }
    for (uint32_t h = (uint32_t)(g + 1); h < def->n_subjobs; h++)
        if (enclosing(def, h) == g)
            cluster(w, def, h, tabs, node, arg);
}

void aj__dot_nodes(aj__writer *w, const aj_job_def *def, aj__dot_node_fn *node, void *arg)
{
    nodes_in(w, def, -1, 1, node, arg);
}

int aj__dot_close(aj__writer *w)
{
    aj__write_printf(w, "}\n");
    return aj__write_flush(w);
}

void aj__json_escaped(aj__writer *w, const char *s)
{
    for (; *s != '\0' && !w->failed; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            aj__write_printf(w, "\\%c", c);
        else if (c < 0x20)
            aj__write_printf(w, "\\u%04x", c);
        else
            aj__write_printf(w, "%c", c);
    }
}

void aj__json_string(aj__writer *w, const char *s)
{
    aj__write_printf(w, "\"");
    aj__json_escaped(w, s);
    aj__write_printf(w, "\"");
}

void aj__json_us(aj__writer *w, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    aj__write_printf(w, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
}
