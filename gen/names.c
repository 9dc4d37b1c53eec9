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
} names;

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
            const ast_param *p = lists[l]->items[i];
            sig = arena_cat(n->arena, sig, sig[1] != '\0' ? ", " : "", p->ctype->text, NULL);
        }
    return arena_cat(n->arena, sig, " -> ", s->output ? s->output->text : "void", ")", NULL);
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

static void assign_job(names *n, ast_job *j)
{
    origin o = { O_JOB, "the instance type", j, NULL, NULL, j->name.loc };
    reserve(n, j->name.name, &o);
    j->c_def = job_name(n, j, "the definition", "_", "def");
    j->c_start = job_name(n, j, "the 'start' function", "_", "start");
    j->c_wait = job_name(n, j, "the 'wait' function", "_", "wait");
    j->c_cancel = job_name(n, j, "the 'cancel' function", "_", "cancel");
    j->c_instance = job_name(n, j, "the 'instance' function", "_", "instance");
    j->c_free = job_name(n, j, "the 'free' function", "_", "free");
    if (j->result != NULL) {
        j->c_result = job_name(n, j, "the 'result' function", "_", "result");
        j->c_take = job_name(n, j, "the 'take' function", "_", "take");
        j->c_result_helper = job_name(n, j, "the result helper", "__", "result");
    }
    if (j->params.n > 0)
        j->c_in = job_name(n, j, "the inputs struct", "__", "in");
    j->c_out = job_name(n, j, "the outputs struct", "__", "out");
    j->c_order = job_name(n, j, "the order table", "__", "order");
    j->c_edges = job_name(n, j, "the edge table", "__", "edges");
    j->c_steps = job_name(n, j, "the step table", "__", "steps");
    j->c_exec = job_name(n, j, "the step run table", "__", "exec");
    j->c_succs = job_name(n, j, "the successor table", "__", "succs");
    j->c_slots = job_name(n, j, "the slot table", "__", "slots");
    j->c_memo = job_name(n, j, "the runtime's memo", "__", "memo");
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
static void assign_free(names *n, symtab *frees, ast_step *s)
{
    const ast_type *t = s->output != NULL ? s->output->named : NULL;
    const ast_step *first;

    if (t == NULL || t->free_fn.name == NULL)
        return;
    first = symtab_put(frees, t->name.name, s);
    if (first != NULL) {
        s->c_free = first->c_free;
        return;
    }
    origin o = { O_STEP_INTERNAL, "the free wrapper", s->job, s, NULL, s->output->loc };
    s->c_free = arena_cat(n->arena, s->job->name.name, "__free_", t->name.name, NULL);
    s->free_first = true;
    reserve(n, s->c_free, &o);
}

/* impls: the job's functions so far, each to its first step. */
static void assign_step(names *n, symtab *impls, ast_step *s)
{
    if (s->impl.name != NULL) {
        origin o = { O_STEP_FN, "the function (impl)", s->job, s, NULL, s->impl.loc };
        s->c_fn = s->impl.name;
        s->proto_shared = !reserve(n, s->c_fn, &o);
    } else {
        s->c_fn = step_name(n, s, O_STEP_FN, "the step function", "_");
    }
    s->c_run = step_name(n, s, O_STEP_INTERNAL, "the wrapper", "__run_");
    /* Steps calling one function share one wrapper, which finds their
     * slots in a table: one hot function, far less code. */
    s->runner = symtab_put(impls, s->c_fn, s);
    if (s->runner == NULL)
        s->runner = s;
}

static void add_custom(names *n, ast_file *f, ast_policy *p)
{
    if (p->custom.name == NULL)
        return;
    origin o = { O_USER_FN, "custom retry function", NULL, NULL, p->custom.name, p->custom.loc };
    if (symtab_put(&n->customs, p->custom.name, &p->custom) == NULL)
        vec_push(n->arena, &f->custom_fns, &p->custom);
    reserve(n, p->custom.name, &o);
}

/* Policies get a table per job that uses them: JOB__retry_NAME for a named
 * policy (once, however many steps use it), JOB__retry_STEP for inline. */
static void assign_policies(names *n, ast_file *f, ast_job *j)
{
    for (uint32_t i = 0; i < j->steps.n; i++) {
        ast_step *s = j->steps.items[i];
        ast_retry *named = s->retry_named;
        if (s->retry == NULL)
            continue;
        add_custom(n, f, s->retry);
        if (named == NULL) {
            origin o = { O_POLICY, "the inline retry policy", j, s, s->name.name, s->name.loc };
            s->retry_c_name = arena_cat(n->arena, j->name.name, "__retry_", s->name.name, NULL);
            reserve(n, s->retry_c_name, &o);
        } else if (named->emitted_for != j) {
            origin o = { O_POLICY, "the retry policy", j, NULL, named->name.name,
                         named->name.loc };
            named->emitted_for = j;
            named->c_name = arena_cat(n->arena, j->name.name, "__retry_", named->name.name, NULL);
            reserve(n, named->c_name, &o);
            vec_push(n->arena, &j->policies, named);
        }
        if (named != NULL)
            s->retry_c_name = named->c_name;
    }
}

/* JOB_start() takes the job inputs as parameters: one named like a
 * file-scope name would shadow it (-Wshadow), one named like a local or
 * another parameter of JOB_start() would not compile. */
static void check_job_inputs(names *n, const ast_job *j)
{
    static const char *const taken[] = { "ctx", "in", "inst", "opts", "out", "rc", "rt" };
    for (uint32_t i = 0; i < j->params.n; i++) {
        const ast_param *p = j->params.items[i];
        const origin *o = symtab_get(&n->table, p->name.name);
        for (size_t k = 0; k < sizeof taken / sizeof taken[0]; k++)
            if (strcmp(p->name.name, taken[k]) == 0)
                diag_error(n->diag, p->name.loc, "job input '%s' is a name the generated "
                           "'%s' function uses itself; rename it", p->name.name, j->c_start);
        if (o != NULL) {
            diag_error(n->diag, p->name.loc, "job input '%s' would shadow %s in the generated "
                       "'%s' function; rename it", p->name.name, describe(n, o), j->c_start);
            diag_note(n->diag, o->loc, "'%s' comes from here", p->name.name);
        }
    }
}

void names_assign(arena *a, diag *d, ast_file *f)
{
    names n = { a, d, { 0 }, { 0 } };
    symtab_init(&n.table, a);
    symtab_init(&n.customs, a);
    for (uint32_t i = 0; i < f->types.n; i++) {
        const ast_type *t = f->types.items[i];
        origin o = { O_TYPE, "type", NULL, NULL, t->name.name, t->name.loc };
        reserve(&n, t->name.name, &o);
        if (t->free_fn.name != NULL) {
            origin fo = { O_USER_FN, "free function", NULL, NULL, t->free_fn.name,
                          t->free_fn.loc };
            reserve(&n, t->free_fn.name, &fo);
        }
    }
    for (uint32_t i = 0; i < f->jobs.n; i++) {
        ast_job *j = f->jobs.items[i];
        symtab impls, frees;
        symtab_init(&impls, a);
        symtab_init(&frees, a);
        assign_job(&n, j);
        for (uint32_t k = 0; k < j->steps.n; k++) {
            assign_step(&n, &impls, j->steps.items[k]);
            assign_free(&n, &frees, j->steps.items[k]);
        }
        assign_policies(&n, f, j);
    }
    for (uint32_t i = 0; i < f->jobs.n; i++)
        check_job_inputs(&n, f->jobs.items[i]);
}
