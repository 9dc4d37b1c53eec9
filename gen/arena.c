/*
 * arena.c: every byte ajc allocates, from one malloc call site.
 *
 * Memory comes in chunks that are freed together when the compilation ends,
 * so parser actions, error recovery and early exits cannot leak. A request
 * bigger than a quarter chunk gets a block of its own, which can be handed
 * back early with arena_release() (output buffers that double). When malloc
 * fails, arena_alloc() does not return: it jumps to the handler that
 * ajc_compile() set, which frees the arena and reports "out of memory".
 * block_malloc() is the only function that calls malloc, so the test hook
 * arena_fail_after() can fail any chosen allocation.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (ARENA_BIG * 4)
#define ALIGN _Alignof(max_align_t)

typedef struct block {
    struct block *next;
    struct block *prev;
    size_t size;       /* usable bytes after the header */
    size_t used;
} block;

/* Header rounded up so that data after it stays aligned. */
#define HEADER ((sizeof(block) + ALIGN - 1) / ALIGN * ALIGN)

typedef struct owned {
    struct owned *next;
    void *p;           /* freed by arena_free when not NULL */
} owned;

struct arena {
    block *head;       /* current chunk first; big blocks after it */
    owned *owned;      /* buffers from libc to free with the arena */
    jmp_buf *oom;
};

static long fail_after = -1;
static bool fail_once;      /* after the failure, mallocs succeed again */
static long malloc_count;
static long failed_count;

void arena_fail_after(long n)
{
    fail_after = n;
    fail_once = false;
}

void arena_fail_once_after(long n)
{
    fail_after = n;
    fail_once = true;
}

long arena_failed_count(void)
{
    return failed_count;
}

long arena_malloc_count(void)
{
    return malloc_count;
}

static void *block_malloc(size_t size)
{
    if (fail_after == 0) {
        failed_count++;
        if (fail_once)
            fail_after = -1;
        return NULL;
    }
    if (fail_after > 0)
        fail_after--;
    malloc_count++;
    return malloc(size);
}

static void out_of_memory(arena *a)
{
    if (a->oom == NULL)
        abort(); /* a caller bug: no handler installed */
    longjmp(*a->oom, 1);
}

arena *arena_new(void)
{
    arena *a = block_malloc(sizeof *a);
    if (a == NULL)
        return NULL;
    a->head = NULL;
    a->owned = NULL;
    a->oom = NULL;
    return a;
}

void arena_set_oom(arena *a, jmp_buf *oom)
{
    a->oom = oom;
}

void arena_free(arena *a)
{
    if (a == NULL)
        return;
    for (owned *o = a->owned; o != NULL; o = o->next)
        free(o->p);
    for (block *b = a->head, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

static block *block_new(arena *a, size_t size)
{
    if (size > SIZE_MAX - HEADER)
        out_of_memory(a);
    block *b = block_malloc(HEADER + size);
    if (b == NULL)
        out_of_memory(a);
    b->size = size;
    b->used = 0;
    b->prev = NULL;
    return b;
}

/* Big blocks go behind the current chunk so that it stays at the head. */
static void *alloc_big(arena *a, size_t size)
{
    block *b = block_new(a, size);
    b->used = size;
    if (a->head == NULL) {
        b->next = NULL;
        a->head = b;
    } else {
        b->next = a->head->next;
        b->prev = a->head;
        if (b->next != NULL)
            b->next->prev = b;
        a->head->next = b;
    }
    return (char *)b + HEADER;
}

void *arena_alloc(arena *a, size_t size)
{
    size = size == 0 ? ALIGN : (size + ALIGN - 1) / ALIGN * ALIGN;
    if (size == 0)
        out_of_memory(a); /* the rounding wrapped */
    if (size > ARENA_BIG)
        return alloc_big(a, size);
    block *b = a->head;
    if (b == NULL || b->size - b->used < size) {
        b = block_new(a, CHUNK_SIZE);
        b->next = a->head;
        if (a->head != NULL)
            a->head->prev = b;
        a->head = b;
    }
    void *p = (char *)b + HEADER + b->used;
    b->used += size;
    return p;
}

void *arena_calloc(arena *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        out_of_memory(a);
    void *p = arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

void arena_release(arena *a, void *p)
{
    if (p == NULL)
        return;
    block *b = (block *)(void *)((char *)p - HEADER);
    if (b->prev != NULL)
        b->prev->next = b->next;
    else
        a->head = b->next;
    if (b->next != NULL)
        b->next->prev = b->prev;
    free(b);
}

void **arena_owned_slot(arena *a)
{
    owned *o = arena_alloc(a, sizeof *o);
    o->p = NULL;
    o->next = a->owned;
    a->owned = o;
    return &o->p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_cat(arena *a, const char *first, ...)
{
    va_list ap;
    size_t len = 0;

    va_start(ap, first);
    for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
        len += strlen(s);
    va_end(ap);
    char *p = arena_alloc(a, len + 1), *w = p;
    va_start(ap, first);
    for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
        size_t n = strlen(s);
        memcpy(w, s, n);
        w += n;
    }
    va_end(ap);
    *w = '\0';
    return p;
}
