/*
 * latency.c: start + wait latency of an instance of the seed job's shape
 * (8 no-op steps wired as examples/sql_summary), against calling the same
 * 8 functions directly in topological order, in one process. Tables and
 * wrappers are written as ajc generates them. Prints medians and spread.
 *
 *   make latency                  (or: build/tests/runtime/latency [N])
 */
#include "aj_internal.h" /* aj__test_alloc_count: the runtime's allocations */

#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

typedef struct in {
    long *sink;
} in;

typedef struct out {
    long conn, client1, client2, query1, query2, summary;
} out;

/* The steps: no work, but a result each, so nothing is optimised away. */
static NOINLINE int get_connection(const long *sink, long *o) { *o = *sink + 1; return 0; }
static NOINLINE int check_auth(long *sink) { (void)sink; return 0; }
static NOINLINE int get_client(long *sink, long conn, long *o) { (void)sink; *o = conn + 1; return 0; }
static NOINLINE int query(long *sink, long client, long *o) { (void)sink; *o = client + 1; return 0; }
static NOINLINE int summarize(long *sink, long a, long b, long *o) { (void)sink; *o = a + b; return 0; }
static NOINLINE int email(long *sink) { (void)sink; return 0; }

#define IN ((in *)i)
#define OUT ((out *)o)
static int run0(aj_ctx *c, void *i, void *o, const size_t *s) { (void)c, (void)s; return get_connection(IN->sink, &OUT->conn); }
static int run1(aj_ctx *c, void *i, void *o, const size_t *s) { (void)c, (void)s; (void)o; return check_auth(IN->sink); }
static int run2(aj_ctx *c, void *i, void *o, const size_t *s) { (void)c, (void)s; return get_client(IN->sink, OUT->conn, &OUT->client1); }
static int run3(aj_ctx *c, void *i, void *o, const size_t *s) { (void)c, (void)s; return get_client(IN->sink, OUT->conn, &OUT->client2); }
static int run4(aj_ctx *c, void *i, void *o, const size_t *s) { (void)c, (void)s; return query(IN->sink, OUT->client1, &OUT->query1); }
static int run5(aj_ctx *c, void *i, void *o, const size_t *s) { (void)c, (void)s; return query(IN->sink, OUT->client2, &OUT->query2); }
static int run6(aj_ctx *c, void *i, void *o, const size_t *s) { (void)c, (void)s; return summarize(IN->sink, OUT->query1, OUT->query2, &OUT->summary); }
static int run7(aj_ctx *c, void *i, void *o, const size_t *s) { (void)c, (void)s; (void)o; return email(IN->sink); }

static const uint32_t order[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
static const aj_edge_def edges[] = {
    { 0, 2, AJ_EDGE_DATA }, { 0, 3, AJ_EDGE_DATA }, { 1, 4, AJ_EDGE_AFTER },
    { 1, 5, AJ_EDGE_AFTER }, { 2, 4, AJ_EDGE_DATA }, { 3, 5, AJ_EDGE_DATA },
    { 4, 6, AJ_EDGE_DATA }, { 5, 6, AJ_EDGE_DATA }, { 6, 7, AJ_EDGE_AFTER },
};
static const uint32_t succs[] = { 2, 3, 4, 5, 4, 5, 6, 6, 7 };
static const aj_step_def steps[] = {
    { .name = "GetConnection", .output_type = "Conn", .output_offset = offsetof(out, conn) },
    { .name = "CheckAuth", .level = 0 },
    { .name = "GetTableClient1", .output_type = "SqlTableClient *",
      .output_offset = offsetof(out, client1), .level = 1 },
    { .name = "GetTableClient2", .output_type = "SqlTableClient *",
      .output_offset = offsetof(out, client2), .level = 1 },
    { .name = "QueryTable1", .output_type = "SqlQueryResult *",
      .output_offset = offsetof(out, query1), .level = 2 },
    { .name = "QueryTable2", .output_type = "SqlQueryResult *",
      .output_offset = offsetof(out, query2), .level = 2 },
    { .name = "Summarize", .output_type = "SummarizedResult *",
      .output_offset = offsetof(out, summary), .level = 3 },
    { .name = "EmailNotification", .level = 4 },
};
/* run, slots, predecessors, first successor, successors, flags */
static const aj_step_exec exec[] = {
    { run0, NULL, 0, 0, 2, 0 }, { run1, NULL, 0, 2, 2, 0 }, { run2, NULL, 1, 4, 1, 0 },
    { run3, NULL, 1, 5, 1, 0 }, { run4, NULL, 2, 6, 1, 0 }, { run5, NULL, 2, 7, 1, 0 },
    { run6, NULL, 2, 8, 1, 0 }, { run7, NULL, 1, 9, 0, 0 },
};
static const aj_job_def def = {
    .abi = AJ_GEN_ABI, .name = "sql_summary", .source = "sql_summary.job", .n_steps = 8,
    .steps = steps, .exec = exec, .order = order, .n_roots = 2, .n_levels = 5, .n_edges = 9,
    .edges = edges, .succs = succs, .result = 6, .inputs_size = sizeof(in),
    .inputs_align = _Alignof(in), .outputs_size = sizeof(out), .outputs_align = _Alignof(out),
};

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static void report(const char *what, int64_t *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp64);
    printf("%-40s median %8.3f us   p10 %8.3f   p90 %8.3f   min %8.3f\n", what,
           (double)t[n / 2] / 1e3, (double)t[n / 10] / 1e3, (double)t[n * 9 / 10] / 1e3,
           (double)t[0] / 1e3);
}

static long direct(long *sink)
{
    out o;

    get_connection(sink, &o.conn);
    check_auth(sink);
    get_client(sink, o.conn, &o.client1);
    get_client(sink, o.conn, &o.client2);
    query(sink, o.client1, &o.query1);
    query(sink, o.client2, &o.query2);
    summarize(sink, o.query1, o.query2, &o.summary);
    email(sink);
    return o.summary;
}

/* start + wait, timed; the free after it is timed apart. */
static long one(aj_runtime *rt, const aj_start_opts *opts, long *sink, int64_t *sw, int64_t *all)
{
    in args = { sink };
    aj_instance *inst;
    void *slot;
    long v;
    int64_t t0 = aj_now_ns(), t1;

    if (aj_instance_start(rt, &def, &args, opts, &inst) != AJ_OK || aj_instance_wait(inst, -1) != AJ_OK)
        abort();
    t1 = aj_now_ns();
    if (aj_instance_output(inst, 6, false, &slot) != AJ_OK)
        abort();
    v = *(long *)slot;
    aj_instance_free(inst);
    *sw = t1 - t0;
    *all = aj_now_ns() - t0;
    return v;
}

static long checksum;

static void measure(const char *what, aj_runtime *rt, const aj_start_opts *o, int n, long *sink)
{
    int64_t *sw = malloc((size_t)n * sizeof *sw), *all = malloc((size_t)n * sizeof *all);
    char label[64];

    for (int k = 0; k < n / 10; k++) /* warm up */
        checksum += one(rt, o, sink, &sw[0], &all[0]);
    for (int k = 0; k < n; k++)
        checksum += one(rt, o, sink, &sw[k], &all[k]);
    snprintf(label, sizeof label, "%s start+wait", what);
    report(label, sw, n);
    snprintf(label, sizeof label, "%s start+wait+free", what);
    report(label, all, n);
    free(sw);
    free(all);
}

/* Instances per second with `depth` in flight, started and waited for by
 * this thread in rounds. */
static void throughput(int depth, int rounds, long *sink)
{
    in args = { sink };
    aj_instance *inst[64];
    long allocs = aj__test_alloc_count();
    int64_t t0 = aj_now_ns(), dt;

    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < depth; k++)
            if (aj_instance_start(NULL, &def, &args, NULL, &inst[k]) != AJ_OK)
                abort();
        for (int k = 0; k < depth; k++) {
            void *slot;
            if (aj_instance_wait(inst[k], -1) != AJ_OK ||
                aj_instance_output(inst[k], 6, false, &slot) != AJ_OK)
                abort();
            checksum += *(long *)slot;
            aj_instance_free(inst[k]);
        }
    }
    dt = aj_now_ns() - t0;
    printf("%d in flight: %.0f instances/s, %.2f runtime allocations per instance\n", depth,
           (double)depth * rounds * 1e9 / (double)dt,
           (double)(aj__test_alloc_count() - allocs) / ((double)depth * rounds));
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    long sink = 0;
    int64_t *t = malloc((size_t)n * sizeof *t);
    aj_start_opts seq = { .sequential = true, .instance_id = "bench" };
    aj_start_opts named = { .instance_id = "bench" };

    for (int k = 0; k < n; k++) {
        int64_t t0 = aj_now_ns();
        checksum += direct(&sink);
        t[k] = aj_now_ns() - t0;
    }
    printf("seed-shaped job, 8 no-op steps, %d runs each, %u workers\n", n,
           aj_runtime_workers(NULL));
    report("direct calls", t, n);
    measure("pool (default runtime)", NULL, NULL, n, &sink);
    measure("pool, id given", NULL, &named, n, &sink);
    measure("sequential", NULL, &seq, n, &sink);
    throughput(16, n / 16 > 0 ? n / 16 : 1, &sink);
    printf("(checksum %ld)\n", checksum);
    free(t);
    return 0;
}
