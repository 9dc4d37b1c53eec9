/* ast.h: the parsed .job file, and the facts sema resolves in it (which step
 * an input names, a step's edges, its policy). What later stages compute from
 * it (the schedule, C names, checked policy values) lives in their own result
 * structs: graph.h, names.h, sema.h. */
#ifndef AJC_AST_H
#define AJC_AST_H

#include "diag.h"
#include "table.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ast_job ast_job;
typedef struct ast_step ast_step;
typedef struct ast_type ast_type;

/* A name as written; name is NULL when the optional name is absent. */
typedef struct ast_ident {
    const char *name;
    ajc_loc loc;
} ast_ident;

/* A C type, as the words the user wrote and as normalised text. */
typedef struct ast_ctype {
    const char *text;    /* "const char *": single spaces, "T *", "T **" */
    ajc_loc loc;
    vec words;           /* ajc_loc * of each word, for the checks */
    ast_type *named;     /* sema: the `type` it is exactly, or NULL (raw C) */
    ajc_loc array;       /* a step output's `[]`: it returns an array; empty: one value */
} ast_ctype;

struct ast_type {
    ast_ident name;
    ast_ctype *ctype;
    ast_ident free_fn;   /* name NULL: outputs of this type are not freed */
    uint32_t index;      /* declaration order */
};

/* The compiler's own kinds; the emitters spell the runtime's constants. */
typedef enum ast_backoff {
    AST_BACKOFF_NONE = 0,
    AST_BACKOFF_FIXED,
    AST_BACKOFF_LINEAR,
    AST_BACKOFF_EXPONENTIAL
} ast_backoff;

enum {
    AST_EDGE_DATA = 1u,      /* the target takes the source's output */
    AST_EDGE_AFTER = 2u,     /* the target runs after the source */
    AST_EDGE_CONDITION = 4u, /* the source's bool decides whether the target runs */
    AST_EDGE_OPTIONAL = 8u   /* with DATA: an optional input, and nothing else
                                makes the source required */
};

/* Trigger rules, as asyncjob.h's aj_trigger_rule orders them. */
typedef enum ast_trigger {
    AST_ON_SUCCESS = 0,
    AST_ON_DONE,
    AST_ON_FAILURE
} ast_trigger;

/* Where a step input's value comes from. The parser knows names and
 * literals; sema tells a step from a job input. */
typedef enum ast_source_kind {
    AST_SRC_NAME,        /* parser: a step or a job input */
    AST_SRC_STEP,        /* the step's output: a data edge */
    AST_SRC_INPUT,       /* a job input */
    AST_SRC_INT,
    AST_SRC_NUMBER,
    AST_SRC_STRING,
    AST_SRC_TRUE,
    AST_SRC_FALSE,
    AST_SRC_NULL
} ast_source_kind;

typedef struct ast_source {
    ast_source_kind kind;
    ajc_loc loc;
    ajc_loc map;         /* `S[]`: the brackets; empty: the source itself */
} ast_source;

typedef struct ast_duration {
    ajc_loc num;         /* digits */
    ajc_loc unit;        /* the unit word after them */
    bool present;
} ast_duration;

typedef struct ast_policy {
    ajc_loc loc;
    ast_ident custom;    /* custom FN; name NULL otherwise */
    ajc_loc max;         /* the INT after max; empty for custom */
    uint32_t index;      /* file-wide, in parse order: sema's values are by index */
    ast_backoff backoff;
    ajc_loc backoff_loc;
    ast_duration delay;
    ajc_loc factor;      /* empty: not given */
    ajc_loc factor_kw;
    ast_duration cap;
    ajc_loc cap_kw;
    ajc_loc jitter;      /* the INT before %; empty: not given */
    ajc_loc dup;         /* a setting given twice (the second), or empty */
    ajc_loc misplaced;   /* a setting custom or the backoff does not take */
} ast_policy;

/* A named policy, `retry NAME = ...;`, in the file or in one job. */
typedef struct ast_retry {
    ast_ident name;
    ast_policy *policy;
    ast_job *job;        /* the job it is declared in; NULL at file level */
} ast_retry;

/* `limit NAME = N;`: at most N running steps that use NAME, across every
 * instance on a runtime. Limit names are their own namespace. */
typedef struct ast_limit {
    ast_ident name;
    ajc_loc size;        /* the INT */
    uint32_t value;      /* sema: the size, once checked */
    bool used;           /* sema: some step uses it */
} ast_limit;

/* A job input (producer name NULL) or a step input bound to a source. */
typedef struct ast_param {
    ast_ctype *ctype;
    ast_ident name;
    ast_ident producer;  /* the source as written: a name or a literal */
    ast_source_kind source;
    ajc_loc optional;    /* the `optional` keyword; empty: a required input */
    ajc_loc map;         /* `T x = S[]`: the brackets; empty: no map.
                            flatten.c gives T1's to what a copy of mapped
                            sub-job step T1 reads of another copy */
    ajc_loc collect;     /* `T[] xs = S`: the brackets; empty: one value */
    ast_step *from;      /* sema: the producing step (AST_SRC_STEP) */
    const struct ast_param *input; /* sema: the job input (AST_SRC_INPUT) */
    const char *c_type;  /* sema: its C parameter type, "const T *" if optional */
    const char *value;   /* sema: a literal's C text */
} ast_param;

typedef enum ast_attr_kind {
    ATTR_AFTER,
    ATTR_RETRY,
    ATTR_TIMEOUT,
    ATTR_IMPL,
    ATTR_BLOCKING,
    ATTR_ASYNC,
    ATTR_NONFATAL,
    ATTR_CONDITION,      /* when NAME, unless NAME */
    ATTR_ON,
    ATTR_USES,
    ATTR_JOB             /* job NAME: the step runs an instance of job NAME */
} ast_attr_kind;

typedef struct ast_attr {
    ast_attr_kind kind;
    ajc_loc loc;         /* the keyword */
    vec afters;          /* ast_ident *: after A, B; uses X, Y */
    ast_ident name;      /* retry NAME, impl NAME, when/unless NAME, job NAME */
    ast_policy *policy;  /* retry (inline policy) */
    ast_duration timeout;
    bool negate;         /* unless */
    ast_trigger rule;    /* on RULE */
    ajc_loc rule_loc;
} ast_attr;

/* One edge into a step, after sema resolves names: the graph's input. */
typedef struct ast_pred {
    ast_step *from;
    uint32_t kind;       /* AST_EDGE_* */
    ajc_loc loc;         /* the first reference (producer or after name) */
    bool optional;       /* the data input it feeds is optional */
} ast_pred;

struct ast_step {
    ast_ident name;
    ajc_loc loc;         /* the `step` keyword */
    vec inputs;          /* ast_param * */
    ast_ctype *output;   /* NULL: produces nothing */
    vec attrs;           /* ast_attr * */
    /* Set by sema. */
    ast_job *job;
    uint32_t index;      /* declaration order in its job */
    vec preds;           /* ast_pred *, distinct sources */
    ast_policy *retry;   /* NULL: no retry */
    ast_retry *retry_named; /* the named policy it uses; NULL when inline */
    int64_t timeout_ns;
    ast_ident impl;
    bool blocking;       /* runs on the runtime's blocking pool */
    bool async;          /* completes later, through JOB_STEP_done() */
    bool consumed;       /* some step takes its output */
    bool nonfatal;       /* its failure is no root cause */
    ast_trigger rule;
    ast_step *condition; /* when / unless; NULL: none */
    bool negate;         /* unless */
    bool gated;          /* a rule, a condition or an optional edge decides
                            whether it runs: the tables give it a gate */
    uint32_t n_required; /* gated: its required predecessors */
    vec uses;            /* ast_limit *: the limits it uses, by name */
    bool mapped;         /* an input maps over `S[]`: it runs once per element */
    ast_param *map_input; /* sema: that input; map_input->from is what it maps
                             over (after flatten.c, maybe a source of its own) */
    const ast_attr *job_attr; /* `job NAME`; NULL: the step has a function */
    ast_job *subjob;     /* the job it runs, once sema found it; NULL otherwise */
    /* Set by flatten.c, which inlines sub-job steps. */
    const char *c_field; /* its member in the outputs struct: its name, with
                            '_' for the '/' of an inlined step's */
    const ast_step *origin; /* an inlined step ("T1/Open"): the step of the
                               sub-job it copies, whose function it calls;
                               NULL: the job's own step */
    vec args;            /* inlined: ast_param *, what it passes for each
                            input of origin->job, in this job's terms */
    const ast_step *stands_for; /* the result step of sub-job step T1 of
                                   this job: T1's output function lends it */
};

/* An inlined sub-job: steps first .. first + n_steps - 1 of the flat job
 * are the steps of job, named "T1/..." after name. */
typedef struct ast_group {
    const char *name;    /* "T1", "T1/Audit" */
    const ast_job *job;
    uint32_t first;
    uint32_t n_steps;
} ast_group;

struct ast_job {
    ast_ident name;
    vec params;          /* ast_param *, job inputs */
    vec steps;           /* ast_step * */
    vec retries;         /* ast_retry *, declared in the job */
    vec results;         /* ast_ident * */
    uint32_t index;      /* file order */
    /* Set by sema. */
    symtab step_names;
    ast_step *result;
    vec limits;          /* ast_limit *: those its steps use, by name */
    /* Set by flatten.c: steps then lists the inlined steps of each sub-job
     * step in its place, and groups says where (ast_group *, enclosing
     * ones first). */
    vec groups;
};

typedef struct ast_include {
    ajc_loc loc;
    const char *text;    /* "x.h" or <x.h>, as written */
} ast_include;

typedef struct ast_file {
    vec includes;        /* ast_include * */
    vec types;           /* ast_type * */
    vec retries;         /* ast_retry * */
    vec limits;          /* ast_limit * */
    vec jobs;            /* ast_job * */
    uint32_t n_policies; /* every ast_policy of the file, named or inline */
} ast_file;

/* What parser actions build with. */
typedef struct ast_builder {
    arena *arena;
    src *src;
    diag *diag;
    ast_file *file;
} ast_builder;

void ast_builder_init(ast_builder *b, arena *a, src *s, diag *d);

/* Parser actions: one call each. */
vec *ast_list_new(ast_builder *b);
vec *ast_list_add(ast_builder *b, vec *list, void *item);
vec *ast_words_add(ast_builder *b, vec *words, ajc_loc word);
ast_ctype *ast_ctype_new(ast_builder *b, vec *words);
ast_param *ast_param_new(ast_builder *b, vec *words);
ast_source ast_source_new(ast_builder *b, ast_source_kind kind, ajc_loc loc);
ast_param *ast_input_new(ast_builder *b, ajc_loc optional, vec *words, ast_source source);
ast_param *ast_collect_new(ast_builder *b, ajc_loc optional, vec *words, ajc_loc brackets,
                           ajc_loc name, ast_source source);
ast_source ast_source_map(ast_source s, ajc_loc brackets);
ast_ctype *ast_ctype_array(ast_ctype *t, ajc_loc brackets);
ast_ident *ast_ident_new(ast_builder *b, ajc_loc loc);
void ast_include_add(ast_builder *b, ajc_loc text);
void ast_type_add(ast_builder *b, ajc_loc name, ast_ctype *ctype, ajc_loc free_fn);
ast_retry *ast_retry_new(ast_builder *b, ajc_loc name, ast_policy *p);
void ast_file_add_retry(ast_builder *b, ast_retry *r);
ast_duration ast_duration_make(ajc_loc num, ajc_loc unit);
ast_policy *ast_policy_max(ast_builder *b, ajc_loc kw, ajc_loc count);
ast_policy *ast_policy_custom(ast_builder *b, ajc_loc kw, ajc_loc fn);
ast_policy *ast_policy_backoff(ast_policy *p, ast_backoff backoff, ajc_loc kw, ast_duration d);
ast_policy *ast_policy_factor(ast_policy *p, ajc_loc kw, ajc_loc number);
ast_policy *ast_policy_cap(ast_policy *p, ajc_loc kw, ast_duration d);
ast_policy *ast_policy_jitter(ast_policy *p, ajc_loc kw, ajc_loc pct);
ast_attr *ast_attr_after(ast_builder *b, ajc_loc kw, const vec *names);
ast_attr *ast_attr_retry(ast_builder *b, ajc_loc kw, ajc_loc name, ast_policy *inline_policy);
ast_attr *ast_attr_timeout(ast_builder *b, ajc_loc kw, ast_duration d);
ast_attr *ast_attr_impl(ast_builder *b, ajc_loc kw, ajc_loc name);
ast_attr *ast_attr_flag(ast_builder *b, ast_attr_kind kind, ajc_loc kw);
ast_attr *ast_attr_condition(ast_builder *b, ajc_loc kw, ajc_loc step, bool negate);
ast_attr *ast_attr_on(ast_builder *b, ajc_loc kw, ast_trigger rule, ajc_loc rule_loc);
ast_attr *ast_attr_uses(ast_builder *b, ajc_loc kw, const vec *names);
void ast_limit_add(ast_builder *b, ajc_loc name, ajc_loc size);
ast_attr *ast_attr_subjob(ast_builder *b, ajc_loc kw, ajc_loc job);
ast_step *ast_step_new(ast_builder *b, ajc_loc kw, ajc_loc name, const vec *inputs,
                       ast_ctype *output, const vec *attrs);
ast_job *ast_job_new(ast_builder *b);
ast_job *ast_job_add_step(ast_builder *b, ast_job *j, ast_step *s);
ast_job *ast_job_add_retry(ast_builder *b, ast_job *j, ast_retry *r);
ast_job *ast_job_add_result(ast_builder *b, ast_job *j, ajc_loc name);
void ast_job_finish(ast_builder *b, ast_job *j, ajc_loc name, const vec *params);

/* Typed access to the lists: the element types the comments above name. */
#define AST_AT(type, list, i) ((type *)(list).items[i])
static inline ast_job *ast_file_job(const ast_file *f, uint32_t i)
{
    return AST_AT(ast_job, f->jobs, i);
}
static inline ast_type *ast_file_type(const ast_file *f, uint32_t i)
{
    return AST_AT(ast_type, f->types, i);
}
static inline ast_retry *ast_file_retry(const ast_file *f, uint32_t i)
{
    return AST_AT(ast_retry, f->retries, i);
}
static inline ast_limit *ast_file_limit(const ast_file *f, uint32_t i)
{
    return AST_AT(ast_limit, f->limits, i);
}
static inline ast_limit *ast_step_limit(const ast_step *s, uint32_t i)
{
    return AST_AT(ast_limit, s->uses, i);
}
static inline const ast_include *ast_file_include(const ast_file *f, uint32_t i)
{
    return AST_AT(const ast_include, f->includes, i);
}
static inline ast_step *ast_job_step(const ast_job *j, uint32_t i)
{
    return AST_AT(ast_step, j->steps, i);
}
static inline ast_param *ast_job_param(const ast_job *j, uint32_t i)
{
    return AST_AT(ast_param, j->params, i);
}
static inline ast_retry *ast_job_retry(const ast_job *j, uint32_t i)
{
    return AST_AT(ast_retry, j->retries, i);
}
static inline const ast_ident *ast_job_result(const ast_job *j, uint32_t i)
{
    return AST_AT(const ast_ident, j->results, i);
}
static inline ast_param *ast_step_input(const ast_step *s, uint32_t i)
{
    return AST_AT(ast_param, s->inputs, i);
}
static inline ast_attr *ast_step_attr(const ast_step *s, uint32_t i)
{
    return AST_AT(ast_attr, s->attrs, i);
}
static inline ast_pred *ast_step_pred(const ast_step *s, uint32_t i)
{
    return AST_AT(ast_pred, s->preds, i);
}
static inline const ajc_loc *ast_ctype_word(const ast_ctype *t, uint32_t i)
{
    return AST_AT(const ajc_loc, t->words, i);
}
static inline const ast_ident *ast_attr_after_name(const ast_attr *a, uint32_t i)
{
    return AST_AT(const ast_ident, a->afters, i);
}

/* The C text a type finally stands for, through `type` declarations. */
static inline const char *ast_ctype_real(const ast_ctype *t)
{
    while (t->named != NULL)
        t = t->named->ctype;
    return t->text;
}

#define AST_EMPTY_LOC ((ajc_loc){ 0, 0 })
static inline bool ast_loc_empty(ajc_loc l)
{
    return l.begin == l.end;
}

/* A step that returns an array, `-> T[]`. */
static inline bool ast_step_array(const ast_step *s)
{
    return s->output != NULL && !ast_loc_empty(s->output->array);
}

/* Its output is many values: an array, or one per element. */
static inline bool ast_step_many(const ast_step *s)
{
    return s->mapped || ast_step_array(s);
}

#endif
