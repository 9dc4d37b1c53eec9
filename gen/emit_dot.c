/*
 * emit_dot.c: `ajc --dot`, the definition graph of every job.
 *
 * To have one DOT format only, this builds each job's aj_job_def in memory
 * from the schedule (no run or free functions) and lets the runtime's
 * aj_job_def_dot() write it. That function writes to a FILE, so the text
 * goes through an open_memstream() stream, the one allocation of ajc that
 * libc makes rather than the arena; it is copied into the output and freed.
 */
#include "emit.h"

#include "asyncjob.h"
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>

static aj_job_def *build_def(const emit_ctx *e, const ast_job *j)
{
    const sched *s = j->sched;
    aj_job_def *def = arena_calloc(e->arena, 1, sizeof *def);
    aj_step_def *steps = arena_calloc(e->arena, s->n_steps, sizeof *steps);
    aj_edge_def *edges = arena_calloc(e->arena, s->n_edges, sizeof *edges);
    for (uint32_t i = 0; i < s->n_steps; i++) {
        const ast_step *st = j->steps.items[i];
        steps[i].name = st->name.name;
        steps[i].output_type = st->output != NULL ? st->output->text : NULL;
        steps[i].level = s->level[i];
        steps[i].line = emit_step_line(e, st);
    }
    for (uint32_t k = 0; k < s->n_edges; k++)
        edges[k] = (aj_edge_def){ s->edges[k].from, s->edges[k].to, s->edges[k].kind };
    def->abi = AJ_GEN_ABI;
    def->name = j->name.name;
    def->source = e->src->name;
    def->n_steps = s->n_steps;
    def->steps = steps;
    def->order = s->order;
    def->n_roots = s->n_roots;
    def->n_levels = s->n_levels;
    def->n_edges = s->n_edges;
    def->edges = s->n_edges > 0 ? edges : NULL;
    def->result = j->result != NULL ? (int32_t)j->result->index : -1;
    return def;
}

bool emit_dot(const emit_ctx *e, out *o)
{
    for (uint32_t i = 0; i < e->file->jobs.n; i++) {
        /* Arena allocations may jump out: make them all while no libc
         * buffer is held, and park the buffer where arena_free() sees it. */
        aj_job_def *def = build_def(e, e->file->jobs.items[i]);
        void **owned = arena_owned_slot(e->arena);
        char *text = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&text, &len);
        if (fp == NULL)
            return false;
        int rc = aj_job_def_dot(def, fp);
        int closed = fclose(fp);
        *owned = text;
        if (closed != 0 || rc != AJ_OK)
            return false;
        out_write(o, text, len);
        free(text);
        *owned = NULL;
    }
    return true;
}
