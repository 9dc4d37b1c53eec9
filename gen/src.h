/* src.h: the loaded .job file and the mapping from byte offsets to lines. */
#ifndef AJC_SRC_H
#define AJC_SRC_H

#include "arena.h"

#include <stdint.h>

/* A range of bytes in the source: [begin, end). Tokens and nodes carry it;
 * line and column are computed only when a message is printed. */
typedef struct ajc_loc {
    uint32_t begin;
    uint32_t end;
} ajc_loc;

typedef struct src {
    const char *name;   /* as given on the command line */
    const char *text;   /* len bytes, then two NUL bytes (the lexer's sentinel) */
    uint32_t len;
    arena *arena;
    uint32_t *lines;    /* offset of each line start; built on first use */
    uint32_t n_lines;
} src;

/* Files at or above this size are refused before lexing: the scanner takes
 * an int length. */
#define SRC_MAX_LEN ((uint32_t)0x7FFFFF00u)

/* Copies len bytes of text into a (adding the sentinel). len < SRC_MAX_LEN. */
void src_init(src *s, arena *a, const char *name, const char *text, uint32_t len);

/* 1-based line and byte column of offset (len is allowed: end of file). */
void src_pos(src *s, uint32_t offset, uint32_t *line, uint32_t *col);

/* [*begin, *end) of 1-based line, without its LF and a CR before it. */
void src_line(src *s, uint32_t line, uint32_t *begin, uint32_t *end);

/* The source text of loc as a new NUL-terminated string. */
char *src_text(src *s, ajc_loc loc);

#endif
