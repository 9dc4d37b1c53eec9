/* lexer_api.h: what the parser and the driver know of the scanner. */
#ifndef AJC_LEXER_API_H
#define AJC_LEXER_API_H

#include "ast.h"

#include <stdbool.h>
#include <stdint.h>

/* The scanner's extra data: where it is and whom it reports to, and what
 * the parser needs to word a syntax error: when the lookahead token is
 * wrong, the place and the statement of the token before it. */
struct lexer_extra {
    ast_builder *b;
    uint32_t offset;        /* bytes consumed so far */
    ajc_loc comment_begin;  /* where the open comment starts */
    bool just_failed;       /* the last thing seen was a lexer error */
    int last_token;         /* the last token returned; 0 before the first */
    int prev_token;         /* the token before it */
    uint32_t last_end;      /* where it ends */
    uint32_t prev_end;      /* where the token before it ends */
    int statement;          /* the first token of the statement being read */
    uint32_t reported_at;   /* the lookahead of the last syntax error reported */
    bool reported;
    bool semicolon_missing; /* that error was a missing ';' */
};

#endif
