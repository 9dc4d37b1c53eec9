/*
 * test_trace.c: the trace collector (aj_trace). Its JSON is parsed here
 * (a small parser below builds a tree) and its events are checked: one
 * slice per attempt, the waits between attempts, thread rows that are the
 * threads that ran the steps, many instances in one file with a process
 * each, flow arrows along the edges, steps drawn while they run; and
 * failures: memory running out while collecting or at creation, a full
 * stream, bad arguments.
 */
#include "aj_internal.h"
#include "tjob.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ------------------------------------------------------------------------ */
/* A JSON parser: enough of RFC 8259 to read a trace back                    */

typedef struct jv {
    char kind;          /* 'o' object, 'a' array, 's' string, 'n' number,
                           't' true, 'f' false, 'z' null */
    double num;
    char *str;          /* 's': the text, escapes resolved (\u to one byte) */
    size_t n;           /* 'o', 'a': members or elements */
    char **keys;        /* 'o': n keys */
    struct jv *items;   /* 'o', 'a': n values */
} jv;

typedef struct jp {
    const char *p;
    bool bad;
} jp;

static bool jv_parse(jp *in, jv *out, int depth);

static void skip_ws(jp *in)
{
    in->p += strspn(in->p, " \t\r\n");
}

static bool bad(jp *in)
{
    in->bad = true;
    return false;
}

static bool parse_string(jp *in, char **out)
{
    size_t len = 0;
    char *s = malloc(strlen(in->p) + 1);

    assert_non_null(s);
    for (in->p++; *in->p != '"'; in->p++) {
        char c = *in->p;
        if ((unsigned char)c < 0x20)
            return free(s), bad(in);
        if (c == '\\') {
            c = *++in->p;
            if (c == 'u') {
                unsigned v;
                if (sscanf(in->p + 1, "%4x", &v) != 1)
                    return free(s), bad(in);
                c = (char)v;
                in->p += 4;
            } else if (c == 'n' || c == 't' || c == 'r' || c == 'b' || c == 'f') {
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : '\f';
            } else if (c != '"' && c != '\\' && c != '/') {
                return free(s), bad(in);
            }
        }
        s[len++] = c;
    }
    in->p++;
    s[len] = '\0';
    *out = s;
    return true;
}

/* Elements (keys NULL) or members of an array or object, up to close. */
static bool parse_items(jp *in, jv *out, char close, int depth)
{
    in->p++;
    skip_ws(in);
    if (*in->p == close)
        return in->p++, true;
    for (;;) {
        out->items = realloc(out->items, (out->n + 1) * sizeof *out->items);
        assert_non_null(out->items);
        if (out->kind == 'o') {
            out->keys = realloc(out->keys, (out->n + 1) * sizeof *out->keys);
            assert_non_null(out->keys);
            skip_ws(in);
            if (*in->p != '"' || !parse_string(in, &out->keys[out->n]))
                return bad(in);
            skip_ws(in);
            if (*in->p++ != ':')
                return free(out->keys[out->n]), bad(in);
        }
        if (!jv_parse(in, &out->items[out->n++], depth + 1))
            return false;
        if (*in->p == close)
            return in->p++, true;
        if (*in->p++ != ',')
            return bad(in);
    }
}

static bool parse_number(jp *in, jv *out)
{
    char *end;

    out->kind = 'n';
    out->num = strtod(in->p, &end);
    if (end == in->p || *in->p == '+' || *in->p == '.')
        return bad(in);
    in->p = end;
    return true;
}

static bool parse_word(jp *in, jv *out)
{
    static const char *const words[] = { "true", "false", "null" };

    for (int i = 0; i < 3; i++) {
        if (strncmp(in->p, words[i], strlen(words[i])) == 0) {
            out->kind = "tfz"[i];
            in->p += strlen(words[i]);
            return true;
        }
    }
    return parse_number(in, out);
}

/* One value and the white space around it. */
static bool jv_parse(jp *in, jv *out, int depth)
{
    bool ok;

    memset(out, 0, sizeof *out);
    if (depth > 64)
        return bad(in);
    skip_ws(in);
    if (*in->p == '{' || *in->p == '[') {
        out->kind = *in->p == '{' ? 'o' : 'a';
        ok = parse_items(in, out, *in->p == '{' ? '}' : ']', depth);
    } else if (*in->p == '"') {
        out->kind = 's';
        ok = parse_string(in, &out->str);
    } else {
        ok = parse_word(in, out);
    }
    skip_ws(in);
    return ok;
}

static void jv_free(jv *v)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->keys != NULL)
            free(v->keys[i]);
        jv_free(&v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v->str);
}

/* text as a tree, or a failed test. */
static jv parse_json(const char *text)
{
    jp in = { text, false };
    jv root;

    if (!jv_parse(&in, &root, 0) || *in.p != '\0')
        fail_msg("not JSON at offset %td: %.40s", in.p - text, in.p);
    return root;
}

static const jv *get(const jv *o, const char *key)
{
    for (size_t i = 0; o != NULL && o->kind == 'o' && i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}

/* A string member, or "" when there is none. */
static const char *str_of(const jv *o, const char *key)
{
    const jv *v = get(o, key);
    return v != NULL && v->kind == 's' ? v->str : "";
}

/* A number member, or -1 when there is none. */
static double num_of(const jv *o, const char *key)
{
    const jv *v = get(o, key);
    return v != NULL && v->kind == 'n' ? v->num : -1;
}

static void test_trace_parser_reads_json(void **state)
{
    jv v = parse_json(" {\"a\":[1,-2.5e+3,true,false,null,\"x\\u0041\\n\"],\"b\":{}} ");
    const jv *a = get(&v, "a");
    (void)state;

    assert_non_null(a);
    assert_int_equal(a->n, 6);
    assert_true(a->items[1].num == -2500);
    assert_string_equal(a->items[5].str, "xA\n");
    assert_int_equal(a->items[4].kind, 'z');
    assert_int_equal(get(&v, "b")->kind, 'o');
    jv_free(&v);
}

/* ------------------------------------------------------------------------ */
/* Reading a trace                                                           */

/* A collector's JSON, parsed; its traceEvents in *events. */
static jv written(aj_trace *t, const jv **events, int want)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    jv root;

    assert_non_null(f);
    assert_int_equal(aj_trace_write(t, f), want);
    assert_int_equal(fclose(f), 0);
    root = parse_json(buf);
    free(buf);
    *events = get(&root, "traceEvents");
    assert_non_null(*events);
    assert_int_equal((*events)->kind, 'a');
    return root;
}

/* The i-th event of phase ph (and cat and name, unless NULL), or NULL. */
static const jv *find(const jv *events, const char *ph, const char *cat, const char *name,
                      size_t i)
{
    for (size_t k = 0; k < events->n; k++) {
        const jv *e = &events->items[k];
        if (strcmp(str_of(e, "ph"), ph) == 0 && (cat == NULL || strcmp(str_of(e, "cat"), cat) == 0) &&
            (name == NULL || strcmp(str_of(e, "name"), name) == 0) && i-- == 0)
            return e;
    }
    return NULL;
}

static size_t count(const jv *events, const char *ph, const char *cat, const char *name)
{
    size_t n = 0;

    while (find(events, ph, cat, name, n) != NULL)
        n++;
    return n;
}

/* The process named "JOB ID"'s pid; -1 when there is none. */
static double pid_of(const jv *events, const char *job, const char *id)
{
    char want[128];
    const jv *e;

    snprintf(want, sizeof want, "%s %s", job, id);
    for (size_t k = 0; (e = find(events, "M", NULL, "process_name", k)) != NULL; k++)
        if (strcmp(str_of(get(e, "args"), "name"), want) == 0)
            return num_of(e, "pid");
    return -1;
}

/* The attempt slices of step in process pid, by attempt number. */
static const jv *attempt_of(const jv *events, double pid, const char *step, double attempt)
{
    const jv *e;

    for (size_t k = 0; (e = find(events, "X", "attempt", step, k)) != NULL; k++)
        if (num_of(e, "pid") == pid && num_of(get(e, "args"), "attempt") == attempt)
            return e;
    return NULL;
}

static double end_of(const jv *slice)
{
    return num_of(slice, "ts") + num_of(slice, "dur");
}

/* a is at or after b: times are whole nanoseconds, written as
 * microseconds with three decimals, which a sum of doubles may miss by
 * far less than one nanosecond. */
static bool not_before(double a, double b)
{
    return a >= b - 0.0005;
}

/* The row of every slice has a thread_name in its process. */
static void check_rows_named(const jv *events)
{
    const jv *e, *m;

    for (size_t k = 0; (e = find(events, "X", NULL, NULL, k)) != NULL; k++) {
        bool named = false;
        for (size_t j = 0; (m = find(events, "M", NULL, "thread_name", j)) != NULL; j++)
            named |= num_of(m, "pid") == num_of(e, "pid") && num_of(m, "tid") == num_of(e, "tid");
        assert_true(named);
    }
}

/* Thread rows and threads go one to one: pairs[i] (a tid) ran on th[i]. */
static void check_one_to_one(const double *tids, const pthread_t *th, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            assert_int_equal(tids[i] == tids[j], pthread_equal(th[i], th[j]) != 0);
}

/* ------------------------------------------------------------------------ */
/* Attempts, waits, threads                                                  */

enum { FLAKY, AFTER };

static tj_job *flaky_job(aj_retry_policy *p)
{
    static const char *const names[] = { "Flaky", "After" };
    aj_edge_def edge = { FLAKY, AFTER, AJ_EDGE_DATA };
    tj_job *j = tj_new("flaky", 2, names, NULL, &edge, 1);

    assert_non_null(j);
    *p = (aj_retry_policy){ .max_retries = 3, .backoff = AJ_BACKOFF_FIXED, .delay_ns = 1000000 };
    j->steps[FLAKY].retry = p;
    return j;
}

/* Flaky attempt k (1, 2) failed and was retried; k + 1 follows its wait. */
static void check_failed_attempt(const jv *events, double pid, int k)
{
    const jv *a = attempt_of(events, pid, "Flaky", k), *next = attempt_of(events, pid, "Flaky", k + 1);
    const jv *w = find(events, "X", "retry wait", "Flaky", (size_t)k - 1), *args;

    assert_non_null(a);
    assert_non_null(next);
    assert_non_null(w);
    args = get(a, "args");
    assert_string_equal(str_of(args, "outcome"), "retried");
    assert_string_equal(str_of(args, "instance"), "one");
    assert_true(num_of(args, "error") == -7);
    assert_string_equal(str_of(args, "message"), "flaky");
    assert_true(num_of(get(w, "args"), "attempt") == k + 1);
    assert_string_equal(str_of(get(w, "args"), "outcome"), "waited");
    /* In order, and the wait is the policy's 1 ms (less the little between
     * the attempt's end and its retry event). */
    assert_true(not_before(num_of(w, "ts"), end_of(a)));
    assert_true(not_before(num_of(next, "ts"), end_of(w)));
    assert_true(num_of(w, "dur") >= 500);
    assert_true(num_of(w, "tid") >= 100000);
}

static void test_trace_one_slice_per_attempt_and_wait(void **state)
{
    aj_retry_policy policy;
    tj_job *j = flaky_job(&policy);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_runtime *rt = aj_runtime_new(&(aj_runtime_opts){ .n_workers = 2 });
    aj_trace *t = aj_trace_new();
    aj_start_opts o = { .instance_id = "one", .observer = aj_trace_observer(t) };
    const jv *events, *last, *after, *s, *f;
    aj_instance *inst;
    double pid, tids[2];
    jv root;
    (void)state;

    assert_non_null(rt);
    assert_non_null(t);
    r->behave[FLAKY] = (tj_behave){ .fails = 2, .message = "flaky" };
    assert_int_equal(aj_instance_start(rt, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    root = written(t, &events, AJ_OK);
    assert_true((pid = pid_of(events, "flaky", "one")) > 0);
    assert_int_equal(count(events, "X", "attempt", "Flaky"), 3);
    assert_int_equal(count(events, "X", "retry wait", "Flaky"), 2);
    assert_int_equal(count(events, "X", "attempt", "After"), 1);
    check_failed_attempt(events, pid, 1);
    check_failed_attempt(events, pid, 2);
    last = attempt_of(events, pid, "Flaky", 3);
    after = attempt_of(events, pid, "After", 1);
    assert_string_equal(str_of(get(last, "args"), "outcome"), "completed");
    assert_null(get(get(last, "args"), "error"));
    assert_true(not_before(num_of(after, "ts"), end_of(last)));
    /* The rows of the last attempts are the threads that ran them. */
    tids[0] = num_of(last, "tid");
    tids[1] = num_of(after, "tid");
    check_one_to_one(tids, r->thread, 2);
    check_rows_named(events);
    /* An arrow from Flaky's last attempt to After. */
    assert_non_null(s = find(events, "s", "edge", NULL, 0));
    assert_non_null(f = find(events, "f", "edge", NULL, 0));
    assert_true(num_of(s, "id") == num_of(f, "id"));
    assert_true(num_of(s, "tid") == tids[0] && num_of(f, "tid") == tids[1]);
    assert_true(not_before(num_of(s, "ts"), num_of(last, "ts")) &&
                not_before(end_of(last), num_of(s, "ts")));
    assert_string_equal(str_of(f, "bp"), "e");
    jv_free(&root);
    aj_instance_free(inst);
    aj_runtime_free(rt);
    aj_trace_free(t);
    tj_run_free(r);
    tj_free(j);
}

/* A skipped step is an instant on the row of the thread that skipped it,
 * with its reason, after the failure that skipped it. */
static void test_trace_skipped_step_is_an_instant(void **state)
{
    static const char *const names[] = { "Flaky", "After" };
    aj_edge_def edge = { FLAKY, AFTER, AJ_EDGE_DATA };
    tj_job *j = tj_new("skips", 2, names, NULL, &edge, 1);
    tj_run *r = tj_run_new(j);
    aj_trace *t = aj_trace_new();
    aj_start_opts o = { .sequential = true, .instance_id = "one",
                        .observer = aj_trace_observer(t) };
    const jv *events, *skip, *failed;
    aj_instance *inst;
    jv root;
    (void)state;

    r->behave[FLAKY].fails = -1;
    inst = tj_start(NULL, j, r, &o);
    root = written(t, &events, AJ_OK);
    assert_int_equal(count(events, "i", "skipped", NULL), 1);
    assert_non_null(skip = find(events, "i", "skipped", "After", 0));
    assert_non_null(failed = attempt_of(events, pid_of(events, "skips", "one"), "Flaky", 1));
    assert_string_equal(str_of(get(skip, "args"), "reason"), "upstream failed");
    assert_string_equal(str_of(get(skip, "args"), "outcome"), "skipped");
    assert_string_equal(str_of(skip, "s"), "t");
    assert_true(num_of(skip, "tid") == num_of(failed, "tid"));
    assert_true(not_before(num_of(skip, "ts"), end_of(failed)));
    check_rows_named(events);
    jv_free(&root);
    aj_instance_free(inst);
    aj_trace_free(t);
    tj_run_free(r);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Many instances in one file                                                */

enum { N_INST = 20, N_DIAMOND = 4 };

static const char *const diamond_names[N_DIAMOND] = { "A", "B", "C", "D" };

static tj_job *diamond(void)
{
    static const aj_edge_def edges[] = {
        { 0, 1, AJ_EDGE_DATA }, { 0, 2, AJ_EDGE_DATA }, { 1, 3, AJ_EDGE_DATA },
        { 2, 3, AJ_EDGE_AFTER },
    };
    tj_job *j = tj_new("diamond", N_DIAMOND, diamond_names, NULL, edges, 4);

    assert_non_null(j);
    return j;
}

/* Every step of instance id ran once, in its own process, on the row of
 * the thread that ran it: its tids and threads appended at *n. */
static void check_instance(const jv *events, const char *id, const tj_run *r, double *tids,
                           pthread_t *th, size_t *n)
{
    double pid = pid_of(events, "diamond", id);

    assert_true(pid > 0);
    for (uint32_t i = 0; i < N_DIAMOND; i++) {
        const jv *a = attempt_of(events, pid, diamond_names[i], 1);
        assert_non_null(a);
        assert_null(attempt_of(events, pid, diamond_names[i], 2));
        assert_string_equal(str_of(get(a, "args"), "instance"), id);
        tids[*n] = num_of(a, "tid");
        th[(*n)++] = r->thread[i];
    }
}

static void test_trace_many_instances_in_one_file(void **state)
{
    tj_job *j = diamond();
    aj_trace *t = aj_trace_new();
    aj_runtime *rt = aj_runtime_new(
        &(aj_runtime_opts){ .n_workers = 2, .observer = aj_trace_observer(t) });
    tj_run *runs[N_INST + 1];
    aj_instance *insts[N_INST + 1];
    double tids[(N_INST + 1) * N_DIAMOND];
    pthread_t th[(N_INST + 1) * N_DIAMOND];
    size_t n = 0;
    const jv *events;
    char id[32];
    jv root;
    (void)state;

    for (int k = 0; k <= N_INST; k++) {
        tj_inputs in = { runs[k] = tj_run_new(j) };
        aj_start_opts o = { .instance_id = id };
        snprintf(id, sizeof id, "i%02d", k);
        /* The last one sequential, on this thread, through its own options. */
        if (k == N_INST)
            o = (aj_start_opts){ .instance_id = "seq", .sequential = true,
                                 .observer = aj_trace_observer(t) };
        assert_int_equal(aj_instance_start(k < N_INST ? rt : NULL, &j->def, &in, &o, &insts[k]),
                         AJ_OK);
    }
    for (int k = 0; k <= N_INST; k++)
        assert_int_equal(aj_instance_wait(insts[k], -1), AJ_OK);
    root = written(t, &events, AJ_OK);
    assert_int_equal(count(events, "M", NULL, "process_name"), N_INST + 1);
    assert_int_equal(count(events, "X", "attempt", NULL), (N_INST + 1) * N_DIAMOND);
    assert_int_equal(count(events, "s", "edge", NULL), (N_INST + 1) * 4);
    assert_int_equal(count(events, "f", "edge", NULL), (N_INST + 1) * 4);
    for (int k = 0; k < N_INST; k++) {
        snprintf(id, sizeof id, "i%02d", k);
        check_instance(events, id, runs[k], tids, th, &n);
    }
    check_instance(events, "seq", runs[N_INST], tids, th, &n);
    assert_true(pthread_equal(th[n - 1], pthread_self()));
    /* Distinct pids: one process_name per pid. */
    for (size_t a = 0; a <= N_INST; a++)
        for (size_t b = 0; b < a; b++)
            assert_true(num_of(find(events, "M", NULL, "process_name", a), "pid") !=
                        num_of(find(events, "M", NULL, "process_name", b), "pid"));
    check_one_to_one(tids, th, n);
    check_rows_named(events);
    jv_free(&root);
    for (int k = 0; k <= N_INST; k++) {
        aj_instance_free(insts[k]);
        tj_run_free(runs[k]);
    }
    aj_runtime_free(rt);
    aj_trace_free(t);
    tj_free(j);
}

/* Instances one after the other, each freed before the next starts (and
 * so, often, at the same address): a process each. */
static void test_trace_instances_one_after_the_other(void **state)
{
    tj_job *j = diamond();
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_trace *t = aj_trace_new();
    aj_start_opts o = { .sequential = true, .observer = aj_trace_observer(t) };
    const jv *events;
    aj_instance *inst;
    char id[32];
    jv root;
    (void)state;

    for (int k = 0; k < 5; k++) {
        snprintf(id, sizeof id, "again%d", k);
        o.instance_id = id;
        assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
        aj_instance_free(inst);
    }
    root = written(t, &events, AJ_OK);
    assert_int_equal(count(events, "M", NULL, "process_name"), 5);
    assert_int_equal(count(events, "X", "attempt", NULL), 5 * N_DIAMOND);
    for (int k = 0; k < 5; k++) {
        snprintf(id, sizeof id, "again%d", k);
        assert_true(pid_of(events, "diamond", id) == k + 1);
    }
    jv_free(&root);
    aj_trace_free(t);
    tj_run_free(r);
    tj_free(j);
}

/* A step still running is drawn up to now; a second write draws it done. */
static void test_trace_running_step_drawn_up_to_now(void **state)
{
    aj_retry_policy policy;
    tj_job *j = flaky_job(&policy);
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_trace *t = aj_trace_new();
    aj_start_opts o = { .instance_id = "live", .observer = aj_trace_observer(t) };
    const jv *events, *a;
    aj_instance *inst;
    tj_gate gate;
    sem_t started;
    jv root;
    (void)state;

    tj_gate_init(&gate);
    sem_init(&started, 0, 0);
    r->behave[FLAKY] = (tj_behave){ .gate = &gate, .started = &started };
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    sem_wait(&started);
    root = written(t, &events, AJ_OK);
    assert_non_null(a = attempt_of(events, 1, "Flaky", 1));
    assert_string_equal(str_of(get(a, "args"), "outcome"), "running");
    assert_int_equal(count(events, "X", "attempt", "After"), 0);
    jv_free(&root);
    tj_gate_open(&gate);
    assert_int_equal(aj_instance_wait(inst, -1), AJ_OK);
    root = written(t, &events, AJ_OK);
    assert_string_equal(str_of(get(attempt_of(events, 1, "Flaky", 1), "args"), "outcome"),
                        "completed");
    assert_int_equal(count(events, "X", "attempt", NULL), 2);
    check_rows_named(events);
    jv_free(&root);
    aj_instance_free(inst);
    aj_trace_free(t);
    sem_destroy(&started);
    tj_gate_destroy(&gate);
    tj_run_free(r);
    tj_free(j);
}

/* ------------------------------------------------------------------------ */
/* Failures                                                                  */

static void test_trace_out_of_memory(void **state)
{
    tj_job *j = diamond();
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_start_opts o = { .instance_id = "oom", .sequential = true };
    aj_trace *t;
    aj_instance *inst;
    const jv *events;
    long before;
    jv root;
    (void)state;

    aj__test_fail_alloc(1);
    assert_null(aj_trace_new());
    aj__test_fail_alloc(0);
    /* How many allocations a start makes, so that the collector's are the
     * ones that fail. */
    before = aj__test_alloc_count();
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    aj_instance_free(inst);
    assert_non_null(t = aj_trace_new());
    o.observer = aj_trace_observer(t);
    aj__test_fail_alloc_from(aj__test_alloc_count() - before + 1);
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    aj__test_fail_alloc(0);
    aj_instance_free(inst);
    /* Collecting stopped; the file still parses, and says so. */
    root = written(t, &events, AJ_ENOMEM);
    assert_int_equal(count(events, "X", NULL, NULL), 0);
    jv_free(&root);
    aj_trace_free(t);
    tj_run_free(r);
    tj_free(j);
}

static void test_trace_write_failures_and_bad_arguments(void **state)
{
    tj_job *j = diamond();
    tj_run *r = tj_run_new(j);
    tj_inputs in = { r };
    aj_trace *t = aj_trace_new();
    aj_start_opts o = { .sequential = true, .observer = aj_trace_observer(t) };
    FILE *full = fopen("/dev/full", "w");
    char small[64];
    FILE *tiny = fmemopen(small, sizeof small, "w");
    aj_instance *inst;
    (void)state;

    assert_non_null(full);
    assert_non_null(tiny);
    assert_int_equal(aj_instance_start(NULL, &j->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_trace_write(t, full), AJ_EIO);
    assert_int_equal(aj_trace_write(t, tiny), AJ_EIO);
    assert_int_equal(aj_trace_write(NULL, full), AJ_EINVAL);
    assert_int_equal(aj_trace_write(t, NULL), AJ_EINVAL);
    assert_null(aj_trace_observer(NULL));
    aj_trace_free(NULL);
    fclose(full);
    fclose(tiny);
    aj_instance_free(inst);
    aj_trace_free(t);
    tj_run_free(r);
    tj_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_parser_reads_json),
        cmocka_unit_test(test_trace_one_slice_per_attempt_and_wait),
        cmocka_unit_test(test_trace_skipped_step_is_an_instant),
        cmocka_unit_test(test_trace_many_instances_in_one_file),
        cmocka_unit_test(test_trace_instances_one_after_the_other),
        cmocka_unit_test(test_trace_running_step_drawn_up_to_now),
        cmocka_unit_test(test_trace_out_of_memory),
        cmocka_unit_test(test_trace_write_failures_and_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
