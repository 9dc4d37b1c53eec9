/*
 * parser.y: the grammar of the .job language (see DESIGN.md).
 *
 * Every action is one call into ast.c; nothing here checks meaning. Lists
 * are left-recursive so that the parser stack stays a few entries deep
 * whatever the input size, and it is a fixed array on the C stack.
 *
 * Error recovery, so that one run reports every independent syntax error:
 * a statement whose ';' is missing ends where the error is found (`end`),
 * as if the ';' were there; any other error skips to the next ';' or '}'.
 * Either way the parser is back in step, so yyerrok lets it report the
 * next error at once instead of keeping quiet for three tokens, bison's
 * default, which is kept only after a token that is just wrong (see
 * in_step_after_error).
 */
%require "3.6"
%define api.pure full
%define api.prefix {ajc_yy}
%define api.location.type {ajc_loc}
%define parse.error custom
%locations
/* No conflicts: fix one by changing the grammar, never by raising this. */
%expect 0

%code requires {
#include "ast.h"
typedef void *yyscan_t;
}

%code provides {
int ajc_yyparse(yyscan_t scanner, ast_builder *b);
}

%code {
#include "lexer.h"

#include <string.h>

#include "asyncjob.h"

/* A node spans from its first symbol's begin to its last symbol's end. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
    do {                                                              \
        if (N) {                                                      \
            (Cur).begin = YYRHSLOC(Rhs, 1).begin;                     \
            (Cur).end = YYRHSLOC(Rhs, N).end;                         \
        } else {                                                      \
            (Cur).begin = (Cur).end = YYRHSLOC(Rhs, 0).end;           \
        }                                                             \
    } while (0)

/* The grammar nests a fixed few levels deep, so the stack never grows and
 * the parser never allocates. */
#define YYINITDEPTH 200
#define YYMAXDEPTH 200

/* A statement ended at an error. The parser is in step again when the
 * error was the statement's missing ';' (the token in hand opens the next
 * statement), or when the token in hand is a ';' or '}' that the recovery
 * rules of the statement list sync on (the error there is the same one, and
 * is not reported twice). Anything else is a wrong token that the parser
 * skips with what follows it, quietly for three tokens, as bison does. */
static bool in_step_after_error(yyscan_t scanner)
{
    struct lexer_extra *x = ajc_yyget_extra(scanner);
    bool missing = x->semicolon_missing;
    x->semicolon_missing = false;
    if (missing)
        x->statement = x->last_token;
    return missing || x->last_token == ';' || x->last_token == '}';
}

static void ajc_yyerror(const ajc_loc *loc, yyscan_t scanner, ast_builder *b, const char *msg)
{
    (void)scanner;
    diag_syntax_error(b->diag, *loc, "%s", msg);
}
}

%param {yyscan_t scanner}
%parse-param {ast_builder *b}

%union {
    ajc_loc loc;
    ast_source source;
    ast_duration dur;
    vec *list;
    ast_ctype *ctype;
    ast_param *param;
    ast_policy *policy;
    ast_retry *retry;
    ast_attr *attr;
    ast_step *step;
    ast_job *job;
}

%token END 0 "end of file"
%token INCLUDE "'include'" TYPE "'type'" FREE "'free'" RETRY "'retry'"
%token JOB "'job'" STEP "'step'" AFTER "'after'" TIMEOUT "'timeout'"
%token IMPL "'impl'" RESULT "'result'" MAX "'max'" FIXED "'fixed'"
%token LINEAR "'linear'" EXPONENTIAL "'exponential'" FACTOR "'factor'"
%token CAP "'cap'" JITTER "'jitter'" CUSTOM "'custom'" BLOCKING "'blocking'"
%token ASYNC "'async'" WHEN "'when'" UNLESS "'unless'" ON "'on'" SUCCESS "'success'"
%token DONE "'done'" FAILURE "'failure'" NONFATAL "'nonfatal'" OPTIONAL "'optional'"
%token LIMIT "'limit'" USES "'uses'"
%token IDENT "name" INT "integer" NUMBER "number" STRING "string" ARROW "'->'"
%token BRACKETS "'[]'"

%type <loc> opt_free number
%type <dur> duration
%type <list> words type_words opt_params params opt_inputs inputs attrs names
%type <ctype> ctype opt_output
%type <param> param input
%type <source> source plain_source
%type <policy> policy
%type <retry> retry_decl
%type <attr> attr
%type <step> step
%type <job> job_body

%%

file
    : %empty
    | file item
    ;

item
    : INCLUDE STRING end                    { ast_include_add(b, @2); }
    | TYPE name '=' ctype opt_free end      { ast_type_add(b, @2, $4, $5); }
    | retry_decl                            { ast_file_add_retry(b, $1); }
    | LIMIT name '=' INT end                { ast_limit_add(b, @2, @4); }
    | JOB name '(' opt_params ')' '{' job_body job_end
                                            { ast_job_finish(b, $7, @2, $4); }
    | error ';'                             { yyerrok; }
    | error '}'                             { yyerrok; }
    ;

/* A statement's ';', or the error that shows it missing (reported by
 * yyreport_syntax_error as "expected ';' after ..."). */
end
    : ';'
    | error                                 { if (in_step_after_error(scanner)) yyerrok; }
    ;

/* An error in a job's last statement skips to the job's '}'. */
job_end
    : '}'
    | error '}'                             { yyerrok; }
    ;

opt_free
    : %empty                                { $$ = (ajc_loc){ @$.end, @$.end }; }
    | FREE name                             { $$ = @2; }
    ;

/* Keywords are contextual: wherever the grammar expects a name, any
 * keyword is one (a step called 'done', a job input called 'max', a free
 * function called 'free'). What stays a keyword, because a name there
 * would make two readings of one text:
 * - after a C type's first word, the keywords that can follow a type: its
 *   `free`, a step attribute, a statement. `-> Rows blocking` is an output
 *   of type Rows that runs blocking, and a missing ';' before the next
 *   statement is still reported as such. Such a word can only begin a type
 *   (`-> done`); elsewhere, name the type through a typedef or `type`.
 * - 'optional' as the first word of an input: the modifier. A C type
 *   called 'optional' cannot begin a job or step input. */
name
    : name_no_opt
    | OPTIONAL
    ;

name_no_opt
    : IDENT
    | kw_in_type
    | INCLUDE | TYPE | FREE | RETRY | JOB | STEP | RESULT | LIMIT
    | AFTER | TIMEOUT | IMPL | BLOCKING | ASYNC | WHEN | UNLESS | ON | NONFATAL | USES
    ;

/* Keywords that never follow a C type, so that its later words may be
 * these (except 'optional', which name adds). */
kw_in_type
    : MAX | FIXED | LINEAR | EXPONENTIAL | FACTOR | CAP | JITTER | CUSTOM
    | SUCCESS | DONE | FAILURE
    ;

/* The words of a typed name, `const char *name`: any names and stars. */
words
    : name_no_opt                           { $$ = ast_words_add(b, NULL, @1); }
    | '*'                                   { $$ = ast_words_add(b, NULL, @1); }
    | words name                            { $$ = ast_words_add(b, $1, @2); }
    | words '*'                             { $$ = ast_words_add(b, $1, @2); }
    ;

/* A C type: a name or a star, then words that cannot follow a type. */
type_words
    : name                                  { $$ = ast_words_add(b, NULL, @1); }
    | '*'                                   { $$ = ast_words_add(b, NULL, @1); }
    | type_words IDENT                      { $$ = ast_words_add(b, $1, @2); }
    | type_words kw_in_type                 { $$ = ast_words_add(b, $1, @2); }
    | type_words OPTIONAL                   { $$ = ast_words_add(b, $1, @2); }
    | type_words '*'                        { $$ = ast_words_add(b, $1, @2); }
    ;

ctype
    : type_words                            { $$ = ast_ctype_new(b, $1); }
    ;

param
    : words                                 { $$ = ast_param_new(b, $1); }
    ;

opt_params
    : %empty                                { $$ = ast_list_new(b); }
    | params
    ;

params
    : param                                 { $$ = ast_list_add(b, ast_list_new(b), $1); }
    | params ',' param                      { $$ = ast_list_add(b, $1, $3); }
    ;

retry_decl
    : RETRY name '=' policy end             { $$ = ast_retry_new(b, @2, $4); }
    ;

policy
    : MAX INT                               { $$ = ast_policy_max(b, @1, @2); }
    | CUSTOM name                           { $$ = ast_policy_custom(b, @1, @2); }
    | policy ',' FIXED duration             { $$ = ast_policy_backoff($1, AST_BACKOFF_FIXED, @3, $4); }
    | policy ',' LINEAR duration            { $$ = ast_policy_backoff($1, AST_BACKOFF_LINEAR, @3, $4); }
    | policy ',' EXPONENTIAL duration       { $$ = ast_policy_backoff($1, AST_BACKOFF_EXPONENTIAL, @3, $4); }
    | policy FACTOR number                  { $$ = ast_policy_factor($1, @2, $3); }
    | policy CAP duration                   { $$ = ast_policy_cap($1, @2, $3); }
    | policy ',' JITTER INT '%'             { $$ = ast_policy_jitter($1, @3, @4); }
    ;

duration
    : INT IDENT                             { $$ = ast_duration_make(@1, @2); }
    ;

number
    : INT                                   { $$ = @1; }
    | NUMBER                                { $$ = @1; }
    ;

job_body
    : %empty                                { $$ = ast_job_new(b); }
    | job_body step                         { $$ = ast_job_add_step(b, $1, $2); }
    | job_body retry_decl                   { $$ = ast_job_add_retry(b, $1, $2); }
    | job_body RESULT name end              { $$ = ast_job_add_result(b, $1, @3); }
    | job_body error ';'                    { $$ = $1; yyerrok; }
    ;

step
    : STEP name '(' opt_inputs ')' opt_output attrs end
                                            { $$ = ast_step_new(b, @1, @2, $4, $6, $7); }
    ;

opt_inputs
    : %empty                                { $$ = ast_list_new(b); }
    | inputs
    ;

inputs
    : input                                 { $$ = ast_list_add(b, ast_list_new(b), $1); }
    | inputs ',' input                      { $$ = ast_list_add(b, $1, $3); }
    ;

input
    : words '=' source                      { $$ = ast_input_new(b, AST_EMPTY_LOC, $1, $3); }
    | OPTIONAL words '=' source             { $$ = ast_input_new(b, @1, $2, $4); }
    | words BRACKETS name '=' source        { $$ = ast_collect_new(b, AST_EMPTY_LOC, $1, @2, @3, $5); }
    | OPTIONAL words BRACKETS name '=' source
                                            { $$ = ast_collect_new(b, @1, $2, @3, @4, $6); }
    ;

/* A source, or a map over one: `S[]`. Only a step's array (or a mapped
 * step's elements) can be mapped over; sema says so for the rest. */
source
    : plain_source
    | plain_source BRACKETS                 { $$ = ast_source_map($1, @2); }
    ;

/* A step or a job input by name; a literal: true, false and NULL are
 * names to the grammar, and literals to ast_source_new. */
plain_source
    : name                                  { $$ = ast_source_new(b, AST_SRC_NAME, @1); }
    | INT                                   { $$ = ast_source_new(b, AST_SRC_INT, @1); }
    | NUMBER                                { $$ = ast_source_new(b, AST_SRC_NUMBER, @1); }
    | STRING                                { $$ = ast_source_new(b, AST_SRC_STRING, @1); }
    ;

opt_output
    : %empty                                { $$ = NULL; }
    | ARROW ctype                           { $$ = $2; }
    | ARROW ctype BRACKETS                  { $$ = ast_ctype_array($2, @3); }
    ;

attrs
    : %empty                                { $$ = ast_list_new(b); }
    | attrs attr                            { $$ = ast_list_add(b, $1, $2); }
    ;

attr
    : AFTER names                           { $$ = ast_attr_after(b, @1, $2); }
    | RETRY name                            { $$ = ast_attr_retry(b, @1, @2, NULL); }
    | RETRY '(' policy ')'                  { $$ = ast_attr_retry(b, @1, (ajc_loc){ 0, 0 }, $3); }
    | TIMEOUT duration                      { $$ = ast_attr_timeout(b, @1, $2); }
    | IMPL name                             { $$ = ast_attr_impl(b, @1, @2); }
    | BLOCKING                              { $$ = ast_attr_flag(b, ATTR_BLOCKING, @1); }
    | ASYNC                                 { $$ = ast_attr_flag(b, ATTR_ASYNC, @1); }
    | NONFATAL                              { $$ = ast_attr_flag(b, ATTR_NONFATAL, @1); }
    | WHEN name                             { $$ = ast_attr_condition(b, @1, @2, false); }
    | UNLESS name                           { $$ = ast_attr_condition(b, @1, @2, true); }
    | ON SUCCESS                            { $$ = ast_attr_on(b, @1, AST_ON_SUCCESS, @2); }
    | ON DONE                               { $$ = ast_attr_on(b, @1, AST_ON_DONE, @2); }
    | ON FAILURE                            { $$ = ast_attr_on(b, @1, AST_ON_FAILURE, @2); }
    | USES names                            { $$ = ast_attr_uses(b, @1, $2); }
    | JOB name                              { $$ = ast_attr_subjob(b, @1, @2); }
    ;

names
    : name                                  { $$ = ast_list_add(b, ast_list_new(b), ast_ident_new(b, @1)); }
    | names ',' name                        { $$ = ast_list_add(b, $1, ast_ident_new(b, @3)); }
    ;

%%

static bool is_symbol(yysymbol_kind_t sym, const char *name)
{
    return strcmp(yysymbol_name(sym), name) == 0;
}

/* A keyword's symbol name is the quoted word: "'when'". */
static bool is_keyword(yysymbol_kind_t sym)
{
    const char *name = yysymbol_name(sym);
    return name[0] == '\'' && name[1] >= 'a' && name[1] <= 'z';
}

/* Where a name is expected, every keyword is one too: the list says
 * "name" once rather than thirty words. */
static int drop_keywords(yysymbol_kind_t *expected, int n)
{
    int kept = 0;
    bool name = false;
    for (int i = 0; i < n; i++)
        name |= expected[i] == YYSYMBOL_IDENT;
    for (int i = 0; i < n; i++)
        if (!name || !is_keyword(expected[i]))
            expected[kept++] = expected[i];
    return kept;
}

static bool expects(const yysymbol_kind_t *expected, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (is_symbol(expected[i], name))
            return true;
    return false;
}

/* A ';' would do, and what came instead ends the block or the file, opens
 * another statement, or is on a later line: the ';' is what is missing,
 * not something the token should have been. */
static bool semicolon_missing(const ast_builder *b, const struct lexer_extra *x,
                              yysymbol_kind_t got, const ajc_loc *loc,
                              const yysymbol_kind_t *expected, int n)
{
    if (!expects(expected, n, "';'"))
        return false;
    switch (got) {
    case YYSYMBOL_YYEOF:
    case YYSYMBOL_INCLUDE:
    case YYSYMBOL_TYPE:
    case YYSYMBOL_JOB:
    case YYSYMBOL_STEP:
    case YYSYMBOL_RESULT:
        return true;
    default:
        return is_symbol(got, "'}'") ||
               memchr(b->src->text + x->prev_end, '\n', loc->begin - x->prev_end) != NULL;
    }
}

/* What the statement opened by token is called in a message. */
static const char *statement_name(int token)
{
    switch (token) {
    case INCLUDE: return "include";
    case TYPE: return "type declaration";
    case RETRY: return "retry declaration";
    case STEP: return "step declaration";
    case RESULT: return "result declaration";
    default: return NULL;
    }
}

/* A keyword right after a name on the same line may have been meant as a
 * word of a C type, which it ends (see `name`): the message says so. */
static void keyword_hint(const ast_builder *b, const struct lexer_extra *x, yysymbol_kind_t got,
                         const ajc_loc *loc, char *hint, size_t size)
{
    hint[0] = '\0';
    if (is_keyword(got) && x->prev_token == IDENT &&
        memchr(b->src->text + x->prev_end, '\n', loc->begin - x->prev_end) == NULL)
        snprintf(hint, size, "; if %s is part of a C type: after a type's first word it is "
                 "a keyword, so spell the type through a typedef", yysymbol_name(got));
}

/* "expected ';' after step declaration", just after the statement's last
 * token, where gcc and clang put it: the line where it is missing. */
static void report_missing_semicolon(ast_builder *b, const struct lexer_extra *x,
                                     yysymbol_kind_t got, const ajc_loc *loc)
{
    ajc_loc at = { x->prev_end, x->prev_end };
    const char *what = statement_name(x->statement);
    char hint[160];
    keyword_hint(b, x, got, loc, hint, sizeof hint);
    if (what != NULL)
        diag_syntax_error(b->diag, at, "expected ';' after %s%s", what, hint);
    else
        diag_syntax_error(b->diag, at, "expected ';'%s", hint);
}

/* "unexpected name 'foo', expected ';' or '->'": the token's own text where
 * it has one, and the expected tokens when there are few; when there are
 * many and ';' is one of them, a hint that it is missing. */
static void report_unexpected(ast_builder *b, const struct lexer_extra *x, yysymbol_kind_t got,
                              const ajc_loc *loc, const yysymbol_kind_t *expected, int n)
{
    enum { N_LISTED = 4 };
    char msg[400], hint[160];
    int len;

    if (got == YYSYMBOL_IDENT || got == YYSYMBOL_INT || got == YYSYMBOL_NUMBER)
        len = snprintf(msg, sizeof msg, "unexpected %s '%.*s'", yysymbol_name(got),
                       (int)(loc->end - loc->begin > 40 ? 40 : loc->end - loc->begin),
                       b->src->text + loc->begin);
    else
        len = snprintf(msg, sizeof msg, "unexpected %s", yysymbol_name(got));
    if (expects(expected, n, "';'") && n > N_LISTED && len > 0 && (size_t)len < sizeof msg)
        snprintf(msg + len, sizeof msg - (size_t)len, "; is a ';' missing before it?");
    else if (n > 0 && n <= N_LISTED)
        for (int i = 0; i < n && len > 0 && (size_t)len < sizeof msg; i++)
            len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s",
                            i == 0 ? ", expected " : i == n - 1 ? " or " : ", ",
                            yysymbol_name(expected[i]));
    keyword_hint(b, x, got, loc, hint, sizeof hint);
    diag_syntax_error(b->diag, *loc, "%s%s", msg, hint);
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, ast_builder *b)
{
    struct lexer_extra *x = ajc_yyget_extra(scanner);
    yysymbol_kind_t expected[YYNTOKENS];
    int n = drop_keywords(expected, yypcontext_expected_tokens(ctx, expected, YYNTOKENS));
    yysymbol_kind_t got = yypcontext_token(ctx);
    const ajc_loc *loc = yypcontext_location(ctx);

    /* A statement that ended at an error leaves the parser at the same
     * token, which the statement list may find wrong once more: one
     * message per token. */
    if (x->reported && x->reported_at == loc->begin)
        return 0;
    x->reported = true;
    x->reported_at = loc->begin;
    x->semicolon_missing = semicolon_missing(b, x, got, loc, expected, n);
    if (x->semicolon_missing)
        report_missing_semicolon(b, x, got, loc);
    else
        report_unexpected(b, x, got, loc, expected, n);
    return 0;
}
