/*
 * ast.c: the constructors that parser actions call, one per action.
 *
 * Nothing here checks meaning (sema.c does). The only errors reported here
 * are syntactic ones that the grammar cannot see without conflicts: a typed
 * name whose last word is not a name. Token text stays in the source buffer
 * until a constructor copies the names it keeps.
 */
#include "ast.h"

#include <string.h>

void ast_builder_init(ast_builder *b, arena *a, src *s, diag *d)
{
    b->arena = a;
    b->src = s;
    b->diag = d;
    b->file = arena_calloc(a, 1, sizeof *b->file);
}

vec *ast_list_new(ast_builder *b)
{
    return arena_calloc(b->arena, 1, sizeof(vec));
}

vec *ast_list_add(ast_builder *b, vec *list, void *item)
{
    vec_push(b->arena, list, item);
    return list;
}

vec *ast_words_add(ast_builder *b, vec *words, ajc_loc word)
{
    ajc_loc *w = arena_alloc(b->arena, sizeof *w);
    *w = word;
    if (words == NULL)
        words = ast_list_new(b);
    vec_push(b->arena, words, w);
    return words;
}

ast_ident *ast_ident_new(ast_builder *b, ajc_loc loc)
{
    ast_ident *id = arena_alloc(b->arena, sizeof *id);
    id->name = src_text(b->src, loc);
    id->loc = loc;
    return id;
}

static ast_ident ident(ast_builder *b, ajc_loc loc)
{
    ast_ident id = { NULL, loc };
    if (!ast_loc_empty(loc))
        id.name = src_text(b->src, loc);
    return id;
}

static bool is_star(ast_builder *b, const ajc_loc *w)
{
    return b->src->text[w->begin] == '*';
}

/* Words joined as C writes them: "const char *", "T **", "char *const".
 * _Bool is spelt bool (asyncjob.h includes <stdbool.h>): the header is C++
 * too, which has no _Bool, and the two then match as one type. */
static const char *normalise(ast_builder *b, vec *words, uint32_t n)
{
    size_t len = 0;
    for (uint32_t i = 0; i < n; i++)
        len += ((ajc_loc *)words->items[i])->end - ((ajc_loc *)words->items[i])->begin + 1;
    char *text = arena_alloc(b->arena, len + 1), *w = text;
    for (uint32_t i = 0; i < n; i++) {
        const ajc_loc *word = words->items[i];
        const char *from = b->src->text + word->begin;
        size_t size = word->end - word->begin;
        if (size == 5 && memcmp(from, "_Bool", 5) == 0) {
            from = "bool";
            size = 4;
        }
        if (i > 0 && !is_star(b, words->items[i - 1]))
            *w++ = ' ';
        memcpy(w, from, size);
        w += size;
    }
    *w = '\0';
    return text;
}

static ast_ctype *ctype_of(ast_builder *b, vec *words, uint32_t n)
{
    ast_ctype *t = arena_calloc(b->arena, 1, sizeof *t);
    t->text = normalise(b, words, n);
    t->loc.begin = ((ajc_loc *)words->items[0])->begin;
    t->loc.end = ((ajc_loc *)words->items[n - 1])->end;
    for (uint32_t i = 0; i < n; i++)
        vec_push(b->arena, &t->words, words->items[i]);
    return t;
}

ast_ctype *ast_ctype_new(ast_builder *b, vec *words)
{
    return ctype_of(b, words, words->n);
}

/* The grammar reads `TYPE WORDS NAME` as one run of words; the last one is
 * the name. */
ast_param *ast_param_new(ast_builder *b, vec *words)
{
    ast_param *p = arena_calloc(b->arena, 1, sizeof *p);
    const ajc_loc *last = words->items[words->n - 1];
    p->name = ident(b, *last);
    if (is_star(b, last)) {
        ast_ctype *t = ctype_of(b, words, words->n);
        diag_syntax_error(b->diag, t->loc, "expected a name after the type '%s'", t->text);
    } else if (words->n == 1) {
        diag_syntax_error(b->diag, *last, "expected a type before the name '%s'", p->name.name);
    } else {
        p->ctype = ctype_of(b, words, words->n - 1);
    }
    return p;
}

/* true, false and NULL are names to the grammar: no step or job input can
 * have one of these names (names_ident.c), so here they are literals. */
ast_source ast_source_new(ast_builder *b, ast_source_kind kind, ajc_loc loc)
{
    static const struct { const char *word; ast_source_kind kind; } words[] = {
        { "true", AST_SRC_TRUE }, { "false", AST_SRC_FALSE }, { "NULL", AST_SRC_NULL },
    };
    ast_source s = { kind, loc, AST_EMPTY_LOC };
    for (size_t i = 0; kind == AST_SRC_NAME && i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].word) == loc.end - loc.begin &&
            memcmp(words[i].word, b->src->text + loc.begin, loc.end - loc.begin) == 0)
            s.kind = words[i].kind;
    return s;
}

ast_param *ast_input_new(ast_builder *b, ajc_loc optional, vec *words, ast_source source)
{
    ast_param *p = ast_param_new(b, words);
    p->producer = ident(b, source.loc);
    p->source = source.kind;
    p->optional = optional;
    p->map = source.map;
    return p;
}

/* `T[] xs = S`: words hold the type alone; the name comes after the
 * brackets. */
ast_param *ast_collect_new(ast_builder *b, ajc_loc optional, vec *words, ajc_loc brackets,
                           ajc_loc name, ast_source source)
{
    ast_param *p = arena_calloc(b->arena, 1, sizeof *p);
    p->ctype = ctype_of(b, words, words->n);
    p->name = ident(b, name);
    p->producer = ident(b, source.loc);
    p->source = source.kind;
    p->optional = optional;
    p->map = source.map;
    p->collect = brackets;
    return p;
}

ast_source ast_source_map(ast_source s, ajc_loc brackets)
{
    s.map = brackets;
    return s;
}

ast_ctype *ast_ctype_array(ast_ctype *t, ajc_loc brackets)
{
    t->array = brackets;
    return t;
}

void ast_include_add(ast_builder *b, ajc_loc text)
{
    ast_include *inc = arena_alloc(b->arena, sizeof *inc);
    inc->loc = text;
    inc->text = src_text(b->src, text);
    vec_push(b->arena, &b->file->includes, inc);
}

void ast_type_add(ast_builder *b, ajc_loc name, ast_ctype *ctype, ajc_loc free_fn)
{
    ast_type *t = arena_calloc(b->arena, 1, sizeof *t);
    t->name = ident(b, name);
    t->ctype = ctype;
    t->free_fn = ident(b, free_fn);
    t->index = b->file->types.n;
    vec_push(b->arena, &b->file->types, t);
}

void ast_limit_add(ast_builder *b, ajc_loc name, ajc_loc size)
{
    ast_limit *l = arena_calloc(b->arena, 1, sizeof *l);
    l->name = ident(b, name);
    l->size = size;
    vec_push(b->arena, &b->file->limits, l);
}

ast_retry *ast_retry_new(ast_builder *b, ajc_loc name, ast_policy *p)
{
    ast_retry *r = arena_calloc(b->arena, 1, sizeof *r);
    r->name = ident(b, name);
    r->policy = p;
    return r;
}

void ast_file_add_retry(ast_builder *b, ast_retry *r)
{
    vec_push(b->arena, &b->file->retries, r);
}

ast_duration ast_duration_make(ajc_loc num, ajc_loc unit)
{
    ast_duration d = { num, unit, true };
    return d;
}

static ast_policy *policy_new(ast_builder *b, ajc_loc kw)
{
    ast_policy *p = arena_calloc(b->arena, 1, sizeof *p);
    p->loc = kw;
    p->index = b->file->n_policies++;
    p->backoff = AST_BACKOFF_NONE;
    return p;
}

ast_policy *ast_policy_max(ast_builder *b, ajc_loc kw, ajc_loc count)
{
    ast_policy *p = policy_new(b, kw);
    p->max = count;
    return p;
}

ast_policy *ast_policy_custom(ast_builder *b, ajc_loc kw, ajc_loc fn)
{
    ast_policy *p = policy_new(b, kw);
    p->custom = ident(b, fn);
    return p;
}

/* Remembers the first setting given twice; sema reports it. */
static void note_dup(ast_policy *p, ajc_loc kw)
{
    if (ast_loc_empty(p->dup))
        p->dup = kw;
}

static void note_misplaced(ast_policy *p, ajc_loc kw)
{
    if (ast_loc_empty(p->misplaced))
        p->misplaced = kw;
}

ast_policy *ast_policy_backoff(ast_policy *p, ast_backoff backoff, ajc_loc kw, ast_duration d)
{
    if (p->custom.name != NULL)
        note_misplaced(p, kw);
    if (!ast_loc_empty(p->backoff_loc))
        note_dup(p, kw);
    p->backoff = backoff;
    p->backoff_loc = kw;
    p->delay = d;
    return p;
}

ast_policy *ast_policy_factor(ast_policy *p, ajc_loc kw, ajc_loc number)
{
    if (p->backoff != AST_BACKOFF_EXPONENTIAL)
        note_misplaced(p, kw);
    if (!ast_loc_empty(p->factor))
        note_dup(p, kw);
    p->factor = number;
    p->factor_kw = kw;
    return p;
}

ast_policy *ast_policy_cap(ast_policy *p, ajc_loc kw, ast_duration d)
{
    if (p->backoff != AST_BACKOFF_EXPONENTIAL)
        note_misplaced(p, kw);
    if (p->cap.present)
        note_dup(p, kw);
    p->cap = d;
    p->cap_kw = kw;
    return p;
}

ast_policy *ast_policy_jitter(ast_policy *p, ajc_loc kw, ajc_loc pct)
{
    if (p->custom.name != NULL)
        note_misplaced(p, kw);
    if (!ast_loc_empty(p->jitter))
        note_dup(p, kw);
    p->jitter = pct;
    return p;
}

static ast_attr *attr_new(ast_builder *b, ast_attr_kind kind, ajc_loc kw)
{
    ast_attr *a = arena_calloc(b->arena, 1, sizeof *a);
    a->kind = kind;
    a->loc = kw;
    return a;
}

static ast_attr *names_attr(ast_builder *b, ast_attr_kind kind, ajc_loc kw, const vec *names)
{
    ast_attr *a = attr_new(b, kind, kw);
    a->afters = *names;
    return a;
}

ast_attr *ast_attr_after(ast_builder *b, ajc_loc kw, const vec *names)
{
    return names_attr(b, ATTR_AFTER, kw, names);
}

ast_attr *ast_attr_uses(ast_builder *b, ajc_loc kw, const vec *names)
{
    return names_attr(b, ATTR_USES, kw, names);
}

ast_attr *ast_attr_retry(ast_builder *b, ajc_loc kw, ajc_loc name, ast_policy *inline_policy)
{
    ast_attr *a = attr_new(b, ATTR_RETRY, kw);
    a->name = ident(b, name);
    a->policy = inline_policy;
    return a;
}

ast_attr *ast_attr_timeout(ast_builder *b, ajc_loc kw, ast_duration d)
{
    ast_attr *a = attr_new(b, ATTR_TIMEOUT, kw);
    a->timeout = d;
    return a;
}

ast_attr *ast_attr_impl(ast_builder *b, ajc_loc kw, ajc_loc name)
{
    ast_attr *a = attr_new(b, ATTR_IMPL, kw);
    a->name = ident(b, name);
    return a;
}

ast_attr *ast_attr_flag(ast_builder *b, ast_attr_kind kind, ajc_loc kw)
{
    return attr_new(b, kind, kw);
}

ast_attr *ast_attr_condition(ast_builder *b, ajc_loc kw, ajc_loc step, bool negate)
{
    ast_attr *a = attr_new(b, ATTR_CONDITION, kw);
    a->name = ident(b, step);
    a->negate = negate;
    return a;
}

ast_attr *ast_attr_on(ast_builder *b, ajc_loc kw, ast_trigger rule, ajc_loc rule_loc)
{
    ast_attr *a = attr_new(b, ATTR_ON, kw);
    a->rule = rule;
    a->rule_loc = rule_loc;
    return a;
}

ast_attr *ast_attr_subjob(ast_builder *b, ajc_loc kw, ajc_loc job)
{
    ast_attr *a = attr_new(b, ATTR_JOB, kw);
    a->name = ident(b, job);
    return a;
}

ast_step *ast_step_new(ast_builder *b, ajc_loc kw, ajc_loc name, const vec *inputs,
                       ast_ctype *output, const vec *attrs)
{
    ast_step *s = arena_calloc(b->arena, 1, sizeof *s);
    s->loc = kw;
    s->name = ident(b, name);
    s->inputs = *inputs;
    s->output = output;
    s->attrs = *attrs;
    return s;
}

ast_job *ast_job_new(ast_builder *b)
{
    return arena_calloc(b->arena, 1, sizeof(ast_job));
}

ast_job *ast_job_add_step(ast_builder *b, ast_job *j, ast_step *s)
{
    vec_push(b->arena, &j->steps, s);
    return j;
}

ast_job *ast_job_add_retry(ast_builder *b, ast_job *j, ast_retry *r)
{
    r->job = j;
    vec_push(b->arena, &j->retries, r);
    return j;
}

ast_job *ast_job_add_result(ast_builder *b, ast_job *j, ajc_loc name)
{
    vec_push(b->arena, &j->results, ast_ident_new(b, name));
    return j;
}

void ast_job_finish(ast_builder *b, ast_job *j, ajc_loc name, const vec *params)
{
    j->name = ident(b, name);
    j->params = *params;
    j->index = b->file->jobs.n;
    vec_push(b->arena, &b->file->jobs, j);
}
