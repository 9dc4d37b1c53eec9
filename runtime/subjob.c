/*
 * subjob.c: sub-job steps (AJ_STEP_SUBJOB). Each attempt of such a step is
 * an instance of its aj_step_def.subjob: the step runs as an async step
 * (async.c) whose operation is that sub-instance, and the sub-instance's
 * end is the attempt's done. It lies inside its parent's allocation, in
 * the step's room, so that an instance is still one allocation: the
 * parent's layout reserves a room for every sub-job step, and inside it
 * the rooms of the sub-job's own sub-job steps, however deep.
 *
 * DESIGN
 * A room holds what the step's attempts need that the async record has
 * no place for: the cancel hook's storage, the failure message, the
 * sub-instance's layout, and the sub-instance. The labels of every
 * sub-instance's steps ("T1/Query", as observers and pictures show them)
 * are written once, when the top instance's allocation is made
 * (aj__sub_furnish), and never move.
 * An attempt builds the sub-instance in the room, arms the parent's
 * cancel hook to cancel it (the parent's cancel and the attempt's
 * deadline reach it so), and runs its steps on the calling thread, as a
 * waiter would: a sub-job of short steps costs no hand-over. Its other
 * steps, the ones it shares or that block or wait, go on elsewhere as any
 * instance's do. Its end (on_done, on the thread that settled its last
 * step) claims the attempt's done first, then, unless the attempt has
 * expired, writes the cause and message of a failure and settles the
 * attempt with the result (marked taken: the parent owns it from then on).
 * Lifetime: the sub-instance is torn down (aj__inst_teardown: it waits
 * until no thread touches it) before its room serves the next attempt,
 * or when the parent is freed; the parent's async hold, released by the
 * done, keeps the parent alive until then.
 */
#include "aj_api.h"

#include <stdio.h>
#include <string.h>

typedef struct room {
    aj__hook hook;                 /* the attempts' cancel hook */
    aj__layout layout;             /* the sub-instance's */
    const aj_job_def *def;         /* the job it runs */
    struct room *next;             /* the parent's next room, in step order */
    size_t inst;                   /* where the sub-instance lies, from here */
    aj__async *owner;              /* the parent's record of the step; set by
                                      the parent's build */
    _Atomic bool live;             /* a sub-instance lies here, not yet torn
                                      down; written by the step's owner */
    char message[AJ_MESSAGE_MAX];  /* a failed attempt's, the attempt's ctx's */
} room;

static aj_instance *room_inst(room *r)
{
    return (aj_instance *)((char *)r + r->inst);
}

static bool is_subjob(const aj_job_def *def, uint32_t i)
{
    return (def->exec[i].flags & AJ_STEP_SUBJOB) && def->steps[i].subjob != NULL;
}

/* Labels under prefix, "prefix/name", at base: pointers, then the text. */
static void write_labels(char *base, const aj_job_def *def, const char *prefix)
{
    const char **ptrs = (const char **)base;
    char *text = base + def->n_steps * sizeof *ptrs;

    size_t len = strlen(prefix);

    for (uint32_t i = 0; i < def->n_steps; i++) {
        size_t n = strlen(def->steps[i].name) + 1;
        ptrs[i] = text;
        memcpy(text, prefix, len);
        text[len] = '/';
        memcpy(text + len + 1, def->steps[i].name, n);
        text += len + 1 + n;
    }
}

static bool labels_size(const aj_job_def *def, size_t prefix_len, size_t *size)
{
    *size = def->n_steps * sizeof(char *);
    for (uint32_t i = 0; i < def->n_steps; i++) {
        size_t n;
        if (def->steps[i].name == NULL)
            return false;
        n = prefix_len + strlen(def->steps[i].name) + 2;
        if (n > SIZE_MAX - *size)
            return false;
        *size += n;
    }
    return true;
}

static size_t align_up(size_t at, size_t align)
{
    return (at + align - 1) / align * align;
}

/* Places the room of step i (a sub-job step of def, whose labels start
 * with prefix_len bytes) and its sub-instance at *end; the room's offset
 * in *at, the sub-instance's layout in *sl. */
static int place_room(const aj_job_def *def, uint32_t i, size_t prefix_len, unsigned depth,
                      size_t *end, size_t *at, aj__layout *sl)
{
    const aj_job_def *sub = def->steps[i].subjob;
    size_t name_len = strlen(def->steps[i].name);
    size_t child = prefix_len > 0 ? prefix_len + 1 + name_len : name_len;
    int rc = aj__def_usable(sub);

    if (rc != AJ_OK || (rc = aj__layout_plan(sub, 0, child, depth + 1, sl)) != AJ_OK)
        return rc;
    *at = align_up(*end, _Alignof(room));
    if (*at < *end || sl->total > SIZE_MAX - sl->align - sizeof(room) - *at)
        return AJ_ENOMEM;
    *end = align_up(*at + sizeof(room), sl->align) + sl->total;
    return AJ_OK;
}

/* The labels and rooms of def from *end into l; with base, written there
 * (labels under prefix) along with those of every sub-instance inside. */
static int lay_out(const aj_job_def *def, size_t prefix_len, unsigned depth, size_t *end,
                   aj__layout *l, char *base, const char *prefix)
{
    room *prev = NULL;
    size_t size;

    if (depth > AJ__SUB_DEPTH_MAX || def->steps == NULL || def->exec == NULL)
        return AJ_EINVAL;
    l->labels = 0;
    if (prefix_len > 0) {
        if (!labels_size(def, prefix_len, &size) || size > SIZE_MAX - *end - sizeof(char *))
            return AJ_ENOMEM;
        l->labels = align_up(*end, sizeof(char *));
        *end = l->labels + size;
        if (base != NULL)
            write_labels(base + l->labels, def, prefix);
    }
    for (uint32_t i = 0; i < def->n_steps; i++) {
        aj__layout sl;
        size_t at;
        int rc;
        if (!is_subjob(def, i))
            continue;
        if ((rc = place_room(def, i, prefix_len, depth, end, &at, &sl)) != AJ_OK)
            return rc;
        if (l->n_rooms++ == 0)
            l->rooms = at;
        if (sl.align > l->align)
            l->align = sl.align;
        if (base == NULL)
            continue;
        room *r = (room *)(base + at);
        memset(r, 0, sizeof *r);
        r->layout = sl;
        r->def = def->steps[i].subjob;
        r->inst = align_up(at + sizeof(room), sl.align) - at;
        if (prev != NULL)
            prev->next = r;
        prev = r;
        aj__sub_furnish((char *)room_inst(r), &sl, r->def,
                        l->labels != 0 ? ((const char **)(base + l->labels))[i]
                                       : def->steps[i].name);
    }
    return AJ_OK;
}

int aj__sub_plan(const aj_job_def *def, size_t prefix_len, unsigned depth, size_t *end,
                 aj__layout *l)
{
    return lay_out(def, prefix_len, depth, end, l, NULL, NULL);
}

void aj__sub_furnish(char *base, const aj__layout *l, const aj_job_def *def, const char *prefix)
{
    aj__layout again = *l;
    size_t end = l->rooms;

    again.n_rooms = 0;
    /* The same placement as the plan's: it succeeded there. */
    if (prefix != NULL && l->labels != 0)
        end = l->labels;
    (void)lay_out(def, prefix != NULL && l->labels != 0 ? strlen(prefix) : 0, 0, &end, &again,
                  base, prefix);
}

void aj__sub_bind(aj_instance *inst, char *base, const aj__layout *l)
{
    room *r = l->n_rooms > 0 ? (room *)(base + l->rooms) : NULL;

    if (l->labels != 0)
        inst->labels = (const char *const *)(base + l->labels);
    for (uint32_t k = 0; k < inst->n_async && r != NULL; k++) {
        aj__async *a = &inst->asyncs[k];
        if (!is_subjob(inst->def, a->ctx.step->index))
            continue;
        a->room = r;
        a->ctx.hk = &r->hook;
        a->ctx.message = r->message;
        r->owner = a;
        r = r->next;
    }
}

/* The previous attempt's sub-instance, final by now, is torn down. */
static void release(room *r)
{
    if (!atomic_load_explicit(&r->live, memory_order_relaxed))
        return;
    atomic_store_explicit(&r->live, false, memory_order_relaxed);
    aj__inst_teardown(room_inst(r));
}

void aj__sub_release(aj_instance *inst)
{
    for (uint32_t k = 0; k < inst->n_async; k++)
        if (inst->asyncs[k].room != NULL)
            release(inst->asyncs[k].room);
}

const aj_instance *aj__sub_latest(const aj_instance *inst, uint32_t i)
{
    const aj__async *a = aj__inst_async(inst, i);
    room *r = a->room;

    if (r == NULL || !atomic_load_explicit(&r->live, memory_order_acquire))
        return NULL;
    return room_inst(r);
}

/* ------------------------------------------------------------------------ */
/* An attempt                                                                */

static void cancel_sub(void *arg)
{
    aj_instance_cancel(arg);
}

/* The attempt's outcome from its final sub-instance: rc, and the result
 * it hands over (taken, so that the sub-instance never frees it). */
static int outcome(aj_instance *sub, const aj_step_def *sd, const void **out)
{
    int32_t res = sub->def->result;

    *out = NULL;
    if (atomic_load_explicit(&sub->failed, memory_order_acquire))
        return sub->fail_code;
    if (atomic_load(&sub->cut))
        return AJ_ECANCELED;
    if (sd->output_type == NULL)
        return AJ_OK;
    if (AJ__GET(&sub->steps[res], state) != AJ_STEP_COMPLETED)
        return AJ_ENORESULT;
    atomic_store(&sub->steps[res].taken, true);
    *out = (const char *)sub->outputs + sub->def->steps[res].output_offset;
    return AJ_OK;
}

/* on_done of a sub-instance: its end is the attempt's done. */
static void sub_done(aj_instance *sub, void *user)
{
    room *r = sub->room;
    aj__async *a = r->owner;
    const aj_step_def *sd = &a->ctx.inst->def->steps[a->ctx.step->index];
    const void *out;
    int rc = outcome(sub, sd, &out);
    uint32_t old = aj__async_claim(a);

    (void)user;
    if (old & AJ__ASYNC_CLAIMED)
        return;
    /* Only the attempt's done, in time, tells what failed inside. */
    if (rc != AJ_OK && !(old & AJ__ASYNC_EXPIRED) &&
        atomic_load_explicit(&sub->failed, memory_order_relaxed)) {
        int32_t root = atomic_load(&sub->root);
        a->cause = sub->fail_name != NULL ? sub->fail_name : aj__step_label(sub, (uint32_t)root);
        snprintf(r->message, sizeof r->message, "%s", sub->message);
    }
    aj__async_settle(a, old, rc, out);
}

/* Builds the sub-instance in the room, as the parent's options say. */
static aj_instance *build(room *r, aj_instance *parent, const void *inputs, int *rc)
{
    aj_start_opts opts = { .sequential = parent->sequential, .fail_fast = parent->fail_fast,
                           .user = parent->user, .observer = parent->has_obs ? &parent->obs : NULL,
                           .on_done = sub_done };
    aj_instance *sub;

    if (inputs == NULL && r->def->inputs_size > 0) {
        *rc = AJ_EINVAL;
        return NULL;
    }
    if ((sub = aj__inst_build((char *)room_inst(r), &r->layout, r->def, inputs, &opts, rc)) ==
        NULL)
        return NULL;
    sub->room = r;
    aj__inst_launch(sub, parent->rt);
    /* Release: a picture that sees it sees the built instance. */
    atomic_store_explicit(&r->live, true, memory_order_release);
    return sub;
}

int aj_ctx_run_subjob(aj_ctx *ctx, const void *inputs)
{
    aj__async *a = (aj__async *)ctx;
    aj_instance *sub;
    room *r;
    int rc;

    if (ctx == NULL || !ctx->async || a->room == NULL)
        return AJ_EINVAL;
    r = a->room;
    a->cause = NULL;
    release(r);
    if ((sub = build(r, ctx->inst, inputs, &rc)) == NULL)
        return rc;
    /* The parent's cancel and this attempt's deadline cancel it; with the
     * parent cancelled already, now. The hook's storage is the room's. */
    (void)aj_ctx_on_cancel(ctx, cancel_sub, sub);
    if (sub->def->n_steps == 0) {
        aj__inst_on_done(sub);
    } else if (sub->sequential) {
        atomic_store_explicit(&sub->next_root, sub->def->n_roots, memory_order_relaxed);
        aj__exec_sequential(sub);
    } else {
        aj__runner runner;
        aj__runner_init(&runner, sub);
        aj__exec_drain(&runner);
    }
    return AJ_PENDING;
}
