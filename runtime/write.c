/*
 * write.c: the writer of the pictures (dot.c, inst_dot.c, timeline.c):
 * formatted output that keeps the first failure, and DOT's quoting and
 * frame, which both DOT pictures share.
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
