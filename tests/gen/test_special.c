/*
 * test_special.c: inputs made by the test itself, too big or too odd to
 * keep as files: empty and comment-only files, a byte order mark, NUL and
 * invalid UTF-8 bytes, CRLF line ends, a 10 MB line, 100,000 steps, a
 * 10,000-step cycle, an error on every line; and running out of memory at
 * every allocation in turn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arena.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ok_job[] = "job j() {\n    step A() -> int;\n    result A;\n}\n";

static void compile_str(compiled *c, const char *text)
{
    compile_text(c, "t.job", text, strlen(text), NULL);
}

/* The run gave exactly one error, and its headline starts with want. */
static void expect_one_error(compiled *c, const char *want)
{
    assert_int_equal(c->rc, 1);
    assert_int_equal(count_lines(c->diag, ": error: "), 1);
    if (strncmp(c->diag, want, strlen(want)) != 0)
        fail_msg("want '%s...', got '%.200s'", want, c->diag);
}

static void test_special_empty_file(void **state)
{
    (void)state;
    compiled c;
    compile_text(&c, "t.job", "", 0, NULL);
    expect_one_error(&c, "t.job:1:1: error: no job in this file");
    compiled_free(&c);
}

static void test_special_only_comments(void **state)
{
    (void)state;
    compiled c;
    compile_str(&c, "// nothing\n/* still\n nothing */\n// here\n");
    expect_one_error(&c, "t.job:1:1: error: no job in this file");
    compiled_free(&c);
}

static void test_special_byte_order_mark(void **state)
{
    (void)state;
    compiled c;
    char text[256];
    snprintf(text, sizeof text, "\xEF\xBB\xBF%s", ok_job);
    compile_str(&c, text);
    expect_one_error(&c, "t.job:1:1: error: UTF-8 byte order mark");
    compiled_free(&c);
}

static void test_special_nul_byte(void **state)
{
    (void)state;
    compiled c;
    char text[] = "job j() {\n    step A() -> int;\n    result A;\n}\n";
    text[19] = '\0'; /* the name A */
    compile_text(&c, "t.job", text, sizeof text - 1, NULL);
    expect_one_error(&c, "t.job:2:10: error: NUL byte in input");
    compiled_free(&c);
    /* A NUL in a comment is reported too, never taken as the end. */
    char comment[] = "// a\n/* b ? c */\njob j() { step A(); }\n";
    comment[10] = '\0';
    compile_text(&c, "t.job", comment, sizeof comment - 1, NULL);
    expect_one_error(&c, "t.job:2:6: error: NUL byte in comment");
    compiled_free(&c);
}

static void test_special_utf8(void **state)
{
    (void)state;
    compiled c;
    compile_str(&c, "job j() {\n    step A\xC3\x28();\n}\n");
    expect_one_error(&c, "t.job:2:11: error: invalid UTF-8 byte 0xc3");
    compiled_free(&c);
    compile_str(&c, "job j() { step A(); } \xE2\x82\xAC\n");
    expect_one_error(&c, "t.job:1:23: error: non-ASCII character outside a comment");
    compiled_free(&c);
    /* Valid UTF-8 in comments and strings is fine. */
    compile_str(&c, "// caf\xC3\xA9 \xE2\x82\xAC\ninclude \"d\xC3\xA9j\xC3\xA0.h\";\n"
                    "job j() { step A() -> int; result A; }\n");
    assert_int_equal(c.rc, 0);
    compiled_free(&c);
}

static void test_special_crlf(void **state)
{
    (void)state;
    compiled c;
    compile_str(&c, "job j() {\r\n    step A() -> int;\r\n\r\n    step B(int x = Nope);\r\n"
                    "    result A;\r\n}\r\n");
    expect_one_error(&c, "t.job:4:20: error: unknown step or job input 'Nope'");
    assert_null(strchr(c.diag, '\r')); /* the shown line leaves the CR out */
    compiled_free(&c);
    compile_str(&c, "job j() {\r\n    step A() -> int;\r\n    result A;\r\n}\r\n");
    assert_int_equal(c.rc, 0);
    compiled_free(&c);
}

/* A 10 MB comment line, then an error; and an error at the end of a 10 MB
 * line, which is shown as a window around the column. */
static void test_special_ten_megabyte_line(void **state)
{
    (void)state;
    size_t big = 10u * 1024 * 1024;
    char *text = malloc(big + 256);
    assert_non_null(text);
    memcpy(text, "//", 2);
    memset(text + 2, 'x', big - 2);
    strcpy(text + big, "\njob j() { step A(int x = Nope); }\n");
    compiled c;
    compile_text(&c, "t.job", text, strlen(text), NULL);
    expect_one_error(&c, "t.job:2:26: error: unknown step or job input 'Nope'");
    compiled_free(&c);
    memset(text, ' ', big);
    strcpy(text + big, "$\njob j() { step A() -> int; result A; }\n");
    compile_text(&c, "t.job", text, strlen(text), NULL);
    expect_one_error(&c, "t.job:1:10485761: error: unexpected character '$'");
    assert_true(c.diag_len < 1000);
    compiled_free(&c);
    free(text);
}

/* Step k takes the outputs of steps k-1 and k/2: long and wide at once. */
static char *many_steps(unsigned n, bool cycle)
{
    size_t cap = (size_t)n * 64 + 128, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "job big(int seed) {\n");
    for (unsigned k = 0; k < n; k++) {
        if (cycle)
            len += (size_t)snprintf(text + len, cap - len, "    step s%u() after s%u;\n", k,
                                    (k + n - 1) % n);
        else if (k == 0)
            len += (size_t)snprintf(text + len, cap - len, "    step s0() -> int;\n");
        else if (k / 2 == k - 1)
            len += (size_t)snprintf(text + len, cap - len, "    step s%u(int a = s%u) -> int;\n",
                                    k, k - 1);
        else
            len += (size_t)snprintf(text + len, cap - len,
                                    "    step s%u(int a = s%u, int b = s%u) -> int;\n", k, k - 1,
                                    k / 2);
    }
    snprintf(text + len, cap - len, cycle ? "}\n" : "    result s%u;\n}\n", n - 1);
    return text;
}

static void test_special_hundred_thousand_steps(void **state)
{
    (void)state;
    char *text = many_steps(100000, false);
    compiled c;
    compile_text(&c, "big.job", text, strlen(text), NULL);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.diag_len, 0);
    assert_non_null(strstr(c.out.c, "    .n_steps = 100000,\n"));
    assert_non_null(strstr(c.out.c, "    .n_levels = 100000,\n"));
    assert_non_null(strstr(c.out.h, "int big_s99999(aj_ctx *ctx, int seed, int a, int b, int *out);"));
    compiled_free(&c);
    free(text);
}

static void test_special_ten_thousand_step_cycle(void **state)
{
    (void)state;
    char *text = many_steps(10000, true);
    compiled c;
    compile_text(&c, "cyc.job", text, strlen(text), NULL);
    expect_one_error(&c, "cyc.job:2:21: error: steps of job 'big' form a cycle: s0 -> s1 -> s2");
    assert_non_null(strstr(c.diag, "-> s19 -> ... (9961 more steps) -> s9981 ->"));
    assert_non_null(strstr(c.diag, "-> s9999 -> s0\n"));
    compiled_free(&c);
    free(text);
}

static void test_special_error_on_every_line(void **state)
{
    (void)state;
    size_t n = 20000, len = 0;
    char *text = malloc(n * 32);
    assert_non_null(text);
    /* Three good tokens before each error, so that the parser, which keeps
     * quiet until it has shifted three tokens after an error, reports each. */
    for (size_t k = 0; k < n; k++)
        len += (size_t)sprintf(text + len, "include \"%zu.h\" x;\n", k);
    compiled c;
    compile_text(&c, "t.job", text, len, NULL);
    assert_int_equal(c.rc, 1);
    assert_int_equal(count_lines(c.diag, ": error: unexpected"), AJC_MAX_ERRORS);
    assert_int_equal(count_lines(c.diag, "t.job: error: too many errors (50), stopping"), 1);
    compiled_free(&c);
    free(text);
}

static void test_special_several_errors_one_run(void **state)
{
    (void)state;
    compiled c;
    compile_str(&c, "type T = int;\ntype T = int;\njob j() {\n    step A(int x = B);\n"
                    "    step C() after D;\n}\n");
    assert_int_equal(c.rc, 1);
    assert_int_equal(count_lines(c.diag, ": error: "), 3);
    assert_int_equal(count_lines(c.diag, "t.job:1:6: note: 'T' is first declared here"), 1);
    compiled_free(&c);
}

/* A missing ';' is reported where it belongs, just after the last token of
 * the statement, as gcc and clang do, not at the next line's first token;
 * with a comment after it, and with CRLF line ends too. */
static void test_special_missing_semicolon_at_end_of_line(void **state)
{
    (void)state;
    const char *ends[] = { "\n", "\r\n" };
    for (size_t i = 0; i < 2; i++) {
        char text[200];
        snprintf(text, sizeof text, "job j() {%s    step A() -> int  // a comment%s%s"
                 "    step B(int x = A);%s}%s", ends[i], ends[i], ends[i], ends[i], ends[i]);
        compiled c;
        compile_str(&c, text);
        assert_int_equal(c.rc, 1);
        assert_string_equal(c.diag, "t.job:2:20: error: expected ';' after step declaration\n"
                                    "    2 |     step A() -> int  // a comment\n"
                                    "      |                    ^\n");
        compiled_free(&c);
    }
}

/* Every cycle is reported, each once, from its first declared step, in
 * every job; a step that only leads into a cycle is not named. */
static void test_special_every_cycle_named(void **state)
{
    (void)state;
    compiled c;
    compile_str(&c, "job j() {\n    step D(int c = C) -> int;\n    step A(int c = C) -> int;\n"
                    "    step B(int a = A) -> int;\n    step C(int b = B) -> int;\n"
                    "    step E() after F;\n    step F() after E;\n}\n"
                    "job k() {\n    step X() after X;\n}\n");
    assert_int_equal(c.rc, 1);
    assert_int_equal(count_lines(c.diag, ": error: "), 3);
    assert_int_equal(count_lines(c.diag, "t.job:3:20: error: steps of job 'j' form a cycle: "
                                         "A -> B -> C -> A"), 1);
    assert_int_equal(count_lines(c.diag, "t.job:6:20: error: steps of job 'j' form a cycle: "
                                         "E -> F -> E"), 1);
    assert_int_equal(count_lines(c.diag, "t.job:10:20: error: steps of job 'k' form a cycle: "
                                         "X -> X"), 1);
    assert_null(strstr(c.diag, "D ->"));
    compiled_free(&c);
}

/* Fails allocation 0, 1, 2, ... until the compilation no longer needs the
 * failing one: each run must report "out of memory", exit 2, produce
 * nothing and leak nothing (the ASan build checks the last part). */
static void walk_allocations(const char *text, bool dot, int final_rc)
{
    ajc_options o = { dot, false, false, NULL, NULL, NULL, AJC_MAX_ERRORS, false, false };
    for (long n = 0;; n++) {
        compiled c;
        arena_fail_after(n);
        compile_text(&c, "t.job", text, strlen(text), &o);
        arena_fail_after(-1);
        if (c.rc != 2) {
            assert_int_equal(c.rc, final_rc);
            assert_true(n >= 2); /* the arena and its first chunk at least */
            compiled_free(&c);
            return;
        }
        assert_string_equal(c.diag + c.diag_len - strlen("ajc: out of memory\n"),
                            "ajc: out of memory\n");
        assert_null(c.out.h);
        assert_null(c.out.c);
        assert_null(c.out.dot);
        compiled_free(&c);
    }
}

static void test_special_out_of_memory_everywhere(void **state)
{
    (void)state;
    char *sql = read_file("tests/cases/good/sql/sql.job", NULL);
    char *shapes = read_file("tests/cases/good/shapes/shapes.job", NULL);
    walk_allocations(sql, false, 0);
    walk_allocations(sql, true, 0);
    walk_allocations(shapes, false, 0);
    walk_allocations("job j() {\n step A(int x = B);\n step A();\n} $", false, 1);
    /* A bigger job needs many chunks and growing buffers: more failure points. */
    char *big = many_steps(3000, false);
    long before = arena_malloc_count();
    walk_allocations(big, false, 0);
    assert_true(arena_malloc_count() - before > 100);
    free(big);
    free(sql);
    free(shapes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_empty_file),
        cmocka_unit_test(test_special_only_comments),
        cmocka_unit_test(test_special_byte_order_mark),
        cmocka_unit_test(test_special_nul_byte),
        cmocka_unit_test(test_special_utf8),
        cmocka_unit_test(test_special_crlf),
        cmocka_unit_test(test_special_ten_megabyte_line),
        cmocka_unit_test(test_special_hundred_thousand_steps),
        cmocka_unit_test(test_special_ten_thousand_step_cycle),
        cmocka_unit_test(test_special_error_on_every_line),
        cmocka_unit_test(test_special_several_errors_one_run),
        cmocka_unit_test(test_special_missing_semicolon_at_end_of_line),
        cmocka_unit_test(test_special_every_cycle_named),
        cmocka_unit_test(test_special_out_of_memory_everywhere),
    };
    return cmocka_run_group_tests_name("special", tests, NULL, NULL);
}
