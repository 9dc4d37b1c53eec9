/* diag.h: errors, warnings and notes, in the format editors read. */
#ifndef AJC_DIAG_H
#define AJC_DIAG_H

#include "src.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>

#if defined(__GNUC__) || defined(__clang__)
#define AJC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AJC_PRINTF(f, a)
#endif

/* The value diag_error() passes to longjmp once max_errors is exceeded. */
#define DIAG_STOP 2

typedef struct diag {
    FILE *fp;             /* where messages go */
    src *src;
    unsigned n_errors;
    unsigned n_warnings;
    unsigned max_errors;  /* after this many errors, stop; 0: no limit */
    jmp_buf *stop;        /* longjmp(*stop, DIAG_STOP) when too many */
    unsigned n_syntax_errors; /* lexer and parser errors, dropped ones too */
    uint32_t lex_error_end;   /* parser errors up to here follow a lexer error */
    bool lex_error;
    bool werror;          /* warnings are errors, as gcc's -Werror */
    bool color;           /* gcc's colours (ANSI escapes) */
} diag;

/* Plain messages, warnings as warnings; set werror and color after it. */
void diag_init(diag *d, src *s, FILE *fp, unsigned max_errors, jmp_buf *stop);

/* FILE:LINE:COL: error: MESSAGE, the source line and a caret under loc.
 * Under werror a warning is an error, "MESSAGE [-Werror]", counted and
 * capped as errors are. */
void diag_error(diag *d, ajc_loc loc, const char *fmt, ...) AJC_PRINTF(3, 4);
void diag_warning(diag *d, ajc_loc loc, const char *fmt, ...) AJC_PRINTF(3, 4);

/* Points at a place related to the previous error or warning. */
void diag_note(diag *d, ajc_loc loc, const char *fmt, ...) AJC_PRINTF(3, 4);

/* Syntax errors. The lexer reports a bad byte itself, and the parser's
 * complaint about the same place (up to the next token, which the lexer
 * marks with diag_lex_silence) is dropped: one bad byte, one message. */
void diag_lex_error(diag *d, ajc_loc loc, const char *fmt, ...) AJC_PRINTF(3, 4);
void diag_lex_silence(diag *d, ajc_loc loc);
void diag_syntax_error(diag *d, ajc_loc loc, const char *fmt, ...) AJC_PRINTF(3, 4);

/* No error of any kind so far, dropped syntax errors included. */
bool diag_clean(const diag *d);

#endif
