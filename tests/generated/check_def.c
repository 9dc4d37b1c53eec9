/*
 * check_def.c: recomputes what ajc's schedule must be from the edge list
 * alone, by a different method (relaxing levels until nothing changes),
 * and compares: order is a permutation sorted by (level, declaration),
 * roots come first, levels are longest paths, edges are distinct and
 * sorted by the order positions of source then target, each step's
 * first_succ/n_succs is its run of succs[] (in step order) and repeats
 * the targets of its out-edges,
 * n_preds counts its in-edges, the flags say whether it has a timeout,
 * and each output's slot has its type's size inside the outputs block.
 */
#include "check_def.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each step's successor run follows the previous step's. */
static const char *check_succ_runs(const aj_job_def *d)
{
    uint32_t next = 0;

    for (uint32_t i = 0; i < d->n_steps; i++) {
        if (d->exec[i].first_succ != next)
            return "successor runs not laid out in step order";
        next += d->exec[i].n_succs;
    }
    return next == d->n_edges ? NULL : "successor runs do not add up to the edges";
}

static const char *check_edges(const aj_job_def *d, const uint32_t *pos)
{
    const char *err = check_succ_runs(d);

    for (uint32_t k = 0, n = 0; err == NULL && k < d->n_edges; k++) {
        const aj_edge_def *e = &d->edges[k];
        if (e->from >= d->n_steps || e->to >= d->n_steps || e->kind == 0 || e->kind > 3)
            return "edge out of range";
        if (k > 0) {
            const aj_edge_def *p = &d->edges[k - 1];
            if (pos[p->from] > pos[e->from] ||
                (p->from == e->from && pos[p->to] >= pos[e->to]))
                return "edges not sorted by (source position, target position) or repeated";
            n = p->from == e->from ? n + 1 : 0;
        }
        const aj_step_exec *x = &d->exec[e->from];
        if (n >= x->n_succs)
            return "more out-edges than the source's n_succs";
        if (d->succs[x->first_succ + n] != e->to)
            return "succs[] differs from the edges' targets";
    }
    return err;
}

static const char *check_levels(const aj_job_def *d, uint32_t *level, uint32_t *preds)
{
    /* Longest paths by relaxation: at most n_steps rounds in a DAG. */
    for (uint32_t round = 0; round <= d->n_steps; round++) {
        int changed = 0;
        for (uint32_t k = 0; k < d->n_edges; k++) {
            const aj_edge_def *e = &d->edges[k];
            if (level[e->to] < level[e->from] + 1) {
                level[e->to] = level[e->from] + 1;
                changed = 1;
            }
        }
        if (!changed)
            break;
    }
    uint32_t n_levels = 0, roots = 0;
    for (uint32_t k = 0; k < d->n_edges; k++)
        preds[d->edges[k].to]++;
    for (uint32_t i = 0; i < d->n_steps; i++) {
        if (d->steps[i].level != level[i])
            return "level is not the longest path from a root";
        if (d->exec[i].n_preds != preds[i])
            return "n_preds differs from the number of in-edges";
        if ((d->exec[i].flags & ~(uint32_t)(AJ_STEP_BLOCKING | AJ_STEP_ASYNC)) !=
            (d->steps[i].timeout_ns > 0 ? AJ_STEP_TIMED : 0u))
            return "flags disagree with the timeout";
        n_levels = level[i] + 1 > n_levels ? level[i] + 1 : n_levels;
        roots += preds[i] == 0;
    }
    if (n_levels != d->n_levels || roots != d->n_roots)
        return "n_levels or n_roots wrong";
    return NULL;
}

/* Each output slot has the size of its type and lies inside the outputs
 * block; a step without output has none. */
static const char *check_outputs(const aj_job_def *d)
{
    for (uint32_t i = 0; i < d->n_steps; i++) {
        const aj_step_def *s = &d->steps[i];
        if ((s->output_type != NULL) != (s->output_size > 0))
            return "output_size is 0 exactly when the step has no output type";
        if (s->output_size > d->outputs_size ||
            s->output_offset > d->outputs_size - s->output_size)
            return "an output slot lies outside the outputs block";
    }
    return NULL;
}

const char *check_def(const aj_job_def *d)
{
    uint32_t n = d->n_steps;
    uint32_t *pos = calloc(n + 1, sizeof *pos), *level = calloc(n + 1, sizeof *level);
    uint32_t *preds = calloc(n + 1, sizeof *preds), *seen = calloc(n + 1, sizeof *seen);
    const char *err = d->abi != AJ_GEN_ABI ? "abi" : NULL;
    if ((d->n_edges == 0) != (d->edges == NULL) || (d->n_edges == 0) != (d->succs == NULL))
        err = "edges and succs must be NULL exactly when n_edges is 0";
    for (uint32_t k = 0; k < n && err == NULL; k++) {
        uint32_t i = d->order[k];
        if (i >= n || seen[i]++)
            err = "order is not a permutation";
        else
            pos[i] = k;
        if (err == NULL && k > 0) {
            const aj_step_def *a = &d->steps[d->order[k - 1]], *b = &d->steps[i];
            if (a->level > b->level || (a->level == b->level && d->order[k - 1] > i))
                err = "order not sorted by (level, declaration)";
        }
        if (err == NULL && (k < d->n_roots) != (d->exec[i].n_preds == 0))
            err = "roots are not the first entries of order";
    }
    if (err == NULL)
        err = check_edges(d, pos);
    if (err == NULL)
        err = check_levels(d, level, preds);
    if (err == NULL)
        err = check_outputs(d);
    free(pos);
    free(level);
    free(preds);
    free(seen);
    return err;
}

/* The whole file at path, NUL-terminated, in a malloc'd buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    if (fp == NULL)
        return NULL;
    for (size_t n = 1; n > 0; *len += n) {
        if (cap - *len < 4096 && (text = realloc(text, cap += 65536)) == NULL)
            break;
        n = fread(text + *len, 1, cap - *len - 1, fp);
    }
    fclose(fp);
    if (text != NULL)
        text[*len] = '\0';
    return text;
}

const char *check_def_dot(const aj_job_def *const *defs, size_t n, const char *path)
{
    char *got = NULL, *want;
    size_t got_len = 0, want_len;
    FILE *fp = open_memstream(&got, &got_len);
    const char *err = NULL;
    for (size_t i = 0; fp != NULL && i < n && err == NULL; i++)
        if (aj_job_def_dot(defs[i], fp) != AJ_OK)
            err = "aj_job_def_dot failed";
    if (fp == NULL || fclose(fp) != 0)
        return "cannot write to memory";
    want = slurp(path, &want_len);
    if (err == NULL && want == NULL)
        err = "cannot read the expected DOT";
    else if (err == NULL && (want_len != got_len || memcmp(want, got, got_len) != 0))
        err = "aj_job_def_dot() and ajc --dot differ";
    free(got);
    free(want);
    return err;
}
