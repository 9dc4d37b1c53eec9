/*
 * check_def.c: recomputes what ajc's schedule must be from the edge list
 * alone, by a different method (relaxing levels until nothing changes),
 * and compares: order is a permutation sorted by (level, declaration),
 * roots come first, levels are longest paths, edges are distinct and
 * sorted by the order positions of source then target, each step's
 * first_succ/n_succs is its run of succs[] (in step order) and repeats
 * the targets of its out-edges,
 * n_preds counts its in-edges, the flags say whether it has a timeout,
 * each output's slot has its type's size inside the outputs block, and a
 * step has a gate exactly when it is AJ_STEP_GATED, whose required steps
 * are, ascending, the sources of its in-edges that are not OPTIONAL and
 * whose condition is the source of a CONDITION in-edge.
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
        if (e->from >= d->n_steps || e->to >= d->n_steps || e->kind == 0 || e->kind > 15)
            return "edge out of range";
        if ((e->kind & AJ_EDGE_OPTIONAL) &&
            (e->kind & (AJ_EDGE_DATA | AJ_EDGE_AFTER | AJ_EDGE_CONDITION)) != AJ_EDGE_DATA)
            return "an OPTIONAL edge is a data edge that nothing else makes required";
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
        uint32_t other = AJ_STEP_BLOCKING | AJ_STEP_ASYNC | AJ_STEP_NONFATAL | AJ_STEP_GATED |
                         AJ_STEP_LIMITED | AJ_STEP_ARRAY | AJ_STEP_MAPPED;
        if ((d->exec[i].flags & ~other) != (d->steps[i].timeout_ns > 0 ? AJ_STEP_TIMED : 0u))
            return "flags disagree with the timeout";
        n_levels = level[i] + 1 > n_levels ? level[i] + 1 : n_levels;
        roots += preds[i] == 0;
    }
    if (n_levels != d->n_levels || roots != d->n_roots)
        return "n_levels or n_roots wrong";
    return NULL;
}

/* An array or mapped step's slot is an aj_array of elements of
 * element_size (a mapped step without output has neither); a mapped step
 * maps over an array step or a mapped one with outputs, which is a data
 * predecessor of it. */
static const char *check_many(const aj_job_def *d, uint32_t i)
{
    const aj_step_def *s = &d->steps[i];
    uint32_t flags = d->exec[i].flags;
    bool many = (flags & (AJ_STEP_ARRAY | AJ_STEP_MAPPED)) != 0;
    bool slot = s->output_type != NULL;
    if (many && slot && (s->output_size != sizeof(aj_array) || s->element_size == 0))
        return "an array or mapped step's slot is not an aj_array of elements";
    if (many && !slot && ((flags & AJ_STEP_ARRAY) || s->element_size != 0))
        return "an array step without output, or a mapped one with an element size";
    if (!many && s->element_size != 0)
        return "element_size is set on a step that is neither array nor mapped";
    if (!(flags & AJ_STEP_MAPPED))
        return s->map_source == -1 ? NULL : "map_source is set on a step that is not mapped";
    if (s->map_source < 0 || (uint32_t)s->map_source >= d->n_steps)
        return "a mapped step's map_source is out of range";
    if (!(d->exec[s->map_source].flags & (AJ_STEP_ARRAY | AJ_STEP_MAPPED)) ||
        d->steps[s->map_source].output_type == NULL)
        return "a mapped step maps over a step that has no array or elements' outputs";
    for (uint32_t k = 0; k < d->n_edges; k++)
        if (d->edges[k].from == (uint32_t)s->map_source && d->edges[k].to == i &&
            (d->edges[k].kind & AJ_EDGE_DATA))
            return NULL;
    return "a mapped step has no data edge from its map_source";
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
        if (check_many(d, i) != NULL)
            return check_many(d, i);
    }
    return NULL;
}

/* Whether an in-edge of step `to` from `from` has all the bits of kind. */
static bool has_edge(const aj_job_def *d, uint32_t from, uint32_t to, uint32_t kind)
{
    for (uint32_t k = 0; k < d->n_edges; k++)
        if (d->edges[k].from == from && d->edges[k].to == to && (d->edges[k].kind & kind) == kind)
            return true;
    return false;
}

static const char *check_gate(const aj_job_def *d, uint32_t i)
{
    const aj_step_gate *g = d->steps[i].gate;
    uint32_t required = 0;
    for (uint32_t k = 0; k < d->n_edges; k++)
        required += d->edges[k].to == i && !(d->edges[k].kind & AJ_EDGE_OPTIONAL);
    if ((g != NULL) != ((d->exec[i].flags & AJ_STEP_GATED) != 0))
        return "a step has a gate exactly when it is AJ_STEP_GATED";
    if (g == NULL)
        return required == d->exec[i].n_preds ? NULL : "an ungated step has an OPTIONAL edge";
    if (g->n_required != required || (g->n_required == 0) != (g->required == NULL))
        return "n_required is not the number of in-edges that are not OPTIONAL";
    for (uint32_t k = 0; k < g->n_required; k++)
        if ((k > 0 && g->required[k - 1] >= g->required[k]) ||
            !has_edge(d, g->required[k], i, 0) || has_edge(d, g->required[k], i, AJ_EDGE_OPTIONAL))
            return "required is not the ascending sources of the in-edges that are not OPTIONAL";
    if (g->condition >= 0 && !has_edge(d, (uint32_t)g->condition, i, AJ_EDGE_CONDITION))
        return "the condition is not the source of a CONDITION in-edge";
    if (g->rule > AJ_ON_FAILURE || (g->condition < 0 && g->negate))
        return "a gate's rule is out of range, or it negates no condition";
    return NULL;
}

static const char *check_gates(const aj_job_def *d)
{
    const char *err = NULL;
    for (uint32_t i = 0; i < d->n_steps && err == NULL; i++)
        err = check_gate(d, i);
    return err;
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
    if (err == NULL)
        err = check_gates(d);
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

/* NULL when the file at path holds exactly got, else what is wrong
 * (`differ` when both could be read). */
static const char *differs(const char *got, size_t got_len, const char *path,
                           const char *differ)
{
    size_t want_len;
    char *want = slurp(path, &want_len);
    const char *err = NULL;
    if (want == NULL)
        err = "cannot read the expected DOT";
    else if (want_len != got_len || memcmp(want, got, got_len) != 0)
        err = differ;
    free(want);
    return err;
}

const char *check_def_dot(const aj_job_def *const *defs, size_t n, const char *path)
{
    char *got = NULL;
    size_t got_len = 0;
    FILE *fp = open_memstream(&got, &got_len);
    const char *err = NULL;
    for (size_t i = 0; fp != NULL && i < n && err == NULL; i++)
        if (aj_job_def_dot(defs[i], fp) != AJ_OK)
            err = "aj_job_def_dot failed";
    if (fp == NULL || fclose(fp) != 0)
        return "cannot write to memory";
    if (err == NULL)
        err = differs(got, got_len, path, "aj_job_def_dot() and ajc --dot differ");
    free(got);
    return err;
}

static bool write_file(const char *path, const char *text, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL)
        return false;
    bool ok = fwrite(text, 1, len, fp) == len;
    return fclose(fp) == 0 && ok;
}

const char *check_instance_dot(const aj_instance *inst, const char *path)
{
    char *got = NULL;
    size_t got_len = 0;
    FILE *fp = open_memstream(&got, &got_len);
    const char *err = NULL;
    if (fp == NULL)
        return "cannot write to memory";
    if (aj_instance_dot(inst, fp, AJ_DOT_NO_TIMES) != AJ_OK)
        err = "aj_instance_dot failed";
    if (fclose(fp) != 0)
        err = "cannot write to memory";
    if (err == NULL && getenv("AJ_UPDATE_GOLDEN") != NULL && !write_file(path, got, got_len))
        err = "cannot write the golden file";
    if (err == NULL)
        err = differs(got, got_len, path, "aj_instance_dot() differs from the expected DOT");
    free(got);
    return err;
}
