/*
 * inst_dot.c: Graphviz DOT of a live or finished instance, in the
 * skeleton of the definition's picture (dot.c): the job as a triangle
 * filled by the instance's state, steps as hexagons filled by theirs,
 * edges coloured by the state of the step they leave. Every record is
 * copied once, consistently, before anything is written, so a picture of a
 * running instance agrees with itself.
 */
#include "aj_write.h"
#include "aj_data.h"

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
                    bool times, const char *more)
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
    aj__write_printf(d, "%s\"]\n", more != NULL ? more : "");
}

static bool mixed(const size_t *counts)
{
    int states = 0;

    for (int st = 0; st < AJ_STEP_STATE_COUNT; st++)
        states += counts[st] > 0;
    return states > 1;
}

/* Appends "\n11 completed, 1 failed" to label. */
static void state_counts(const size_t *counts, char *label, size_t size)
{
    size_t len = strlen(label);
    const char *sep = "\\n";

    for (int st = 0; st < AJ_STEP_STATE_COUNT && len < size; st++)
        if (counts[st] > 0) {
            len += (size_t)snprintf(label + len, size - len, "%s%zu %s", sep, counts[st],
                                    aj_step_state_name((aj_step_state)st));
            sep = ", ";
        }
}

/* A mapped step's elements: "\nElements: n" and how many are in each
 * state, in *more; its label gets "[n]" once it is expanded and, when its
 * elements ended differently, how many did what ("\n11 completed, 1
 * failed"): the step's colour alone would hide the one that failed. */
static void elements(const aj_instance *inst, uint32_t i, char *more, size_t size, char *label,
                     size_t label_size)
{
    const aj__mapped *m = aj__inst_mapped(inst, i);
    size_t counts[AJ_STEP_STATE_COUNT] = { 0 }, len;

    more[0] = label[0] = '\0';
    if (!atomic_load_explicit(&((aj__mapped *)m)->expanded, memory_order_acquire))
        return;
    for (size_t k = 0; k < m->n; k++)
        counts[AJ__GET(&m->elems[k].rec, state)]++;
    snprintf(label, label_size, "[%zu]", m->n);
    len = (size_t)snprintf(more, size, "\\nElements: %zu", m->n);
    for (int st = 0; st < AJ_STEP_STATE_COUNT && len < size; st++)
        if (counts[st] > 0)
            len += (size_t)snprintf(more + len, size - len, "\\n  %s: %zu",
                                    aj_step_state_name((aj_step_state)st), counts[st]);
    if (mixed(counts))
        state_counts(counts, label, label_size);
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
            times, NULL);
}

/* What step_node() draws with. */
typedef struct step_nodes {
    const aj_instance *inst;
    const aj__snap *snaps;
    bool times;
} step_nodes;

/* As the definition's picture marks them: the rule and nonfatal under the
 * name, nonfatal steps dashed; in its sub-job's cluster. */
static void step_node(aj__writer *d, uint32_t i, unsigned tabs, void *arg)
{
    const step_nodes *sn = arg;
    const aj_instance *inst = sn->inst;
    const aj__snap *s = &sn->snaps[i];
    bool times = sn->times;
    const aj_step_gate *g = inst->def->steps[i].gate;
    bool nonfatal = (inst->def->exec[i].flags & AJ_STEP_NONFATAL) != 0;
    char more[256] = "", count[128] = "";

    if (inst->def->exec[i].flags & AJ_STEP_MAPPED)
        elements(inst, i, more, sizeof more, count, sizeof count);
    aj__dot_tabs(d, tabs);
    aj__write_printf(d, "\"s%" PRIu32 "\" [label=\"", i);
    aj__dot_escaped(d, inst->def->steps[i].name);
    aj__write_printf(d, "%s", count);
    if (g != NULL && g->rule != AJ_ON_SUCCESS)
        aj__write_printf(d, "\\non %s", g->rule == AJ_ON_DONE ? "done" : "failure");
    if (nonfatal)
        aj__write_printf(d, "\\nnonfatal");
    aj__write_printf(d, "\" shape=hexagon style=%s fillcolor=%s",
                     nonfatal ? "\"filled,dashed\"" : "filled", state_colour[s->state]);
    tooltip(d, inst, s->state, s->reason, s->start_ns, s->end_ns, &s->attempts, times, more);
}

/* The attributes after "style=... color=...": an optional input's type
 * and the target's start, in the tooltip. */
static void edge_end(aj__writer *d, const aj_instance *inst, const aj_edge_def *e,
                     const aj__snap *to, bool times)
{
    bool optional = e != NULL && (e->kind & AJ_EDGE_OPTIONAL);
    bool time = times && to->start_ns != 0;

    if (optional || time)
        aj__write_printf(d, " tooltip=\"");
    if (optional) {
        aj__write_printf(d, "optional ");
        aj__dot_escaped(d, inst->def->steps[e->from].output_type);
    }
    if (time) {
        char buf[AJ__FMT_MAX];
        aj__write_printf(d, "%sTime: %s", optional ? "\\n" : "",
                         aj__fmt_wall(buf, aj__inst_wall(inst, to->start_ns)));
    }
    aj__write_printf(d, "%s]\n", optional || time ? "\"" : "");
}

/* An edge's style: a condition dotted and labelled when or unless, an
 * optional input bold and dashed, other inputs bold, `after` dashed. */
static void edge_style(aj__writer *d, const aj_instance *inst, const aj_edge_def *e,
                       const char *colour)
{
    const aj_step_gate *g = inst->def->steps[e->to].gate;

    if (e->kind & AJ_EDGE_CONDITION)
        aj__write_printf(d, "style=dotted color=%s label=\"%s\"", colour,
                         g != NULL && g->negate ? "unless" : "when");
    else if (e->kind & AJ_EDGE_OPTIONAL)
        aj__write_printf(d, "style=\"bold,dashed\" color=%s", colour);
    else
        aj__write_printf(d, "style=%s color=%s", e->kind & AJ_EDGE_DATA ? "bold" : "dashed",
                         colour);
}

static void edges(aj__writer *d, const aj_instance *inst, const aj__snap *snaps, bool times)
{
    const aj_job_def *def = inst->def;
    const char *root_colour = state_colour[job_state(inst)];

    for (uint32_t k = 0; k < def->n_roots; k++) {
        uint32_t to = def->order[k];
        aj__write_printf(d, "\t\"job\" -> \"s%" PRIu32 "\" [color=%s", to, root_colour);
        edge_end(d, inst, NULL, &snaps[to], times);
    }
    for (uint32_t k = 0; k < def->n_edges; k++) {
        const aj_edge_def *e = &def->edges[k];
        aj__write_printf(d, "\t\"s%" PRIu32 "\" -> \"s%" PRIu32 "\" [", e->from, e->to);
        edge_style(d, inst, e, state_colour[snaps[e->from].state]);
        edge_end(d, inst, e, &snaps[e->to], times);
    }
}

int aj_instance_dot(const aj_instance *inst, FILE *out, unsigned flags)
{
    aj__writer d = { out, false };
    bool times = (flags & AJ_DOT_NO_TIMES) == 0;
    aj__snap *snaps;

    if (inst == NULL || out == NULL)
        return AJ_EINVAL;
    if ((snaps = aj__inst_snap_all(inst)) == NULL)
        return AJ_ENOMEM;
    aj__dot_open(&d, inst->def);
    job_node(&d, inst, snaps, times);
    step_nodes sn = { inst, snaps, times };
    aj__dot_nodes(&d, inst->def, step_node, &sn);
    edges(&d, inst, snaps, times);
    aj__free(snaps);
    return aj__dot_close(&d);
}
