/* shell.h: running commands and reading files, for tests that drive the
 * tools the way a user does. Failures fail the calling cmocka test. */
#ifndef TESTS_SHELL_H
#define TESTS_SHELL_H

/* Runs cmd with /bin/sh; returns its exit status (-1 if it did not exit)
 * and its standard output in *out (malloc'd, NUL-terminated). */
int shell_run(const char *cmd, char **out);

/* The whole file, malloc'd and NUL-terminated. */
char *shell_slurp(const char *path);

/* The build directory under test: $B, or "build". */
const char *shell_build_dir(void);

#endif
