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

int aj__dot_close(aj__writer *w)
{
    aj__write_printf(w, "}\n");
    return aj__write_flush(w);
}

void aj__dot_node(aj__writer *w, const aj__dot_path *p, uint32_t i)
{
    if (p != NULL) {
        aj__dot_node(w, p->up, p->step);
        aj__write_printf(w, "/");
    }
    aj__write_printf(w, "s%" PRIu32, i);
}

void aj__dot_indent(aj__writer *w, const aj__dot_path *p)
{
    for (; p != NULL; p = p->up)
        aj__write_printf(w, "\t");
    aj__write_printf(w, "\t");
}

void aj__dot_edge_ends(aj__writer *w, const aj__dot_path *p, uint32_t from, uint32_t to)
{
    aj__dot_indent(w, p);
    aj__write_printf(w, "\"");
    aj__dot_node(w, p, from);
    aj__write_printf(w, "\" -> \"");
    aj__dot_node(w, p, to);
    aj__write_printf(w, "\" ");
}

void aj__dot_cluster_open(aj__writer *w, const aj__dot_path *p, uint32_t i,
                          const aj_job_def *def)
{
    const aj__dot_path inner = { p, i };

    aj__dot_indent(w, p);
    aj__write_printf(w, "subgraph \"cluster_");
    aj__dot_node(w, p, i);
    aj__write_printf(w, "\" {\n");
    aj__dot_indent(w, &inner);
    aj__write_printf(w, "label=\"");
    aj__dot_escaped(w, def->steps[i].name);
    aj__write_printf(w, ": ");
    aj__dot_escaped(w, def->steps[i].subjob->name);
    aj__write_printf(w, "\"\n");
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
