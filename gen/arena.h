/* arena.h: all of ajc's memory, released at once. */
#ifndef AJC_ARENA_H
#define AJC_ARENA_H

#include <setjmp.h>
#include <stddef.h>

typedef struct arena arena;

/* A new, empty arena, or NULL when memory runs out. Allocation failures
 * later jump to *oom (see arena_set_oom). */
arena *arena_new(void);

/* Frees every block of a, and a itself. NULL does nothing. */
void arena_free(arena *a);

/* Where arena_alloc() jumps with longjmp(*oom, 1) when malloc fails. Until it
 * is set, a failure aborts: set it before the first allocation. */
void arena_set_oom(arena *a, jmp_buf *oom);

/* size bytes aligned for any object; never NULL. */
void *arena_alloc(arena *a, size_t size);

/* Zeroed memory for n objects of size bytes each (overflow checked). */
void *arena_calloc(arena *a, size_t n, size_t size);

/* Requests of more than ARENA_BIG bytes get a malloc block of their own. */
#define ARENA_BIG ((size_t)16 * 1024)

/* Returns p, which arena_alloc() gave for a request of more than ARENA_BIG
 * bytes, to the system before the arena ends. Lets a growing buffer keep
 * one copy instead of every size it passed through. NULL does nothing. */
void arena_release(arena *a, void *p);

/* A slot whose non-NULL content arena_free() passes to free(): for the odd
 * buffer that libc allocates (open_memstream) and that must not leak if a
 * later allocation jumps out. The slot starts NULL. */
void **arena_owned_slot(arena *a);

/* A NUL-terminated copy of the n bytes at s. */
char *arena_strndup(arena *a, const char *s, size_t n);

/* Concatenation of NULL-terminated string arguments. */
char *arena_cat(arena *a, const char *first, ...);

/* Test hook: after n more successful mallocs, every malloc made by any
 * arena fails; n < 0 turns failures off (the default). */
void arena_fail_after(long n);

/* Test hook: after n more successful mallocs, the next one fails and those
 * after it succeed again. */
void arena_fail_once_after(long n);

/* Number of mallocs the hooks failed since the process started. */
long arena_failed_count(void);

/* Number of mallocs made since the process started (for the tests that walk
 * every allocation). */
long arena_malloc_count(void);

#endif
