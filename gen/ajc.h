/* ajc.h: the compiler as a function, from a buffer to texts in memory. */
#ifndef AJC_AJC_H
#define AJC_AJC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct ajc_input {
    const char *name;   /* the path as given: messages, #line and .source use it */
    const char *text;   /* len bytes; any bytes at all */
    size_t len;
} ajc_input;

typedef struct ajc_options {
    bool dot;            /* produce the DOT text instead of C */
    bool check;          /* check only: produce nothing */
    bool no_line;        /* no #line directives */
    const char *h_path;  /* the header's path as written, for #line; NULL: NAME.h */
    const char *c_path;  /* the source's path as written, for #line; NULL: NAME.c */
    FILE *diag;          /* where messages go */
    unsigned max_errors; /* stop after this many errors; 0: no limit */
    bool werror;         /* warnings are errors: the input is then rejected */
    bool color;          /* messages in gcc's colours (ANSI escapes) */
} ajc_options;

#define AJC_MAX_ERRORS 50 /* what the command line uses */

typedef struct ajc_output {
    const char *h, *c, *dot;   /* NULL when not produced */
    size_t h_len, c_len, dot_len;
    unsigned n_errors;
    unsigned n_warnings;
    struct arena *arena;       /* owns the texts */
} ajc_output;

/* Compiles in: reports to o->diag and fills *out. Returns 0 (accepted,
 * warnings allowed), 1 (input rejected; nothing produced) or 2 (out of
 * memory or input too large, after one line "ajc: <reason>"). Never exits,
 * aborts on input, or touches the file system; *res must be released with
 * ajc_output_free() whatever the result. */
int ajc_compile(const ajc_input *in, const ajc_options *o, ajc_output *res);

void ajc_output_free(ajc_output *res);

/* The part of path after its last '/'. */
const char *ajc_basename(const char *path);

#endif
