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
 * Under color, the place, the kind and the caret take gcc's colours.
 */
#include "diag.h"

#include <stdarg.h>

#define SHOW_MAX 200u    /* longest line shown whole */
#define SHOW_BEFORE 60u  /* bytes shown before the column in a long line */

/* gcc's colours, as SGR escapes; each coloured span ends with a reset. */
#define SGR_PLACE "\33[01m"      /* bold file:line:col: */
#define SGR_ERROR "\33[01;31m"   /* bold red */
#define SGR_WARNING "\33[01;35m" /* bold magenta */
#define SGR_NOTE "\33[01;36m"    /* bold cyan */
#define SGR_CARET "\33[01;32m"   /* bold green */
#define SGR_RESET "\33[m"

typedef struct kind {
    const char *name;
    const char *sgr;
} kind;

static const kind kind_error = { "error", SGR_ERROR };
static const kind kind_warning = { "warning", SGR_WARNING };
static const kind kind_note = { "note", SGR_NOTE };

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
    d->werror = false;
    d->color = false;
}

static void color_on(diag *d, const char *sgr)
{
    if (d->color)
        fputs(sgr, d->fp);
}

static void color_off(diag *d)
{
    if (d->color)
        fputs(SGR_RESET, d->fp);
}

/* "error:" in its colour. */
static void put_kind(diag *d, const kind *k)
{
    color_on(d, k->sgr);
    fprintf(d->fp, "%s:", k->name);
    color_off(d);
}

/* Source bytes, control and non-ASCII ones as '?', so that each byte takes
 * one column; tabs are kept. */
static void show_text(diag *d, uint32_t from, uint32_t to)
{
    const char *t = d->src->text;
    for (uint32_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)t[i];
        putc(c != '\t' && (c < 0x20 || c >= 0x7f) ? '?' : c, d->fp);
    }
}

/* The caret line under show_text(from, to): blanks (tabs kept, so that the
 * caret lines up) to the mark, then ^~~ up to mark_end. The caret may sit
 * one past the last byte shown (end of line or file). */
static void show_caret(diag *d, uint32_t from, uint32_t to, uint32_t mark, uint32_t mark_end)
{
    const char *t = d->src->text;
    for (uint32_t i = from; i < mark && i < to; i++)
        putc(t[i] == '\t' ? '\t' : ' ', d->fp);
    color_on(d, SGR_CARET);
    putc('^', d->fp);
    for (uint32_t i = mark + 1; i < mark_end && i < to; i++)
        putc('~', d->fp);
    color_off(d);
    putc('\n', d->fp);
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
    show_text(d, from, to);
    fprintf(d->fp, "%s\n      | %s", to < end ? "..." : "", from > begin ? "   " : "");
    show_caret(d, from, to, mark, mark_end);
}

/* FILE:LINE:COL: KIND: MESSAGE[ [-Werror]], then the line and the caret. */
static void report(diag *d, ajc_loc loc, const kind *k, bool werror, const char *fmt,
                   va_list ap)
{
    uint32_t line, col;
    src_pos(d->src, loc.begin, &line, &col);
    color_on(d, SGR_PLACE);
    fprintf(d->fp, "%s:%u:%u:", d->src->name, (unsigned)line, (unsigned)col);
    color_off(d);
    putc(' ', d->fp);
    put_kind(d, k);
    putc(' ', d->fp);
    vfprintf(d->fp, fmt, ap);
    if (werror) {
        fputs(" [", d->fp);
        color_on(d, SGR_ERROR);
        fputs("-Werror", d->fp);
        color_off(d);
        putc(']', d->fp);
    }
    putc('\n', d->fp);
    show_line(d, loc, line, col);
}

/* Counts one more error, or says there are too many and stops the run. */
static void count_error(diag *d)
{
    if (d->max_errors != 0 && d->n_errors == d->max_errors) {
        color_on(d, SGR_PLACE);
        fprintf(d->fp, "%s:", d->src->name);
        color_off(d);
        putc(' ', d->fp);
        put_kind(d, &kind_error);
        fprintf(d->fp, " too many errors (%u), stopping\n", d->max_errors);
        d->n_errors++;
        longjmp(*d->stop, DIAG_STOP);
    }
    d->n_errors++;
}

void diag_error(diag *d, ajc_loc loc, const char *fmt, ...)
{
    va_list ap;

    count_error(d);
    va_start(ap, fmt);
    report(d, loc, &kind_error, false, fmt, ap);
    va_end(ap);
}

void diag_warning(diag *d, ajc_loc loc, const char *fmt, ...)
{
    va_list ap;

    if (d->werror)
        count_error(d);
    else
        d->n_warnings++;
    va_start(ap, fmt);
    report(d, loc, d->werror ? &kind_error : &kind_warning, d->werror, fmt, ap);
    va_end(ap);
}

void diag_note(diag *d, ajc_loc loc, const char *fmt, ...)
{
    va_list ap;

    if (d->max_errors != 0 && d->n_errors > d->max_errors)
        return;
    va_start(ap, fmt);
    report(d, loc, &kind_note, false, fmt, ap);
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
