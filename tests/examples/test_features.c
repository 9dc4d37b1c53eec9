/*
 * test_features.c: runs each feature example of examples/README.md as the
 * README shows it and compares what it prints with the README's
 * transcript, byte for byte, so that the README cannot drift from the
 * programs. Then checks the files the trace example writes: its JSON
 * parses and shows every step, and so does its Mermaid chart.
 *
 * A transcript is an indented block: a line "    $ build/examples/NAME/NAME
 * [ARGS]", then the lines the program prints, up to the first line not
 * indented. "build/" stands for the build directory under test ($B).
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "json.h"
#include "shell.h"

static char *readme;

static int load_readme(void **state)
{
    (void)state;
    readme = shell_slurp("examples/README.md");
    return 0;
}

static int free_readme(void **state)
{
    (void)state;
    free(readme);
    return 0;
}

/* text with every "build/examples/" made "$B/examples/", malloc'd. */
static char *in_build_dir(const char *text, size_t len)
{
    static const char from[] = "build/examples/";
    const char *b = shell_build_dir();
    char *out = malloc(len * (strlen(b) + 2) + 1), *o = out;

    assert_non_null(out);
    for (const char *p = text; p < text + len;) {
        if ((size_t)(text + len - p) >= sizeof from - 1 && memcmp(p, from, sizeof from - 1) == 0) {
            o += sprintf(o, "%s/examples/", b);
            p += sizeof from - 1;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* The command and the output of NAME's transcript, malloc'd. */
static void transcript(const char *name, char **cmd, char **out)
{
    char head[128];
    const char *at, *end, *line;
    size_t n = (size_t)snprintf(head, sizeof head, "\n    $ build/examples/%s/%s", name, name);

    if ((at = strstr(readme, head)) == NULL || (at[n] != ' ' && at[n] != '\n'))
        fail_msg("examples/README.md has no transcript of %s", name);
    at += strlen("\n    $ ");
    end = strchr(at, '\n');
    *cmd = in_build_dir(at, (size_t)(end - at));
    /* The output: the next lines, each without its four spaces. */
    char *text = calloc(strlen(end) + 1, 1);
    assert_non_null(text);
    for (line = end + 1; strncmp(line, "    ", 4) == 0; line = strchr(line, '\n') + 1)
        strncat(text, line + 4, (size_t)(strchr(line, '\n') + 1 - (line + 4)));
    *out = in_build_dir(text, strlen(text));
    free(text);
}

static void check_example(void **state)
{
    const char *name = *state;
    char *cmd, *want, *got;

    transcript(name, &cmd, &want);
    assert_int_equal(shell_run(cmd, &got), 0);
    assert_string_equal(got, want);
    free(cmd);
    free(want);
    free(got);
}

#define EXAMPLE(name) { "test_features_" #name, check_example, NULL, NULL, (void *)#name },

/* The trace example into a directory of its own; the two files it wrote. */
static void run_trace(char **json, char **mermaid)
{
    char dir[] = "/tmp/aj-trace-XXXXXX", cmd[256], path[64], *out;

    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "%s/examples/trace/trace %s", shell_build_dir(), dir);
    assert_int_equal(shell_run(cmd, &out), 0);
    free(out);
    snprintf(path, sizeof path, "%s/trace.json", dir);
    *json = shell_slurp(path);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/timeline.mmd", dir);
    *mermaid = shell_slurp(path);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

static const char *const trace_steps[] = { "Fetch", "Resize", "Watermark", "Store" };

/* Perfetto opens the JSON only if it parses; each step has its events,
 * each instance its process. */
static void test_features_trace_files(void **state)
{
    char *json, *mermaid, want[64];
    (void)state;

    run_trace(&json, &mermaid);
    assert_true(json_valid(json));
    assert_non_null(strstr(json, "\"traceEvents\""));
    /* The three instances in one file, and dog.png's retried fetch. */
    assert_non_null(strstr(json, "\"name\":\"thumbnail cat.png\""));
    assert_non_null(strstr(json, "\"name\":\"thumbnail owl.png\""));
    assert_non_null(strstr(json, "\"cat\":\"retry wait\""));
    assert_int_equal(strncmp(mermaid, "gantt\n", 6), 0);
    for (size_t i = 0; i < sizeof trace_steps / sizeof trace_steps[0]; i++) {
        snprintf(want, sizeof want, "\"name\":\"%s\"", trace_steps[i]);
        assert_non_null(strstr(json, want));
        snprintf(want, sizeof want, "\n    section %s\n", trace_steps[i]);
        assert_non_null(strstr(mermaid, want));
    }
    free(json);
    free(mermaid);
}

/* The checker itself, on what it must take and what it must refuse. */
static void test_features_json_checker(void **state)
{
    static const char *const good[] = {
        "{}", " [ ] ", "{\"a\":[1,-2.5e+3,true,false,null,\"x\\u00e9\\n\"]}", "0", "\"\"",
    };
    static const char *const bad[] = {
        "", "{", "[1,]", "{\"a\" 1}", "{a:1}", "01", "1.", "\"\\x\"", "\"a", "[1] [2]",
        "{\"a\":1,}", "tru", "\"\t\"",
    };
    (void)state;

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(json_valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (json_valid(bad[i]))
            fail_msg("json_valid took %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        EXAMPLE(observer)
        EXAMPLE(custom_retry)
        EXAMPLE(retry_override)
        EXAMPLE(fail_fast)
        EXAMPLE(trace)
        EXAMPLE(cancel)
        EXAMPLE(take)
        EXAMPLE(own_runtime)
        EXAMPLE(event_loop)
        EXAMPLE(release)
        EXAMPLE(catalog)
        cmocka_unit_test(test_features_trace_files),
        cmocka_unit_test(test_features_json_checker),
    };
    return cmocka_run_group_tests(tests, load_readme, free_readme);
}
