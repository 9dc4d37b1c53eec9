/*
 * emit_c.c: the generated source, FILE.job.c.
 *
 * Per job, in this order: the inputs and outputs structs, one wrapper per
 * step function (steps with the same impl share it) and a free wrapper for
 * outputs whose type has `free`, the retry policies, the slot, order, edge
 * and step tables, the aj_job_def, and the contract functions. A wrapper
 * finds its step's inputs and output through the step's run of the slot
 * table, so a job of many steps calling few functions runs few, hot
 * wrappers, and its source stays small. Tables are static const with one
 * comment per row; an empty table is NULL with a count of 0. Each
 * wrapper's call carries a #line pointing at its (first) step in the .job
 * file, and one back.
 */
#include "emit.h"

#include "asyncjob.h"
#include "graph.h"

#include <string.h>

static bool has_outputs(const ast_job *j)
{
    for (uint32_t i = 0; i < j->steps.n; i++)
        if (((const ast_step *)j->steps.items[i])->output != NULL)
            return true;
    return false;
}

static void structs(out *o, const ast_job *j)
{
    if (j->params.n > 0) {
        out_printf(o, "typedef struct %s {\n", j->c_in);
        for (uint32_t i = 0; i < j->params.n; i++) {
            const ast_param *p = j->params.items[i];
            out_puts(o, "    ");
            out_decl(o, p->ctype->text, p->name.name);
            out_puts(o, ";\n");
        }
        out_printf(o, "} %s;\n\n", j->c_in);
    }
    if (!has_outputs(j))
        return;
    out_printf(o, "typedef struct %s {\n", j->c_out);
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = j->steps.items[i];
        if (s->output == NULL)
            continue;
        out_puts(o, "    ");
        out_decl(o, s->output->text, s->name.name);
        out_puts(o, ";\n");
    }
    out_printf(o, "} %s;\n\n", j->c_out);
}

/* `*(T *)(o + slots[k])`: the value in slot k, of type T. */
static void slot_value(out *o, const char *type, uint32_t k, bool deref)
{
    out_puts(o, deref ? ", *(" : ", (");
    out_strs(o, type, type[strlen(type) - 1] == '*' ? "*)(o + slots[" : " *)(o + slots[", NULL);
    out_u32(o, k);
    out_puts(o, "])");
}

/* The call inside a wrapper: job inputs, step inputs, then the output. */
static void call(out *o, const ast_job *j, const ast_step *s)
{
    out_strs(o, "    return ", s->c_fn, "(ctx", NULL);
    for (uint32_t i = 0; i < j->params.n; i++)
        out_strs(o, ", i->", ((const ast_param *)j->params.items[i])->name.name, NULL);
    for (uint32_t i = 0; i < s->inputs.n; i++)
        slot_value(o, ((const ast_param *)s->inputs.items[i])->ctype->text, i, true);
    if (s->output != NULL)
        slot_value(o, s->output->text, s->inputs.n, false);
    out_puts(o, ");\n");
}

static void wrapper(const emit_ctx *e, out *o, const ast_job *j, const ast_step *s)
{
    if (s->runner == s) {
        out_strs(o, "static int ", s->c_run,
                 "(aj_ctx *ctx, void *in, void *out, const size_t *slots)\n{\n", NULL);
        if (j->params.n > 0)
            out_strs(o, "    ", j->c_in, " *i = in;\n", NULL);
        else
            out_puts(o, "    (void)in;\n");
        if (s->inputs.n > 0 || s->output != NULL)
            out_puts(o, "    char *o = out;\n");
        else
            out_puts(o, "    (void)out;\n    (void)slots;\n");
        out_line_to(o, emit_step_line(e, s), e->src->name);
        call(o, j, s);
        out_line_back(o);
        out_puts(o, "}\n\n");
    }
    /* names.c gives c_free only to a step whose output has a free function;
     * steps whose outputs share a type share its wrapper. */
    if (!s->free_first)
        return;
    out_strs(o, "static void ", s->c_free, "(void *slot)\n{\n    ",
             s->output->named->free_fn.name, "(*(", s->output->text, " *)slot);\n}\n\n", NULL);
}

static void policy(out *o, const char *c_name, const ast_policy *p)
{
    static const char *const backoffs[] = {
        [AJ_BACKOFF_NONE] = "AJ_BACKOFF_NONE", [AJ_BACKOFF_FIXED] = "AJ_BACKOFF_FIXED",
        [AJ_BACKOFF_LINEAR] = "AJ_BACKOFF_LINEAR",
        [AJ_BACKOFF_EXPONENTIAL] = "AJ_BACKOFF_EXPONENTIAL",
    };
    out_printf(o, "static const aj_retry_policy %s = {\n", c_name);
    out_printf(o, "    .max_retries = %u, .backoff = %s, .delay_ns = %lld,\n",
               (unsigned)p->max_retries, backoffs[p->backoff], (long long)p->delay_ns);
    out_printf(o, "    .factor = %s, .cap_ns = %lld, .jitter_pct = %u, .custom = %s,\n};\n\n",
               p->factor_text, (long long)p->cap_ns, (unsigned)p->jitter_pct,
               p->custom.name != NULL ? p->custom.name : "NULL");
}

static void policies(out *o, const ast_job *j)
{
    for (uint32_t i = 0; i < j->policies.n; i++) {
        const ast_retry *r = j->policies.items[i];
        policy(o, r->c_name, r->policy);
    }
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = j->steps.items[i];
        if (s->retry != NULL && s->retry_named == NULL)
            policy(o, s->retry_c_name, s->retry);
    }
}

#define ORDER_ROW 8  /* step indexes per row of the order table */

static size_t digits(uint32_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* One row: up to ORDER_ROW indexes of one level, padded to width, and a
 * comment with their names. */
static void order_row(out *o, const ast_job *j, const sched *s, uint32_t from, uint32_t to,
                      size_t width)
{
    size_t used = 4;
    out_puts(o, "    ");
    for (uint32_t k = from; k < to; k++) {
        out_u32(o, s->order[k]);
        out_puts(o, k + 1 < to ? ", " : ",");
        used += digits(s->order[k]) + (k + 1 < to ? 2 : 1);
    }
    for (; used < width + 2; used++)
        out_write(o, " ", 1);
    out_puts(o, "/* level ");
    out_u32(o, s->level[s->order[from]]);
    out_puts(o, ":");
    for (uint32_t k = from; k < to; k++)
        out_strs(o, " ", ((const ast_step *)j->steps.items[s->order[k]])->name.name, NULL);
    out_puts(o, " */\n");
}

/* Rows break at a level change and every ORDER_ROW entries. */
static uint32_t row_end(const sched *s, uint32_t from)
{
    uint32_t to = from + 1;
    while (to < s->n_steps && to - from < ORDER_ROW &&
           s->level[s->order[to]] == s->level[s->order[from]])
        to++;
    return to;
}

static void order_table(out *o, const ast_job *j, const sched *s)
{
    size_t width = 0;
    for (uint32_t k = 0; k < s->n_steps; k = row_end(s, k)) {
        size_t w = 4;
        for (uint32_t m = k, end = row_end(s, k); m < end; m++)
            w += digits(s->order[m]) + (m + 1 < end ? 2 : 1);
        width = w > width ? w : width;
    }
    out_printf(o, "/* Topological order: by level, then declaration. */\n"
                  "static const uint32_t %s[] = {\n", j->c_order);
    for (uint32_t k = 0; k < s->n_steps; k = row_end(s, k))
        order_row(o, j, s, k, row_end(s, k), width);
    out_puts(o, "};\n\n");
}

static const char *edge_kind(uint32_t kind)
{
    if (kind == (AJ_EDGE_DATA | AJ_EDGE_AFTER))
        return "AJ_EDGE_DATA | AJ_EDGE_AFTER";
    return kind == AJ_EDGE_DATA ? "AJ_EDGE_DATA" : "AJ_EDGE_AFTER";
}

static size_t edge_width(const sched_edge *e)
{
    return digits(e->from) + digits(e->to) + strlen(edge_kind(e->kind)) + 11;
}

static void edge_table(out *o, const ast_job *j, const sched *s)
{
    size_t width = 0;
    for (uint32_t k = 0; k < s->n_edges; k++)
        width = edge_width(&s->edges[k]) > width ? edge_width(&s->edges[k]) : width;
    out_printf(o, "/* Edges grouped by source, in topological order of source then target. */\n"
                  "static const aj_edge_def %s[] = {\n", j->c_edges);
    for (uint32_t k = 0; k < s->n_edges; k++) {
        const sched_edge *e = &s->edges[k];
        out_puts(o, "    /* ");
        out_u32(o, k);
        out_puts(o, " */ { ");
        out_u32(o, e->from);
        out_puts(o, ", ");
        out_u32(o, e->to);
        out_strs(o, ", ", edge_kind(e->kind), " },", NULL);
        for (size_t w = edge_width(e); w < width + 2; w++)
            out_write(o, " ", 1);
        out_strs(o, "/* ", ((const ast_step *)j->steps.items[e->from])->name.name, " -> ",
                 ((const ast_step *)j->steps.items[e->to])->name.name, " */\n", NULL);
    }
    out_puts(o, "};\n\n");
}

static uint32_t n_slots(const ast_step *s)
{
    return s->inputs.n + (s->output != NULL ? 1 : 0);
}

/* Per step, the slots its wrapper reads: its producers' outputs, in the
 * order of its inputs, then its own output. */
static void slot_table(out *o, const ast_job *j)
{
    out_printf(o, "/* Per step: the output slots of its inputs, then its own. */\n"
                  "static const size_t %s[] = {\n", j->c_slots);
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = j->steps.items[i];
        if (n_slots(s) == 0)
            continue;
        out_strs(o, "    /* ", s->name.name, " */", NULL);
        for (uint32_t k = 0; k < s->inputs.n; k++)
            out_strs(o, " offsetof(", j->c_out, ", ",
                     ((const ast_param *)s->inputs.items[k])->from->name.name, "),", NULL);
        if (s->output != NULL)
            out_strs(o, " offsetof(", j->c_out, ", ", s->name.name, "),", NULL);
        out_puts(o, "\n");
    }
    out_puts(o, "};\n\n");
}

/* The runtime's successor lists, a third of the edge table's bytes: each
 * step's edge targets, one line per step in step order, so that steps run
 * one after the other read their lists from one cache line. */
static void succ_table(out *o, const ast_job *j, const sched *s)
{
    out_printf(o, "/* Each step's edge targets, step after step. */\n"
                  "static const uint32_t %s[] = {", j->c_succs);
    for (uint32_t i = 0; i < j->steps.n; i++) {
        if (s->n_succs[i] == 0)
            continue;
        out_strs(o, "\n    /* ", ((const ast_step *)j->steps.items[i])->name.name, " */", NULL);
        for (uint32_t k = s->first_edge[i]; k < s->first_edge[i] + s->n_succs[i]; k++) {
            out_puts(o, " ");
            out_u32(o, s->edges[k].to);
            out_puts(o, ",");
        }
    }
    out_puts(o, "\n};\n\n");
}

/* One row of the step table, positional: the table's comment names the
 * columns. A row is a third of its designated form, for 100,000 steps. */
static void step_row(const emit_ctx *e, out *o, const ast_job *j, const ast_step *st)
{
    out_puts(o, "    /* ");
    out_u32(o, st->index);
    out_strs(o, " */ { \"", st->name.name, "\", ", NULL);
    if (st->output != NULL)
        out_strs(o, "\"", st->output->text, "\", offsetof(", j->c_out, ", ", st->name.name,
                 "), ", NULL);
    else
        out_puts(o, "NULL, 0, ");
    out_strs(o, st->c_free != NULL ? st->c_free : "NULL", ", ",
             st->retry != NULL ? "&" : "", st->retry != NULL ? st->retry_c_name : "NULL", ", ",
             NULL);
    out_printf(o, "%lld, ", (long long)st->timeout_ns);
    out_u32(o, j->sched->level[st->index]);
    out_puts(o, ", ");
    out_u32(o, emit_step_line(e, st));
    out_puts(o, " },\n");
}

/* One row of the run table: what running the step reads. Its slots start
 * at slot, its successors at succ. */
static void exec_row(out *o, const ast_job *j, const ast_step *st, uint32_t slot, uint32_t succ)
{
    const sched *s = j->sched;
    uint32_t i = st->index;
    out_puts(o, "    /* ");
    out_u32(o, i);
    out_strs(o, " */ { ", st->runner->c_run, ", ", NULL);
    if (n_slots(st) > 0) {
        out_strs(o, j->c_slots, " + ", NULL);
        out_u32(o, slot);
    } else {
        out_puts(o, "NULL");
    }
    const uint32_t cols[] = { s->n_preds[i], succ, s->n_succs[i] };
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        out_puts(o, ", ");
        out_u32(o, cols[k]);
    }
    out_puts(o, st->timeout_ns > 0 ? ", AJ_STEP_TIMED },\n" : ", 0 },\n");
}

static void tables(const emit_ctx *e, out *o, const ast_job *j)
{
    const sched *s = j->sched;
    uint32_t slot = 0, succ = 0;
    if (has_outputs(j))
        slot_table(o, j);
    order_table(o, j, s);
    if (s->n_edges > 0) {
        edge_table(o, j, s);
        succ_table(o, j, s);
    }
    out_printf(o, "/* name, output type and slot, free, retry, timeout (ns), level, .job line */\n"
                  "static const aj_step_def %s[] = {\n", j->c_steps);
    for (uint32_t i = 0; i < j->steps.n; i++)
        step_row(e, o, j, j->steps.items[i]);
    out_printf(o, "};\n\n/* wrapper, its slots, predecessors, first successor, successors, flags */\n"
                  "static const aj_step_exec %s[] = {\n", j->c_exec);
    for (uint32_t i = 0; i < j->steps.n; i++) {
        exec_row(o, j, j->steps.items[i], slot, succ);
        slot += n_slots(j->steps.items[i]);
        succ += s->n_succs[i];
    }
    out_puts(o, "};\n\n");
}

static void definition(const emit_ctx *e, out *o, const ast_job *j)
{
    const sched *s = j->sched;
    out_printf(o, "/* The runtime's: it remembers here that these tables were checked. */\n"
                  "static aj_job_memo %s;\n\n", j->c_memo);
    out_printf(o, "const aj_job_def %s = {\n    .abi = AJ_GEN_ABI,\n    .name = \"%s\",\n"
                  "    .source = \"", j->c_def, j->name.name);
    out_cstring(o, e->src->name);
    out_printf(o, "\",\n    .n_steps = %u,\n    .steps = %s,\n    .exec = %s,\n    .order = %s,\n"
                  "    .n_roots = %u,\n    .n_levels = %u,\n    .n_edges = %u,\n",
               (unsigned)s->n_steps, j->c_steps, j->c_exec, j->c_order, (unsigned)s->n_roots,
               (unsigned)s->n_levels, (unsigned)s->n_edges);
    out_printf(o, "    .edges = %s,\n    .succs = %s,\n    .result = %d,\n",
               s->n_edges > 0 ? j->c_edges : "NULL", s->n_edges > 0 ? j->c_succs : "NULL",
               j->result != NULL ? (int)j->result->index : -1);
    if (j->params.n > 0)
        out_printf(o, "    .inputs_size = sizeof(%s),\n    .inputs_align = _Alignof(%s),\n",
                   j->c_in, j->c_in);
    else
        out_puts(o, "    .inputs_size = 0,\n    .inputs_align = 1,\n");
    if (has_outputs(j))
        out_printf(o, "    .outputs_size = sizeof(%s),\n    .outputs_align = _Alignof(%s),\n",
                   j->c_out, j->c_out);
    else
        out_puts(o, "    .outputs_size = 0,\n    .outputs_align = 1,\n");
    out_printf(o, "    .memo = &%s,\n};\n\n", j->c_memo);
}

static void start_fn(out *o, const ast_job *j)
{
    out_printf(o, "int %s(aj_runtime *rt", j->c_start);
    for (uint32_t i = 0; i < j->params.n; i++) {
        const ast_param *p = j->params.items[i];
        out_puts(o, ", ");
        out_decl(o, p->ctype->text, p->name.name);
    }
    out_printf(o, ", const aj_start_opts *opts, %s **out)\n{\n", j->name.name);
    if (j->params.n > 0) {
        out_printf(o, "    %s in = {", j->c_in);
        for (uint32_t i = 0; i < j->params.n; i++)
            out_printf(o, "%s %s", i > 0 ? "," : "",
                       ((const ast_param *)j->params.items[i])->name.name);
        out_puts(o, " };\n");
    }
    out_printf(o, "    aj_instance *inst = NULL;\n"
                  "    int rc = aj_instance_start(rt, &%s, %s, opts, &inst);\n"
                  "    *out = (%s *)inst;\n    return rc;\n}\n\n",
               j->c_def, j->params.n > 0 ? "&in" : "NULL", j->name.name);
}

static void result_fns(out *o, const ast_job *j)
{
    const char *n = j->name.name, *t = j->result->output->text;
    out_printf(o, "static int %s(%s *job, bool take, ", j->c_result_helper, n);
    out_decl(o, t, "*out");
    out_printf(o, ")\n{\n    void *slot = NULL;\n"
                  "    int rc = aj_instance_output((aj_instance *)job, %u, take, &slot);\n"
                  "    if (rc == AJ_OK)\n        *out = *(%s%s)slot;\n    return rc;\n}\n\n",
               (unsigned)j->result->index, t, t[strlen(t) - 1] == '*' ? "*" : " *");
    const char *fns[2] = { j->c_result, j->c_take };
    for (int k = 0; k < 2; k++) {
        out_printf(o, "int %s(%s *job, ", fns[k], n);
        out_decl(o, t, "*out");
        out_printf(o, ")\n{\n    return %s(job, %s, out);\n}\n\n", j->c_result_helper,
                   k == 0 ? "false" : "true");
    }
}

static void functions(out *o, const ast_job *j)
{
    const char *n = j->name.name;
    start_fn(o, j);
    out_printf(o, "int %s(%s *job, int64_t timeout_ns)\n{\n"
                  "    return aj_instance_wait((aj_instance *)job, timeout_ns);\n}\n\n",
               j->c_wait, n);
    out_printf(o, "void %s(%s *job)\n{\n    aj_instance_cancel((aj_instance *)job);\n}\n\n",
               j->c_cancel, n);
    if (j->result != NULL)
        result_fns(o, j);
    out_printf(o, "aj_instance *%s(%s *job)\n{\n    return (aj_instance *)job;\n}\n\n",
               j->c_instance, n);
    out_printf(o, "void %s(%s *job)\n{\n    aj_instance_free((aj_instance *)job);\n}\n",
               j->c_free, n);
}

/* About what one step costs in the source: wrapper, table rows, edges. */
#define SOURCE_BYTES_PER_STEP 1024

void emit_source(const emit_ctx *e, out *o)
{
    out_reserve(o, 4096 + emit_total_steps(e->file) * SOURCE_BYTES_PER_STEP);
    out_puts(o, "/* Generated by ajc from ");
    out_puts(o, e->source_base);
    /* A header name is not a string literal: no escapes (ajc_compile()
     * refuses names that cannot be written here). */
    out_strs(o, ". DO NOT EDIT. */\n#include \"", e->h_base, "\"\n\n#include <stddef.h>\n", NULL);
    for (uint32_t i = 0; i < e->file->jobs.n; i++) {
        const ast_job *j = e->file->jobs.items[i];
        out_printf(o, "\n/* Job %s */\n\n", j->name.name);
        structs(o, j);
        for (uint32_t k = 0; k < j->steps.n; k++)
            wrapper(e, o, j, j->steps.items[k]);
        policies(o, j);
        tables(e, o, j);
        definition(e, o, j);
        functions(o, j);
    }
}
