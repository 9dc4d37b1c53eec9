/* out.h: a growing text buffer that counts lines, for #line directives. */
#ifndef AJC_OUT_H
#define AJC_OUT_H

#include "arena.h"
#include "diag.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct out {
    arena *arena;
    char *buf;
    size_t len;
    size_t cap;
    const char *name;  /* this file's name, exactly as #line spells it */
    uint32_t line;     /* 1-based number of the line buf[counted] is on */
    size_t counted;    /* newlines counted in buf[0..counted): out_line */
    bool sync;         /* write #line directives (false under --no-line) */
} out;

void out_init(out *o, arena *a, const char *name, bool sync);
void out_write(out *o, const char *s, size_t n);

/* Makes room for n more bytes at once: an estimate of the whole output
 * saves the copies of a buffer that doubles its way up. */
void out_reserve(out *o, size_t n);
void out_puts(out *o, const char *s);
void out_printf(out *o, const char *fmt, ...) AJC_PRINTF(2, 3);
void out_u32(out *o, uint32_t v);

/* Writes each string argument in turn, up to a NULL: the hot paths use it
 * instead of out_printf, which parses a format every call. */
void out_strs(out *o, const char *first, ...);

/* s as the inside of a C string literal: \ " and control bytes escaped. */
void out_cstring(out *o, const char *s);

/* `#line LINE "FILE"`: the next line is LINE of FILE. Nothing when !sync. */
void out_line_to(out *o, uint32_t line, const char *file);

/* From the next line on, compiler messages point back at this file. */
void out_line_back(out *o);

/* 1-based number of the line being written. Lines are counted here, when
 * asked, not at every write. */
uint32_t out_line(out *o);

/* `TYPE NAME` as C declares it: "T *name", "T name". */
void out_decl(out *o, const char *ctype, const char *name);

#endif
