/*
 * names.c: every file-scope C name that ajc emits, built and reserved here.
 *
 * Generated names join user names with '_' (JOB_STEP, JOB_def) and '__'
 * (JOB__run_STEP), so two different origins can spell the same symbol: job
 * a_b step c and job a step b_c both give a_b_c. Each name goes through
 * reserve(), which keeps a hash table from C name to origin and reports a
 * clash with both origins. Names of user functions that ajc only refers to
 * (free and custom functions) may be reserved many times by the same kind,
 * and several steps may name one `impl` when their prototypes are the same.
 *
 * The result is a file_names the emitters read; the AST is not written.
 */
#include "names.h"

#include <string.h>

typedef enum origin_kind {
    O_TYPE,
    O_JOB,            /* the instance typedef and the contract functions */
    O_JOB_INTERNAL,   /* JOB__in, JOB__steps, ... */
    O_STEP_FN,        /* the user's step function */
    O_STEP_INTERNAL,  /* JOB__run_STEP, JOB__free_TYPE */
    O_POLICY,         /* JOB__retry_NAME, JOB__retry_STEP */
    O_USER_FN         /* free and custom functions: declared by the user */
} origin_kind;

typedef struct origin {
    origin_kind kind;
    const char *what;      /* "the 'start' function", "the wrapper", ... */
    const ast_job *job;
    const ast_step *step;
    const char *name;      /* type, policy or function name */
    ajc_loc loc;           /* where the name comes from in the .job file */
} origin;

typedef struct names {
    arena *arena;
    diag *diag;
    symtab table;          /* C name -> origin */
    symtab customs;        /* custom retry function name -> ast_ident */
    file_names *result;
} names;

/* How many steps of one job call one function, and the first of them. */
typedef struct fn_use {
    uint32_t first;
    uint32_t n;
} fn_use;

/* "the wrapper of job 'a' step 'b'", for messages only. */
static const char *describe(names *n, const origin *o)
{
    const char *job = o->job != NULL ? o->job->name.name : "";
    switch (o->kind) {
    case O_TYPE:
        return arena_cat(n->arena, "type '", o->name, "'", NULL);
    case O_JOB:
    case O_JOB_INTERNAL:
        return arena_cat(n->arena, o->what, " of job '", job, "'", NULL);
    case O_STEP_FN:
    case O_STEP_INTERNAL:
        return arena_cat(n->arena, o->what, " of job '", job, "' step '",
                         o->step->name.name, "'", NULL);
    case O_POLICY:
        return arena_cat(n->arena, o->what, " '", o->name, "' of job '", job, "'", NULL);
    case O_USER_FN:
        return arena_cat(n->arena, o->what, " '", o->name, "'", NULL);
    }
    return "";
}

/* "(Files -> Tally)": the types of a step function's parameters after the
 * context, and of its output, which is what makes two prototypes equal. */
static const char *signature(names *n, const ast_step *s)
{
    const char *sig = "(";
    const vec *lists[] = { &s->job->params, &s->inputs };

    for (size_t l = 0; l < 2; l++)
        for (uint32_t i = 0; i < lists[l]->n; i++) {
            const ast_param *p = AST_AT(const ast_param, *lists[l], i);
            sig = arena_cat(n->arena, sig, sig[1] != '\0' ? ", " : "", p->c_type, NULL);
        }
    sig = arena_cat(n->arena, sig, " -> ", s->output ? s->output->text : "void", ")", NULL);
    /* An async step's function takes its own reply type instead of an out. */
    return s->async ? arena_cat(n->arena, sig, " async, reply of '", s->name.name, "'", NULL)
                    : sig;
}

/* A second step naming the same impl shares the first one's prototype when
 * it would declare exactly the same function; true when that settles it
 * (shared, or reported as different). */
static bool share_impl(names *n, const origin *old, const origin *o)
{
    const ast_step *s = o->step;
    const char *mine, *theirs;

    if (old->kind != O_STEP_FN || o->kind != O_STEP_FN || old->step->impl.name == NULL ||
        s->impl.name == NULL)
        return false;
    mine = signature(n, s);
    theirs = signature(n, old->step);
    if (strcmp(mine, theirs) == 0)
        return true;
    diag_error(n->diag, o->loc, "step '%s' shares impl '%s' with step '%s' but their "
               "prototypes differ: %s here, %s there; give each its own impl",
               s->name.name, s->impl.name, old->step->name.name, mine, theirs);
    diag_note(n->diag, old->loc, "'%s' first comes from here", s->impl.name);
    return true;
}

/* Returns false when cname was taken already (a shared impl, or a clash it
 * reported). */
static bool reserve(names *n, const char *cname, const origin *o)
{
    if (strncmp(cname, "aj_", 3) == 0 || strncmp(cname, "AJ_", 3) == 0) {
        diag_error(n->diag, o->loc, "generated name '%s' (%s) is in the runtime's "
                   "namespace (aj_ and AJ_ belong to libasyncjob); rename it",
                   cname, describe(n, o));
        return true;
    }
    origin *copy = arena_alloc(n->arena, sizeof *copy);
    *copy = *o;
    const origin *old = symtab_put(&n->table, cname, copy);
    if (old == NULL)
        return true;
    if ((old->kind == O_USER_FN && o->kind == O_USER_FN) || share_impl(n, old, o))
        return false;
    diag_error(n->diag, o->loc, "generated name '%s' of %s collides with the same name "
               "of %s; rename one of them", cname, describe(n, o), describe(n, old));
    diag_note(n->diag, old->loc, "'%s' first comes from here", cname);
    return false;
}

static const char *job_name(names *n, const ast_job *j, const char *what, const char *sep,
                            const char *suffix)
{
    origin o = { O_JOB, what, j, NULL, NULL, j->name.loc };
    if (sep[1] == '_')
        o.kind = O_JOB_INTERNAL;
    const char *c = arena_cat(n->arena, j->name.name, sep, suffix, NULL);
    reserve(n, c, &o);
    return c;
}

/* A step of the job's own, or the result of one of its sub-job steps,
 * has an output function. */
static bool has_output(const ast_step *s)
{
    return s->output != NULL && (s->origin == NULL || s->stands_for != NULL);
}

static bool is_gated(const ast_step *s)
{
    return s->gated;
}

static bool any_step(const ast_job *j, bool (*test)(const ast_step *))
{
    for (uint32_t i = 0; i < j->steps.n; i++)
        if (test(ast_job_step(j, i)))
            return true;
    return false;
}

static void assign_job(names *n, const ast_job *j, job_names *c)
{
    origin o = { O_JOB, "the instance type", j, NULL, NULL, j->name.loc };
    reserve(n, j->name.name, &o);
    c->def = job_name(n, j, "the definition", "_", "def");
    c->start = job_name(n, j, "the 'start' function", "_", "start");
    c->wait = job_name(n, j, "the 'wait' function", "_", "wait");
    c->cancel = job_name(n, j, "the 'cancel' function", "_", "cancel");
    c->cancel_async = job_name(n, j, "the 'cancel_async' function", "_", "cancel_async");
    c->instance = job_name(n, j, "the 'instance' function", "_", "instance");
    c->free = job_name(n, j, "the 'free' function", "_", "free");
    c->rerun = job_name(n, j, "the 'rerun' function", "_", "rerun");
    if (j->result != NULL) {
        c->result = job_name(n, j, "the 'result' function", "_", "result");
        c->take = job_name(n, j, "the 'take' function", "_", "take");
    }
    if (any_step(j, has_output))
        c->output_helper = job_name(n, j, "the output helper", "__", "output");
    if (any_step(j, is_gated)) {
        c->gates = job_name(n, j, "the gate table", "__", "gates");
        c->required = job_name(n, j, "the required predecessor table", "__", "required");
    }
    if (j->limits.n > 0) {
        c->limits = job_name(n, j, "the limit table", "__", "limits");
        c->uses = job_name(n, j, "the limit use table", "__", "uses");
    }
    if (j->groups.n > 0)
        c->subjobs = job_name(n, j, "the sub-job table", "__", "subjobs");
    if (j->params.n > 0)
        c->in = job_name(n, j, "the inputs struct", "__", "in");
    c->out = job_name(n, j, "the outputs struct", "__", "out");
    c->order = job_name(n, j, "the order table", "__", "order");
    c->edges = job_name(n, j, "the edge table", "__", "edges");
    c->steps = job_name(n, j, "the step table", "__", "steps");
    c->exec = job_name(n, j, "the step run table", "__", "exec");
    c->succs = job_name(n, j, "the successor table", "__", "succs");
    c->slots = job_name(n, j, "the slot table", "__", "slots");
    c->memo = job_name(n, j, "the runtime's memo", "__", "memo");
    c->room = job_name(n, j, "the room of the runtime's memo", "__", "room");
}

static const char *step_name(names *n, const ast_step *s, origin_kind kind, const char *what,
                             const char *mid)
{
    origin o = { kind, what, s->job, s, NULL, s->name.loc };
    const char *c = arena_cat(n->arena, s->job->name.name, mid, s->name.name, NULL);
    reserve(n, c, &o);
    return c;
}

/* Outputs of one type share one free wrapper per job, JOB__free_TYPE;
 * frees maps each type to the first step that needs it. */
static void assign_free(names *n, symtab *frees, const ast_step *s, step_names *c)
{
    const ast_type *t = s->output != NULL ? s->output->named : NULL;
    const step_names *first;

    if (ast_step_array(s)) {
        c->free_out = step_name(n, s, O_STEP_INTERNAL, "the array's free wrapper", "__free_");
        c->writes_free = c->frees_array = true;
        return;
    }
    if (t == NULL || t->free_fn.name == NULL)
        return;
    first = symtab_put(frees, t->name.name, c);
    if (first != NULL) {
        c->free_out = first->free_out;
        return;
    }
    origin o = { O_STEP_INTERNAL, "the free wrapper", s->job, s, NULL, s->output->loc };
    c->free_out = arena_cat(n->arena, s->job->name.name, "__free_", t->name.name, NULL);
    c->writes_free = true;
    reserve(n, c->free_out, &o);
}

/* Whether every input of s is a step's output that it requires: what a
 * shared wrapper can read from the slot table. A literal, a job input or
 * an optional input is the step's own, and so is its wrapper; so are a
 * map, a collect and an array output, which the wrapper reads by name. */
static bool plain_inputs(const ast_step *s)
{
    if (ast_step_many(s))
        return false;
    for (uint32_t i = 0; i < s->inputs.n; i++) {
        const ast_param *p = ast_step_input(s, i);
        if (p->source != AST_SRC_STEP || !ast_loc_empty(p->optional) ||
            !ast_loc_empty(p->collect) || ast_step_many(p->from))
            return false;
    }
    return true;
}

/* The user's function; uses counts the job's steps that call each one and
 * could share a wrapper. */
static void count_fn(names *n, symtab *uses, const ast_step *s, step_names *c)
{
    c->fn = s->impl.name != NULL
                ? s->impl.name
                : arena_cat(n->arena, s->job->name.name, "_", s->name.name, NULL);
    if (!plain_inputs(s))
        return;
    fn_use *u = symtab_get(uses, c->fn);
    if (u == NULL) {
        u = arena_alloc(n->arena, sizeof *u);
        *u = (fn_use){ s->index, 0 };
        symtab_put(uses, c->fn, u);
    }
    u->n++;
}

/* A second step naming the same impl declares nothing (share_impl). */
static void reserve_fn(names *n, const ast_step *s, step_names *c)
{
    origin o = { O_STEP_FN, "the function (impl)", s->job, s, NULL, s->impl.loc };
    if (s->impl.name == NULL) {
        o.what = "the step function";
        o.loc = s->name.loc;
    }
    c->declares_fn = reserve(n, c->fn, &o);
}

/* A step with a function of its own gets a wrapper named after the step
 * that reads its inputs by name. Steps calling one function share one
 * wrapper, named after the function, which finds their slots in a table:
 * one hot function, far less code. */
static void assign_run(names *n, const symtab *uses, const ast_job *j, job_names *jc,
                       uint32_t i)
{
    step_names *c = &jc->step[i];
    const fn_use *u = symtab_get(uses, c->fn);
    const ast_step *s = ast_job_step(j, i);
    c->writes_run = !plain_inputs(s) || u->first == i;
    c->by_slots = plain_inputs(s) && u->n > 1;
    if (!c->by_slots) {
        c->run = step_name(n, s, O_STEP_INTERNAL, "the wrapper", "__run_");
    } else if (c->writes_run) {
        origin o = { O_STEP_INTERNAL, "the shared wrapper", j, s, NULL, s->impl.loc };
        c->run = arena_cat(n->arena, j->name.name, "__run_", c->fn, NULL);
        reserve(n, c->run, &o);
    } else {
        c->run = jc->step[u->first].run;
    }
}

static void add_custom(names *n, const ast_policy *p)
{
    if (p->custom.name == NULL)
        return;
    origin o = { O_USER_FN, "custom retry function", NULL, NULL, p->custom.name, p->custom.loc };
    if (symtab_put(&n->customs, p->custom.name, (void *)&p->custom) == NULL)
        vec_push(n->arena, &n->result->custom_fns, (void *)&p->custom);
    reserve(n, p->custom.name, &o);
}

static void add_table(names *n, job_names *jc, const char *c_name, const ast_policy *p)
{
    policy_table *t = arena_alloc(n->arena, sizeof *t);
    *t = (policy_table){ c_name, p };
    vec_push(n->arena, &jc->policies, t);
}

/* JOB__retry_NAME for a named policy, once per job however many steps use
 * it; tables maps its name to the C name. */
static const char *named_policy(names *n, symtab *tables, const ast_job *j, job_names *jc,
                                const ast_retry *r)
{
    const char *c_name = symtab_get(tables, r->name.name);
    if (c_name != NULL)
        return c_name;
    origin o = { O_POLICY, "the retry policy", j, NULL, r->name.name, r->name.loc };
    c_name = arena_cat(n->arena, j->name.name, "__retry_", r->name.name, NULL);
    symtab_put(tables, r->name.name, (void *)c_name);
    reserve(n, c_name, &o);
    add_table(n, jc, c_name, r->policy);
    return c_name;
}

/* Policies get a table per job that uses them: named ones in the order of
 * first use, then the inline ones, JOB__retry_STEP, in step order. */
static void assign_policies(names *n, const ast_job *j, job_names *jc)
{
    symtab tables;
    symtab_init(&tables, n->arena);
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = ast_job_step(j, i);
        if (s->retry == NULL || s->origin != NULL)
            continue;
        add_custom(n, s->retry);
        if (s->retry_named != NULL)
            jc->step[i].retry = named_policy(n, &tables, j, jc, s->retry_named);
    }
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *s = ast_job_step(j, i);
        if (s->retry == NULL || s->retry_named != NULL || s->origin != NULL)
            continue;
        origin o = { O_POLICY, "the inline retry policy", j, s, s->name.name, s->name.loc };
        jc->step[i].retry = arena_cat(n->arena, j->name.name, "__retry_", s->name.name, NULL);
        reserve(n, jc->step[i].retry, &o);
        add_table(n, jc, jc->step[i].retry, s->retry);
    }
}

/* JOB_start() takes the job inputs as parameters: one named like a
 * file-scope name would shadow it (-Wshadow), one named like a local or
 * another parameter of JOB_start() would not compile. */
static void check_job_inputs(names *n, const ast_job *j, const job_names *jc)
{
    static const char *const taken[] = { "ctx", "in", "inst", "opts", "out", "rc", "rt" };
    for (uint32_t i = 0; i < j->params.n; i++) {
        const ast_param *p = ast_job_param(j, i);
        const origin *o = symtab_get(&n->table, p->name.name);
        for (size_t k = 0; k < sizeof taken / sizeof taken[0]; k++)
            if (strcmp(p->name.name, taken[k]) == 0)
                diag_error(n->diag, p->name.loc, "job input '%s' is a name the generated "
                           "'%s' function uses itself; rename it", p->name.name, jc->start);
        if (o != NULL) {
            diag_error(n->diag, p->name.loc, "job input '%s' would shadow %s in the generated "
                       "'%s' function; rename it", p->name.name, describe(n, o), jc->start);
            diag_note(n->diag, o->loc, "'%s' comes from here", p->name.name);
        }
    }
}

static void assign_types(names *n, const ast_file *f)
{
    for (uint32_t i = 0; i < f->types.n; i++) {
        const ast_type *t = ast_file_type(f, i);
        origin o = { O_TYPE, "type", NULL, NULL, t->name.name, t->name.loc };
        reserve(n, t->name.name, &o);
        if (t->free_fn.name != NULL) {
            origin fo = { O_USER_FN, "free function", NULL, NULL, t->free_fn.name,
                          t->free_fn.loc };
            reserve(n, t->free_fn.name, &fo);
        }
    }
}

/* An async step's reply type and done function, JOB_STEP_reply and
 * JOB_STEP_done, whatever its impl: each attempt's reply is the step's. */
static void assign_async(names *n, const ast_step *s, step_names *c)
{
    origin o = { O_STEP_INTERNAL, "the reply type", s->job, s, NULL, s->name.loc };
    const char *base = arena_cat(n->arena, s->job->name.name, "_", s->name.name, NULL);

    c->reply = arena_cat(n->arena, base, "_reply", NULL);
    reserve(n, c->reply, &o);
    o.what = "the done function";
    c->done = arena_cat(n->arena, base, "_done", NULL);
    reserve(n, c->done, &o);
}

static void assign_output(names *n, const ast_step *s, step_names *c)
{
    origin o = { O_STEP_INTERNAL, "the 'output' function", s->job, s, NULL, s->name.loc };
    c->output = arena_cat(n->arena, s->job->name.name, "_", s->name.name, "_output", NULL);
    reserve(n, c->output, &o);
}

static void assign_steps(names *n, const ast_job *j, job_names *jc)
{
    symtab uses, frees;
    symtab_init(&uses, n->arena);
    symtab_init(&frees, n->arena);
    jc->step = arena_calloc(n->arena, j->steps.n, sizeof *jc->step);
    for (uint32_t k = 0; k < j->steps.n; k++)
        if (ast_job_step(j, k)->origin == NULL)
            count_fn(n, &uses, ast_job_step(j, k), &jc->step[k]);
    for (uint32_t k = 0; k < j->steps.n; k++) {
        const ast_step *s = ast_job_step(j, k);
        if (s->origin != NULL)
            continue;
        reserve_fn(n, s, &jc->step[k]);
        assign_run(n, &uses, j, jc, k);
        assign_free(n, &frees, s, &jc->step[k]);
        if (s->async)
            assign_async(n, s, &jc->step[k]);
        if (s->output != NULL)
            assign_output(n, s, &jc->step[k]);
    }
}

/* An inlined step calls its origin's function and uses its origin's
 * policy table, free and reply type, which its origin's job defines; its
 * own wrapper, JOB__run_T1_Open, passes the job inputs it is bound to. The
 * result of sub-job step T1 gets T1's output function, JOB_T1_output. */
static void assign_inlined(names *n, const ast_file *f)
{
    for (uint32_t i = 0; i < f->jobs.n; i++) {
        const ast_job *j = ast_file_job(f, i);
        job_names *jc = &n->result->job[i];
        for (uint32_t k = 0; k < j->steps.n; k++) {
            const ast_step *s = ast_job_step(j, k);
            if (s->origin == NULL)
                continue;
            step_names *c = &jc->step[k];
            *c = n->result->job[s->origin->job->index].step[s->origin->index];
            c->declares_fn = c->by_slots = c->writes_free = c->frees_array = false;
            c->writes_run = true;
            c->output = NULL;
            origin o = { O_STEP_INTERNAL, "the wrapper", j, s, NULL, s->name.loc };
            c->run = arena_cat(n->arena, j->name.name, "__run_", s->c_field, NULL);
            reserve(n, c->run, &o);
            if (s->stands_for != NULL)
                assign_output(n, s->stands_for, c);
        }
    }
}

file_names *names_assign(arena *a, diag *d, const ast_file *f)
{
    names n = { a, d, { 0 }, { 0 }, NULL };
    symtab_init(&n.table, a);
    symtab_init(&n.customs, a);
    n.result = arena_calloc(a, 1, sizeof *n.result);
    n.result->job = arena_calloc(a, (size_t)f->jobs.n + 1, sizeof *n.result->job);
    assign_types(&n, f);
    for (uint32_t i = 0; i < f->jobs.n; i++) {
        const ast_job *j = ast_file_job(f, i);
        assign_job(&n, j, &n.result->job[i]);
        assign_steps(&n, j, &n.result->job[i]);
        assign_policies(&n, j, &n.result->job[i]);
    }
    assign_inlined(&n, f);
    for (uint32_t i = 0; i < f->jobs.n; i++)
        check_job_inputs(&n, ast_file_job(f, i), &n.result->job[i]);
    return n.result;
}
