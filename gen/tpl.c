/*
 * tpl.c: templates and wrapped lists over the out writer.
 *
 * A template is scanned once per use: the text between two '$' is looked
 * up among a handful of names, so a table row costs about what the same
 * row written piece by piece costs, and 100,000 rows stay well under a
 * second.
 */
#include "tpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *var_value(const char *name, size_t len, const char *const *vars)
{
    for (; vars[0] != NULL; vars += 2)
        if (strncmp(vars[0], name, len) == 0 && vars[0][len] == '\0')
            return vars[1];
    fprintf(stderr, "ajc: internal error: template variable '%.*s' has no value\n",
            (int)len, name);
    abort();
}

size_t tpl_len(const char *tpl, const char *const *vars)
{
    size_t len = 0;
    for (const char *p = tpl; *p != '\0'; p++) {
        const char *end = *p == '$' ? strchr(p + 1, '$') : NULL;
        if (end == NULL) {
            len++;
            continue;
        }
        len += strlen(var_value(p + 1, (size_t)(end - p - 1), vars));
        p = end;
    }
    return len;
}

const char *tpl_spaces(size_t n)
{
    static const char spaces[] = "                                                                ";
    return n < sizeof spaces ? spaces + (sizeof spaces - 1 - n) : spaces;
}

void tpl_out(out *o, const char *tpl, const char *const *vars)
{
    for (;;) {
        const char *dollar = strchr(tpl, '$');
        if (dollar == NULL) {
            out_puts(o, tpl);
            return;
        }
        out_write(o, tpl, (size_t)(dollar - tpl));
        const char *name = dollar + 1, *end = strchr(name, '$');
        if (end == NULL)
            end = name + strlen(name); /* var_value reports it */
        out_puts(o, var_value(name, (size_t)(end - name), vars));
        tpl = *end != '\0' ? end + 1 : end;
    }
}

const char *tpl_u32(char buf[TPL_NUM], uint32_t v)
{
    char *w = buf + TPL_NUM - 1;
    *w = '\0';
    do {
        *--w = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return w;
}

const char *tpl_i64(char buf[TPL_NUM], int64_t v)
{
    snprintf(buf, TPL_NUM, "%lld", (long long)v);
    return buf;
}

/* Columns written since the last line break. */
static size_t column(const out *o)
{
    size_t i = o->len;
    while (i > 0 && o->buf[i - 1] != '\n')
        i--;
    return o->len - i;
}

void tpl_list_open(tpl_list *l, out *o, const char *head, uint32_t line, const char *file)
{
    out_puts(o, head);
    l->o = o;
    l->indent = column(o);
    l->col = l->indent;
    l->line = line;
    l->file = file;
    l->n = 0;
}

static void continuation(tpl_list *l)
{
    out_puts(l->o, ",\n");
    if (l->line != 0)
        out_line_to(l->o, l->line, l->file);
    for (size_t i = 0; i < l->indent; i++)
        out_write(l->o, " ", 1);
    l->col = l->indent;
}

void tpl_list_break(tpl_list *l)
{
    continuation(l);
    l->n = 0;
}

void tpl_list_item(tpl_list *l, const char *a, const char *b)
{
    tpl_list_item3(l, a, b, NULL);
}

void tpl_list_item3(tpl_list *l, const char *a, const char *b, const char *c)
{
    size_t len = strlen(a) + (b != NULL ? strlen(b) : 0) + (c != NULL ? strlen(c) : 0);
    /* Room for ", " before and a closing ");" after. */
    if (l->n > 0 && l->col + 2 + len + 2 > TPL_WIDTH) {
        continuation(l);
    } else if (l->n > 0) {
        out_puts(l->o, ", ");
        l->col += 2;
    }
    out_puts(l->o, a);
    if (b != NULL)
        out_puts(l->o, b);
    if (c != NULL)
        out_puts(l->o, c);
    l->col += len;
    l->n++;
}

void tpl_list_decl(tpl_list *l, const char *ctype, const char *name)
{
    size_t n = strlen(ctype);
    bool star = n > 0 && ctype[n - 1] == '*';
    char *decl = arena_cat(l->o->arena, ctype, star ? "" : " ", name, NULL);
    tpl_list_item(l, decl, NULL);
}

void tpl_list_close(tpl_list *l, const char *tail)
{
    out_puts(l->o, tail);
}
