/* names.h: C identifiers: which names are allowed, and what ajc emits. */
#ifndef AJC_NAMES_H
#define AJC_NAMES_H

#include "ast.h"

/* Where a user's name ends up in generated C, which decides what it may be. */
typedef enum names_use {
    USE_FILE_SCOPE,   /* a file-scope name in the header (job, type, function) */
    USE_PARAM,        /* a parameter name in a prototype */
    USE_MEMBER        /* a struct member in the .c only (step names) */
} names_use;

/* Reports and returns false when id cannot be used as a C name in that
 * place: a C or C++ keyword, a reserved identifier, a name of the standard
 * headers the generated code includes, or the runtime's aj_/AJ_ prefix. */
bool names_check_ident(diag *d, const ast_ident *id, names_use use, const char *what);

/* Builds every file-scope C name of the file (contract and internal) into
 * the AST and reserves each; reports two origins that give the same name.
 * Also checks that job inputs do not shadow any of those names. */
void names_assign(arena *a, diag *d, ast_file *f);

#endif
