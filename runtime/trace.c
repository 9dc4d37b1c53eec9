/*
 * trace.c: the trace collector (aj_trace). Its observer takes the events
 * of any number of instances, on any thread; aj_trace_write() puts them
 * in one Chrome trace-event JSON file (Perfetto, chrome://tracing): a
 * process per instance, a thread row per OS thread that ran its steps, a
 * complete event per attempt, each step's retry waits on a row of its
 * own, an instant event per skipped step (on the row of the thread that
 * skipped it, with the reason), and flow arrows along the job's edges,
 * from a step's last attempt to the first attempt of each step that
 * waited for it.
 *
 * DESIGN
 * One mutex guards the collector. A callback holds it for a lookup or two
 * and a bump allocation; a write holds it throughout, so events that come
 * meanwhile wait. Records live in chunks of CHUNK bytes, one allocation
 * each, never one per event; two tables grow by doubling: the instances
 * still running, by address (open addressing, linear probing), and the
 * threads seen (few: compared one by one with pthread_equal). A record
 * leaves the table when the last of its steps is final (step_finish comes
 * once per step), so that an instance later allocated at the same address
 * gets a record of its own. The first allocation that fails stops the
 * collecting: what was kept is still written, and writes say AJ_ENOMEM.
 */
#include "aj_base.h"
#include "aj_write.h"

#include <string.h>

enum {
    CHUNK = 64 * 1024,  /* bytes of records per allocation */
    WAIT_ROW = 100000   /* tid of step i's retry-wait row: WAIT_ROW + i */
};

enum { OPEN_NONE, OPEN_ATTEMPT, OPEN_WAIT };

/* An attempt, or a wait before one, that has ended. */
typedef struct slice {
    struct slice *next;        /* the instance's next slice, by end */
    int64_t start_ns, end_ns;  /* monotonic */
    uint32_t step;
    uint32_t attempt;          /* a wait's: the attempt that follows it */
    uint32_t tid;              /* thread row; 0: the step's retry-wait row */
    int err;                   /* the attempt's code; 0: none */
    const char *outcome;       /* static: "retried", a final state's name... */
    const char *message;       /* the attempt's, in a chunk; "" */
    const char *skipped;       /* a skipped step's instant: the reason's
                                  name (static); NULL: a slice */
} slice;

typedef struct step_rec {
    const slice *first, *last; /* its first and latest attempts */
    int64_t since_ns;          /* start of the open attempt or wait */
    uint32_t attempt;          /* of the open attempt, or after the wait */
    uint32_t tid;              /* of the open attempt */
    uint32_t named;            /* the write that named its wait row */
    int open;                  /* OPEN_* */
} step_rec;

typedef struct inst_rec {
    struct inst_rec *next;     /* in the order of their first events */
    const aj_job_def *def;     /* borrowed: the tables outlive the trace */
    const char *id;            /* in a chunk */
    uint32_t pid;              /* 1, 2, ... by first event */
    uint32_t n_final;          /* step_finish events seen */
    slice *head, **tail;
    step_rec steps[];          /* def->n_steps */
} inst_rec;

typedef struct chunk {
    struct chunk *next;
    size_t used, size;         /* bytes of data */
    max_align_t data[];
} chunk;

typedef struct live {
    const aj_instance *key;    /* NULL: a free slot */
    inst_rec *rec;
} live;

typedef struct thread_rec {
    pthread_t id;
    uint64_t named;            /* write << 32 | pid of its last thread_name */
} thread_rec;

struct aj_trace {
    pthread_mutex_t mu;        /* guards everything below */
    aj_observer obs;           /* arg: this collector */
    int64_t t0_ns;             /* the first attempt or skip: time 0 of the
                                  file; 0 before any */
    bool lost;                 /* an allocation failed: collecting stopped */
    uint32_t writes;           /* writes begun */
    chunk *chunks;             /* the newest first */
    inst_rec *first, **last;
    uint32_t n_inst;
    live *table;               /* cap slots, at most half of them used */
    size_t cap, n_live;
    thread_rec *threads;       /* tid i + 1 is threads[i] */
    uint32_t n_threads, cap_threads;
};

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */

/* size bytes, aligned for anything, from the newest chunk or a new one;
 * NULL (and collecting stops) when memory runs out. */
static void *take(aj_trace *t, size_t size)
{
    chunk *c = t->chunks;
    void *p;

    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (c == NULL || c->size - c->used < size) {
        size_t n = size > CHUNK ? size : CHUNK;
        if ((c = aj__alloc(sizeof *c + n, _Alignof(chunk))) == NULL) {
            t->lost = true;
            return NULL;
        }
        *c = (chunk){ t->chunks, 0, n };
        t->chunks = c;
    }
    p = (unsigned char *)c->data + c->used;
    c->used += size;
    return p;
}

static const char *copy(aj_trace *t, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p;

    if (n == 1)
        return "";
    if ((p = take(t, n)) != NULL)
        memcpy(p, s, n);
    return p;
}

/* n zeroed items of size bytes, the first old of them copied from items,
 * which is freed; NULL (items kept, collecting stops) when memory runs
 * out. */
static void *grow(aj_trace *t, void *items, size_t old, size_t n, size_t size)
{
    void *p = aj__alloc(n * size, _Alignof(max_align_t));

    if (p == NULL) {
        t->lost = true;
        return NULL;
    }
    memset(p, 0, n * size);
    if (old > 0)
        memcpy(p, items, old * size);
    aj__free(items);
    return p;
}

/* ------------------------------------------------------------------------ */
/* Threads and instances                                                     */

/* This thread's row, 1 for the first thread seen; 0 when out of memory. */
static uint32_t thread_tid(aj_trace *t)
{
    pthread_t self = pthread_self();
    uint32_t n = t->n_threads;

    for (uint32_t i = 0; i < n; i++)
        if (pthread_equal(t->threads[i].id, self))
            return i + 1;
    if (n == t->cap_threads) {
        uint32_t cap = n > 0 ? 2 * n : 16;
        thread_rec *more = grow(t, t->threads, n, cap, sizeof *more);
        if (more == NULL)
            return 0;
        t->threads = more;
        t->cap_threads = cap;
    }
    t->threads[n] = (thread_rec){ self, 0 };
    t->n_threads = n + 1;
    return n + 1;
}

/* Where key's search starts: Fibonacci hashing of its address. */
static size_t home_of(const aj_trace *t, const aj_instance *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9E3779B97F4A7C15);

    return (size_t)(h >> 32) & (t->cap - 1);
}

/* key's slot, or the free slot where it would go. */
static size_t slot_of(const aj_trace *t, const aj_instance *key)
{
    size_t i = home_of(t, key);

    while (t->table[i].key != NULL && t->table[i].key != key)
        i = (i + 1) & (t->cap - 1);
    return i;
}

/* Doubles the table of running instances, placing each again. */
static bool table_grow(aj_trace *t)
{
    live *old = t->table;
    size_t old_cap = t->cap, cap = old_cap > 0 ? 2 * old_cap : 64;
    live *table = grow(t, NULL, 0, cap, sizeof *table);

    if (table == NULL)
        return false;
    t->table = table;
    t->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key != NULL)
            t->table[slot_of(t, old[i].key)] = old[i];
    aj__free(old);
    return true;
}

/* Removes slot i, moving back each later entry of its run whose home is
 * not after the hole (linear probing's deletion, without tombstones). */
static void table_remove(aj_trace *t, size_t i)
{
    size_t mask = t->cap - 1;

    t->n_live--;
    for (size_t j = (i + 1) & mask; t->table[j].key != NULL; j = (j + 1) & mask) {
        size_t h = home_of(t, t->table[j].key);
        if (((j - h) & mask) >= ((j - i) & mask)) {
            t->table[i] = t->table[j];
            i = j;
        }
    }
    t->table[i] = (live){ NULL, NULL };
}

/* A record for the instance of ev, new on its first event. */
static inst_rec *new_record(aj_trace *t, const aj_step_event *ev)
{
    const aj_job_def *def = aj_instance_def(ev->instance);
    inst_rec *r = take(t, sizeof *r + def->n_steps * sizeof r->steps[0]);
    const char *id = r != NULL ? copy(t, ev->instance_id) : NULL;

    if (id == NULL)
        return NULL;
    memset(r, 0, sizeof *r + def->n_steps * sizeof r->steps[0]);
    r->def = def;
    r->id = id;
    r->pid = ++t->n_inst;
    r->tail = &r->head;
    *t->last = r;
    t->last = &r->next;
    return r;
}

/* The record of ev's instance; NULL when collecting has stopped. */
static inst_rec *record_of(aj_trace *t, const aj_step_event *ev)
{
    size_t i;

    if (t->lost)
        return NULL;
    if (2 * (t->n_live + 1) > t->cap && !table_grow(t))
        return NULL;
    i = slot_of(t, ev->instance);
    if (t->table[i].key == NULL) {
        inst_rec *r = new_record(t, ev);
        if (r == NULL)
            return NULL;
        t->table[i] = (live){ ev->instance, r };
        t->n_live++;
    }
    return t->table[i].rec;
}

/* ------------------------------------------------------------------------ */
/* The observer                                                              */

/* Ends the open attempt or wait of ev's step at ev->time_ns, as a slice
 * of r. */
static void close_open(aj_trace *t, inst_rec *r, const aj_step_event *ev, const char *outcome)
{
    step_rec *s = &r->steps[ev->step_index];
    bool attempt = s->open == OPEN_ATTEMPT;
    slice *sl = take(t, sizeof *sl);

    s->open = OPEN_NONE;
    if (sl == NULL)
        return;
    *sl = (slice){
        .start_ns = s->since_ns, .end_ns = ev->time_ns, .step = ev->step_index,
        .attempt = s->attempt, .tid = attempt ? s->tid : 0, .outcome = outcome,
        .err = attempt ? ev->err : 0, .message = attempt ? copy(t, ev->message) : "",
    };
    if (sl->message == NULL)
        return;
    *r->tail = sl;
    r->tail = &sl->next;
    if (attempt) {
        s->first = s->first != NULL ? s->first : sl;
        s->last = sl;
    }
}

static void on_start(void *arg, const aj_step_event *ev)
{
    aj_trace *t = arg;
    inst_rec *r;
    uint32_t tid;

    /* A mapped step's elements are drawn by aj_instance_trace_json and
     * aj_instance_mermaid; here the step's own events are. */
    if (ev->element >= 0)
        return;
    pthread_mutex_lock(&t->mu);
    if ((r = record_of(t, ev)) != NULL && (tid = thread_tid(t)) != 0) {
        step_rec *s = &r->steps[ev->step_index];
        if (s->open == OPEN_WAIT)
            close_open(t, r, ev, "waited");
        s->open = OPEN_ATTEMPT;
        s->since_ns = ev->time_ns;
        /* Every slice starts at or after an attempt's start. */
        if (t->t0_ns == 0 || ev->time_ns < t->t0_ns)
            t->t0_ns = ev->time_ns;
        s->attempt = ev->attempt;
        s->tid = tid;
    }
    pthread_mutex_unlock(&t->mu);
}

static void on_retry(void *arg, const aj_step_event *ev)
{
    aj_trace *t = arg;
    inst_rec *r;

    /* A mapped step's elements are drawn by aj_instance_trace_json and
     * aj_instance_mermaid; here the step's own events are. */
    if (ev->element >= 0)
        return;
    pthread_mutex_lock(&t->mu);
    if ((r = record_of(t, ev)) != NULL) {
        step_rec *s = &r->steps[ev->step_index];
        close_open(t, r, ev, "retried");
        s->open = OPEN_WAIT;
        s->since_ns = ev->time_ns;
        s->attempt = ev->attempt + 1;
    }
    pthread_mutex_unlock(&t->mu);
}

/* A skipped step: an instant on this thread's row, when it was skipped. */
static void add_skipped(aj_trace *t, inst_rec *r, const aj_step_event *ev)
{
    uint32_t tid = thread_tid(t);
    slice *sl = tid != 0 ? take(t, sizeof *sl) : NULL;

    if (sl == NULL)
        return;
    *sl = (slice){
        .start_ns = ev->time_ns, .end_ns = ev->time_ns, .step = ev->step_index, .tid = tid,
        .outcome = aj_step_state_name(ev->state), .message = "",
        .skipped = aj_skip_reason_name(ev->skip_reason),
    };
    if (t->t0_ns == 0 || ev->time_ns < t->t0_ns)
        t->t0_ns = ev->time_ns;
    *r->tail = sl;
    r->tail = &sl->next;
}

/* A step is final: its open attempt or wait ends; with the instance's last
 * step the record leaves the table. */
static void on_finish(void *arg, const aj_step_event *ev)
{
    aj_trace *t = arg;
    inst_rec *r;

    /* A mapped step's elements are drawn by aj_instance_trace_json and
     * aj_instance_mermaid; here the step's own events are. */
    if (ev->element >= 0)
        return;
    pthread_mutex_lock(&t->mu);
    if ((r = record_of(t, ev)) != NULL) {
        if (r->steps[ev->step_index].open != OPEN_NONE)
            close_open(t, r, ev, aj_step_state_name(ev->state));
        else if (ev->state == AJ_STEP_SKIPPED)
            add_skipped(t, r, ev);
        if (++r->n_final == r->def->n_steps)
            table_remove(t, slot_of(t, ev->instance));
    }
    pthread_mutex_unlock(&t->mu);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

typedef struct tw {
    aj__writer w;
    aj_trace *t;
    inst_rec *r;               /* the instance being written */
    uint64_t n_events;         /* written so far */
    uint64_t n_flows;
} tw;

/* Opens the next event: its name, phase, process and, unless 0, thread. */
static void event_begin(tw *o, const char *name, const char *ph, uint64_t tid)
{
    aj__write_printf(&o->w, "%s\n{\"name\":", o->n_events++ > 0 ? "," : "");
    aj__json_string(&o->w, name);
    aj__write_printf(&o->w, ",\"ph\":\"%s\",\"pid\":%" PRIu32, ph, o->r->pid);
    if (tid != 0)
        aj__write_printf(&o->w, ",\"tid\":%" PRIu64, tid);
}

static void write_ts(tw *o, const char *key, int64_t ns)
{
    aj__write_printf(&o->w, ",\"%s\":", key);
    aj__json_us(&o->w, ns);
}

/* The process of o's instance: "JOB ID". */
static void write_process(tw *o)
{
    event_begin(o, "process_name", "M", 0);
    aj__write_printf(&o->w, ",\"args\":{\"name\":\"");
    aj__json_escaped(&o->w, o->r->def->name);
    aj__write_printf(&o->w, " ");
    aj__json_escaped(&o->w, o->r->id);
    aj__write_printf(&o->w, "\"}}");
}

/* The name of a slice's row, once per instance and write. */
static void write_row_name(tw *o, const slice *sl)
{
    uint64_t mark = (uint64_t)o->t->writes << 32 | o->r->pid;
    step_rec *s = &o->r->steps[sl->step];
    thread_rec *th = sl->tid != 0 ? &o->t->threads[sl->tid - 1] : NULL;

    if (th != NULL ? th->named == mark : s->named == o->t->writes)
        return;
    if (th != NULL) {
        th->named = mark;
        event_begin(o, "thread_name", "M", sl->tid);
        aj__write_printf(&o->w, ",\"args\":{\"name\":\"thread %" PRIu32 "\"}}", sl->tid);
        return;
    }
    s->named = o->t->writes;
    event_begin(o, "thread_name", "M", WAIT_ROW + (uint64_t)sl->step);
    aj__write_printf(&o->w, ",\"args\":{\"name\":\"retry wait: ");
    aj__json_escaped(&o->w, o->r->def->steps[sl->step].name);
    aj__write_printf(&o->w, "\"}}");
}

/* A skipped step's instant event, on the row of the thread that skipped it. */
static void write_skipped(tw *o, const slice *sl)
{
    event_begin(o, o->r->def->steps[sl->step].name, "i", sl->tid);
    aj__write_printf(&o->w, ",\"cat\":\"skipped\",\"s\":\"t\"");
    write_ts(o, "ts", sl->start_ns - o->t->t0_ns);
    aj__write_printf(&o->w, ",\"args\":{\"instance\":");
    aj__json_string(&o->w, o->r->id);
    aj__write_printf(&o->w, ",\"outcome\":\"%s\",\"reason\":\"%s\"}}", sl->outcome,
                     sl->skipped);
}

/* One complete event: an attempt on its thread's row, or a wait on the
 * step's retry-wait row; or a skipped step's instant. */
static void write_slice(tw *o, const slice *sl)
{
    write_row_name(o, sl);
    if (sl->skipped != NULL) {
        write_skipped(o, sl);
        return;
    }
    event_begin(o, o->r->def->steps[sl->step].name, "X",
                sl->tid != 0 ? sl->tid : WAIT_ROW + (uint64_t)sl->step);
    aj__write_printf(&o->w, ",\"cat\":\"%s\"", sl->tid != 0 ? "attempt" : "retry wait");
    write_ts(o, "ts", sl->start_ns - o->t->t0_ns);
    write_ts(o, "dur", sl->end_ns - sl->start_ns);
    aj__write_printf(&o->w, ",\"args\":{\"instance\":");
    aj__json_string(&o->w, o->r->id);
    aj__write_printf(&o->w, ",\"attempt\":%" PRIu32 ",\"outcome\":\"%s\"", sl->attempt,
                     sl->outcome);
    if (sl->err != 0) {
        const char *err_name = aj_err_name(sl->err);
        aj__write_printf(&o->w, ",\"error\":%d", sl->err);
        if (err_name != NULL)
            aj__write_printf(&o->w, ",\"error_name\":\"%s\"", err_name);
        aj__write_printf(&o->w, ",\"message\":");
        aj__json_string(&o->w, sl->message);
    }
    aj__write_printf(&o->w, "}}");
}

/* Attempts and waits not ended yet, drawn up to now. */
static void write_open(tw *o, int64_t now)
{
    for (uint32_t i = 0; i < o->r->def->n_steps; i++) {
        const step_rec *s = &o->r->steps[i];
        bool attempt = s->open == OPEN_ATTEMPT;
        slice sl = {
            .start_ns = s->since_ns, .end_ns = now, .step = i, .attempt = s->attempt,
            .tid = attempt ? s->tid : 0, .outcome = attempt ? "running" : "waiting",
            .message = "",
        };
        if (s->open != OPEN_NONE)
            write_slice(o, &sl);
    }
}

/* The middle of a slice: inside it, where a flow event binds to it. */
static int64_t middle(const slice *sl)
{
    return sl->start_ns + (sl->end_ns - sl->start_ns) / 2;
}

/* An arrow from the last attempt of each edge's source to the first
 * attempt of its target, when both ran. */
static void write_flows(tw *o)
{
    const aj_job_def *def = o->r->def;

    for (uint32_t e = 0; e < def->n_edges; e++) {
        const slice *from = o->r->steps[def->edges[e].from].last;
        const slice *to = o->r->steps[def->edges[e].to].first;
        if (from == NULL || to == NULL)
            continue;
        o->n_flows++;
        event_begin(o, "dependency", "s", from->tid);
        aj__write_printf(&o->w, ",\"cat\":\"edge\",\"id\":%" PRIu64, o->n_flows);
        write_ts(o, "ts", middle(from) - o->t->t0_ns);
        aj__write_printf(&o->w, "}");
        event_begin(o, "dependency", "f", to->tid);
        aj__write_printf(&o->w, ",\"cat\":\"edge\",\"id\":%" PRIu64 ",\"bp\":\"e\"", o->n_flows);
        write_ts(o, "ts", middle(to) - o->t->t0_ns);
        aj__write_printf(&o->w, "}");
    }
}

static void write_instance(tw *o, int64_t now)
{
    write_process(o);
    for (const slice *sl = o->r->head; sl != NULL; sl = sl->next)
        write_slice(o, sl);
    write_open(o, now);
    write_flows(o);
}

/* ------------------------------------------------------------------------ */
/* The API                                                                   */

aj_trace *aj_trace_new(void)
{
    aj_trace *t = aj__alloc(sizeof *t, _Alignof(aj_trace));

    if (t == NULL)
        return NULL;
    *t = (aj_trace){ .t0_ns = 0 };
    aj__mutex_init(&t->mu);
    t->obs = (aj_observer){ on_start, on_retry, on_finish, t };
    t->last = &t->first;
    return t;
}

const aj_observer *aj_trace_observer(aj_trace *t)
{
    return t != NULL ? &t->obs : NULL;
}

int aj_trace_write(aj_trace *t, FILE *out)
{
    tw o = { { out, false }, t, NULL, 0, 0 };
    int64_t now;
    int rc;

    if (t == NULL || out == NULL)
        return AJ_EINVAL;
    pthread_mutex_lock(&t->mu);
    now = aj_now_ns();
    t->writes++;
    aj__write_printf(&o.w, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[");
    for (o.r = t->first; o.r != NULL && !o.w.failed; o.r = o.r->next)
        write_instance(&o, now);
    aj__write_printf(&o.w, "\n]}\n");
    rc = aj__write_flush(&o.w);
    if (rc == AJ_OK && t->lost)
        rc = AJ_ENOMEM;
    pthread_mutex_unlock(&t->mu);
    return rc;
}

void aj_trace_free(aj_trace *t)
{
    if (t == NULL)
        return;
    while (t->chunks != NULL) {
        chunk *c = t->chunks;
        t->chunks = c->next;
        aj__free(c);
    }
    aj__free(t->table);
    aj__free(t->threads);
    pthread_mutex_destroy(&t->mu);
    aj__free(t);
}
