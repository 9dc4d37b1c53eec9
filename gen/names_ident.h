/* names_ident.h: which names from the .job file may become C names. */
#ifndef AJC_NAMES_IDENT_H
#define AJC_NAMES_IDENT_H

#include "ast.h"

/* Where a user's name ends up in generated C, which decides what it may be. */
typedef enum names_use {
    USE_FILE_SCOPE,   /* a file-scope function name in the header */
    USE_TYPEDEF,      /* a file-scope typedef name in the header (job, type) */
    USE_PARAM,        /* a parameter name in a prototype */
    USE_MEMBER        /* a struct member in the .c only (step names) */
} names_use;

/* Reports and returns false when id cannot be used as a C name in that
 * place: a C or C++ keyword, a reserved identifier, a name of the standard
 * headers the generated code includes, or the runtime's aj_/AJ_ prefix. */
bool names_check_ident(diag *d, const ast_ident *id, names_use use, const char *what);

/* Whether a one-word type may be an array, for all ajc can tell: a name
 * of the user's headers. C's own types and the standard ones it sees
 * (int, bool, size_t...) are not. */
bool names_may_be_array(const char *type);

#endif
