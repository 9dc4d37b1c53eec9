/*
 * aj_write.h: layer 1 (base), the writer every picture uses (DOT, trace
 * JSON, Mermaid): it remembers the first failed write, so that a picture
 * ends in AJ_EIO, and it knows DOT's quoting and frame and JSON's.
 */
#ifndef AJ_WRITE_H
#define AJ_WRITE_H

#include "asyncjob.h"

#include <inttypes.h>

typedef struct aj__writer {
    FILE *out;
    bool failed; /* a write failed: later writes are skipped */
} aj__writer;

int aj__write_printf(aj__writer *w, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Flushes; AJ_EIO if any write failed. */
int aj__write_flush(aj__writer *w);

/* s as the inside of a DOT quoted string. */
void aj__dot_escaped(aj__writer *w, const char *s);
/* Starts the DOT graph of def ("digraph ... {"). */
void aj__dot_open(aj__writer *w, const aj_job_def *def);
/* tabs tab characters: DOT's indentation. */
void aj__dot_tabs(aj__writer *w, unsigned tabs);
/* Writes step i's node, indented by tabs. */
typedef void aj__dot_node_fn(aj__writer *w, uint32_t i, unsigned tabs, void *arg);
/* Every step's node through node: those of no sub-job in topological
 * order, then each sub-job (aj_job_def.subjobs) as a cluster labelled
 * "T1: fetch_table" holding its steps' nodes the same way. Both pictures
 * of a definition, ajc's and the runtime's, draw clusters so. */
void aj__dot_nodes(aj__writer *w, const aj_job_def *def, aj__dot_node_fn *node, void *arg);
/* Ends a DOT graph ("}") and flushes. */
int aj__dot_close(aj__writer *w);

/* s as the inside of a JSON string. */
void aj__json_escaped(aj__writer *w, const char *s);
/* s as a JSON string, quotes included. */
void aj__json_string(aj__writer *w, const char *s);
/* Nanoseconds (negative taken as 0) as microseconds with three decimals,
 * the unit of trace-event timestamps. */
void aj__json_us(aj__writer *w, int64_t ns);

#endif
