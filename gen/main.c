/*
 * main.c: the ajc command: options, reading the input, writing outputs.
 *
 *   ajc [-o DIR] [--dot] [--check] [--no-line] [-Werror] [--color[=WHEN]] FILE.job
 *
 * Exit 0 when the input is accepted (warnings allowed), 1 when it is
 * rejected, 2 on a usage, I/O or memory problem, which gets one line
 * "ajc: <reason>". The input's name must end in .job, since the outputs
 * are named after it (FILE.job.h, FILE.job.c). write.c puts them in
 * place, both or neither: it refuses to replace a file ajc did not write,
 * writes each into a fresh temporary beside it and renames it over the
 * output, and puts the source back if the header then fails; no
 * half-written file or temporary is ever left.
 */
#include "ajc.h"
#include "write.h"

#include "abi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE "usage: ajc [OPTION]... FILE.job\n"

static const char help[] =
    USAGE
    "\n"
    "Checks a .job file and generates FILE.job.h and FILE.job.c.\n"
    "\n"
    "  -o DIR          write the outputs into DIR (default: beside FILE)\n"
    "  --dot           print the definition graph of every job as DOT on stdout\n"
    "  --check         check only, write nothing\n"
    "  --no-line       no #line directives in the generated code\n"
    "  -Werror         make every warning an error (the input is then rejected)\n"
    "  --color[=WHEN]  colour the messages: always, never, or auto (the default:\n"
    "                  when stderr is a terminal, TERM is not dumb and NO_COLOR\n"
    "                  is unset); --color alone means always\n"
    "  -V, --version   print the version\n"
    "  -h, --help      print this help\n"
    "\n"
    "Exit status: 0 accepted, 1 rejected, 2 usage or I/O error.\n";

typedef enum color_when { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER } color_when;

typedef struct cli {
    const char *input;
    const char *out_dir;
    ajc_options opts;
    color_when color;  /* the last --color given */
} cli;

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "ajc: %s%s (see ajc --help)\n", what, arg);
    return 2;
}

/* 0, or 2 after saying why what was printed could not be written. */
static int flush_stdout(const char *what)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    fprintf(stderr, "ajc: cannot write %s: %s\n", what, strerror(errno));
    return 2;
}

/* -1 to go on, or 2: the outputs are named after the input, so `ajc
 * pipeline` would write pipeline.c, likely the user's own. */
static int check_input_name(const char *input)
{
    size_t len = strlen(input);

    if (len >= 4 && strcmp(input + len - 4, ".job") == 0)
        return -1;
    fprintf(stderr, "ajc: %s: input file name must end in .job\n", input);
    return 2;
}

/* --color=WHEN; returns -1 to go on, or the exit status. */
static int parse_color(const char *when, cli *c)
{
    if (strcmp(when, "always") == 0) {
        c->color = COLOR_ALWAYS;
    } else if (strcmp(when, "never") == 0) {
        c->color = COLOR_NEVER;
    } else if (strcmp(when, "auto") == 0) {
        c->color = COLOR_AUTO;
    } else {
        char what[160];
        snprintf(what, sizeof what, "--color takes auto, always or never, not '%.100s'", when);
        return usage_error(what, "");
    }
    return -1;
}

/* Colours only for a reader who sees them: a terminal that can show them,
 * and no NO_COLOR (no-color.org) in the environment. */
static bool color_wanted(color_when when)
{
    if (when != COLOR_AUTO)
        return when == COLOR_ALWAYS;
    const char *term = getenv("TERM"), *no_color = getenv("NO_COLOR");
    return isatty(STDERR_FILENO) && term != NULL && strcmp(term, "dumb") != 0 &&
           (no_color == NULL || no_color[0] == '\0');
}

/* The option argv[*i]; -o takes the next argument too. Returns -1 to go
 * on, or the exit status. */
static int parse_option(int argc, char **argv, int *i, cli *c)
{
    const char *a = argv[*i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        fputs(help, stdout);
        return flush_stdout("the help");
    } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
        puts("ajc " AJC_VERSION);
        return flush_stdout("the version");
    } else if (strcmp(a, "-o") == 0) {
        if (++*i == argc)
            return usage_error("option -o needs a directory", "");
        c->out_dir = argv[*i];
    } else if (strcmp(a, "--dot") == 0) {
        c->opts.dot = true;
    } else if (strcmp(a, "--check") == 0) {
        c->opts.check = true;
    } else if (strcmp(a, "--no-line") == 0) {
        c->opts.no_line = true;
    } else if (strcmp(a, "-Werror") == 0) {
        c->opts.werror = true;
    } else if (strcmp(a, "--color") == 0) {
        c->color = COLOR_ALWAYS; /* as ls and grep: no WHEN means always */
    } else if (strncmp(a, "--color=", 8) == 0) {
        return parse_color(a + 8, c);
    } else {
        return usage_error("unknown option ", a);
    }
    return -1;
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, cli *c)
{
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp(a, "--") == 0) {
            options = false;
        } else if (options && a[0] == '-' && a[1] != '\0') {
            int rc = parse_option(argc, argv, &i, c);
            if (rc >= 0)
                return rc;
        } else if (c->input != NULL) {
            return usage_error("one input file at a time; extra ", a);
        } else {
            c->input = a;
        }
    }
    c->opts.color = color_wanted(c->color);
    return c->input == NULL ? usage_error("no input file", "") : check_input_name(c->input);
}

/* The whole file in a malloc'd buffer; NULL after reporting. */
static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "ajc: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0, got;
    char *buf = malloc(cap);
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (bigger == NULL)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    int err = ferror(fp) ? errno : 0;
    fclose(fp);
    if (buf == NULL)
        fprintf(stderr, "ajc: out of memory\n");
    else if (err != 0)
        fprintf(stderr, "ajc: cannot read %s: %s\n", path, strerror(err));
    if (buf == NULL || err != 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* DIR/BASE.h and DIR/BASE.c: DIR is -o or the input's directory. */
static char *output_path(const cli *c, const char *suffix)
{
    const char *base = ajc_basename(c->input);
    const char *dir = c->out_dir;
    size_t dir_len = dir != NULL ? strlen(dir) : (size_t)(base - c->input);
    if (dir == NULL)
        dir = c->input;
    bool slash = dir_len > 0 && dir[dir_len - 1] != '/';
    size_t len = dir_len + slash + strlen(base) + strlen(suffix) + 1;
    char *p = malloc(len);
    if (p != NULL)
        snprintf(p, len, "%.*s%s%s%s", (int)dir_len, dir, slash ? "/" : "", base, suffix);
    return p;
}

/* The source first, the header last: when the header cannot be put in
 * place, the source's older file comes back. */
static int write_both(const char *h_path, const char *c_path, const ajc_output *out)
{
    write_output c = { c_path, out->c, out->c_len }, h = { h_path, out->h, out->h_len };

    return write_outputs(&c, &h);
}

static int print_dot(const ajc_output *out)
{
    if (fwrite(out->dot, 1, out->dot_len, stdout) != out->dot_len || fflush(stdout) != 0) {
        fprintf(stderr, "ajc: cannot write the DOT output: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli c = { NULL, NULL, { false, false, false, NULL, NULL, stderr, AJC_MAX_ERRORS, false, false },
              COLOR_AUTO };
    int rc = parse_args(argc, argv, &c);
    if (rc >= 0)
        return rc;
    char *h_path = output_path(&c, ".h"), *c_path = output_path(&c, ".c");
    size_t len = 0;
    char *text = h_path != NULL && c_path != NULL ? read_all(c.input, &len) : NULL;
    if (text == NULL) {
        if (h_path == NULL || c_path == NULL)
            fprintf(stderr, "ajc: out of memory\n");
        free(h_path);
        free(c_path);
        return 2;
    }
    ajc_input in = { c.input, text, len };
    ajc_output out;
    c.opts.h_path = h_path;
    c.opts.c_path = c_path;
    rc = ajc_compile(&in, &c.opts, &out);
    free(text);
    if (rc == 0 && c.opts.dot)
        rc = print_dot(&out);
    else if (rc == 0 && !c.opts.check)
        rc = write_both(h_path, c_path, &out);
    ajc_output_free(&out);
    free(h_path);
    free(c_path);
    return rc;
}
