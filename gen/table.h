/* table.h: the two containers ajc needs, both in the arena. */
#ifndef AJC_TABLE_H
#define AJC_TABLE_H

#include "arena.h"

#include <stdint.h>

/* A growable array of pointers. Zero-initialise, then vec_push. */
typedef struct vec {
    void **items;
    uint32_t n;
    uint32_t cap;
} vec;

void vec_push(arena *a, vec *v, void *item);

/* A hash table from NUL-terminated strings to pointers. Keys are not
 * copied: they must live as long as the table (arena strings do). */
typedef struct symtab {
    arena *arena;
    struct sym_slot *slots;
    uint32_t cap;        /* a power of two, or 0 before the first insert */
    uint32_t n;
} symtab;

void symtab_init(symtab *t, arena *a);

/* The value for key, or NULL. */
void *symtab_get(const symtab *t, const char *key);

/* Inserts key -> value unless key is present; returns the value already
 * there (and changes nothing), or NULL after inserting. */
void *symtab_put(symtab *t, const char *key, void *value);

#endif
