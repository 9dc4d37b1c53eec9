/* project.h: a small user project (hello.job, greeting.h, main.c) and the
 * helpers the build tests share to build it against an installed asyncjob.
 * Failures fail the calling cmocka test. */
#ifndef TESTS_BUILD_PROJECT_H
#define TESTS_BUILD_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

/* Unsets what make test's make would pass on to the makes a test starts,
 * and makes a temporary directory (its path is returned; "" on failure). */
const char *project_tmp_setup(void);
/* Removes the temporary directory; 0 on success. Also a cmocka group
 * teardown. */
int project_tmp_teardown(void);
int project_teardown(void **state);
/* For a group setup: runs cmd (a printf format with the arguments that
 * follow); 0 on success, else prints cmd and its output and returns 1. */
int project_setup_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs cmd; on a non-zero exit fails the test with its output. */
void project_run_ok(const char *cmd);
/* Runs cmd and checks its whole output. */
void project_expect(const char *cmd, const char *want);
void project_write(const char *path, const char *text);

/* Writes hello.job, greeting.h and main.c into dir, creating it. The
 * program prints "HELLO, INSTALLED WORLD" (the job's result step Shout). */
void project_hello(const char *dir);

/* The start of main.c: its includes and hello.job's step functions. */
#define PROJECT_HELLO_STEPS                                                                   \
    "#include \"hello.job.h\"\n"                                                              \
    "#include <ctype.h>\n#include <stdio.h>\n#include <string.h>\n"                            \
    "int hello_Greet(aj_ctx *ctx, const char *who, Greeting *out)\n"                           \
    "{ (void)ctx; snprintf(out->text, sizeof out->text, \"hello, %s\", who); return 0; }\n"    \
    "int hello_Shout(aj_ctx *ctx, const char *who, Greeting g, Greeting *out)\n"               \
    "{ (void)ctx; (void)who; for (size_t i = 0; g.text[i]; i++)\n"                             \
    "      g.text[i] = (char)toupper((unsigned char)g.text[i]);\n"                            \
    "  *out = g; return 0; }\n"

/* "-fsanitize=$SAN" when the suite runs under a sanitizer, else "": user
 * projects are built the same way as the library they link. */
const char *project_sanflags(void);

/* True if tool is on PATH; else prints that the test is skipped and the
 * package to install. */
bool project_have(const char *tool, const char *package);

/* Makes dir (size bytes) a directory for PATH holding every command of
 * /usr/bin and /bin except those matching the shell pattern `without`. */
void project_path_without(char *dir, size_t size, const char *without);
#define PROJECT_GRAMMAR_TOOLS "flex|flex++|bison|yacc"

#endif
