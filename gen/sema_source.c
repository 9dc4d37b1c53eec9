/*
 * sema_source.c: what each step input is bound to. A name is a step of the
 * job (a data edge, its type checked against the step's output) or one of
 * the job's inputs (its type checked against the input's); a literal must
 * be a value of the input's type, and becomes the C text the wrapper
 * passes. `optional` applies to a step's output only: a job input or a
 * literal always has its value.
 *
 * Which literal goes where, by the C type the input finally stands for:
 *   integer   an integer type (char ... unsigned long long, the <stdint.h>
 *             and <stddef.h> ones) up to the largest value that type holds
 *             on every platform (long: 2^31 - 1), or a floating type
 *   number    float, double, long double
 *   string    const char *, char *
 *   true      bool or an integer type (false too)
 *   NULL      a pointer type
 * A type ajc cannot see into (a typedef of the user's headers) takes no
 * literal: a `type` declaration shows ajc what it is.
 */
#include "sema_job.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
    TAKES_INT = 1u,
    TAKES_NUMBER = 2u,
    TAKES_STRING = 4u,
    TAKES_BOOL = 8u,
    TAKES_NULL = 16u
};

/* What literals a C type takes, and its largest integer. */
typedef struct scalar {
    const char *text;
    unsigned takes;
    uint64_t max;
} scalar;

#define INTEGER(text, max) { text, TAKES_INT | TAKES_BOOL, max }

static const scalar scalars[] = {
    INTEGER("char", 127), INTEGER("signed char", 127), INTEGER("unsigned char", 255),
    INTEGER("short", 32767), INTEGER("short int", 32767), INTEGER("signed short", 32767),
    INTEGER("unsigned short", 65535), INTEGER("unsigned short int", 65535),
    INTEGER("int", INT32_MAX), INTEGER("signed", INT32_MAX), INTEGER("signed int", INT32_MAX),
    INTEGER("unsigned", UINT32_MAX), INTEGER("unsigned int", UINT32_MAX),
    INTEGER("long", INT32_MAX), INTEGER("long int", INT32_MAX),
    INTEGER("unsigned long", UINT32_MAX), INTEGER("unsigned long int", UINT32_MAX),
    INTEGER("long long", INT64_MAX), INTEGER("long long int", INT64_MAX),
    INTEGER("unsigned long long", UINT64_MAX), INTEGER("unsigned long long int", UINT64_MAX),
    INTEGER("int8_t", INT8_MAX), INTEGER("uint8_t", UINT8_MAX),
    INTEGER("int16_t", INT16_MAX), INTEGER("uint16_t", UINT16_MAX),
    INTEGER("int32_t", INT32_MAX), INTEGER("uint32_t", UINT32_MAX),
    INTEGER("int64_t", INT64_MAX), INTEGER("uint64_t", UINT64_MAX),
    INTEGER("intmax_t", INT64_MAX), INTEGER("uintmax_t", UINT64_MAX),
    INTEGER("size_t", UINT32_MAX), INTEGER("ptrdiff_t", INT32_MAX),
    INTEGER("intptr_t", INT32_MAX), INTEGER("uintptr_t", UINT32_MAX),
    { "float", TAKES_INT | TAKES_NUMBER, 0 },
    { "double", TAKES_INT | TAKES_NUMBER, 0 },
    { "long double", TAKES_INT | TAKES_NUMBER, 0 },
    { "bool", TAKES_BOOL, 0 },
    { "const char *", TAKES_STRING | TAKES_NULL, 0 },
    { "char const *", TAKES_STRING | TAKES_NULL, 0 },
    { "char *", TAKES_STRING | TAKES_NULL, 0 },
};

/* What a literal of each kind may go into, for messages. */
static const char *const hints[] = {
    [AST_SRC_INT] = "an integer goes into an integer or floating type (int, long, size_t, "
                    "double...) or a 'type' declared as one",
    [AST_SRC_NUMBER] = "a number goes into float, double or long double",
    [AST_SRC_STRING] = "a string goes into 'const char *' or 'char *'",
    [AST_SRC_TRUE] = "true and false go into bool or an integer type",
    [AST_SRC_FALSE] = "true and false go into bool or an integer type",
    [AST_SRC_NULL] = "NULL goes into a pointer type",
};

static const unsigned takes_of_kind[] = {
    [AST_SRC_INT] = TAKES_INT, [AST_SRC_NUMBER] = TAKES_NUMBER,
    [AST_SRC_STRING] = TAKES_STRING, [AST_SRC_TRUE] = TAKES_BOOL,
    [AST_SRC_FALSE] = TAKES_BOOL, [AST_SRC_NULL] = TAKES_NULL,
};

/* The scalar a C type text is, with a top-level const dropped; any other
 * pointer takes NULL; NULL when it takes no literal. */
static const scalar *scalar_of(const char *text)
{
    static const scalar pointer = { "", TAKES_NULL, 0 };
    if (strncmp(text, "const ", 6) == 0 && strchr(text, '*') == NULL)
        text += 6;
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        if (strcmp(text, scalars[i].text) == 0)
            return &scalars[i];
    return text[strlen(text) - 1] == '*' ? &pointer : NULL;
}

bool sema_same_type(const ast_ctype *a, const ast_ctype *b)
{
    if (a->named != NULL || b->named != NULL)
        return a->named == b->named;
    return strcmp(a->text, b->text) == 0;
}

/* "const T *", the parameter of an optional input of type T; a pointer
 * type takes its const after its star: "char *const *". */
const char *sema_const_pointer(arena *a, const char *t)
{
    if (t[strlen(t) - 1] == '*')
        return arena_cat(a, t, "const *", NULL);
    return arena_cat(a, "const ", t, " *", NULL);
}

static void check_step_source(job_check *c, ast_step *st, ast_param *in, ast_step *from)
{
    diag *d = c->s->diag;
    uint32_t had;
    ast_pred *p = sema_add_pred(c, st, from, AST_EDGE_DATA, in->producer.loc, &had);
    in->source = AST_SRC_STEP;
    in->from = from;
    if (!ast_loc_empty(in->optional))
        in->c_type = sema_const_pointer(c->s->arena, in->ctype->text);
    if (had & AST_EDGE_DATA) {
        diag_error(d, in->producer.loc, "step '%s' takes the output of '%s' twice; bind it "
                   "to one input", st->name.name, from->name.name);
        diag_note(d, p->loc, "'%s' is first bound here", from->name.name);
        return;
    }
    p->optional = !ast_loc_empty(in->optional);
    if (from->output == NULL) {
        diag_error(d, in->producer.loc, "input '%s' of step '%s' is bound to step '%s', "
                   "which produces nothing", in->name.name, st->name.name, from->name.name);
        diag_note(d, from->name.loc, "'%s' is declared here without '->'", from->name.name);
        return;
    }
    from->consumed = true;
    if (sema_check_many(c, st, in, from))
        return;
    if (!sema_same_type(in->ctype, from->output)) {
        diag_error(d, in->producer.loc, "input '%s' of step '%s' is '%s' but step '%s' "
                   "produces '%s'", in->name.name, st->name.name, in->ctype->text,
                   from->name.name, from->output->text);
        diag_note(d, from->output->loc, "'%s' produces '%s' here", from->name.name,
                  from->output->text);
    }
}

static void check_input_source(job_check *c, ast_step *st, ast_param *in,
                               const ast_param *job_in)
{
    diag *d = c->s->diag;
    in->source = AST_SRC_INPUT;
    in->input = job_in;
    if (!sema_same_type(in->ctype, job_in->ctype)) {
        diag_error(d, in->producer.loc, "input '%s' of step '%s' is '%s' but job input '%s' "
                   "is '%s'", in->name.name, st->name.name, in->ctype->text,
                   job_in->name.name, job_in->ctype->text);
        diag_note(d, job_in->name.loc, "job input '%s' is declared here", job_in->name.name);
    }
}

/* A string's text is C's as written, once sure that C reads it the same
 * way: in double quotes, with C's escapes only. */
static bool check_string(job_check *c, const ast_param *in)
{
    const char *t = in->producer.name;
    size_t len = strlen(t);
    if (t[0] != '"') {
        diag_error(c->s->diag, in->producer.loc, "%s is a header name, not a string; "
                   "write a string in double quotes", t);
        return false;
    }
    for (size_t i = 1; i + 1 < len; i++) {
        if (t[i] != '\\')
            continue;
        if (i + 2 == len || strchr("'\"?\\abfnrtvx01234567", t[i + 1]) == NULL) {
            ajc_loc at = { in->producer.loc.begin + (uint32_t)i,
                           in->producer.loc.begin + (uint32_t)(i + 2 < len ? i + 2 : i + 1) };
            diag_error(c->s->diag, at, "this backslash is not one of C's escapes in a "
                       "string; write '\\\\' for a backslash");
            return false;
        }
        i++;
    }
    return true;
}

/* The C text of an integer literal, once it fits: decimal without leading
 * zeros (which C reads as octal), 'u' past INT64_MAX, ".0" (and 'f' for
 * float) into a floating type. */
static const char *int_text(job_check *c, const ast_step *st, const ast_param *in,
                            const scalar *to)
{
    const char *digits = in->producer.name;
    uint64_t v = 0;
    bool fits = true;
    for (const char *p = digits; *p != '\0'; p++) {
        unsigned d = (unsigned)(*p - '0');
        fits &= v <= (UINT64_MAX - d) / 10;
        v = fits ? v * 10 + d : v;
    }
    bool integer = to->max > 0;
    if (!fits || (integer && v > to->max)) {
        diag_error(c->s->diag, in->producer.loc, "integer %s is out of range for input '%s' "
                   "of step '%s', which is '%s': at most %" PRIu64, digits, in->name.name,
                   st->name.name, in->ctype->text, integer ? to->max : UINT64_MAX);
        return NULL;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64 "%s", v,
             integer ? (v > INT64_MAX ? "u" : "") : strcmp(to->text, "float") == 0 ? ".0f" : ".0");
    return arena_strndup(c->s->arena, buf, strlen(buf));
}

static const char *literal_text(job_check *c, const ast_step *st, const ast_param *in,
                                const scalar *to)
{
    const char *t = in->producer.name;
    switch (in->source) {
    case AST_SRC_INT:
        return int_text(c, st, in, to);
    case AST_SRC_NUMBER:
        return strcmp(to->text, "float") == 0 ? arena_cat(c->s->arena, t, "f", NULL) : t;
    case AST_SRC_STRING:
        return check_string(c, in) ? t : NULL;
    default:
        return t; /* true, false, NULL */
    }
}

static void check_literal(job_check *c, ast_step *st, ast_param *in)
{
    const char *real = ast_ctype_real(in->ctype);
    const scalar *to = scalar_of(real);
    if (to == NULL || (to->takes & takes_of_kind[in->source]) == 0) {
        bool word = in->source == AST_SRC_INT || in->source == AST_SRC_NUMBER ||
                    in->source == AST_SRC_STRING;
        const char *kind = in->source == AST_SRC_INT      ? "integer "
                           : in->source == AST_SRC_NUMBER ? "number "
                           : in->source == AST_SRC_STRING ? "string " : "";
        bool named = strcmp(real, in->ctype->text) != 0;
        diag_error(c->s->diag, in->producer.loc, "%s%s%s%s cannot be input '%s' of step '%s', "
                   "which is '%s'%s%s%s; %s", word ? "" : "'", kind, in->producer.name,
                   word ? "" : "'", in->name.name, st->name.name, in->ctype->text,
                   named ? " ('" : "", named ? real : "", named ? "')" : "", hints[in->source]);
        return;
    }
    in->value = literal_text(c, st, in, to);
}

void sema_check_source(job_check *c, ast_step *st, ast_param *in)
{
    ast_step *from = NULL;
    const ast_param *job_in = NULL;
    if (in->source == AST_SRC_NAME) {
        job_in = sema_find_source(c, &in->producer, &from);
        if (from != NULL) {
            check_step_source(c, st, in, from);
            return;
        }
        if (job_in == NULL)
            return;
    }
    if (!ast_loc_empty(in->map) || !ast_loc_empty(in->collect)) {
        sema_check_many_source(c, st, in, job_in);
        return;
    }
    if (!ast_loc_empty(in->optional)) {
        diag_error(c->s->diag, in->optional, "input '%s' of step '%s' is bound to %s%s%s, "
                   "which always has a value: 'optional' applies to a step's output; "
                   "remove it", in->name.name, st->name.name,
                   job_in != NULL ? "job input '" : "a literal",
                   job_in != NULL ? job_in->name.name : "", job_in != NULL ? "'" : "");
        return;
    }
    if (job_in != NULL)
        check_input_source(c, st, in, job_in);
    else
        check_literal(c, st, in);
}
