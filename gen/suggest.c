/*
 * suggest.c: the nearest known name to an unknown one, by optimal string
 * alignment distance (Levenshtein plus the swap of two adjacent letters,
 * the commonest typo), computed on three rows and abandoned once a whole
 * row exceeds the bound.
 */
#include "suggest.h"

#include <string.h>

#define NAME_MAX_SUGGEST 64 /* longer names are not compared */

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Distance between a and b, or bound + 1 when it is larger than bound. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb, size_t bound)
{
    size_t rows[3][NAME_MAX_SUGGEST + 1], *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

    if ((la > lb ? la - lb : lb - la) > bound)
        return bound + 1;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t row_min = cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
            row_min = cur[j] < row_min ? cur[j] : row_min;
        }
        if (row_min > bound)
            return bound + 1;
        size_t *t = prev2;
        prev2 = prev, prev = cur, cur = t;
    }
    return prev[lb];
}

const char *suggest_name(const char *wanted, void *const *items, size_t n,
                         suggest_name_of name_of)
{
    size_t lw = strlen(wanted), bound = lw < 6 ? 1 : lw / 3, best_d = bound + 1;
    const char *best = NULL;

    if (lw > NAME_MAX_SUGGEST)
        return NULL;
    /* best_d > 1 so that best_d - 1 is a bound worth searching for. */
    for (size_t i = 0; i < n && best_d > 1; i++) {
        const char *name = name_of(items[i]);
        size_t lc = strlen(name);
        if (lc > NAME_MAX_SUGGEST)
            continue;
        size_t d = distance(wanted, lw, name, lc, best_d - 1);
        if (d < best_d) {
            best_d = d;
            best = name;
        }
    }
    return best;
}
