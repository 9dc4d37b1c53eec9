/*
 * sema_value.c: the checks of values that file and job checks share: a C
 * type's words, a duration, a retry policy's settings and numbers, and the
 * message for a name declared twice.
 */
#include "sema_value.h"

#include "names_ident.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RETRIES 1000000u  /* documented bound of `max N` */
#define MAX_FACTOR 1000.0     /* documented bound of `factor` */

/* sema.policy_state: a policy is checked once, however many steps use it. */
enum { POLICY_UNCHECKED = 0, POLICY_OK, POLICY_BAD };

void sema_duplicate(sema *s, const char *what, const ast_ident *again, const ast_ident *first)
{
    diag_error(s->diag, again->loc, "duplicate %s '%s'", what, again->name);
    diag_note(s->diag, first->loc, "'%s' is first declared here", first->name);
}

static bool is_word(const char *w, const char *text, size_t len)
{
    return strlen(w) == len && memcmp(w, text, len) == 0;
}

/* Checks one word of a C type; returns whether it names a type itself (as
 * opposed to '*' or a qualifier). */
static bool ctype_word(sema *s, ast_ctype *t, uint32_t i, bool *ok)
{
    const ajc_loc *w = ast_ctype_word(t, i);
    const char *text = s->src->text + w->begin;
    size_t len = w->end - w->begin;
    if (text[0] == '*') {
        if (i == 0) {
            diag_error(s->diag, *w, "C type '%s' starts with '*'; write the pointed-to "
                       "type first", t->text);
            *ok = false;
        }
        return false;
    }
    char *name = arena_strndup(s->arena, text, len);
    const ast_type *named = symtab_get(&s->types, name);
    if (named != NULL && named->name.loc.begin > w->begin) {
        diag_error(s->diag, *w, "type '%s' is used before its declaration; declare "
                   "types before use", name);
        diag_note(s->diag, named->name.loc, "'%s' is declared here", name);
        *ok = false;
    }
    return !is_word("const", text, len) && !is_word("volatile", text, len) &&
           !is_word("restrict", text, len);
}

bool sema_ctype(sema *s, ast_ctype *t, const char *what)
{
    bool ok = true, base = false;
    for (uint32_t i = 0; i < t->words.n; i++)
        base |= ctype_word(s, t, i, &ok);
    if (ok && !base) {
        diag_error(s->diag, t->loc, "%s has no type, only '%s'", what, t->text);
        return false;
    }
    if (ok && strcmp(t->text, "void") == 0) {
        diag_error(s->diag, t->loc, "%s cannot be 'void': a step that produces nothing "
                   "has no '->', and an input needs a value", what);
        return false;
    }
    if (ok && t->words.n == 1)
        t->named = symtab_get(&s->types, t->text);
    return ok;
}

/* The const that qualifies the type itself rather than what it points at:
 * one after its last '*', or any when it has none. NULL: none. */
static const ajc_loc *top_level_const(const sema *s, const ast_ctype *t)
{
    const ajc_loc *found = NULL;
    for (uint32_t i = 0; i < t->words.n; i++) {
        const ajc_loc *w = ast_ctype_word(t, i);
        const char *text = s->src->text + w->begin;
        if (text[0] == '*')
            found = NULL;
        else if (is_word("const", text, w->end - w->begin))
            found = w;
    }
    return found;
}

/* t's words but skip, joined as ast.c joins them: "const char *". */
static const char *text_without(sema *s, const ast_ctype *t, const ajc_loc *skip)
{
    const char *text = "";
    bool after_star = true;
    for (uint32_t i = 0; i < t->words.n; i++) {
        const ajc_loc *w = ast_ctype_word(t, i);
        if (w == skip)
            continue;
        const char *word = arena_strndup(s->arena, s->src->text + w->begin, w->end - w->begin);
        text = arena_cat(s->arena, text, after_star ? "" : " ", word, NULL);
        after_star = word[0] == '*';
    }
    return text;
}

bool sema_output_ctype(sema *s, const ast_ctype *t, const char *what)
{
    const ast_ctype *real = t;
    while (real->named != NULL)
        real = real->named->ctype;
    const ajc_loc *c = top_level_const(s, real);
    if (c == NULL)
        return true;
    if (real == t) {
        diag_error(s->diag, *c, "%s cannot be '%s': the step stores it through 'out'; "
                   "write '%s'", what, t->text, text_without(s, t, c));
        return false;
    }
    diag_error(s->diag, t->loc, "%s cannot be '%s', which is '%s': the step stores it "
               "through 'out'; declare '%s' as '%s'", what, t->text, real->text, t->text,
               text_without(s, real, c));
    diag_note(s->diag, t->named->name.loc, "'%s' is declared here", t->text);
    return false;
}

/* The decimal digits at loc as a number; false if above max. */
static bool parse_uint(sema *s, ajc_loc loc, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    for (uint32_t i = loc.begin; i < loc.end; i++) {
        unsigned d = (unsigned)(s->src->text[i] - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool sema_limit_size(sema *s, ast_limit *l)
{
    uint64_t v = 0;
    if (!parse_uint(s, l->size, UINT32_MAX, &v)) {
        diag_error(s->diag, l->size, "limit '%s' = %s is out of range: use 1 to %u",
                   l->name.name, src_text(s->src, l->size), UINT32_MAX);
        return false;
    }
    if (v == 0) {
        diag_error(s->diag, l->size, "limit '%s' = 0 would never let a step that uses it "
                   "run: use 1 or more", l->name.name);
        return false;
    }
    l->value = (uint32_t)v;
    return true;
}

bool sema_duration(sema *s, const ast_duration *d, const char *what, int64_t min_ns,
                   int64_t *ns)
{
    static const struct { const char *name; int64_t ns; } units[] = {
        { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
        { "m", 60000000000 },
    };
    const char *unit = s->src->text + d->unit.begin;
    size_t len = d->unit.end - d->unit.begin;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t v = 0;
        if (!is_word(units[i].name, unit, len))
            continue;
        if (!parse_uint(s, d->num, (uint64_t)(INT64_MAX / units[i].ns), &v)) {
            diag_error(s->diag, (ajc_loc){ d->num.begin, d->unit.end }, "%s is too long: "
                       "at most %" PRId64 "%s (INT64_MAX nanoseconds, about 292 years)",
                       what, INT64_MAX / units[i].ns, units[i].name);
            return false;
        }
        *ns = (int64_t)v * units[i].ns;
        if (*ns < min_ns) {
            diag_error(s->diag, (ajc_loc){ d->num.begin, d->unit.end },
                       "%s must be at least %" PRId64 "ns", what, min_ns);
            return false;
        }
        return true;
    }
    diag_error(s->diag, d->unit, "unknown time unit '%.*s' in %s; use ns, us, ms, s or m",
               (int)(len > 40 ? 40 : len), unit, what);
    return false;
}

/* `factor` is INT or INT.INT, in [1, MAX_FACTOR]; the C text keeps the
 * digits as written (a double constant), so output does not depend on how
 * the host prints floating point. */
static bool check_factor(sema *s, const ast_policy *p, policy_value *v)
{
    const char *text = src_text(s->src, p->factor);
    double f = strtod(text, NULL);
    if (!(f >= 1.0 && f <= MAX_FACTOR)) {
        diag_error(s->diag, p->factor, "factor %s is out of range: use a number from 1 "
                   "to %g", text, MAX_FACTOR);
        return false;
    }
    v->factor_text = strchr(text, '.') != NULL ? text : arena_cat(s->arena, text, ".0", NULL);
    return true;
}

static bool check_settings(sema *s, const ast_policy *p, policy_value *pv)
{
    uint64_t v = 0;
    bool ok = true;
    if (!parse_uint(s, p->max, MAX_RETRIES, &v)) {
        diag_error(s->diag, p->max, "retry count %s is out of range: use 0 to %u",
                   src_text(s->src, p->max), MAX_RETRIES);
        ok = false;
    }
    pv->max_retries = (uint32_t)v;
    if (p->delay.present)
        ok &= sema_duration(s, &p->delay, "a retry delay", 0, &pv->delay_ns);
    if (!ast_loc_empty(p->factor))
        ok &= check_factor(s, p, pv);
    if (p->cap.present && sema_duration(s, &p->cap, "a retry cap", 1, &pv->cap_ns) &&
        p->delay.present && pv->cap_ns < pv->delay_ns) {
        diag_error(s->diag, (ajc_loc){ p->cap.num.begin, p->cap.unit.end },
                   "cap %s is below the base delay %s: the cap must be at least the delay",
                   src_text(s->src, (ajc_loc){ p->cap.num.begin, p->cap.unit.end }),
                   src_text(s->src, (ajc_loc){ p->delay.num.begin, p->delay.unit.end }));
        ok = false;
    }
    if (!ast_loc_empty(p->jitter)) {
        if (parse_uint(s, p->jitter, 100, &v)) {
            pv->jitter_pct = (uint32_t)v;
        } else {
            diag_error(s->diag, p->jitter, "jitter %s%% is out of range: use 0 to 100%%",
                       src_text(s->src, p->jitter));
            ok = false;
        }
    }
    return ok;
}

/* Why a policy is refused before its settings are read. */
static bool check_shape(sema *s, const ast_policy *p)
{
    if (!ast_loc_empty(p->dup)) {
        diag_error(s->diag, p->dup, "'%s' is given twice in one retry policy",
                   src_text(s->src, p->dup));
        return false;
    }
    if (!ast_loc_empty(p->misplaced)) {
        diag_error(s->diag, p->misplaced, p->custom.name != NULL
                   ? "a custom retry policy takes no '%s': the function decides alone"
                   : "'%s' applies to an exponential backoff only",
                   src_text(s->src, p->misplaced));
        return false;
    }
    return true;
}

bool sema_policy(sema *s, const ast_policy *p)
{
    policy_value *v = &s->policies[p->index];
    if (s->policy_state[p->index] != POLICY_UNCHECKED)
        return s->policy_state[p->index] == POLICY_OK;
    s->policy_state[p->index] = POLICY_BAD;
    v->backoff = p->backoff;
    if (p->backoff == AST_BACKOFF_EXPONENTIAL)
        v->factor_text = "2.0";
    if (!check_shape(s, p))
        return false;
    bool ok;
    if (p->custom.name != NULL) {
        v->custom = p->custom.name;
        ok = names_check_ident(s->diag, &p->custom, USE_FILE_SCOPE, "custom retry function");
    } else {
        ok = check_settings(s, p, v);
    }
    if (ok)
        s->policy_state[p->index] = POLICY_OK;
    return ok;
}
