/* aj_dot.h: the writer shared by every picture (DOT, trace JSON, Mermaid):
 * it remembers the first failed write, so a picture ends in AJ_EIO. */
#ifndef AJ_DOT_H
#define AJ_DOT_H

#include "asyncjob.h"

#include <inttypes.h>

typedef struct aj__dot {
    FILE *out;
    bool failed; /* a write failed: later writes are skipped */
} aj__dot;

int aj__dot_printf(aj__dot *d, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void aj__dot_escaped(aj__dot *d, const char *s);
void aj__dot_open(aj__dot *d, const aj_job_def *def);
/* Flushes; AJ_EIO if any write failed. */
int aj__dot_flush(aj__dot *d);
/* Ends a DOT graph ("}") and flushes. */
int aj__dot_close(aj__dot *d);

#endif
