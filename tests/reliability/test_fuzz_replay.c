/*
 * test_fuzz_replay.c: the fuzz target's rules (fuzz/fuzz_check.c), in the
 * normal build: on every input the fuzzer ever broke (tests/cases/fuzz/,
 * one cmocka test each) and on the inputs the corpus is seeded from (the
 * examples and the good and bad cases), so a rule that the catalogue
 * itself breaks shows here before any fuzzing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fuzz_check.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf;
    long size;

    if (fp == NULL)
        fail_msg("cannot read %s", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    *len = (size_t)size;
    return buf;
}

static void replay(const char *path)
{
    size_t len;
    uint8_t *data = slurp(path, &len);
    const char *bad = fuzz_check(data, len);

    free(data);
    if (bad != NULL)
        fail_msg("%s: %s", path, bad);
}

static void check_case(void **state)
{
    replay(*state);
}

/* Every *.job under dir (one level of subdirectories too); the count. */
static unsigned replay_dir(const char *dir, bool nested)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    unsigned n = 0;
    char path[1024];

    if (d == NULL) {
        fail_msg("cannot open %s", dir);
        return 0; /* not reached: for the analyzer, which cannot tell */
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".job") == 0) {
            replay(path);
            n++;
        } else if (nested) {
            DIR *sub = opendir(path);
            if (sub != NULL) {
                closedir(sub);
                n += replay_dir(path, false);
            }
        }
    }
    closedir(d);
    return n;
}

static void test_fuzz_replay_seed_inputs(void **state)
{
    (void)state;
    assert_true(replay_dir("tests/cases/bad", false) >= 50);
    assert_true(replay_dir("tests/cases/good", true) >= 2);
    assert_true(replay_dir("examples", true) >= 2);
    assert_true(replay_dir("tests/examples/defs", false) >= 3);
}

/* The empty input and a lone byte of each value: the smallest inputs. */
static void test_fuzz_replay_tiny_inputs(void **state)
{
    (void)state;
    assert_null(fuzz_check((const uint8_t *)"", 0));
    for (unsigned b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        const char *bad = fuzz_check(&byte, 1);
        if (bad != NULL)
            fail_msg("byte 0x%02x: %s", b, bad);
    }
}

#define CASE(name) { #name, check_case, NULL, NULL, "tests/cases/fuzz/" #name ".job" },
static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fuzz_replay_seed_inputs),
    cmocka_unit_test(test_fuzz_replay_tiny_inputs),
#include "fuzz_cases.inc" /* written by make: one CASE(stem) per regression input */
};
#undef CASE

int main(void)
{
    (void)check_case; /* the regression list may be empty */
    return cmocka_run_group_tests_name("fuzz_replay", tests, NULL, NULL);
}
