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

/* Fails the test unless dir holds exactly the names in want, dot files
 * included, each followed by a space, in ls order: "a.job a.job.c ". */
void assert_dir_holds(const char *dir, const char *want);

/* A fresh directory under /tmp, and its removal with everything in it. */
char *make_tmpdir(void);
void remove_tree(const char *dir);

/* Runs argv (argv[0] a path) with stdout and stderr to the given files
 * (NULL: /dev/null); returns the exit status, or -1 if it did not exit. */
int run(char *const argv[], const char *out_path, const char *err_path);

/* The ajc binary under test: $B/ajc (B from the environment, or build). */
const char *ajc_path(void);

/* A fresh directory holding one job file, for tests of the ajc command:
 * DIR/j.job, and the files its runs write their stdout and stderr to. */
typedef struct cli_fixture {
    char *dir;
    char job[512];    /* DIR/j.job */
    char out[512];    /* DIR/stdout */
    char err[512];    /* DIR/stderr */
} cli_fixture;

cli_fixture *cli_fixture_new(const char *job_text);
void cli_fixture_free(cli_fixture *f);

/* DIR/name, in one of four buffers used in turn. */
char *cli_in_dir(const cli_fixture *f, const char *name);

/* Runs ajc with up to four arguments (NULL ends them); its exit status. */
int cli_ajc(const cli_fixture *f, const char *a, const char *b, const char *c, const char *d);

/* The last run's stderr is exactly one line "ajc: ..." containing what. */
void cli_one_line_reason(const cli_fixture *f, const char *what);

#endif
