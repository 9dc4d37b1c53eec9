/*
 * src.c: the source file in memory, and offsets turned into line:col.
 *
 * Tokens carry byte offsets only. The table of line starts is built the
 * first time a position is asked for (that is, when a message is printed),
 * in one pass; each lookup is then a binary search.
 */
#include "src.h"

#include <string.h>

void src_init(src *s, arena *a, const char *name, const char *text, uint32_t len)
{
    char *copy = arena_alloc(a, (size_t)len + 2);
    memcpy(copy, text, len);
    copy[len] = '\0';
    copy[len + 1] = '\0';
    s->name = name;
    s->text = copy;
    s->len = len;
    s->arena = a;
    s->lines = NULL;
    s->n_lines = 0;
}

static void build_lines(src *s)
{
    uint32_t n = 1;
    for (uint32_t i = 0; i < s->len; i++)
        n += s->text[i] == '\n';
    s->lines = arena_alloc(s->arena, (size_t)n * sizeof *s->lines);
    s->lines[0] = 0;
    n = 1;
    for (uint32_t i = 0; i < s->len; i++)
        if (s->text[i] == '\n')
            s->lines[n++] = i + 1;
    s->n_lines = n;
}

void src_pos(src *s, uint32_t offset, uint32_t *line, uint32_t *col)
{
    if (s->lines == NULL)
        build_lines(s);
    if (offset > s->len)
        offset = s->len;
    uint32_t lo = 0, hi = s->n_lines; /* the answer is in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->lines[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    *line = lo + 1;
    *col = offset - s->lines[lo] + 1;
}

void src_line(src *s, uint32_t line, uint32_t *begin, uint32_t *end)
{
    if (s->lines == NULL)
        build_lines(s);
    *begin = s->lines[line - 1];
    *end = line < s->n_lines ? s->lines[line] - 1 : s->len;
    if (*end > *begin && s->text[*end - 1] == '\r' && *end < s->len)
        (*end)--;
}

char *src_text(src *s, ajc_loc loc)
{
    return arena_strndup(s->arena, s->text + loc.begin, loc.end - loc.begin);
}
