/*
 * names_ident.c: whether a name from the .job file may become a C name.
 *
 * A name that generated code writes bare must not be a C keyword, a C++
 * keyword where the header (compiled as C++ too) shows it, a reserved
 * identifier (_Upper or __x anywhere, _x at file scope), a name the
 * standard headers of asyncjob.h define (bool, NULL, size_t, FILE...), or
 * sit in the runtime's aj_/AJ_ namespace.
 */
#include "names_ident.h"

#include <stdlib.h>
#include <string.h>

static const char *const c_keywords[] = {
    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary",
    "_Noreturn", "_Static_assert", "_Thread_local", "auto", "break", "case", "char",
    "const", "continue", "default", "do", "double", "else", "enum", "extern", "float",
    "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while",
};

static const char *const cxx_keywords[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "catch",
    "char16_t", "char32_t", "char8_t", "class", "co_await", "co_return", "co_yield",
    "compl", "concept", "const_cast", "consteval", "constexpr", "constinit",
    "decltype", "delete", "dynamic_cast", "explicit", "export", "friend", "mutable",
    "namespace", "new", "noexcept", "not", "not_eq", "nullptr", "operator", "or",
    "or_eq", "private", "protected", "public", "reinterpret_cast", "requires",
    "static_assert", "static_cast", "template", "this", "thread_local", "throw", "try",
    "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
};

/* Names that <stdbool.h>, <stddef.h>, <stdint.h> and <stdio.h> (all included
 * by asyncjob.h) define as macros or types: using one breaks the build. */
static const char *const std_names[] = {
    "BUFSIZ", "EOF", "FILE", "INT16_MAX", "INT32_MAX", "INT64_MAX", "INT8_MAX",
    "INTMAX_MAX", "INTPTR_MAX", "NULL", "SIZE_MAX", "UINT16_MAX", "UINT32_MAX",
    "UINT64_MAX", "UINT8_MAX", "bool", "false", "fpos_t", "int16_t", "int32_t",
    "int64_t", "int8_t", "int_fast16_t", "int_fast32_t", "int_fast64_t",
    "int_fast8_t", "int_least16_t", "int_least32_t", "int_least64_t", "int_least8_t",
    "intmax_t", "intptr_t", "max_align_t", "offsetof", "ptrdiff_t", "size_t",
    "stderr", "stdin", "stdout", "true", "uint16_t", "uint32_t", "uint64_t",
    "uint8_t", "uint_fast16_t", "uint_fast32_t", "uint_fast64_t", "uint_fast8_t",
    "uint_least16_t", "uint_least32_t", "uint_least64_t", "uint_least8_t",
    "uintmax_t", "uintptr_t", "wchar_t",
};

/* What <stdio.h> (in the header), <stdlib.h> and <string.h> (in the .c)
 * declare: a job's or a type's name becomes a typedef beside them, and a
 * typedef cannot share a function's name. */
static const char *const std_functions[] = {
    "EXIT_FAILURE", "EXIT_SUCCESS", "MB_CUR_MAX", "RAND_MAX", "abort", "abs",
    "aligned_alloc", "at_quick_exit", "atexit", "atof", "atoi", "atol", "atoll", "bsearch",
    "calloc", "clearerr", "div", "div_t", "dprintf", "exit", "fclose", "fdopen", "feof",
    "ferror", "fflush", "fgetc", "fgetpos", "fgets", "fileno", "fopen", "fprintf", "fputc",
    "fputs", "fread", "free", "freopen", "fscanf", "fseek", "fsetpos", "ftell", "fwrite",
    "getc", "getchar", "getdelim", "getenv", "getline", "gets", "labs", "ldiv", "ldiv_t",
    "llabs", "lldiv", "lldiv_t", "malloc", "mblen", "mbstowcs", "mbtowc", "memchr",
    "memcmp", "memcpy", "memmove", "memset", "mkdtemp", "mkstemp", "pclose", "perror",
    "popen", "posix_memalign", "printf", "putc", "putchar", "puts", "qsort", "quick_exit",
    "rand", "random", "realloc", "realpath", "remove", "rename", "rewind", "scanf",
    "setbuf", "setenv", "setvbuf", "snprintf", "sprintf", "srand", "srandom", "sscanf",
    "stpcpy", "strcat", "strchr", "strcmp", "strcoll", "strcpy", "strcspn", "strdup",
    "strerror", "strlen", "strncat", "strncmp", "strncpy", "strndup", "strnlen", "strpbrk",
    "strrchr", "strspn", "strstr", "strtod", "strtof", "strtok", "strtok_r", "strtol",
    "strtold", "strtoll", "strtoul", "strtoull", "strxfrm", "system", "tmpfile", "tmpnam",
    "ungetc", "unsetenv", "vfprintf", "vfscanf", "vprintf", "vscanf", "vsnprintf",
    "vsprintf", "vsscanf", "wcstombs", "wctomb",
};

static int cmp_name(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

#define IN_LIST(name, list) \
    (bsearch((name), (list), sizeof(list) / sizeof(list)[0], sizeof(list)[0], cmp_name) != NULL)

bool names_check_ident(diag *d, const ast_ident *id, names_use use, const char *what)
{
    const char *n = id->name;
    bool file_scope = use == USE_FILE_SCOPE || use == USE_TYPEDEF;

    if (IN_LIST(n, c_keywords)) {
        diag_error(d, id->loc, "%s '%s' is a C keyword; choose another name", what, n);
        return false;
    }
    if (use != USE_MEMBER && IN_LIST(n, cxx_keywords)) {
        diag_error(d, id->loc, "%s '%s' is a C++ keyword and the generated header is "
                   "also C++; choose another name", what, n);
        return false;
    }
    if (n[0] == '_' && (n[1] == '_' || (n[1] >= 'A' && n[1] <= 'Z'))) {
        diag_error(d, id->loc, "%s '%s' is a reserved identifier (it starts with '_' and "
                   "an uppercase letter or '_'); choose another name", what, n);
        return false;
    }
    if (n[0] == '_' && file_scope) {
        diag_error(d, id->loc, "%s '%s' is a reserved identifier at file scope (it starts "
                   "with '_'); choose another name", what, n);
        return false;
    }
    if (use != USE_MEMBER && IN_LIST(n, std_names)) {
        diag_error(d, id->loc, "%s '%s' is defined by a standard header that the generated "
                   "code includes; choose another name", what, n);
        return false;
    }
    if (use == USE_TYPEDEF && IN_LIST(n, std_functions)) {
        diag_error(d, id->loc, "%s '%s' is declared by a standard header that the generated "
                   "code includes (<stdio.h>, <stdlib.h> or <string.h>), and it becomes a "
                   "typedef there; choose another name", what, n);
        return false;
    }
    if (file_scope && (strncmp(n, "aj_", 3) == 0 || strncmp(n, "AJ_", 3) == 0)) {
        diag_error(d, id->loc, "%s '%s' is in the runtime's namespace (aj_ and AJ_ names "
                   "belong to libasyncjob); choose another name", what, n);
        return false;
    }
    return true;
}

bool names_may_be_array(const char *type)
{
    return strpbrk(type, " *") == NULL && !IN_LIST(type, c_keywords) &&
           !IN_LIST(type, std_names);
}
