/*
 * ajc.c: one compilation, in memory. compile() runs every stage in order,
 * each on what the previous ones produced: parse, file checks, job checks,
 * schedule, C names, emission. A stage that reports an error stops the run
 * after it, except that the schedule runs on the job checks' results in the
 * same run, so that cycles are reported along with everything else.
 *
 * Everything is allocated in one arena. Running out of memory, or reaching
 * the error limit, longjmps back here (arena.c, diag.c): the arena is freed
 * and nothing leaks, whatever stage was running. That is what lets a fuzzer
 * call ajc_compile() on any bytes, and tests fail every allocation in turn.
 */
#include "ajc.h"

#include "arena.h"
#include "ast.h"
#include "emit.h"
#include "flatten.h"
#include "graph.h"
#include "lexer_api.h"
#include "names.h"
#include "parser.h"
#include "sema.h"

#include "lexer.h"

#include <string.h>

const char *ajc_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static void parse(ast_builder *b)
{
    struct lexer_extra x = { .b = b };
    yyscan_t scanner;
    ajc_yylex_init_extra(&x, &scanner);
    ajc_yy_scan_bytes(b->src->text, (int)b->src->len, scanner);
    if (ajc_yyparse(scanner, b) == 2) /* the stack cannot grow: see parser.y */
        diag_syntax_error(b->diag, (ajc_loc){ b->src->len, b->src->len },
                          "input nests too deeply");
    /* The scanner's memory is the arena's: no ajc_yylex_destroy needed. */
}

/* Each job's schedule, by job index; NULL for a job with a cycle. */
static sched **schedule(arena *a, diag *d, const ast_file *f)
{
    sched **all = arena_calloc(a, (size_t)f->jobs.n + 1, sizeof *all);
    for (uint32_t i = 0; i < f->jobs.n; i++)
        if (ast_file_job(f, i)->steps.n > 0)
            all[i] = graph_schedule(a, d, ast_file_job(f, i));
    return all;
}

static void emit(const emit_ctx *e, const ajc_options *o, ajc_output *res)
{
    arena *a = e->arena;
    if (o->dot) {
        out od;
        out_init(&od, a, "", false);
        emit_dot(e, &od);
        res->dot = od.buf != NULL ? od.buf : "";
        res->dot_len = od.len;
        return;
    }
    if (o->check)
        return;
    out oh, oc;
    const char *name = e->src->name;
    out_init(&oh, a, o->h_path != NULL ? o->h_path : arena_cat(a, name, ".h", NULL), !o->no_line);
    out_init(&oc, a, o->c_path != NULL ? o->c_path : arena_cat(a, name, ".c", NULL), !o->no_line);
    emit_header(e, &oh);
    emit_source(e, &oc);
    res->h = oh.buf;
    res->h_len = oh.len;
    res->c = oc.buf;
    res->c_len = oc.len;
}

static int finish(const diag *d, ajc_output *res)
{
    res->n_errors = d->n_errors;
    res->n_warnings = d->n_warnings;
    return d->n_errors > 0 ? 1 : 0;
}

/* The pipeline. Returns 0 or 1; runs under the jump handler of
 * ajc_compile(). */
static int compile(arena *a, jmp_buf *jb, const ajc_input *in, const ajc_options *o,
                   ajc_output *res)
{
    src *s = arena_alloc(a, sizeof *s);
    diag *d = arena_alloc(a, sizeof *d);
    ast_builder b;
    sema sem;
    src_init(s, a, in->name, in->text, (uint32_t)in->len);
    diag_init(d, s, o->diag, o->max_errors, jb);
    d->werror = o->werror;
    d->color = o->color;
    ast_builder_init(&b, a, s, d);
    ast_file *f = b.file;

    parse(&b);
    if (diag_clean(d) && f->jobs.n == 0)
        diag_error(d, (ajc_loc){ 0, 0 }, "no job in this file: nothing to generate");
    if (!diag_clean(d))
        return finish(d, res);
    sema_init(&sem, a, s, d, f);
    sema_check_file(&sem);
    for (uint32_t i = 0; i < f->jobs.n; i++)
        sema_check_job(&sem, ast_file_job(f, i));
    sema_check_subjobs(&sem);
    sema_finish_file(&sem);
    sched **scheds = schedule(a, d, f);
    if (d->n_errors > 0)
        return finish(d, res);
    /* Each job was scheduled as written, so that a cycle is reported in
     * its own names; the flat graphs have none then. */
    flatten_file(a, f);
    for (uint32_t i = 0; i < f->jobs.n; i++)
        if (ast_file_job(f, i)->groups.n > 0)
            scheds[i] = graph_schedule(a, d, ast_file_job(f, i));
    const file_names *names = names_assign(a, d, f);
    if (d->n_errors > 0)
        return finish(d, res);
    emit_ctx e = { a, s, f, &sem, scheds, names, ajc_basename(s->name), NULL };
    e.h_base = arena_cat(a, e.source_base, ".h", NULL);
    emit(&e, o, res);
    return finish(d, res);
}

int ajc_compile(const ajc_input *in, const ajc_options *o, ajc_output *res)
{
    memset(res, 0, sizeof *res);
    if (strpbrk(ajc_basename(in->name), "\"\n") != NULL) {
        fprintf(o->diag, "ajc: %s: the generated code includes its header by this file "
                "name, and #include \"...\" cannot hold '\"' or a line break; rename the "
                "file\n", in->name);
        return 2;
    }
    if (in->len >= SRC_MAX_LEN) {
        fprintf(o->diag, "ajc: %s: file too large (2 GiB or more)\n", in->name);
        return 2;
    }
    arena *a = arena_new();
    if (a == NULL) {
        fprintf(o->diag, "ajc: out of memory\n");
        return 2;
    }
    jmp_buf jb;
    arena_set_oom(a, &jb);
    int jumped = setjmp(jb);
    if (jumped != 0) {
        memset(res, 0, sizeof *res);
        arena_free(a);
        if (jumped == DIAG_STOP) {
            res->n_errors = o->max_errors + 1;
            return 1;
        }
        fprintf(o->diag, "ajc: out of memory\n");
        return 2;
    }
    int rc = compile(a, &jb, in, o, res);
    if (rc != 0) {
        unsigned errors = res->n_errors, warnings = res->n_warnings;
        arena_free(a);
        memset(res, 0, sizeof *res);
        res->n_errors = errors;
        res->n_warnings = warnings;
        return rc;
    }
    res->arena = a;
    return 0;
}

void ajc_output_free(ajc_output *res)
{
    arena_free(res->arena);
    memset(res, 0, sizeof *res);
}
