/*
 * timeline.c: an instance's timeline, as Chrome trace-event JSON (one
 * complete event per step that started, one thread row per step; loads in
 * Perfetto and chrome://tracing) and as a Mermaid gantt chart (a section
 * per step with its waiting and running bars, as in go-asyncjob's README).
 * Times are relative to the instance's start. A step still running is
 * drawn up to now. The step records keep a step's first start and its end
 * only, so a step's bar spans all its attempts and the waits between
 * them; trace.c's collector, fed by observer events, draws each of them.
 * A skipped step never started: it is an instant (a milestone) with its
 * reason, when its last predecessor became final.
 */
#include "aj_write.h"
#include "aj_data.h"

#include <ctype.h>

/* End of a started step's bar: its end, or now while it runs. */
static int64_t bar_end(const aj__snap *s, int64_t now)
{
    return s->end_ns != 0 ? s->end_ns : now;
}

/* A skipped step, as an instant event on its row at ready. */
static void trace_skipped(aj__writer *w, const aj_instance *inst, uint32_t i, const aj__snap *s,
                          int64_t ready)
{
    aj__write_printf(w, ",\n{\"name\":");
    aj__json_string(w, inst->def->steps[i].name);
    aj__write_printf(w, ",\"cat\":\"step\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%" PRIu32
                        ",\"ts\":", i + 1);
    aj__json_us(w, ready - inst->start_ns);
    aj__write_printf(w, ",\"args\":{\"state\":\"skipped\",\"reason\":\"%s\"}}",
                     aj_skip_reason_name(s->reason));
}

static void trace_step(aj__writer *w, const aj_instance *inst, uint32_t i, const aj__snap *s,
                       int64_t ready, int64_t now)
{
    const char *name = inst->def->steps[i].name;

    aj__write_printf(w, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%" PRIu32
                      ",\"args\":{\"name\":", i + 1);
    aj__json_string(w, name);
    aj__write_printf(w, "}}");
    if (s->state == AJ_STEP_SKIPPED)
        trace_skipped(w, inst, i, s, ready);
    if (s->start_ns == 0)
        return;
    aj__write_printf(w, ",\n{\"name\":");
    aj__json_string(w, name);
    aj__write_printf(w, ",\"cat\":\"step\",\"ph\":\"X\",\"pid\":1,\"tid\":%" PRIu32 ",\"ts\":",
                   i + 1);
    aj__json_us(w, s->start_ns - inst->start_ns);
    aj__write_printf(w, ",\"dur\":");
    aj__json_us(w, bar_end(s, now) - s->start_ns);
    aj__write_printf(w, ",\"args\":{\"state\":\"%s\",\"attempts\":%" PRIu32 "}}",
                   aj_step_state_name(s->state), s->attempts);
}

/* When each step could have started: the latest end of its predecessors,
 * or the instance's start for a root. A predecessor that never ran ended
 * when it could have started. One pass in topological order. */
static void ready_times(const aj_instance *inst, const aj__snap *snaps, int64_t *ready)
{
    const aj_job_def *def = inst->def;

    for (uint32_t i = 0; i < def->n_steps; i++)
        ready[i] = inst->start_ns;
    for (uint32_t k = 0; k < def->n_steps; k++) {
        uint32_t i = def->order[k];
        const aj_step_exec *x = &def->exec[i];
        int64_t end = snaps[i].end_ns != 0 ? snaps[i].end_ns : ready[i];
        for (uint32_t j = 0; j < x->n_succs; j++) {
            uint32_t t = def->succs[x->first_succ + j];
            if (end > ready[t])
                ready[t] = end;
        }
    }
}

/* A consistent copy of every record of inst in *snaps, and when each step
 * could have started in *ready: one allocation (aj__free *snaps), or
 * AJ_ENOMEM. */
static int snap_ready(const aj_instance *inst, aj__snap **snaps, int64_t **ready)
{
    uint32_t n = inst->def->n_steps;
    /* The snapshots' alignment and size suit the int64_t after them. */
    char *block = aj__alloc((n > 0 ? n : 1) * (sizeof(aj__snap) + sizeof(int64_t)),
                            _Alignof(aj__snap));

    _Static_assert(_Alignof(aj__snap) % _Alignof(int64_t) == 0, "ready times follow snaps");
    if (block == NULL)
        return AJ_ENOMEM;
    *snaps = (aj__snap *)block;
    *ready = (int64_t *)(block + (size_t)n * sizeof(aj__snap));
    for (uint32_t i = 0; i < n; i++)
        aj__inst_snap(inst, i, &(*snaps)[i]);
    ready_times(inst, *snaps, *ready);
    return AJ_OK;
}

/* Mapped step i's record once it is expanded, else NULL. */
static const aj__mapped *expanded(const aj_instance *inst, uint32_t i)
{
    aj__mapped *m = aj__inst_mapped(inst, i);

    return atomic_load_explicit(&m->expanded, memory_order_acquire) ? m : NULL;
}

/* A copy of element k's record in *s: true when it started. */
static bool started(const aj__mapped *m, size_t k, aj__snap *s)
{
    aj__rec_snap(&m->elems[k].rec, s);
    return s->start_ns != 0;
}

/* The elements of mapped step i that started, each on a row of its own
 * from *tid up, named "Query[3]". */
static void trace_elements(aj__writer *w, const aj_instance *inst, uint32_t i, uint32_t *tid,
                           int64_t now)
{
    const aj__mapped *m = expanded(inst, i);
    const char *name = inst->def->steps[i].name;
    aj__snap s;

    for (size_t k = 0; m != NULL && k < m->n; k++) {
        if (!started(m, k, &s))
            continue;
        aj__write_printf(w, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%" PRIu32
                            ",\"args\":{\"name\":", ++*tid);
        aj__json_string(w, name);
        aj__write_printf(w, "}}");
        aj__write_printf(w, ",\n{\"name\":");
        aj__json_string(w, name);
        aj__write_printf(w, ",\"cat\":\"element\",\"ph\":\"X\",\"pid\":1,\"tid\":%" PRIu32
                            ",\"ts\":", *tid);
        aj__json_us(w, s.start_ns - inst->start_ns);
        aj__write_printf(w, ",\"dur\":");
        aj__json_us(w, bar_end(&s, now) - s.start_ns);
        aj__write_printf(w, ",\"args\":{\"element\":%zu,\"state\":\"%s\",\"attempts\":%" PRIu32
                            "}}", k, aj_step_state_name(s.state), s.attempts);
    }
}

int aj_instance_trace_json(const aj_instance *inst, FILE *out)
{
    aj__writer w = { out, false };
    aj__snap *snaps;
    int64_t *ready, now = aj_now_ns();

    if (inst == NULL || out == NULL)
        return AJ_EINVAL;
    if (snap_ready(inst, &snaps, &ready) != AJ_OK)
        return AJ_ENOMEM;
    aj__write_printf(&w, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    aj__write_printf(&w, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":");
    aj__json_string(&w, inst->def->name);
    aj__write_printf(&w, "}}");
    for (uint32_t k = 0; k < inst->def->n_steps; k++) {
        uint32_t i = inst->def->order[k];
        trace_step(&w, inst, i, &snaps[i], ready[i], now);
    }
    /* Elements after the steps, on rows past theirs. */
    for (uint32_t k = 0, tid = inst->def->n_steps; k < inst->n_maps; k++)
        trace_elements(&w, inst, inst->maps[k].index, &tid, now);
    aj__write_printf(&w, "\n]}\n");
    aj__free(snaps);
    return aj__write_flush(&w);
}

/* Mermaid has no quoting for task and section names: anything but letters,
 * digits, '_', '-', '.' and spaces becomes '_'. */
static void mermaid_name(aj__writer *w, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = isalnum(c) || c == '_' || c == '-' || c == '.' || c == ' ';
        aj__write_printf(w, "%c", plain ? c : '_');
    }
}

/* Under a mapped step's section, a bar per element that started. */
static void mermaid_elements(aj__writer *w, const aj_instance *inst, uint32_t i,
                             const char *const *tag, int64_t now)
{
    const aj__mapped *m = expanded(inst, i);
    aj__snap s;

    for (size_t k = 0; m != NULL && k < m->n; k++) {
        if (!started(m, k, &s))
            continue;
        aj__write_printf(w, "    element %zu %s :%ss%" PRIu32 "e%zu, %" PRId64 ", %" PRId64 "\n", k,
                         aj_step_state_name(s.state), tag[s.state], i, k,
                         (s.start_ns - inst->start_ns) / 1000, (bar_end(&s, now) - inst->start_ns) / 1000);
    }
}

static void mermaid_step(aj__writer *w, const aj_instance *inst, uint32_t i, const aj__snap *s,
                         int64_t ready, int64_t now)
{
    static const char *const tag[AJ_STEP_STATE_COUNT] = {
        "", "active, ", "done, ", "crit, ", "", "crit, ", "active, ",
    };
    int64_t t0 = inst->start_ns, ready_us = (ready - t0) / 1000;
    int64_t start_us = (s->start_ns - t0) / 1000;

    if (s->start_ns == 0 && s->state != AJ_STEP_SKIPPED)
        return;
    aj__write_printf(w, "    section ");
    mermaid_name(w, inst->def->steps[i].name);
    if (s->start_ns == 0) {
        aj__write_printf(w, "\n    skipped (%s) :milestone, s%" PRIu32 "s, %" PRId64 ", %" PRId64
                            "\n", aj_skip_reason_name(s->reason), i, ready_us, ready_us);
        return;
    }
    if (ready_us < start_us)
        aj__write_printf(w, "\n    waiting :s%" PRIu32 "w, %" PRId64 ", %" PRId64, i, ready_us,
                       start_us);
    aj__write_printf(w, "\n    %s :%ss%" PRIu32 "r, %" PRId64 ", %" PRId64 "\n",
                   aj_step_state_name(s->state), tag[s->state], i, start_us,
                   (bar_end(s, now) - t0) / 1000);
    if (inst->def->exec[i].flags & AJ_STEP_MAPPED)
        mermaid_elements(w, inst, i, tag, now);
}

int aj_instance_mermaid(const aj_instance *inst, FILE *out)
{
    aj__writer w = { out, false };
    aj__snap *snaps;
    int64_t *ready, now = aj_now_ns();

    if (inst == NULL || out == NULL)
        return AJ_EINVAL;
    if (snap_ready(inst, &snaps, &ready) != AJ_OK)
        return AJ_ENOMEM;
    aj__write_printf(&w, "gantt\n    title ");
    mermaid_name(&w, inst->def->name);
    aj__write_printf(&w, " ");
    mermaid_name(&w, aj__inst_id(inst));
    /* Times are microseconds; read as milliseconds, the axis shows ms.us. */
    aj__write_printf(&w, "\n    %%%% times in microseconds since the instance started\n"
                       "    dateFormat x\n    axisFormat %%s.%%L\n");
    for (uint32_t k = 0; k < inst->def->n_steps; k++) {
        uint32_t i = inst->def->order[k];
        mermaid_step(&w, inst, i, &snaps[i], ready[i], now);
    }
    aj__free(snaps);
    return aj__write_flush(&w);
}
