/*
 * graph.c: cycles and the static schedule of one job.
 *
 * Kahn's algorithm gives the levels (longest path from a root) and finds
 * whether every step can be ordered. If some cannot, each of them still
 * has an unordered predecessor, so walking from one to such a predecessor,
 * and so on, must come back to a step already on the walk: that closes a
 * cycle. Walks never revisit a step, so every cycle report together costs
 * O(steps + edges), and nothing here recurses: a 10,000-step cycle is as
 * safe as a short one.
 */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CYCLE_SHOWN 40  /* longer cycles name their first and last steps */

typedef struct graph {
    arena *arena;
    diag *diag;
    const ast_job *job;
    uint32_t n;
    uint32_t *succ_start;  /* CSR by step: successors in declaration order */
    uint32_t *succ;
    uint32_t *remaining;   /* unordered predecessors */
} graph;

static const ast_step *step_at(const graph *g, uint32_t i)
{
    return ast_job_step(g->job, i);
}

/* The index of the step that pred k of step t comes from. */
static uint32_t pred_from(const graph *g, uint32_t t, uint32_t k)
{
    return ast_step_pred(step_at(g, t), k)->from->index;
}

static void build_succ(graph *g, sched *s)
{
    uint32_t *fill = arena_calloc(g->arena, g->n, sizeof *fill);
    g->succ_start = arena_calloc(g->arena, (size_t)g->n + 1, sizeof *g->succ_start);
    for (uint32_t t = 0; t < g->n; t++) {
        s->n_preds[t] = step_at(g, t)->preds.n;
        for (uint32_t k = 0; k < s->n_preds[t]; k++)
            g->succ_start[pred_from(g, t, k) + 1]++;
    }
    for (uint32_t i = 0; i < g->n; i++)
        g->succ_start[i + 1] += g->succ_start[i];
    s->n_edges = g->succ_start[g->n];
    g->succ = arena_alloc(g->arena, (size_t)s->n_edges * sizeof *g->succ + 1);
    for (uint32_t t = 0; t < g->n; t++) {
        for (uint32_t k = 0; k < s->n_preds[t]; k++) {
            uint32_t from = pred_from(g, t, k);
            g->succ[g->succ_start[from] + fill[from]++] = t;
        }
    }
}

/* Kahn's algorithm; returns the number of steps it could order. */
static uint32_t kahn(graph *g, sched *s)
{
    uint32_t *queue = arena_alloc(g->arena, (size_t)g->n * sizeof *queue);
    uint32_t head = 0, tail = 0;
    g->remaining = arena_alloc(g->arena, (size_t)g->n * sizeof *g->remaining);
    for (uint32_t i = 0; i < g->n; i++) {
        g->remaining[i] = s->n_preds[i];
        s->level[i] = 0;
        if (g->remaining[i] == 0)
            queue[tail++] = i;
    }
    s->n_roots = tail;
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t k = g->succ_start[u]; k < g->succ_start[u + 1]; k++) {
            uint32_t v = g->succ[k];
            if (s->level[v] < s->level[u] + 1)
                s->level[v] = s->level[u] + 1;
            if (--g->remaining[v] == 0)
                queue[tail++] = v;
        }
    }
    return tail;
}

/* order[] by (level, declaration): a stable counting sort. */
static void sort_order(graph *g, sched *s)
{
    s->n_levels = 0;
    for (uint32_t i = 0; i < g->n; i++)
        if (s->level[i] + 1 > s->n_levels)
            s->n_levels = s->level[i] + 1;
    uint32_t *start = arena_calloc(g->arena, (size_t)s->n_levels + 1, sizeof *start);
    for (uint32_t i = 0; i < g->n; i++)
        start[s->level[i] + 1]++;
    for (uint32_t l = 0; l < s->n_levels; l++)
        start[l + 1] += start[l];
    for (uint32_t i = 0; i < g->n; i++)
        s->order[start[s->level[i]]++] = i;
}

/* edges[] grouped by source in order[], each group by target position:
 * visiting targets in order[] fills every group already sorted. */
static void sort_edges(graph *g, sched *s)
{
    uint32_t *fill = arena_calloc(g->arena, g->n, sizeof *fill);
    uint32_t next = 0;
    for (uint32_t k = 0; k < g->n; k++) {
        uint32_t i = s->order[k];
        s->first_edge[i] = next;
        s->n_succs[i] = g->succ_start[i + 1] - g->succ_start[i];
        next += s->n_succs[i];
    }
    s->edges = s->n_edges == 0 ? NULL : arena_alloc(g->arena, s->n_edges * sizeof *s->edges);
    for (uint32_t k = 0; k < g->n; k++) {
        const ast_step *t = step_at(g, s->order[k]);
        for (uint32_t p = 0; p < t->preds.n; p++) {
            const ast_pred *pred = ast_step_pred(t, p);
            uint32_t from = pred->from->index;
            sched_edge *e = &s->edges[s->first_edge[from] + fill[from]++];
            e->from = from;
            e->to = t->index;
            e->kind = pred->kind;
        }
    }
}

/* Appends s and then sep to the message being built at *w. */
static char *put(char *w, const char *s, const char *sep)
{
    size_t n = strlen(s), m = strlen(sep);
    memcpy(w, s, n);
    memcpy(w + n, sep, m);
    return w + n + m;
}

/* "A -> B -> C -> A" for the m steps of cyc (in cycle order); a cycle
 * longer than CYCLE_SHOWN names its first and last steps and says how many
 * it leaves out. */
static char *cycle_text(graph *g, const uint32_t *cyc, uint32_t m)
{
    uint32_t head = m > CYCLE_SHOWN ? CYCLE_SHOWN / 2 : m;
    uint32_t tail_from = m > CYCLE_SHOWN ? m - (CYCLE_SHOWN / 2 - 1) : m;
    char gap[80];
    snprintf(gap, sizeof gap, "... (%u more steps) -> ", (unsigned)(tail_from - head));
    size_t len = strlen(gap) + strlen(step_at(g, cyc[0])->name.name) + 1;
    for (uint32_t i = 0; i < m; i++)
        if (i < head || i >= tail_from)
            len += strlen(step_at(g, cyc[i])->name.name) + 4;
    char *text = arena_alloc(g->arena, len), *w = text;
    for (uint32_t i = 0; i < m; i++) {
        if (i == head && head < tail_from)
            w = put(w, gap, "");
        if (i < head || i >= tail_from)
            w = put(w, step_at(g, cyc[i])->name.name, " -> ");
    }
    w = put(w, step_at(g, cyc[0])->name.name, "");
    *w = '\0';
    return text;
}

/* back[0..m) is a walk against the edges: back[i+1] feeds back[i], and
 * back[0] feeds back[m-1]. Reports the cycle forward, from its first
 * declared step, at the reference that closes it. */
static void report_cycle(graph *g, const uint32_t *back, uint32_t m)
{
    uint32_t *cyc = arena_alloc(g->arena, (size_t)m * sizeof *cyc);
    uint32_t first = 0;
    for (uint32_t i = 0; i < m; i++)
        if (back[(m - i) % m] < back[(m - first) % m])
            first = i;
    for (uint32_t i = 0; i < m; i++)
        cyc[i] = back[(m - (first + i) % m) % m];
    const ast_step *s0 = step_at(g, cyc[0]);
    ajc_loc at = s0->name.loc;
    for (uint32_t k = 0; k < s0->preds.n; k++) {
        const ast_pred *p = ast_step_pred(s0, k);
        if (p->from->index == cyc[m - 1])
            at = p->loc;
    }
    diag_error(g->diag, at, "steps of job '%s' form a cycle: %s", g->job->name.name,
               cycle_text(g, cyc, m));
}

static uint32_t unordered_pred(const graph *g, uint32_t v)
{
    for (uint32_t k = 0; k < step_at(g, v)->preds.n; k++) {
        uint32_t from = pred_from(g, v, k);
        if (g->remaining[from] > 0)
            return from;
    }
    fprintf(stderr, "ajc: internal error: unordered step with no unordered predecessor\n");
    abort();
}

static void report_cycles(graph *g)
{
    uint32_t *walk = arena_calloc(g->arena, g->n, sizeof *walk);
    uint32_t *path = arena_alloc(g->arena, (size_t)g->n * sizeof *path);
    uint32_t *path_pos = arena_alloc(g->arena, (size_t)g->n * sizeof *path_pos);
    uint32_t walk_id = 0;
    for (uint32_t start = 0; start < g->n; start++) {
        if (g->remaining[start] == 0 || walk[start] != 0)
            continue;
        uint32_t len = 0, v = start;
        walk_id++;
        while (walk[v] == 0) {
            walk[v] = walk_id;
            path_pos[v] = len;
            path[len++] = v;
            v = unordered_pred(g, v);
        }
        if (walk[v] == walk_id)
            report_cycle(g, path + path_pos[v], len - path_pos[v]);
    }
}

sched *graph_schedule(arena *a, diag *d, const ast_job *j)
{
    graph g = { a, d, j, j->steps.n, NULL, NULL, NULL };
    sched *s = arena_calloc(a, 1, sizeof *s);
    s->n_steps = g.n;
    s->order = arena_alloc(a, (size_t)g.n * sizeof *s->order);
    s->level = arena_alloc(a, (size_t)g.n * sizeof *s->level);
    s->n_preds = arena_alloc(a, (size_t)g.n * sizeof *s->n_preds);
    s->first_edge = arena_alloc(a, (size_t)g.n * sizeof *s->first_edge);
    s->n_succs = arena_alloc(a, (size_t)g.n * sizeof *s->n_succs);
    build_succ(&g, s);
    if (kahn(&g, s) < g.n) {
        report_cycles(&g);
        return NULL;
    }
    sort_order(&g, s);
    sort_edges(&g, s);
    return s;
}
