/*
 * diag.c: every message ajc prints about its input.
 *
 *   sql.job:9:31: error: input 'client' is 'Client' but 'GetConnection' produces 'Conn'
 *       9 |     step Open(Client client = GetConnection) -> Handle *;
 *         |                               ^~~~~~~~~~~~~
 *
 * Columns are 1-based bytes. Control and non-ASCII bytes are shown as '?'
 * so that the caret stays under its byte; tabs are kept. A line longer than
 * SHOW_MAX bytes is shown as a window around the column. After max_errors
 * errors, one more line says so and diag_error() jumps out of the run.
 */
#include "diag.h"

#include <stdarg.h>

#define SHOW_MAX 200u    /* longest line shown whole */
#define SHOW_BEFORE 60u  /* bytes shown before the column in a long line */

void diag_init(diag *d, src *s, FILE *fp, unsigned max_errors, jmp_buf *stop)
{
    d->fp = fp;
    d->src = s;
    d->n_errors = 0;
    d->n_warnings = 0;
    d->max_errors = max_errors;
    d->stop = stop;
    d->n_syntax_errors = 0;
    d->lex_error_end = 0;
    d->lex_error = false;
}

static void show_bytes(diag *d, uint32_t from, uint32_t to, bool caret, uint32_t mark,
                       uint32_t mark_end)
{
    const char *t = d->src->text;
    for (uint32_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)t[i];
        if (caret)
            c = i == mark ? '^' : i > mark && i < mark_end ? '~' : c == '\t' ? '\t' : ' ';
        else if (c != '\t' && (c < 0x20 || c >= 0x7f))
            c = '?';
        putc(c, d->fp);
    }
}

/* The source line of loc and a caret line under it. */
static void show_line(diag *d, ajc_loc loc, uint32_t line, uint32_t col)
{
    uint32_t begin, end;
    src_line(d->src, line, &begin, &end);
    uint32_t mark = begin + col - 1;
    uint32_t mark_end = loc.end > mark ? loc.end : mark + 1;
    if (mark_end > end)
        mark_end = end > mark ? end : mark + 1;
    uint32_t from = begin, to = end;
    if (end - begin > SHOW_MAX) {
        from = mark - begin > SHOW_BEFORE ? mark - SHOW_BEFORE : begin;
        to = end - from > SHOW_MAX ? from + SHOW_MAX : end;
    }
    fprintf(d->fp, "%5u | %s", (unsigned)line, from > begin ? "..." : "");
    show_bytes(d, from, to, false, 0, 0);
    fprintf(d->fp, "%s\n      | %s", to < end ? "..." : "", from > begin ? "   " : "");
    /* The caret may sit one past the last byte (end of line or file). */
    show_bytes(d, from, mark_end < to ? mark_end : to, true, mark, mark_end);
    if (mark >= to)
        putc('^', d->fp);
    putc('\n', d->fp);
}

static void report(diag *d, ajc_loc loc, const char *kind, const char *fmt, va_list ap)
{
    uint32_t line, col;
    src_pos(d->src, loc.begin, &line, &col);
    fprintf(d->fp, "%s:%u:%u: %s: ", d->src->name, (unsigned)line, (unsigned)col, kind);
    vfprintf(d->fp, fmt, ap);
    putc('\n', d->fp);
    show_line(d, loc, line, col);
}

void diag_error(diag *d, ajc_loc loc, const char *fmt, ...)
{
    va_list ap;

    if (d->max_errors != 0 && d->n_errors == d->max_errors) {
        fprintf(d->fp, "%s: error: too many errors (%u), stopping\n", d->src->name,
                d->max_errors);
        d->n_errors++;
        longjmp(*d->stop, DIAG_STOP);
    }
    d->n_errors++;
    va_start(ap, fmt);
    report(d, loc, "error", fmt, ap);
    va_end(ap);
}

void diag_warning(diag *d, ajc_loc loc, const char *fmt, ...)
{
    va_list ap;

    d->n_warnings++;
    va_start(ap, fmt);
    report(d, loc, "warning", fmt, ap);
    va_end(ap);
}

void diag_note(diag *d, ajc_loc loc, const char *fmt, ...)
{
    va_list ap;

    if (d->max_errors != 0 && d->n_errors > d->max_errors)
        return;
    va_start(ap, fmt);
    report(d, loc, "note", fmt, ap);
    va_end(ap);
}

void diag_lex_error(diag *d, ajc_loc loc, const char *fmt, ...)
{
    va_list ap;
    char msg[512];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->n_syntax_errors++;
    d->lex_error = true;
    d->lex_error_end = loc.end;
    diag_error(d, loc, "%s", msg);
}

void diag_lex_silence(diag *d, ajc_loc loc)
{
    d->lex_error_end = loc.end;
}

void diag_syntax_error(diag *d, ajc_loc loc, const char *fmt, ...)
{
    va_list ap;
    char msg[512];

    d->n_syntax_errors++;
    if (d->lex_error && loc.begin <= d->lex_error_end)
        return; /* the lexer has said what is wrong here */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_error(d, loc, "%s", msg);
}

bool diag_clean(const diag *d)
{
    return d->n_errors == 0 && d->n_syntax_errors == 0;
}
