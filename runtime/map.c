/*
 * map.c: running mapped steps (the bookkeeping is expand.c's). A mapped
 * step's own record goes through the state machine as any step's, with
 * AJ__MAPPED in its doomed byte so that every runnable, doomed or
 * cancelled mapped step comes here instead of being run or settled in
 * place: that one bit is all a job without maps pays.
 *
 * Releasing a mapped step (its predecessors are final) expands it if it
 * is a head, then claims every element not claimed yet: they go on the
 * runner's stack to run, or, when the release is doomed or the instance
 * cancelled, end skipped or cancelled unrun; the runner shares them with
 * idle threads once they prove long (exec.c). Each element is a step
 * record of its own: runners run it (exec.c, async.c for an async step,
 * the blocking pool for a blocking one) with its own attempts, retries,
 * deadline, state and slots of the limits its step uses (taken before a
 * blocking element goes to the pool, admit.c), and settle it here. A
 * completed element i of a step lets element i of each step that maps
 * over it element by element run at once, when that step's other
 * predecessors have completed (it is open): who claims the element first,
 * this or the follower's release, makes it runnable. The step itself is
 * final once all its elements are and it was released: whoever counts
 * the last of those settles it, as completed, failed (the first element
 * that failed for good is the root cause, "Query[3]"), cancelled or
 * skipped, and releases what follows it.
 * Sequential mode runs the elements on the releasing thread, in order, and
 * lets no follower run early.
 */
#include "aj_exec.h"

#include <string.h>

/* Other predecessors a follower may wait for and still run early; past
 * this many its elements wait for its release. */
#define OPEN_SCAN 8

/* Whether f's predecessors other than its source all completed: then its
 * elements may run as soon as their sources' do. Once true, for good
 * (until a rerun). */
static bool is_open(aj_instance *inst, aj__mapped *f)
{
    const aj_job_def *def = inst->def;
    uint32_t seen = 0;

    if (atomic_load_explicit(&f->open, memory_order_acquire))
        return true;
    /* Edges are grouped by source: a scan finds f's predecessors. */
    for (uint32_t k = 0; k < def->n_edges; k++) {
        uint32_t from = def->edges[k].from;
        if (def->edges[k].to != f->index || from == f->source)
            continue;
        if (++seen > OPEN_SCAN ||
            atomic_load_explicit(&inst->steps[from].state, memory_order_acquire) !=
                AJ_STEP_COMPLETED)
            return false;
    }
    atomic_store_explicit(&f->open, true, memory_order_release);
    return true;
}

/* Claims e for the caller, once: a head's elements have no other
 * claimant (nothing reads their mark), a follower's the source's elements
 * race its release. */
static bool claim(aj__elem *e, bool contended)
{
    return !contended || !atomic_exchange_explicit(&e->claimed, true, memory_order_acq_rel);
}

/* Element i of m completed: element i of each open follower may run. */
static void follow(aj__runner *r, const aj__mapped *m, size_t i)
{
    aj_instance *inst = r->inst;

    for (int32_t k = m->follower; k >= 0; k = inst->maps[k].sibling) {
        aj__mapped *f = &inst->maps[k];
        if (!atomic_load(&inst->cancelled) && is_open(inst, f) && claim(&f->elems[i], true)) {
            f->elems[i].rec.next = NULL;
            aj__runner_adopt(r, &f->elems[i].rec);
        }
    }
}

/* How the mapped step of m ends, its elements and release all counted. */
static void settle_step(aj__runner *r, aj__mapped *m)
{
    aj_instance *inst = r->inst;
    aj__step *s = &inst->steps[m->index];
    int64_t now = aj_now_ns();

    if (m->doom != 0 && atomic_load(&inst->cancelled)) {
        aj__exec_settle(r, s, AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, 0, NULL, 0);
    } else if (m->doom != 0) {
        aj__rec_skip(s, aj__upstream(m->doom));
        aj__exec_settle(r, s, AJ_STEP_SKIPPED, AJ_FAIL_NONE, 0, NULL, 0);
    } else if (atomic_load(&m->failed) >= 0) {
        aj__exec_settle(r, s, AJ_STEP_FAILED, m->fail_kind, m->fail_err, m->message, now);
    } else if (atomic_load(&m->cancelled)) {
        aj__exec_settle(r, s, AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, AJ_ECANCELED, NULL, now);
    } else {
        aj__exec_settle(r, s, AJ_STEP_COMPLETED, AJ_FAIL_NONE, 0, NULL, now);
    }
}

/* n more of m's count are final; the last settles the step. */
static void count(aj__runner *r, aj__mapped *m, size_t n)
{
    if (atomic_fetch_sub_explicit(&m->left, n, memory_order_acq_rel) == n)
        settle_step(r, m);
}

void aj__map_flush(aj__runner *r)
{
    aj__mapped *m = r->counted;
    size_t n = r->n_counted;

    r->counted = NULL;
    r->n_counted = 0;
    if (m != NULL)
        count(r, m, n);
}

/* Element s is final in state: the observers learn of it, followers may
 * start, its step counts it. While the next step r runs is an element of
 * the same step, the count waits in r: elements shared between threads
 * then count in runs, not each on the same contended line. */
static void elem_final(aj__runner *r, aj__step *s, aj_step_state state, int err,
                       const char *message, int64_t end_ns)
{
    aj__elem *e = aj__elem_of(s);
    aj__step *next;

    if (r->inst->observed)
        aj__observe_finish(s, state, err, message, end_ns);
    if (state == AJ_STEP_COMPLETED && e->m->follower >= 0 && !r->inst->sequential)
        follow(r, e->m, aj__elem_index(e));
    if (r->counted != e->m)
        aj__map_flush(r);
    r->counted = e->m;
    r->n_counted++;
    next = r->stack;
    if (r->inst->sequential || next == NULL || !aj__is_elem(next) ||
        aj__elem_of(next)->m != e->m)
        aj__map_flush(r);
}

/* Element s failed for good: the first such is its step's failure. */
static void record_failure(aj__step *s, const aj_ctx *ctx, int rc, aj_fail_kind kind)
{
    aj__mapped *m = aj__elem_of(s)->m;
    int64_t none = -1;

    if (!atomic_compare_exchange_strong(&m->failed, &none, (int64_t)aj__elem_index(aj__elem_of(s))))
        return;
    m->fail_err = rc;
    m->fail_kind = kind;
    m->fail_attempts = AJ__GET(s, attempts);
    strcpy(m->message, ctx->message != NULL ? ctx->message : "");
}

bool aj__map_conclude(aj__runner *r, aj__step *s, const aj_ctx *ctx, int rc, aj_fail_kind kind,
                      int64_t end_ns, int64_t *delay)
{
    aj_instance *inst = r->inst;
    aj_step_state state = AJ_STEP_COMPLETED;

    if (rc != 0 && (rc == AJ_ECANCELED || atomic_load(&inst->cancelled))) {
        state = AJ_STEP_CANCELLED;
        kind = AJ_FAIL_CANCELLED;
        atomic_store(&aj__elem_of(s)->m->cancelled, true);
    } else if (rc != 0) {
        if (!ctx->permanent &&
            aj__retry_next(aj__inst_retry(inst, s->index), ctx, rc, ctx->attempt - 1, delay)) {
            aj__rec_retry(s, rc, kind);
            if (inst->observed)
                aj__observe_retry(ctx, rc, *delay);
            return true;
        }
        state = AJ_STEP_FAILED;
        record_failure(s, ctx, rc, kind);
    }
    aj__rec_final(s, state, kind, rc, end_ns);
    elem_final(r, s, state, rc, ctx->message, end_ns);
    return false;
}

/* Settles element s, claimed by r's thread and never run (or run and
 * waiting for a late done, or let in by a limit and not run yet), as
 * cancelled or, for a doomed release, skipped. */
static void settle_unrun(aj__runner *r, aj__step *s, unsigned doom, int64_t now_ns)
{
    bool started = AJ__GET(s, attempts) > 0;

    if (AJ__GET(s, state) == AJ_STEP_WAITING)
        aj__attempt_abandoned(&aj__step_async(s)->ctx);
    aj__admit_let_go(s);
    if (doom != 0 && !atomic_load(&r->inst->cancelled)) {
        aj__rec_skip(s, aj__upstream(doom));
        elem_final(r, s, AJ_STEP_SKIPPED, 0, NULL, 0);
        return;
    }
    aj__rec_final(s, AJ_STEP_CANCELLED, AJ_FAIL_CANCELLED, AJ__GET(s, err), started ? now_ns : 0);
    atomic_store(&aj__elem_of(s)->m->cancelled, true);
    elem_final(r, s, AJ_STEP_CANCELLED, AJ__GET(s, err), NULL, started ? now_ns : 0);
}

/* The step's record says it runs: from its release to its end. */
static void rec_running(aj__step *s, int64_t now_ns)
{
    uint32_t q = aj__rec_begin(s);

    AJ__PUT(s, state, AJ_STEP_RUNNING);
    AJ__PUT(s, start_ns, now_ns);
    aj__rec_end(s, q);
}

/* Sequential mode: the claimed elements on list run here, in order. */
static void run_here(aj__runner *r, aj__step *list)
{
    while (list != NULL) {
        aj__step *s = list;
        list = s->next;
        if (atomic_load(&r->inst->cancelled))
            settle_unrun(r, s, 0, r->now_ns);
        else if (r->inst->def->exec[s->index].flags & AJ_STEP_ASYNC)
            aj__async_run(r, s);
        else
            aj__exec_run_elem(r, s);
    }
}

/* Mapped step s (owned by r's thread) is released: its predecessors are
 * final, doomed as its doomed byte says, or the instance is cancelled. */
static void release(aj__runner *r, aj__step *s)
{
    aj_instance *inst = r->inst;
    aj__mapped *m = aj__inst_mapped(inst, s->index);
    unsigned doom = AJ__GET(s, doomed) & AJ__DOOMS;
    bool head = !(inst->def->exec[m->source].flags & AJ_STEP_MAPPED);
    aj__step *list = NULL, **tail = &list;
    int rc;

    if (atomic_load(&inst->cancelled))
        doom |= AJ__DOOM_CANCELLED;
    if (doom == 0 && head && !atomic_load(&m->expanded) &&
        (rc = aj__map_expand(inst, m)) != AJ_OK) {
        aj__exec_settle(r, s, AJ_STEP_FAILED, AJ_FAIL_ERROR, rc,
                        "out of memory for the elements", aj_now_ns());
        return;
    }
    m->doom = (uint8_t)doom;
    if (!atomic_load(&m->expanded)) {
        /* Doomed before its chain was expanded: nothing ran. */
        atomic_store_explicit(&m->left, 1, memory_order_relaxed);
        count(r, m, 1);
        return;
    }
    if (doom == 0)
        rec_running(s, r->now_ns);
    for (size_t i = 0; i < m->n; i++) {
        aj__step *e = &m->elems[i].rec;
        if (!claim(&m->elems[i], !head))
            continue;
        if (doom != 0) {
            settle_unrun(r, e, doom, r->now_ns);
        } else if (inst->sequential) {
            /* In element order, as they run here. */
            *tail = e;
            tail = &e->next;
            e->next = NULL;
        } else {
            /* Last first: adopting reverses them, element 0 runs first. */
            e->next = list;
            list = e;
        }
    }
    /* The release counts once its elements are out of its hands: the step
     * may end at once (n == 0, or every element settled above). */
    if (inst->sequential) {
        count(r, m, 1);
        run_here(r, list);
    } else {
        aj__runner_adopt(r, list);
        count(r, m, 1);
        /* The elements wait from now, not from before the expansion:
         * counted from then, short ones would be shared for nothing. */
        r->now_ns = aj_now_ns();
        r->stack_since_ns = r->now_ns;
    }
}

/* Element s of a blocking step goes to the blocking pool, once it holds
 * its slots: it waits for them holding no thread of the pool. Else it
 * runs here (no thread to take it there), or it is no longer r's. */
static void run_blocking_elem(aj__runner *r, aj__step *s, uint32_t flags)
{
    if ((flags & AJ_STEP_LIMITED) && !aj__exec_admit(r, s))
        return;
    if (!aj__blocking_submit(r, s))
        aj__exec_run_elem(r, s);
}

void aj__map_run(aj__runner *r, aj__step *s)
{
    aj_instance *inst = r->inst;
    uint32_t flags = inst->def->exec[s->index].flags;

    if (!aj__is_elem(s))
        release(r, s);
    else if (flags & AJ_STEP_ASYNC)
        aj__async_run(r, s);
    else if (!(flags & AJ_STEP_BLOCKING) || r->blocking || inst->sequential)
        aj__exec_run_elem(r, s);
    else
        run_blocking_elem(r, s, flags);
}

void aj__map_cancel(aj__runner *r, aj__step *s, int64_t now_ns)
{
    if (aj__is_elem(s))
        settle_unrun(r, s, 0, now_ns);
    else
        release(r, s);
}
