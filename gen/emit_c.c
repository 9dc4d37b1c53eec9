/*
 * emit_c.c: the generated source, FILE.job.c.
 *
 * Per job, in this order: the inputs and outputs structs (one named field
 * per step output), the step wrappers, the free wrappers, the retry
 * policies, the slot, order, edge and step tables, the aj_job_def, and the
 * contract functions. A step with a function of its own has a wrapper that
 * reads its inputs by name, as a person would write it. Steps that share
 * an `impl` share one wrapper, named after the function, which finds each
 * step's inputs and output through the step's run of the slot table: a job
 * of many steps calling few functions runs few, hot wrappers, and its
 * source stays small. Only the call in a wrapper, which the user's step
 * line spells, carries a #line to the .job file. Tables are static const
 * with one comment per row; an empty table is NULL with a count of 0.
 */
#include "emit.h"

#include "emit_table.h"
#include "names_ident.h"
#include "tpl.h"

#include <stdio.h>
#include <string.h>

static bool has_outputs(const ast_job *j)
{
    for (uint32_t i = 0; i < j->steps.n; i++)
        if (ast_job_step(j, i)->output != NULL)
            return true;
    return false;
}

static void field(out *o, const char *ctype, const char *name)
{
    out_puts(o, "    ");
    out_decl(o, ctype, name);
    out_puts(o, ";\n");
}

static void structs(out *o, const ast_job *j, const job_names *c)
{
    if (j->params.n > 0) {
        tpl_out(o, "typedef struct $in$ {\n", TPL_VARS("in", c->in));
        for (uint32_t i = 0; i < j->params.n; i++)
            field(o, ast_job_param(j, i)->ctype->text, ast_job_param(j, i)->name.name);
        tpl_out(o, "} $in$;\n\n", TPL_VARS("in", c->in));
    }
    if (!has_outputs(j))
        return;
    tpl_out(o, "typedef struct $out$ {\n", TPL_VARS("out", c->out));
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = ast_job_step(j, i);
        if (s->output != NULL)
            field(o, ast_step_many(s) ? "aj_array" : s->output->text, s->c_field);
    }
    tpl_out(o, "} $out$;\n\n", TPL_VARS("out", c->out));
}

/* "T *" or "T *" from "T" and "T *": how a cast to a pointer to T reads. */
static const char *pointer_to(const emit_ctx *e, const char *ctype)
{
    return arena_cat(e->arena, ctype, ctype[strlen(ctype) - 1] == '*' ? "*" : " *", NULL);
}

/* What a wrapper passes for input p of step si: a literal's C text, a job
 * input, its producer's output (read through the slot table by a shared
 * wrapper), or, when optional, a pointer to that output if the producer
 * completed and NULL if not. */
static void argument(const emit_ctx *e, tpl_list *l, const ast_job *j, uint32_t k,
                     const ast_param *p, bool by_slots)
{
    const char *field = arena_cat(e->arena, "((", emit_job_names(e, j)->out, " *)out)->", NULL);
    char n[TPL_NUM];
    if (p->source == AST_SRC_INPUT) {
        tpl_list_item(l, "i->", p->input->name.name);
    } else if (p->source != AST_SRC_STEP) {
        tpl_list_item(l, p->value, NULL);
    } else if (!ast_loc_empty(p->map)) {
        /* Element k of the array, or of the elements' outputs. */
        tpl_list_item(l, arena_cat(e->arena, "((", pointer_to(e, p->ctype->text), ")", field,
                                   p->from->c_field, ".items)[k]", NULL), NULL);
    } else if (!ast_loc_empty(p->collect)) {
        tpl_list_item(l, arena_cat(e->arena, "(", p->c_type, ")", field, p->from->c_field,
                                   ".items", NULL), NULL);
        tpl_list_item3(l, field, p->from->c_field, ".n");
    } else if (by_slots) {
        tpl_list_item3(l, arena_cat(e->arena, "*(", pointer_to(e, p->ctype->text), NULL),
                       ")slot", tpl_u32(n, k));
    } else if (!ast_loc_empty(p->optional)) {
        /* A pointer to an array converts to a pointer to const array only by a cast. */
        const char *cast = names_may_be_array(ast_ctype_real(p->ctype))
                               ? arena_cat(e->arena, "(", p->c_type, ")", NULL) : "";
        tpl_list_item(l, arena_cat(e->arena, "aj_ctx_step_completed(ctx, ",
                                   tpl_u32(n, p->from->index), ") ? ", cast, "&", field,
                                   p->from->c_field, " : NULL", NULL), NULL);
    } else {
        tpl_list_item(l, field, p->from->c_field);
    }
}

/* The call in a wrapper, under a #line to the step: job inputs, step inputs
 * (argument() above), then the output. By name, each one is reached
 * through a cast of out where it is used. A local pointer to the outputs
 * struct, which has a field per step, costs gcc's C front end a walk over
 * every field where it is declared: N wrappers parsed in time N squared
 * (30 s of gcc -O2's 115 s at 50,000 steps; 0.6 s with the cast). */
static void call(const emit_ctx *e, out *o, const ast_job *j, uint32_t si, bool by_slots)
{
    const ast_step *s = ast_job_step(j, si);
    uint32_t line = emit_line(e, s->loc);
    const char *field = arena_cat(e->arena, "((", emit_job_names(e, j)->out, " *)out)->", NULL);
    tpl_list l;
    char slot[TPL_NUM + 8];

    out_line_to(o, line, e->src->name);
    tpl_list_open(&l, o, arena_cat(e->arena, ast_step_array(s) ? "    int rc = " : "    return ",
                                   emit_job_names(e, j)->step[si].fn, "(", NULL),
                  line, e->src->name);
    tpl_list_item(&l, "ctx", NULL);
    if (s->origin != NULL)
        for (uint32_t i = 0; i < s->args.n; i++)
            argument(e, &l, j, i, s->args.items[i], false);
    else
        for (uint32_t i = 0; i < j->params.n; i++)
            tpl_list_item(&l, "i->", ast_job_param(j, i)->name.name);
    for (uint32_t i = 0; i < s->inputs.n; i++)
        argument(e, &l, j, i, ast_step_input(s, i), by_slots);
    if (s->async) {
        const char *reply = emit_job_names(e, j)->step[si].reply;
        tpl_list_item(&l, arena_cat(e->arena, "(", reply, " *)aj_ctx_reply(ctx)", NULL), NULL);
    } else if (ast_step_array(s)) {
        tpl_list_item(&l, "&items", NULL);
        tpl_list_item(&l, "&a->n", NULL);
    } else if (s->mapped && s->output != NULL) {
        tpl_list_item(&l, arena_cat(e->arena, "&((", pointer_to(e, s->output->text), ")", field,
                                    s->c_field, ".items)[k]", NULL), NULL);
    } else if (s->output != NULL && by_slots) {
        snprintf(slot, sizeof slot, ")slot%lu", (unsigned long)s->inputs.n);
        tpl_list_item(&l, arena_cat(e->arena, "(", pointer_to(e, s->output->text), NULL), slot);
    } else if (s->output != NULL) {
        tpl_list_item3(&l, "&", field, s->c_field);
    }
    tpl_list_close(&l, ");\n");
    out_line_back(o);
}

/* reads_in: the wrapper reads the job's inputs (when it has some). */
static void wrapper_head(const emit_ctx *e, out *o, const ast_job *j, const char *run,
                         bool reads_in)
{
    tpl_list l;
    tpl_list_open(&l, o, arena_cat(e->arena, "static int ", run, "(", NULL), 0, NULL);
    tpl_list_item(&l, "aj_ctx *ctx", NULL);
    tpl_list_item(&l, "void *in", NULL);
    tpl_list_item(&l, "void *out", NULL);
    tpl_list_item(&l, "const size_t *slots", NULL);
    tpl_list_close(&l, ")\n{\n");
    if (j->params.n > 0 && reads_in)
        tpl_out(o, "    $in$ *i = in;\n", TPL_VARS("in", emit_job_names(e, j)->in));
    else
        out_puts(o, "    (void)in;\n");
}

static bool any_source(const vec *params, ast_source_kind kind)
{
    for (uint32_t i = 0; i < params->n; i++)
        if (((const ast_param *)params->items[i])->source == kind)
            return true;
    return false;
}

/* Whether a wrapper by name reads or writes the outputs block. */
static bool uses_outputs(const ast_step *s)
{
    if (any_source(&s->inputs, AST_SRC_STEP) || any_source(&s->args, AST_SRC_STEP))
        return true;
    return s->output != NULL && !s->async;
}

/* Whether a wrapper by name reads the job's inputs: an inlined step reads
 * those its sub-job's inputs are bound to. */
static bool uses_inputs(const ast_step *s)
{
    return s->origin == NULL || any_source(&s->inputs, AST_SRC_INPUT) ||
           any_source(&s->args, AST_SRC_INPUT);
}

static bool any_element(const vec *params)
{
    for (uint32_t i = 0; i < params->n; i++) {
        const ast_param *p = params->items[i];
        if (p->source == AST_SRC_STEP && !ast_loc_empty(p->map))
            return true;
    }
    return false;
}

/* Whether a mapped step's wrapper uses its element's index: to read an
 * element of a step (argument()) or to write its own output (call()). */
static bool uses_index(const ast_step *s)
{
    return any_element(&s->inputs) || any_element(&s->args) ||
           (s->output != NULL && !s->async);
}

/* A step with a wrapper of its own: its inputs and output by name. A
 * mapped step's run is for element k; a step that returns an array
 * stores the array the function made in its slot, whatever it returns,
 * so that a failed attempt's array is freed too. */
static void wrapper_by_name(const emit_ctx *e, out *o, const ast_job *j, uint32_t si)
{
    const ast_step *s = ast_job_step(j, si);
    wrapper_head(e, o, j, emit_job_names(e, j)->step[si].run, uses_inputs(s));
    if (!uses_outputs(s))
        out_puts(o, "    (void)out;\n");
    out_puts(o, "    (void)slots;\n");
    if (s->mapped && uses_index(s))
        out_puts(o, "    size_t k = aj_ctx_index(ctx);\n");
    if (ast_step_array(s))
        tpl_out(o, "    aj_array *a = &(($out$ *)out)->$name$;\n    $ptr$items = NULL;\n",
                TPL_VARS("out", emit_job_names(e, j)->out, "name", s->c_field,
                         "ptr", pointer_to(e, s->output->text)));
    call(e, o, j, si, false);
    if (ast_step_array(s))
        out_puts(o, "    a->items = items;\n    return rc;\n");
    out_puts(o, "}\n\n");
}

/* An array's free wrapper: each element with its type's free, if it has
 * one, then the array. */
static void free_array(const emit_ctx *e, out *o, const ast_step *s, const char *wrapper)
{
    const ast_type *t = s->output->named;
    if (t == NULL || t->free_fn.name == NULL) {
        tpl_out(o, "static void $wrapper$(void *slot)\n{\n    free(((aj_array *)slot)->items);\n}\n\n",
                TPL_VARS("wrapper", wrapper));
        return;
    }
    tpl_out(o, "static void $wrapper$(void *slot)\n{\n    aj_array *a = slot;\n"
               "    $ptr$items = a->items;\n    for (size_t k = 0; k < a->n; k++)\n"
               "        $free$(items[k]);\n    free(items);\n}\n\n",
            TPL_VARS("wrapper", wrapper, "ptr", pointer_to(e, s->output->text),
                     "free", t->free_fn.name));
}

/* Steps sharing a function: the slots of the step being run say where its
 * inputs and output are. The slot pointers are void *, so the casts in the
 * call cannot change alignment. */
static void wrapper_by_slots(const emit_ctx *e, out *o, const ast_job *j, uint32_t si)
{
    const ast_step *s = ast_job_step(j, si);
    uint32_t n = s->inputs.n + (s->output != NULL && !s->async ? 1 : 0);
    char k[TPL_NUM];
    tpl_out(o, "/* $fn$, for every step of job $job$ that calls it. */\n",
            TPL_VARS("fn", emit_job_names(e, j)->step[si].fn, "job", j->name.name));
    wrapper_head(e, o, j, emit_job_names(e, j)->step[si].run, true);
    out_puts(o, n > 0 ? "    char *o = out;\n" : "    (void)out;\n    (void)slots;\n");
    for (uint32_t i = 0; i < n; i++)
        tpl_out(o, "    void *slot$k$ = o + slots[$k$];\n", TPL_VARS("k", tpl_u32(k, i)));
    call(e, o, j, si, true);
    out_puts(o, "}\n\n");
}

static void wrappers(const emit_ctx *e, out *o, const ast_job *j)
{
    const job_names *c = emit_job_names(e, j);
    for (uint32_t i = 0; i < j->steps.n; i++) {
        if (!c->step[i].writes_run)
            continue;
        if (c->step[i].by_slots)
            wrapper_by_slots(e, o, j, i);
        else
            wrapper_by_name(e, o, j, i);
    }
    /* names.c gives free_out only to a step whose output has a free
     * function; steps whose outputs share a type share its wrapper. */
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = ast_job_step(j, i);
        if (c->step[i].frees_array)
            free_array(e, o, s, c->step[i].free_out);
        else if (c->step[i].writes_free)
            tpl_out(o, "static void $wrapper$(void *slot)\n{\n    $free$(*($ptr$)slot);\n}\n\n",
                    TPL_VARS("wrapper", c->step[i].free_out, "free",
                             s->output->named->free_fn.name, "ptr", pointer_to(e, s->output->text)));
    }
}

static const char *const backoff_names[] = {
    [AST_BACKOFF_NONE] = "AJ_BACKOFF_NONE",
    [AST_BACKOFF_FIXED] = "AJ_BACKOFF_FIXED",
    [AST_BACKOFF_LINEAR] = "AJ_BACKOFF_LINEAR",
    [AST_BACKOFF_EXPONENTIAL] = "AJ_BACKOFF_EXPONENTIAL",
};

/* Only the fields the policy's kind reads: a custom function alone; a
 * factor and a cap for an exponential backoff only; a delay when there is
 * a backoff; a jitter when given. */
static void policy(out *o, const char *c_name, const policy_value *v)
{
    char n[4][TPL_NUM];
    tpl_out(o, "static const aj_retry_policy $name$ = {\n", TPL_VARS("name", c_name));
    if (v->custom != NULL) {
        tpl_out(o, "    .custom = $fn$,\n};\n\n", TPL_VARS("fn", v->custom));
        return;
    }
    tpl_out(o, "    .max_retries = $max$,\n    .backoff = $backoff$,\n",
            TPL_VARS("max", tpl_u32(n[0], v->max_retries), "backoff", backoff_names[v->backoff]));
    if (v->backoff != AST_BACKOFF_NONE)
        tpl_out(o, "    .delay_ns = $delay$,\n", TPL_VARS("delay", tpl_i64(n[1], v->delay_ns)));
    if (v->factor_text != NULL)
        tpl_out(o, "    .factor = $factor$,\n", TPL_VARS("factor", v->factor_text));
    if (v->cap_ns > 0)
        tpl_out(o, "    .cap_ns = $cap$,\n", TPL_VARS("cap", tpl_i64(n[2], v->cap_ns)));
    if (v->jitter_pct > 0)
        tpl_out(o, "    .jitter_pct = $pct$,\n", TPL_VARS("pct", tpl_u32(n[3], v->jitter_pct)));
    out_puts(o, "};\n\n");
}

static void policies(const emit_ctx *e, out *o, const ast_job *j)
{
    const job_names *c = emit_job_names(e, j);
    for (uint32_t i = 0; i < c->policies.n; i++) {
        const policy_table *t = names_policy(c, i);
        policy(o, t->c_name, sema_policy_value(e->sema, t->policy));
    }
}

static void definition(const emit_ctx *e, out *o, const ast_job *j)
{
    const sched *s = emit_sched(e, j);
    const job_names *c = emit_job_names(e, j);
    char n[5][TPL_NUM];
    bool edges = s->n_edges > 0, outputs = has_outputs(j);
    if (s->n_steps > 0)
        tpl_out(o, "/* The runtime's: it remembers here that these tables were checked, and\n"
                   " * what it derives from them. */\n"
                   "static uint32_t $room$[AJ_MEMO_ROOM($n$)];\n"
                   "static aj_job_memo $memo$ = { .room = $room$, .n_room = AJ_MEMO_ROOM($n$) };\n\n",
                TPL_VARS("room", c->room, "memo", c->memo, "n", tpl_u32(n[0], s->n_steps)));
    else
        tpl_out(o, "/* The runtime's: it remembers here that these tables were checked. */\n"
                   "static aj_job_memo $memo$;\n\n", TPL_VARS("memo", c->memo));
    tpl_out(o, "const aj_job_def $def$ = {\n    .abi = AJ_GEN_ABI,\n    .name = \"$job$\",\n"
               "    .source = \"",
            TPL_VARS("def", c->def, "job", j->name.name));
    out_cstring(o, e->src->name);
    tpl_out(o, "\",\n    .n_steps = $n$,\n    .steps = $steps$,\n    .exec = $exec$,\n"
               "    .order = $order$,\n    .n_roots = $roots$,\n    .n_levels = $levels$,\n"
               "    .n_edges = $n_edges$,\n    .edges = $edges$,\n    .succs = $succs$,\n"
               "    .result = $result$,\n",
            TPL_VARS("n", tpl_u32(n[0], s->n_steps), "steps", c->steps, "exec", c->exec,
                     "order", c->order, "roots", tpl_u32(n[1], s->n_roots),
                     "levels", tpl_u32(n[2], s->n_levels), "n_edges", tpl_u32(n[3], s->n_edges),
                     "edges", edges ? c->edges : "NULL", "succs", edges ? c->succs : "NULL",
                     "result", j->result != NULL ? tpl_u32(n[4], j->result->index) : "-1"));
    if (j->params.n > 0)
        tpl_out(o, "    .inputs_size = sizeof($in$),\n    .inputs_align = _Alignof($in$),\n",
                TPL_VARS("in", c->in));
    else
        out_puts(o, "    .inputs_size = 0,\n    .inputs_align = 1,\n");
    if (outputs)
        tpl_out(o, "    .outputs_size = sizeof($out$),\n    .outputs_align = _Alignof($out$),\n",
                TPL_VARS("out", c->out));
    else
        out_puts(o, "    .outputs_size = 0,\n    .outputs_align = 1,\n");
    tpl_out(o, "    .memo = &$memo$,\n", TPL_VARS("memo", c->memo));
    if (j->limits.n > 0)
        tpl_out(o, "    .n_limits = $n$,\n    .limits = $limits$,\n",
                TPL_VARS("n", tpl_u32(n[0], j->limits.n), "limits", c->limits));
    if (c->subjobs != NULL)
        tpl_out(o, "    .n_subjobs = $n$,\n    .subjobs = $subjobs$,\n",
                TPL_VARS("n", tpl_u32(n[0], j->groups.n), "subjobs", c->subjobs));
    out_puts(o, "};\n\n");
}

static bool may_be_array(const ast_param *p)
{
    return names_may_be_array(ast_ctype_real(p->ctype));
}

static bool any_array_input(const ast_job *j)
{
    for (uint32_t i = 0; i < j->params.n; i++)
        if (may_be_array(ast_job_param(j, i)))
            return true;
    return false;
}

/* An async step's done hands the runtime a pointer to out, whose bytes it
 * copies into the step's slot (or frees, for an attempt already over). A
 * parameter of array type arrives as a pointer to the caller's elements:
 * _Generic then passes that pointer itself. */
static void done_fns(const emit_ctx *e, out *o, const ast_job *j)
{
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = ast_job_step(j, i);
        if (!s->async || s->origin != NULL)
            continue;
        emit_done_head(e, o, j, i, ")\n{\n");
        if (s->output == NULL)
            out_puts(o, "    aj_reply_done((aj_reply *)reply, rc, NULL);\n}\n\n");
        else if (names_may_be_array(ast_ctype_real(s->output)))
            tpl_out(o, "    aj_reply_done((aj_reply *)reply, rc, _Generic(&out, $type$ *: &out, "
                       "default: out));\n}\n\n", TPL_VARS("type", s->output->text));
        else
            out_puts(o, "    aj_reply_done((aj_reply *)reply, rc, &out);\n}\n\n");
    }
}

/* The inputs struct field by field. A parameter of array type is a pointer
 * to the caller's first element, and an initializer cannot copy an array:
 * for a type that may be one, _Generic picks where its bytes are, the
 * parameter itself or what it points at. */
static void copy_inputs(out *o, const ast_job *j, const job_names *c)
{
    tpl_out(o, "    $in$ in;\n", TPL_VARS("in", c->in));
    for (uint32_t i = 0; i < j->params.n; i++) {
        const ast_param *p = ast_job_param(j, i);
        const char *const *vars = TPL_VARS("name", p->name.name, "type", p->ctype->text);
        if (may_be_array(p))
            tpl_out(o, "    /* $type$ may be an array type, which arrives as a pointer. */\n"
                       "    memcpy(&in.$name$, _Generic(&$name$, $type$ *: &$name$, "
                       "default: $name$), sizeof in.$name$);\n", vars);
        else
            tpl_out(o, "    in.$name$ = $name$;\n", vars);
    }
}

static void start_fn(const emit_ctx *e, out *o, const ast_job *j)
{
    const job_names *c = emit_job_names(e, j);
    tpl_list l;
    tpl_list_open(&l, o, arena_cat(e->arena, "int ", c->start, "(", NULL), 0, NULL);
    tpl_list_item(&l, "aj_runtime *rt", NULL);
    for (uint32_t i = 0; i < j->params.n; i++)
        tpl_list_decl(&l, ast_job_param(j, i)->ctype->text, ast_job_param(j, i)->name.name);
    tpl_list_item(&l, "const aj_start_opts *opts", NULL);
    tpl_list_item(&l, j->name.name, " **out");
    tpl_list_close(&l, ")\n{\n");
    /* Refused before anything starts: the instance would run unowned. */
    out_puts(o, "    if (out == NULL)\n        return AJ_EINVAL;\n");
    if (any_array_input(j))
        copy_inputs(o, j, c);
    else if (j->params.n > 0) {
        tpl_list_open(&l, o, arena_cat(e->arena, "    ", c->in, " in = { ", NULL), 0, NULL);
        for (uint32_t i = 0; i < j->params.n; i++)
            tpl_list_item(&l, ast_job_param(j, i)->name.name, NULL);
        tpl_list_close(&l, " };\n");
    }
    tpl_out(o, "    aj_instance *inst = NULL;\n"
               "    int rc = aj_instance_start(rt, &$def$, $in$, opts, &inst);\n"
               "    *out = ($job$ *)inst;\n    return rc;\n}\n\n",
            TPL_VARS("def", c->def, "in", j->params.n > 0 ? "&in" : "NULL", "job", j->name.name));
}

/* One copy for every typed accessor of a job's outputs: result, take and
 * each step's output, called, not inlined (see the comment it carries).
 * out is checked first: a take must not hand over what nobody receives. */
static void output_helper(out *o, const ast_job *j, const job_names *c)
{
    tpl_out(o, "/* Copies step's output into out: lent, or handed over with take. Out of\n"
               " * line: gcc -O2 inlines it into every accessor, one per step, which\n"
               " * tripled its time on a job of 1,000 steps. */\n"
               "#if defined(__GNUC__)\n__attribute__((noinline))\n#endif\n"
               "static int $helper$($job$ *job, uint32_t step, bool take, void *out, size_t size)\n"
               "{\n    if (out == NULL)\n        return AJ_EINVAL;\n"
               "    void *slot = NULL;\n"
               "    int rc = aj_instance_output((aj_instance *)job, step, take, &slot);\n"
               "    if (rc == AJ_OK)\n        memcpy(out, slot, size);\n    return rc;\n}\n\n",
            TPL_VARS("helper", c->output_helper, "job", j->name.name));
}

static void accessor(const emit_ctx *e, out *o, const ast_job *j, const char *fn,
                     const ast_step *s, const char *take)
{
    char index[TPL_NUM];
    tpl_out(o, "int $fn$($job$ *job, $out$)\n{\n"
               "    return $helper$(job, $index$, $take$, out, sizeof *out);\n}\n\n",
            TPL_VARS("fn", fn, "job", j->name.name, "out", emit_out_param(e, s),
                     "helper", emit_job_names(e, j)->output_helper,
                     "index", tpl_u32(index, s->index), "take", take));
}

/* result and take, then the output of every step that has one. */
static void output_fns(const emit_ctx *e, out *o, const ast_job *j)
{
    const job_names *c = emit_job_names(e, j);
    if (c->output_helper == NULL)
        return;
    output_helper(o, j, c);
    if (j->result != NULL) {
        accessor(e, o, j, c->result, j->result, "false");
        accessor(e, o, j, c->take, j->result, "true");
    }
    for (uint32_t i = 0; i < j->steps.n; i++)
        if (c->step[i].output != NULL)
            accessor(e, o, j, c->step[i].output, ast_job_step(j, i), "false");
}

static void functions(const emit_ctx *e, out *o, const ast_job *j)
{
    const job_names *c = emit_job_names(e, j);
    const char *const *vars = TPL_VARS("job", j->name.name, "wait", c->wait, "cancel", c->cancel,
                                       "instance", c->instance, "free", c->free);
    start_fn(e, o, j);
    tpl_out(o, "int $wait$($job$ *job, int64_t timeout_ns)\n{\n"
               "    return aj_instance_wait((aj_instance *)job, timeout_ns);\n}\n\n"
               "void $cancel$($job$ *job)\n{\n    aj_instance_cancel((aj_instance *)job);\n}\n\n",
            vars);
    output_fns(e, o, j);
    tpl_out(o, "aj_instance *$instance$($job$ *job)\n{\n    return (aj_instance *)job;\n}\n\n"
               "void $free$($job$ *job)\n{\n    aj_instance_free((aj_instance *)job);\n}\n",
            vars);
}

/* Whether a free wrapper calls free() on an array. */
static bool any_array_step(const ast_file *f)
{
    for (uint32_t i = 0; i < f->jobs.n; i++)
        for (uint32_t k = 0; k < ast_file_job(f, i)->steps.n; k++)
            if (ast_step_array(ast_job_step(ast_file_job(f, i), k)))
                return true;
    return false;
}

static void order_jobs(const ast_job *j, bool *placed, const ast_job **order, uint32_t *n)
{
    placed[j->index] = true;
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *from = ast_job_step(j, i)->origin;
        if (from != NULL && !placed[from->job->index])
            order_jobs(from->job, placed, order, n);
    }
    order[(*n)++] = j;
}

/* The jobs in file order, but each after the jobs whose steps it inlines:
 * an inlined step uses the policy table, free wrapper and reply type that
 * its origin's job defines. sema rejected jobs that contain themselves. */
static const ast_job **job_order(const emit_ctx *e)
{
    const ast_file *f = e->file;
    bool *placed = arena_calloc(e->arena, (size_t)f->jobs.n + 1, sizeof *placed);
    const ast_job **order = arena_calloc(e->arena, (size_t)f->jobs.n + 1, sizeof *order);
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->jobs.n; i++)
        if (!placed[i])
            order_jobs(ast_file_job(f, i), placed, order, &n);
    return order;
}

/* About what one step costs in the source: wrapper, table rows, edges. */
#define SOURCE_BYTES_PER_STEP 1024

void emit_source(const emit_ctx *e, out *o)
{
    out_reserve(o, 4096 + emit_total_steps(e->file) * SOURCE_BYTES_PER_STEP);
    /* A header name is not a string literal: no escapes (ajc_compile()
     * refuses names that cannot be written here). */
    tpl_out(o, "/* Generated by ajc from $source$. DO NOT EDIT. */\n#include \"$header$\"\n\n"
               "#include <stddef.h>\n", TPL_VARS("source", e->source_base, "header", e->h_base));
    if (any_array_step(e->file))
        out_puts(o, "#include <stdlib.h>\n");
    out_puts(o, "#include <string.h>\n");
    const ast_job **order = job_order(e);
    for (uint32_t i = 0; i < e->file->jobs.n; i++) {
        const ast_job *j = order[i];
        tpl_out(o, "\n/* Job $job$ */\n\n", TPL_VARS("job", j->name.name));
        structs(o, j, emit_job_names(e, j));
        wrappers(e, o, j);
        policies(e, o, j);
        emit_tables(e, o, j);
        definition(e, o, j);
        done_fns(e, o, j);
        functions(e, o, j);
    }
}
