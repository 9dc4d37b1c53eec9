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
} diag;

void diag_init(diag *d, src *s, FILE *fp, unsigned max_errors, jmp_buf *stop);

/* FILE:LINE:COL: error: MESSAGE, the source line and a caret under loc. */
void diag_error(diag *d, ajc_loc loc, const char *fmt, ...) AJC_PRINTF(3, 4);
void diag_warning(diag *d, ajc_loc loc, const char *fmt, ...) AJC_PRINTF(3, 4);

/* Points at a place related to the previous error or warning. */
void diag_note(diag *d, ajc_loc loc, const char *fmt, ...) AJC_PRINTF(3, 4);

#endif
