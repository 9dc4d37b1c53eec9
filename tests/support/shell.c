/* shell.c: see shell.h. */
#include "shell.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

/* Appends everything f yields to a growing string. */
static char *read_all(FILE *f)
{
    char buf[4096], *text = malloc(1);
    size_t len = 0, n;

    assert_non_null(text);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        char *more = realloc(text, len + n + 1);
        assert_non_null(more);
        text = more;
        memcpy(text + len, buf, n);
        len += n;
    }
    text[len] = '\0';
    return text;
}

int shell_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    int status;

    assert_non_null(p);
    *out = read_all(p);
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *shell_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text;

    if (f == NULL)
        fail_msg("cannot open %s", path);
    text = read_all(f);
    fclose(f);
    return text;
}

const char *shell_build_dir(void)
{
    const char *b = getenv("B");
    return b != NULL && *b != '\0' ? b : "build";
}
