/* testutil.h: helpers shared by the compiler's tests. */
#ifndef AJC_TESTUTIL_H
#define AJC_TESTUTIL_H

#include "ajc.h"

#include <stdbool.h>
#include <stddef.h>

/* One in-memory compilation and the messages it printed. */
typedef struct compiled {
    int rc;
    char *diag;          /* NUL-terminated */
    size_t diag_len;
    ajc_output out;
} compiled;

/* Compiles len bytes of text named name; o NULL means the command line's
 * defaults. */
void compile_text(compiled *c, const char *name, const char *text, size_t len,
                  const ajc_options *o);
void compiled_free(compiled *c);

/* Number of lines of c->diag containing needle. */
unsigned count_lines(const char *text, const char *needle);

/* The whole file (NUL-terminated, malloc'd); fails the test if unreadable. */
char *read_file(const char *path, size_t *len);
void write_file(const char *path, const char *text, size_t len);
bool file_exists(const char *path);

/* A fresh directory under /tmp, and its removal with everything in it. */
char *make_tmpdir(void);
void remove_tree(const char *dir);

/* Runs argv (argv[0] a path) with stdout and stderr to the given files
 * (NULL: /dev/null); returns the exit status, or -1 if it did not exit. */
int run(char *const argv[], const char *out_path, const char *err_path);

/* The ajc binary under test: $B/ajc (B from the environment, or build). */
const char *ajc_path(void);

#endif
