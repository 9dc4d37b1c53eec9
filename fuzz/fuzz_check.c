/*
 * fuzz_check.c: one input through the whole compiler, lexer to C and DOT
 * emission, with the rules any input must keep:
 * - ajc_compile() returns 0 or 1 (2 only for memory or a 2 GiB input,
 *   which a fuzzer cannot give);
 * - 0 comes with the outputs asked for and no error, 1 with at least one
 *   error and no output at all;
 * - C and DOT emission accept and reject the same inputs, with the same
 *   number of errors (the checks run before either emitter);
 * - generated text holds no NUL byte and has the length it claims;
 * - diagnostics are printed as "file:line:col: error: ..." lines, so an
 *   accepted input prints no error line and a rejected one at least one.
 */
#include "fuzz_check.h"

#include "ajc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
    int rc;
    ajc_output out;
    char *diag;        /* what ajc printed, NUL-terminated */
    size_t diag_len;
} run;

static bool compile(run *r, const uint8_t *data, size_t size, bool dot, bool no_line)
{
    ajc_input in = { "fuzz.job", (const char *)data, size };
    ajc_options o = { dot, false, no_line, NULL, NULL, NULL, AJC_MAX_ERRORS, false, false };

    r->diag = NULL;
    r->diag_len = 0;
    o.diag = open_memstream(&r->diag, &r->diag_len);
    if (o.diag == NULL)
        return false; /* the harness is out of memory, not ajc */
    r->rc = ajc_compile(&in, &o, &r->out);
    fclose(o.diag);
    return true;
}

static bool text_ok(const char *text, size_t len)
{
    return text != NULL && memchr(text, '\0', len) == NULL && text[len] == '\0';
}

/* The rules one run keeps on its own. */
static const char *check_run(const run *r, bool dot)
{
    bool errors = strstr(r->diag, ": error: ") != NULL;

    if (r->rc != 0 && r->rc != 1)
        return "ajc_compile returned neither 0 nor 1";
    if (r->rc == 1) {
        if (r->out.h != NULL || r->out.c != NULL || r->out.dot != NULL)
            return "a rejected input produced output";
        if (r->out.n_errors == 0 || !errors)
            return "a rejected input reported no error";
        return NULL;
    }
    if (r->out.n_errors != 0 || errors)
        return "an accepted input reported an error";
    if (dot)
        return text_ok(r->out.dot, r->out.dot_len) ? NULL : "bad DOT text";
    if (!text_ok(r->out.h, r->out.h_len) || !text_ok(r->out.c, r->out.c_len))
        return "bad C text";
    return NULL;
}

static void run_free(run *r)
{
    ajc_output_free(&r->out);
    free(r->diag);
}

const char *fuzz_check(const uint8_t *data, size_t size)
{
    run c, d;
    const char *bad;

    /* The last byte picks --no-line, so both emitters' paths are fuzzed. */
    if (!compile(&c, data, size, false, size > 0 && (data[size - 1] & 1)))
        return NULL;
    if (!compile(&d, data, size, true, false)) {
        run_free(&c);
        return NULL;
    }
    bad = check_run(&c, false);
    if (bad == NULL)
        bad = check_run(&d, true);
    if (bad == NULL && (c.rc != d.rc || c.out.n_errors != d.out.n_errors ||
                        c.out.n_warnings != d.out.n_warnings))
        bad = "C and DOT emission disagree on the input";
    run_free(&c);
    run_free(&d);
    return bad;
}
