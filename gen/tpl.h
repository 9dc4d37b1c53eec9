/* tpl.h: generated text from templates whose shape is visible where they
 * are written (protobuf-c's printer->Print("...$var$...")), and argument or
 * initializer lists that wrap as a person wraps them. */
#ifndef AJC_TPL_H
#define AJC_TPL_H

#include "out.h"

#define TPL_WIDTH 100  /* columns of generated code a list wraps at */
#define TPL_NUM 24     /* room for any number tpl_u32/tpl_i64 write */

/* Writes tpl with each $name$ replaced by its value in vars, a list of
 * name, value pairs that ends with NULL (TPL_VARS builds one). An unknown
 * name is an ajc bug: it aborts. */
void tpl_out(out *o, const char *tpl, const char *const *vars);
#define TPL_VARS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The length of what tpl_out() would write: to choose between the one-line
 * and the wrapped shape of a row before writing it. */
size_t tpl_len(const char *tpl, const char *const *vars);

/* n spaces (at most 64), for padding a column. */
const char *tpl_spaces(size_t n);

/* v in decimal, in buf; returns where the digits start. */
const char *tpl_u32(char buf[TPL_NUM], uint32_t v);
const char *tpl_i64(char buf[TPL_NUM], int64_t v);

/* A list, "head" item ", " item ... "tail": on one line when it fits in
 * TPL_WIDTH columns, else wrapped with its items aligned under the first.
 * With a .job line (non-zero) and #line on, each continuation line is
 * mapped to that line again: the whole list points at what the user wrote. */
typedef struct tpl_list {
    out *o;
    size_t indent;     /* column of the first item */
    size_t col;        /* current column */
    uint32_t line;     /* .job line the list maps to; 0: none */
    const char *file;  /* the .job file's name for #line */
    unsigned n;        /* items written */
} tpl_list;

void tpl_list_open(tpl_list *l, out *o, const char *head, uint32_t line, const char *file);
/* One item, the concatenation of a and b (b may be NULL). */
void tpl_list_item(tpl_list *l, const char *a, const char *b);
void tpl_list_item3(tpl_list *l, const char *a, const char *b, const char *c);
/* One item declaring name of type ctype: "T *name", "T name". */
void tpl_list_decl(tpl_list *l, const char *ctype, const char *name);
void tpl_list_close(tpl_list *l, const char *tail);
/* Starts a continuation line now, as a row too long for one line breaks
 * where its columns change meaning. */
void tpl_list_break(tpl_list *l);

#endif
