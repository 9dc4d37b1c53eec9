/*
 * table.c: a pointer vector and a string hash table (open addressing,
 * linear probing, FNV-1a), so that every name lookup in ajc is O(1) and a
 * 100,000-step file stays linear. Arrays that grow past ARENA_BIG bytes give
 * their old copy back to the system.
 */
#include "table.h"

#include <string.h>

struct sym_slot {
    const char *key;
    void *value;
};

static void release_old(arena *a, void *old, size_t bytes)
{
    if (bytes > ARENA_BIG)
        arena_release(a, old);
}

void vec_push(arena *a, vec *v, void *item)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap == 0 ? 4 : v->cap * 2;
        void **items = arena_alloc(a, (size_t)cap * sizeof *items);
        if (v->n > 0)
            memcpy(items, v->items, (size_t)v->n * sizeof *items);
        release_old(a, v->items, (size_t)v->cap * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = item;
}

void symtab_init(symtab *t, arena *a)
{
    t->arena = a;
    t->slots = NULL;
    t->cap = 0;
    t->n = 0;
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static struct sym_slot *find(struct sym_slot *slots, uint32_t cap, const char *key)
{
    uint32_t i = hash(key) & (cap - 1);
    while (slots[i].key != NULL && strcmp(slots[i].key, key) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void grow(symtab *t)
{
    uint32_t cap = t->cap == 0 ? 16 : t->cap * 2;
    struct sym_slot *slots = arena_calloc(t->arena, cap, sizeof *slots);
    for (uint32_t i = 0; i < t->cap; i++)
        if (t->slots[i].key != NULL)
            *find(slots, cap, t->slots[i].key) = t->slots[i];
    release_old(t->arena, t->slots, (size_t)t->cap * sizeof *slots);
    t->slots = slots;
    t->cap = cap;
}

void *symtab_get(const symtab *t, const char *key)
{
    if (t->cap == 0)
        return NULL;
    return find(t->slots, t->cap, key)->value;
}

void *symtab_put(symtab *t, const char *key, void *value)
{
    if ((t->n + 1) * 2 > t->cap)
        grow(t);
    struct sym_slot *s = find(t->slots, t->cap, key);
    if (s->key != NULL)
        return s->value;
    s->key = key;
    s->value = value;
    t->n++;
    return NULL;
}
