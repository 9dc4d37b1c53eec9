/*
 * test_emit.c: properties of the generated text that only show when it is
 * compiled next to other code: the include guards of two job files with
 * the same base name, included into one translation unit; and how the
 * wrappers of a large job reach its outputs, which decides gcc's time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Compiles text as the .job file at path and writes its header beside it. */
static void generate_header(const char *path, const char *text)
{
    compiled c;
    char h[1024];

    compile_text(&c, path, text, strlen(text), NULL);
    if (c.rc != 0)
        fail_msg("%s: %s", path, c.diag);
    snprintf(h, sizeof h, "%s.h", path);
    write_file(h, c.out.h, c.out.h_len);
    compiled_free(&c);
}

/* The first line of the header of text as path: its #ifndef. */
static char *guard_of(const char *path, const char *text)
{
    compiled c;

    compile_text(&c, path, text, strlen(text), NULL);
    assert_int_equal(c.rc, 0);
    const char *line = strstr(c.out.h, "#ifndef ");
    assert_non_null(line);
    char *guard = strndup(line, strcspn(line, "\n"));
    compiled_free(&c);
    return guard;
}

/* A program that includes both headers and uses a job of each: it
 * compiles only if neither guard hides the other header. */
static void compile_both(const char *dir, const char *h1, const char *h2, const char *job1,
                         const char *job2)
{
    char main_c[1024], text[1024];
    snprintf(main_c, sizeof main_c, "%s/main.c", dir);
    snprintf(text, sizeof text, "#include \"%s\"\n#include \"%s\"\n\n"
             "const aj_job_def *both(int k);\n"
             "const aj_job_def *both(int k)\n{\n    return k ? &%s_def : &%s_def;\n}\n",
             h1, h2, job1, job2);
    write_file(main_c, text, strlen(text));
    char *const argv[] = { "/usr/bin/env", "gcc", "-std=c11", "-Wall", "-Wextra", "-Wpedantic",
                           "-Werror", "-Iruntime", "-fsyntax-only", main_c, NULL };
    assert_int_equal(run(argv, NULL, NULL), 0);
}

/* Two job files, at paths relative to a fresh directory (lib1/ and lib2/
 * are made there), each with one job, included together. */
static void two_job_files(const char *rel1, const char *job1, const char *rel2,
                          const char *job2)
{
    char *dir = make_tmpdir(), path[512], text[256];
    const char *const rels[] = { rel1, rel2 }, *const jobs[] = { job1, job2 };

    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/lib%d", dir, k + 1);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/%s", dir, rels[k]);
        snprintf(text, sizeof text, "job %s() { step a(); }\n", jobs[k]);
        generate_header(path, text);
    }
    snprintf(path, sizeof path, "%s.h", rel1);
    snprintf(text, sizeof text, "%s.h", rel2);
    compile_both(dir, path, text, job1, job2);
    remove_tree(dir);
    free(dir);
}

static void test_emit_same_base_name_in_two_directories(void **state)
{
    (void)state;
    two_job_files("lib1/jobs.job", "first", "lib2/jobs.job", "second");
}

static void test_emit_base_names_that_differ_in_punctuation(void **state)
{
    (void)state;
    two_job_files("a-b.job", "dash", "a_b.job", "underscore");
}

/* The guard depends on the job names, the same ones give the same guard,
 * and it keeps the file's name for whoever reads it. */
static void test_emit_guard_is_deterministic(void **state)
{
    (void)state;
    char *a = guard_of("x/jobs.job", "job first() { step a(); }\n");
    char *b = guard_of("y/jobs.job", "job first() { step a(); step b(); }\n");
    char *c = guard_of("x/jobs.job", "job First() { step a(); }\n");
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_true(strncmp(a, "#ifndef AJC_JOBS_JOB_H_", 23) == 0);
    free(a);
    free(b);
    free(c);
}

/* Wrappers reach the outputs struct, a field per step, only through casts:
 * gcc's C front end takes time in the number of fields to declare a
 * pointer to it, so one per wrapper made N steps compile in time N squared
 * (bench row G100k). */
static void test_emit_wrappers_declare_no_pointer_to_the_outputs(void **state)
{
    (void)state;
    static const char text[] = "job big(int base) {\n"
                               "    step a() -> long;\n"
                               "    step b(long x = a) -> long;\n"
                               "    step c(long x = a, long y = b) -> long;\n"
                               "}\n";
    compiled c;
    unsigned casts = 0;

    compile_text(&c, "big.job", text, strlen(text), NULL);
    assert_int_equal(c.rc, 0);
    for (const char *p = strstr(c.out.c, "big__out *"); p != NULL;
         p = strstr(p + 1, "big__out *")) {
        if (p - c.out.c < 2 || strncmp(p - 2, "((", 2) != 0)
            fail_msg("a pointer to big__out that is not a cast: %.40s", p);
        casts++;
    }
    assert_int_equal(casts, 6); /* one per input and per output */
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emit_same_base_name_in_two_directories),
        cmocka_unit_test(test_emit_base_names_that_differ_in_punctuation),
        cmocka_unit_test(test_emit_guard_is_deterministic),
        cmocka_unit_test(test_emit_wrappers_declare_no_pointer_to_the_outputs),
    };
    return cmocka_run_group_tests_name("emit", tests, NULL, NULL);
}
