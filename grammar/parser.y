/*
 * parser.y: the grammar of the .job language (see DESIGN.md).
 *
 * Every action is one call into ast.c; nothing here checks meaning. Lists
 * are left-recursive so that the parser stack stays a few entries deep
 * whatever the input size, and it is a fixed array on the C stack. The
 * parser recovers at ';' and '}' and keeps going, so one run reports
 * several syntax errors.
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
%token CAP "'cap'" JITTER "'jitter'" CUSTOM "'custom'"
%token IDENT "name" INT "integer" NUMBER "number" STRING "string" ARROW "'->'"

%type <loc> opt_free number
%type <dur> duration
%type <list> words opt_params params opt_inputs inputs attrs names
%type <ctype> ctype opt_output
%type <param> param input
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
    : INCLUDE STRING ';'                    { ast_include_add(b, @2); }
    | TYPE IDENT '=' ctype opt_free ';'     { ast_type_add(b, @2, $4, $5); }
    | retry_decl                            { ast_file_add_retry(b, $1); }
    | JOB IDENT '(' opt_params ')' '{' job_body '}'
                                            { ast_job_finish(b, $7, @2, $4); }
    | error ';'
    | error '}'
    ;

opt_free
    : %empty                                { $$ = (ajc_loc){ @$.end, @$.end }; }
    | FREE IDENT                            { $$ = @2; }
    ;

words
    : IDENT                                 { $$ = ast_words_add(b, NULL, @1); }
    | '*'                                   { $$ = ast_words_add(b, NULL, @1); }
    | words IDENT                           { $$ = ast_words_add(b, $1, @2); }
    | words '*'                             { $$ = ast_words_add(b, $1, @2); }
    ;

ctype
    : words                                 { $$ = ast_ctype_new(b, $1); }
    ;

param
    : words                                 { $$ = ast_param_new(b, $1, (ajc_loc){ 0, 0 }); }
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
    : RETRY IDENT '=' policy ';'            { $$ = ast_retry_new(b, @2, $4); }
    ;

policy
    : MAX INT                               { $$ = ast_policy_max(b, @1, @2); }
    | CUSTOM IDENT                          { $$ = ast_policy_custom(b, @1, @2); }
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
    | job_body RESULT IDENT ';'             { $$ = ast_job_add_result(b, $1, @3); }
    | job_body error ';'                    { $$ = $1; }
    ;

step
    : STEP IDENT '(' opt_inputs ')' opt_output attrs ';'
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
    : words '=' IDENT                       { $$ = ast_param_new(b, $1, @3); }
    ;

opt_output
    : %empty                                { $$ = NULL; }
    | ARROW ctype                           { $$ = $2; }
    ;

attrs
    : %empty                                { $$ = ast_list_new(b); }
    | attrs attr                            { $$ = ast_list_add(b, $1, $2); }
    ;

attr
    : AFTER names                           { $$ = ast_attr_after(b, @1, $2); }
    | RETRY IDENT                           { $$ = ast_attr_retry(b, @1, @2, NULL); }
    | RETRY '(' policy ')'                  { $$ = ast_attr_retry(b, @1, (ajc_loc){ 0, 0 }, $3); }
    | TIMEOUT duration                      { $$ = ast_attr_timeout(b, @1, $2); }
    | IMPL IDENT                            { $$ = ast_attr_impl(b, @1, @2); }
    ;

names
    : IDENT                                 { $$ = ast_list_add(b, ast_list_new(b), ast_ident_new(b, @1)); }
    | names ',' IDENT                       { $$ = ast_list_add(b, $1, ast_ident_new(b, @3)); }
    ;

%%

/* "unexpected name 'foo', expected ';' or '->'": the token's own text where
 * it has one, and the expected tokens when there are few; when there are
 * many and ';' is one of them, a hint that it is missing. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, ast_builder *b)
{
    (void)scanner;
    enum { N_LISTED = 4 };
    yysymbol_kind_t expected[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
    yysymbol_kind_t got = yypcontext_token(ctx);
    const ajc_loc *loc = yypcontext_location(ctx);
    char msg[256];
    int len;

    if (got == YYSYMBOL_IDENT || got == YYSYMBOL_INT || got == YYSYMBOL_NUMBER)
        len = snprintf(msg, sizeof msg, "unexpected %s '%.*s'", yysymbol_name(got),
                       (int)(loc->end - loc->begin > 40 ? 40 : loc->end - loc->begin),
                       b->src->text + loc->begin);
    else
        len = snprintf(msg, sizeof msg, "unexpected %s", yysymbol_name(got));
    bool semicolon = false;
    for (int i = 0; i < n; i++)
        semicolon |= strcmp(yysymbol_name(expected[i]), "';'") == 0;
    if (semicolon && n > N_LISTED && len > 0 && (size_t)len < sizeof msg)
        snprintf(msg + len, sizeof msg - (size_t)len, "; is a ';' missing before it?");
    else if (n > 0 && n <= N_LISTED)
        for (int i = 0; i < n && len > 0 && (size_t)len < sizeof msg; i++)
            len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s",
                            i == 0 ? ", expected " : i == n - 1 ? " or " : ", ",
                            yysymbol_name(expected[i]));
    diag_syntax_error(b->diag, *loc, "%s", msg);
    return 0;
}
