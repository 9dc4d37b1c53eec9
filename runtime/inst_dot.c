/*
 * inst_dot.c: Graphviz DOT of a live or finished instance, in the
 * skeleton of the definition's picture (dot.c): the job as a triangle
 * filled by the instance's state, steps as hexagons filled by theirs,
 * edges coloured by the state of the step they leave. Every record is
 * copied once, consistently, before anything is written, so a picture of a
 * running instance agrees with itself.
 */
#include "aj_write.h"
#include "aj_api.h"

#include <string.h>

static const char *const state_colour[AJ_STEP_STATE_COUNT] = {
    "gray", "yellow", "green", "red", "orange", "lightblue", "plum",
};

/* The instance as a whole: running until every step is final, then failed
 * (a root cause), cancelled (a step was cut) or completed. */
static aj_step_state job_state(const aj_instance *inst)
{
    if (!aj__inst_done(inst))
        return AJ_STEP_RUNNING;
    if (atomic_load_explicit(&((aj_instance *)inst)->failed, memory_order_acquire))
        return AJ_STEP_FAILED;
    if (atomic_load(&((aj_instance *)inst)->cut))
        return AJ_STEP_CANCELLED;
    return AJ_STEP_COMPLETED;
}

static void tooltip_time(aj__writer *d, const aj_instance *inst, const char *label, int64_t mono)
{
    char buf[AJ__FMT_MAX];

    aj__write_printf(d, "\\n%s: %s", label, aj__fmt_wall(buf, aj__inst_wall(inst, mono)));
}

/* tooltip="State: ...\nStartAt: ...\nDuration: ...\nAttempts: N"; a
 * skipped step's state says why: "skipped (condition)". */
static void tooltip(aj__writer *d, const aj_instance *inst, aj_step_state st,
                    aj_skip_reason why, int64_t start, int64_t end, const uint32_t *attempts,
                    bool times)
{
    aj__write_printf(d, " tooltip=\"State: %s", aj_step_state_name(st));
    if (st == AJ_STEP_SKIPPED && why != AJ_SKIP_NONE)
        aj__write_printf(d, " (%s)", aj_skip_reason_name(why));
    if (times && start != 0) {
        tooltip_time(d, inst, "StartAt", start);
        if (end != 0) {
            char buf[AJ__FMT_MAX];
            aj__write_printf(d, "\\nDuration: %s", aj__fmt_duration(buf, end - start));
        }
    }
    if (attempts != NULL)
        aj__write_printf(d, "\\nAttempts: %" PRIu32, *attempts);
    aj__write_printf(d, "\"]\n");
}

static void job_node(aj__writer *d, const aj_instance *inst, const aj__snap *snaps, bool times)
{
    aj_step_state st = job_state(inst);
    int64_t end = 0;

    if (st != AJ_STEP_RUNNING)
        for (uint32_t i = 0; i < inst->def->n_steps; i++)
            if (snaps[i].end_ns > end)
                end = snaps[i].end_ns;
    aj__write_printf(d, "\t\"job\" [label=\"");
    aj__dot_escaped(d, inst->def->name);
    aj__write_printf(d, "\" shape=triangle style=filled fillcolor=%s", state_colour[st]);
    tooltip(d, inst, st, AJ_SKIP_NONE, inst->start_ns, end > inst->start_ns ? end : 0, NULL,
            times);
}

/* One job's part of the picture: the instance, or for a sub-job step
 * whose instance is not built yet, its definition with every step
 * pending (inst NULL, snaps all zero). */
typedef struct view {
    const aj_instance *inst;
    const aj_job_def *def;
    const aj__snap *snaps;
} view;

typedef struct picture {
    aj__writer d;
    bool times;
    bool oom;      /* a sub-instance's records could not be copied */
} picture;

/* As the definition's picture marks them: the rule and nonfatal under the
 * name, nonfatal steps dashed; indented as under tabs. */
static void step_node(picture *pic, const view *v, const aj__dot_path *p, uint32_t i,
                      const aj__dot_path *tabs)
{
    aj__writer *d = &pic->d;
    const aj_step_gate *g = v->def->steps[i].gate;
    const aj__snap *s = &v->snaps[i];
    bool nonfatal = (v->def->exec[i].flags & AJ_STEP_NONFATAL) != 0;

    aj__dot_indent(d, tabs);
    aj__write_printf(d, "\"");
    aj__dot_node(d, p, i);
    aj__write_printf(d, "\" [label=\"");
    aj__dot_escaped(d, v->def->steps[i].name);
    if (g != NULL && g->rule != AJ_ON_SUCCESS)
        aj__write_printf(d, "\\non %s", g->rule == AJ_ON_DONE ? "done" : "failure");
    if (nonfatal)
        aj__write_printf(d, "\\nnonfatal");
    aj__write_printf(d, "\" shape=hexagon style=%s fillcolor=%s",
                     nonfatal ? "\"filled,dashed\"" : "filled", state_colour[s->state]);
    tooltip(d, v->inst, s->state, s->reason, s->start_ns, s->end_ns, &s->attempts,
            pic->times && v->inst != NULL);
}

/* The attributes after "style=... color=...": an optional input's type
 * and the target's start, in the tooltip. */
static void edge_end(aj__writer *d, const view *v, const aj_edge_def *e, const aj__snap *to,
                     bool times)
{
    bool optional = e != NULL && (e->kind & AJ_EDGE_OPTIONAL);
    bool time = times && v->inst != NULL && to->start_ns != 0;

    if (optional || time)
        aj__write_printf(d, " tooltip=\"");
    if (optional) {
        aj__write_printf(d, "optional ");
        aj__dot_escaped(d, v->def->steps[e->from].output_type);
    }
    if (time) {
        char buf[AJ__FMT_MAX];
        aj__write_printf(d, "%sTime: %s", optional ? "\\n" : "",
                         aj__fmt_wall(buf, aj__inst_wall(v->inst, to->start_ns)));
    }
    aj__write_printf(d, "%s]\n", optional || time ? "\"" : "");
}

/* An edge's style: a condition dotted and labelled when or unless, an
 * optional input bold and dashed, other inputs bold, `after` dashed. */
static void edge_style(aj__writer *d, const view *v, const aj_edge_def *e, const char *colour)
{
    const aj_step_gate *g = v->def->steps[e->to].gate;

    if (e->kind & AJ_EDGE_CONDITION)
        aj__write_printf(d, "style=dotted color=%s label=\"%s\"", colour,
                         g != NULL && g->negate ? "unless" : "when");
    else if (e->kind & AJ_EDGE_OPTIONAL)
        aj__write_printf(d, "style=\"bold,dashed\" color=%s", colour);
    else
        aj__write_printf(d, "style=%s color=%s", e->kind & AJ_EDGE_DATA ? "bold" : "dashed",
                         colour);
}

static void edges(picture *pic, const view *v, const aj__dot_path *p)
{
    for (uint32_t k = 0; k < v->def->n_edges; k++) {
        const aj_edge_def *e = &v->def->edges[k];
        aj__dot_edge_ends(&pic->d, p, e->from, e->to);
        aj__write_printf(&pic->d, "[");
        edge_style(&pic->d, v, e, state_colour[v->snaps[e->from].state]);
        edge_end(&pic->d, v, e, &v->snaps[e->to], pic->times);
    }
}

static void body(picture *pic, const view *v, const aj__dot_path *p);

/* Sub-job step i of v under p: a cluster with its node, which leads to
 * the roots of the job it runs, and that job's steps, in the states of
 * the step's latest sub-instance. */
static void cluster(picture *pic, const view *v, const aj__dot_path *p, uint32_t i)
{
    const aj__dot_path inner = { p, i };
    const aj_job_def *def = v->def->steps[i].subjob;
    const aj_instance *sub = v->inst != NULL ? aj__sub_latest(v->inst, i) : NULL;
    aj__snap *snaps = sub != NULL ? aj__inst_snap_all(sub)
                                  : aj__alloc(def->n_steps * sizeof *snaps + 1, 0);
    view in = { sub, def, snaps };

    if (snaps == NULL) {
        pic->oom = true;
        return;
    }
    if (sub == NULL)
        memset(snaps, 0, def->n_steps * sizeof *snaps);
    aj__dot_cluster_open(&pic->d, p, i, v->def);
    step_node(pic, v, p, i, &inner);
    body(pic, &in, &inner);
    for (uint32_t k = 0; k < def->n_roots; k++) {
        aj__dot_indent(&pic->d, &inner);
        aj__write_printf(&pic->d, "\"");
        aj__dot_node(&pic->d, p, i);
        aj__write_printf(&pic->d, "\" -> \"");
        aj__dot_node(&pic->d, &inner, def->order[k]);
        aj__write_printf(&pic->d, "\" [color=%s", state_colour[v->snaps[i].state]);
        edge_end(&pic->d, &in, NULL, &snaps[def->order[k]], pic->times);
    }
    edges(pic, &in, &inner);
    aj__dot_indent(&pic->d, p);
    aj__write_printf(&pic->d, "}\n");
    aj__free(snaps);
}

static void body(picture *pic, const view *v, const aj__dot_path *p)
{
    for (uint32_t k = 0; k < v->def->n_steps; k++) {
        uint32_t i = v->def->order[k];
        if (v->def->steps[i].subjob != NULL)
            cluster(pic, v, p, i);
        else
            step_node(pic, v, p, i, p);
    }
}

int aj_instance_dot(const aj_instance *inst, FILE *out, unsigned flags)
{
    picture pic = { { out, false }, (flags & AJ_DOT_NO_TIMES) == 0, false };
    aj__snap *snaps;

    if (inst == NULL || out == NULL)
        return AJ_EINVAL;
    if ((snaps = aj__inst_snap_all(inst)) == NULL)
        return AJ_ENOMEM;
    view v = { inst, inst->def, snaps };
    const char *root_colour = state_colour[job_state(inst)];
    aj__dot_open(&pic.d, inst->def);
    job_node(&pic.d, inst, snaps, pic.times);
    body(&pic, &v, NULL);
    for (uint32_t k = 0; k < inst->def->n_roots; k++) {
        uint32_t to = inst->def->order[k];
        aj__write_printf(&pic.d, "\t\"job\" -> \"s%" PRIu32 "\" [color=%s", to, root_colour);
        edge_end(&pic.d, &v, NULL, &snaps[to], pic.times);
    }
    edges(&pic, &v, NULL);
    aj__free(snaps);
    int rc = aj__dot_close(&pic.d);
    return pic.oom ? AJ_ENOMEM : rc;
}
