/*
 * out.c: the text writer of the C emitters.
 *
 * Output goes into one arena buffer that doubles (the old copy is given
 * back), and the writer counts the newlines written so far when a #line
 * directive pointing back into the generated file needs the number.
 */
#include "out.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void out_init(out *o, arena *a, const char *name, bool sync)
{
    o->arena = a;
    o->buf = NULL;
    o->len = 0;
    o->cap = 0;
    o->name = name;
    o->line = 1;
    o->counted = 0;
    o->sync = sync;
}

void out_reserve(out *o, size_t n)
{
    if (o->cap - o->len > n)
        return;
    size_t cap = o->cap == 0 ? 4096 : o->cap;
    while (cap - o->len <= n)
        cap *= 2;
    char *buf = arena_alloc(o->arena, cap);
    if (o->len > 0)
        memcpy(buf, o->buf, o->len);
    if (o->cap > ARENA_BIG)
        arena_release(o->arena, o->buf);
    o->buf = buf;
    o->cap = cap;
}

void out_write(out *o, const char *s, size_t n)
{
    out_reserve(o, n);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

uint32_t out_line(out *o)
{
    const char *end = o->buf + o->len;

    for (const char *p = o->buf + o->counted; p < end && (p = memchr(p, '\n', (size_t)(end - p)));
         p++)
        o->line++;
    o->counted = o->len;
    return o->line;
}

void out_puts(out *o, const char *s)
{
    out_write(o, s, strlen(s));
}

void out_printf(out *o, const char *fmt, ...)
{
    va_list ap;
    char small[256];

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return; /* no conversion here can fail */
    if ((size_t)n < sizeof small) {
        out_write(o, small, (size_t)n);
        return;
    }
    char *big = arena_alloc(o->arena, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out_write(o, big, (size_t)n);
}

void out_strs(out *o, const char *first, ...)
{
    va_list ap;

    va_start(ap, first);
    for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
        out_puts(o, s);
    va_end(ap);
}

void out_u32(out *o, uint32_t v)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[sizeof digits - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out_write(o, digits + sizeof digits - n, n);
}

void out_cstring(out *o, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\' || c == '"')
            out_printf(o, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            out_printf(o, "\\%03o", c);
        else
            out_write(o, s, 1);
    }
}

void out_line_to(out *o, uint32_t line, const char *file)
{
    if (!o->sync)
        return;
    out_puts(o, "#line ");
    out_u32(o, line);
    out_puts(o, " \"");
    out_cstring(o, file);
    out_puts(o, "\"\n");
}

void out_line_back(out *o)
{
    out_line_to(o, out_line(o) + 1, o->name);
}

void out_decl(out *o, const char *ctype, const char *name)
{
    size_t n = strlen(ctype);
    out_write(o, ctype, n);
    if (n == 0 || ctype[n - 1] != '*')
        out_write(o, " ", 1);
    out_puts(o, name);
}
