/* lexer_api.h: what the parser and the driver know of the scanner. */
#ifndef AJC_LEXER_API_H
#define AJC_LEXER_API_H

#include "ast.h"

#include <stdbool.h>
#include <stdint.h>

/* The scanner's extra data: where it is and whom it reports to. */
struct lexer_extra {
    ast_builder *b;
    uint32_t offset;        /* bytes consumed so far */
    ajc_loc comment_begin;  /* where the open comment starts */
    bool just_failed;       /* the last thing seen was a lexer error */
};

#endif
