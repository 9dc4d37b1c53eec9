/*
 * test_cases.c: the catalogue of .job files, one named test per file.
 *
 * tests/cases/bad/NAME.job opens with one or more lines
 *     // expect: LINE:COL: error: MESSAGE-SUBSTRING
 * (or warning). The file must give exactly those diagnostics, in that
 * order, at those places, and exit status 1 (0 when only warnings are
 * expected): no missing message, no extra one, no cascade.
 *
 * tests/cases/good/NAME/NAME.job must compile without an error to exactly
 * the bytes of expected.h.golden, expected.c.golden and expected.dot beside
 * it, twice (golden, not .c and .h: they are outputs to compare, not code).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct expectation {
    char prefix[512];   /* "FILE:LINE:COL: error: " */
    char message[512];  /* a substring of the rest of the line */
    bool error;
} expectation;

/* Reads the `// expect:` lines at the top of text. */
static unsigned read_expectations(const char *path, const char *text, expectation *e,
                                  unsigned max)
{
    unsigned n = 0;
    const char *tag = "// expect: ";
    while (strncmp(text, tag, strlen(tag)) == 0 && n < max) {
        unsigned line, col;
        char kind[16];
        int used = 0;
        text += strlen(tag);
        assert_int_equal(sscanf(text, "%u:%u: %15[a-z]: %n", &line, &col, kind, &used), 3);
        const char *msg = text + used, *end = strpbrk(msg, "\r\n");
        assert_non_null(end);
        snprintf(e[n].prefix, sizeof e[n].prefix, "%s:%u:%u: %s: ", path, line, col, kind);
        snprintf(e[n].message, sizeof e[n].message, "%.*s", (int)(end - msg), msg);
        e[n].error = strcmp(kind, "error") == 0;
        n++;
        text = end + (end[0] == '\r') + 1;
    }
    return n;
}

/* The diagnostic lines (not source or caret lines) of the output, in order. */
static unsigned headlines(char *diag, char **lines, unsigned max)
{
    unsigned n = 0;
    for (char *l = strtok(diag, "\n"); l != NULL; l = strtok(NULL, "\n"))
        if ((strstr(l, ": error: ") != NULL || strstr(l, ": warning: ") != NULL) &&
            strncmp(l, "    ", 4) != 0 && n < max)
            lines[n++] = l;
    return n;
}

static void check_bad_case(void **state)
{
    const char *path = *state;
    size_t len;
    char *text = read_file(path, &len);
    expectation want[16];
    unsigned n_want = read_expectations(path, text, want, 16), errors = 0;
    assert_true(n_want > 0);
    compiled c;
    compile_text(&c, path, text, len, NULL);
    for (unsigned i = 0; i < n_want; i++)
        errors += want[i].error;
    assert_int_equal(c.rc, errors > 0 ? 1 : 0);
    char *lines[64];
    unsigned n_got = headlines(c.diag, lines, 64);
    for (unsigned i = 0; i < n_want && i < n_got; i++) {
        if (strncmp(lines[i], want[i].prefix, strlen(want[i].prefix)) != 0 ||
            strstr(lines[i] + strlen(want[i].prefix), want[i].message) == NULL)
            fail_msg("message %u: want '%s...%s', got '%s'", i + 1, want[i].prefix,
                     want[i].message, lines[i]);
    }
    if (n_got != n_want)
        fail_msg("want %u messages, got %u", n_want, n_got);
    compiled_free(&c);
    free(text);
}

static void compare(const char *dir, const char *file, const char *got, size_t got_len)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *want = read_file(path, &len);
    if (len != got_len || memcmp(want, got, len) != 0)
        fail_msg("%s differs from the output (run `make update-golden` after checking "
                 "the change)", path);
    free(want);
}

static void check_good_case(void **state)
{
    const char *dir = *state, *name = strrchr(dir, '/') + 1;
    char path[512], job[256], h[256], cfile[256];
    size_t len;
    snprintf(path, sizeof path, "%s/%s.job", dir, name);
    snprintf(job, sizeof job, "%s.job", name);
    snprintf(h, sizeof h, "%s.job.h", name);
    snprintf(cfile, sizeof cfile, "%s.job.c", name);
    char *text = read_file(path, &len);
    ajc_options o = { false, false, false, h, cfile, NULL, AJC_MAX_ERRORS, false, false };
    for (int run_no = 0; run_no < 2; run_no++) { /* the second run must give the same bytes */
        compiled c, d;
        compile_text(&c, job, text, len, &o);
        assert_int_equal(c.rc, 0);
        assert_int_equal(count_lines(c.diag, ": error: "), 0); /* warnings are allowed */
        compare(dir, "expected.h.golden", c.out.h, c.out.h_len);
        compare(dir, "expected.c.golden", c.out.c, c.out.c_len);
        o.dot = true;
        compile_text(&d, job, text, len, &o);
        o.dot = false;
        assert_int_equal(d.rc, 0);
        assert_null(d.out.h);
        compare(dir, "expected.dot", d.out.dot, d.out.dot_len);
        compiled_free(&c);
        compiled_free(&d);
    }
    free(text);
}

#define CASE(name) \
    { #name, check_bad_case, NULL, NULL, "tests/cases/bad/" #name ".job" },
#define GOOD(name) \
    { "good_" #name, check_good_case, NULL, NULL, "tests/cases/good/" #name },

int main(void)
{
    static const struct CMUnitTest tests[] = {
#include "bad_cases.inc"  /* written by make: one CASE(stem) per bad case */
#include "good_cases.inc" /* written by make: one GOOD(dir) per tests/cases/good/ */
    };
    return cmocka_run_group_tests_name("cases", tests, NULL, NULL);
}
