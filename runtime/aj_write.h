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
/* Ends a DOT graph ("}") and flushes. */
int aj__dot_close(aj__writer *w);

/* Where a node lies in a picture with sub-jobs: the sub-job steps that
 * lead to it from the top job, outermost first (NULL: the top job). */
typedef struct aj__dot_path {
    const struct aj__dot_path *up;
    uint32_t step;
} aj__dot_path;
/* Step i's node name under p: "s2/s0" for step 0 of the job that step 2
 * runs, "s0" at the top. */
void aj__dot_node(aj__writer *w, const aj__dot_path *p, uint32_t i);
/* The indent of a line under p: a tab per cluster, and one more. */
void aj__dot_indent(aj__writer *w, const aj__dot_path *p);
/* `"from" -> "to" ` under p, indented. */
void aj__dot_edge_ends(aj__writer *w, const aj__dot_path *p, uint32_t from, uint32_t to);
/* Opens the cluster of sub-job step i of def under p: "subgraph
 * \"cluster_s2\" {" and its label "T1: job". */
void aj__dot_cluster_open(aj__writer *w, const aj__dot_path *p, uint32_t i,
                          const aj_job_def *def);

/* s as the inside of a JSON string. */
void aj__json_escaped(aj__writer *w, const char *s);
/* s as a JSON string, quotes included. */
void aj__json_string(aj__writer *w, const char *s);
/* Nanoseconds (negative taken as 0) as microseconds with three decimals,
 * the unit of trace-event timestamps. */
void aj__json_us(aj__writer *w, int64_t ns);

#endif
