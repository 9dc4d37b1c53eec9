/* testutil.c: compiling in memory, files, temporary directories, running
 * programs, for the compiler's tests. Failures here fail the calling test. */
#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void compile_text(compiled *c, const char *name, const char *text, size_t len,
                  const ajc_options *o)
{
    ajc_options defaults = { false, false, false, NULL, NULL, NULL, AJC_MAX_ERRORS, false, false };
    ajc_options opts = o != NULL ? *o : defaults;
    ajc_input in = { name, text, len };
    c->diag = NULL;
    c->diag_len = 0;
    opts.diag = open_memstream(&c->diag, &c->diag_len);
    assert_non_null(opts.diag);
    c->rc = ajc_compile(&in, &opts, &c->out);
    assert_int_equal(fclose(opts.diag), 0);
}

void compiled_free(compiled *c)
{
    ajc_output_free(&c->out);
    free(c->diag);
}

unsigned count_lines(const char *text, const char *needle)
{
    unsigned n = 0;
    while (*text != '\0') {
        const char *end = strchr(text, '\n');
        size_t len = end != NULL ? (size_t)(end - text) : strlen(text);
        char *line = strndup(text, len);
        n += strstr(line, needle) != NULL;
        free(line);
        text += len + (end != NULL);
    }
    return n;
}

char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("cannot read %s", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    buf[size] = '\0';
    if (len != NULL)
        *len = (size_t)size;
    return buf;
}

void write_file(const char *path, const char *text, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

void assert_dir_holds(const char *dir, const char *want)
{
    char *const argv[] = { "/bin/sh", "-c", "LC_ALL=C ls -A \"$0\" | tr '\\n' ' '", (char *)dir,
                           NULL };
    char tmp[] = "/tmp/ajc-ls-XXXXXX";
    int fd = mkstemp(tmp);
    char *list;

    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(run(argv, tmp, NULL), 0);
    list = read_file(tmp, NULL);
    unlink(tmp);
    if (strcmp(list, want) != 0)
        fail_msg("%s holds '%s'; want '%s'", dir, list, want);
    free(list);
}

char *make_tmpdir(void)
{
    char *dir = strdup("/tmp/ajc-test-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

void remove_tree(const char *dir)
{
    char *const argv[] = { "/bin/rm", "-rf", (char *)dir, NULL };
    assert_int_equal(run(argv, NULL, NULL), 0);
}

static void redirect(const char *path, int fd)
{
    int f = open(path != NULL ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f < 0 || dup2(f, fd) < 0)
        _exit(127);
    close(f);
}

int run(char *const argv[], const char *out_path, const char *err_path)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        redirect(out_path, STDOUT_FILENO);
        redirect(err_path, STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *ajc_path(void)
{
    static char path[4096];
    const char *b = getenv("B");
    snprintf(path, sizeof path, "%s/ajc", b != NULL && *b != '\0' ? b : "build");
    return path;
}

cli_fixture *cli_fixture_new(const char *job_text)
{
    cli_fixture *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->dir = make_tmpdir();
    snprintf(f->job, sizeof f->job, "%s/j.job", f->dir);
    snprintf(f->out, sizeof f->out, "%s/stdout", f->dir);
    snprintf(f->err, sizeof f->err, "%s/stderr", f->dir);
    write_file(f->job, job_text, strlen(job_text));
    return f;
}

void cli_fixture_free(cli_fixture *f)
{
    remove_tree(f->dir);
    free(f->dir);
    free(f);
}

char *cli_in_dir(const cli_fixture *f, const char *name)
{
    static char path[4][600];
    static int next;
    char *p = path[next++ % 4];

    snprintf(p, sizeof path[0], "%s/%s", f->dir, name);
    return p;
}

int cli_ajc(const cli_fixture *f, const char *a, const char *b, const char *c, const char *d)
{
    char *const argv[] = { (char *)ajc_path(), (char *)a, (char *)b, (char *)c, (char *)d, NULL };

    return run(argv, f->out, f->err);
}

void cli_one_line_reason(const cli_fixture *f, const char *what)
{
    char *err = read_file(f->err, NULL);

    if (strncmp(err, "ajc: ", 5) != 0 || count_lines(err, "") != 1 || strstr(err, what) == NULL)
        fail_msg("want one line 'ajc: ...' with '%s'; got '%s'", what, err);
    free(err);
}
