/* graph.h: a job's schedule: topological order, levels, edges. */
#ifndef AJC_GRAPH_H
#define AJC_GRAPH_H

#include "ast.h"

typedef struct sched sched;

typedef struct sched_edge {
    uint32_t from;   /* step index */
    uint32_t to;     /* step index */
    uint32_t kind;   /* AST_EDGE_DATA, AST_EDGE_AFTER or both */
} sched_edge;

/* A job's schedule, graph.c's result. What aj_job_def needs, in the order
 * its comments in asyncjob.h define:
 * order[] by (level, declaration index), edges[] by (position of source in
 * order, position of target). Arrays are indexed by step unless noted. */
struct sched {
    uint32_t n_steps;
    uint32_t *order;       /* by position: step index */
    uint32_t *level;       /* longest path from a root */
    uint32_t *n_preds;     /* distinct predecessors */
    uint32_t *first_edge;  /* its out-edges: edges[first_edge .. +n_succs) */
    uint32_t *n_succs;
    uint32_t n_roots;
    uint32_t n_levels;
    uint32_t n_edges;
    sched_edge *edges;     /* NULL when n_edges is 0 */
};

/* The schedule of j from its steps' resolved predecessors (sema), or NULL
 * after reporting every cycle, naming its steps. Iterative, O(steps +
 * edges). */
sched *graph_schedule(arena *a, diag *d, const ast_job *j);

#endif
