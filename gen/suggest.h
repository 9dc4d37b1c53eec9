/* suggest.h: "did you mean" for a name that was not found. */
#ifndef AJC_SUGGEST_H
#define AJC_SUGGEST_H

#include <stddef.h>

/* The name of one of n items, as name_of tells it. */
typedef const char *(*suggest_name_of)(const void *item);

/* The closest of the items' names to wanted, by edits (insert, delete,
 * replace, swap of two neighbours), if it is close enough to be a likely
 * typo: at most one edit for short names, a third of the length for longer
 * ones; the first declared wins a tie. NULL when none is. Linear in n;
 * each comparison stops as soon as it is past the bound. */
const char *suggest_name(const char *wanted, void *const *items, size_t n,
                         suggest_name_of name_of);

#endif
