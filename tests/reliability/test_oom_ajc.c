/*
 * test_oom_ajc.c: ajc out of memory at every allocation, SQLite's way: for
 * N = 1, 2, ... until a run no longer reaches it, fail allocation N alone,
 * then N and every one after it.
 * - In memory, over every good, bad and example .job file, to C and to
 *   DOT: ajc_compile() returns 2 with "ajc: out of memory" and no output,
 *   or, when the run did not reach the failure, exactly the bytes of a
 *   clean run. Leaks are for the ASan build (make test-asan) to report.
 * - The ajc command, with an LD_PRELOAD library failing the Nth malloc of
 *   the whole process (libc's own included): exit 2 with one line
 *   "ajc: ..." that says memory ran out, and no output or temporary file;
 *   or the clean run's exit status and bytes. Never a signal. Skipped in
 *   sanitizer builds, whose allocator the library cannot stand in for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arena.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 256

static char *files[MAX_FILES];
static unsigned n_files;

static void add_dir(const char *dir, bool nested)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st;
    char path[1024];

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".job") == 0) {
            assert_true(n_files < MAX_FILES);
            files[n_files++] = strdup(path);
        } else if (nested && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            add_dir(path, false);
        }
    }
    closedir(d);
}

static int setup(void **state)
{
    (void)state;
    add_dir("tests/cases/good", true);
    add_dir("tests/cases/bad", false);
    add_dir("examples", true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    while (n_files > 0)
        free(files[--n_files]);
    return 0;
}

static bool same_output(const compiled *a, const compiled *b)
{
    const ajc_output *x = &a->out, *y = &b->out;

    return a->rc == b->rc && x->h_len == y->h_len && x->c_len == y->c_len &&
           x->dot_len == y->dot_len && (x->h == NULL) == (y->h == NULL) &&
           (x->dot == NULL) == (y->dot == NULL) &&
           (x->h == NULL || memcmp(x->h, y->h, x->h_len) == 0) &&
           (x->c == NULL || memcmp(x->c, y->c, x->c_len) == 0) &&
           (x->dot == NULL || memcmp(x->dot, y->dot, x->dot_len) == 0) &&
           a->diag_len == b->diag_len && memcmp(a->diag, b->diag, a->diag_len) == 0;
}

/* One file, one emitter, one mode; returns the allocation points. */
static long walk_in_memory(const char *path, bool dot, bool sticky)
{
    size_t len;
    char *text = read_file(path, &len);
    ajc_options o = { dot, false, false, NULL, NULL, NULL, AJC_MAX_ERRORS, false, false };
    compiled clean, c;

    compile_text(&clean, path, text, len, &o);
    for (long n = 0;; n++) {
        long failed = arena_failed_count();
        if (sticky)
            arena_fail_after(n);
        else
            arena_fail_once_after(n);
        compile_text(&c, path, text, len, &o);
        arena_fail_after(-1);
        if (arena_failed_count() == failed) {
            if (!same_output(&c, &clean))
                fail_msg("%s: a run past every failure differs from a clean one", path);
            compiled_free(&c);
            compiled_free(&clean);
            free(text);
            return n;
        }
        if (c.rc != 2 || c.out.h != NULL || c.out.c != NULL || c.out.dot != NULL ||
            c.diag_len < 19 || strcmp(c.diag + c.diag_len - 19, "ajc: out of memory\n") != 0)
            fail_msg("%s: allocation %ld failed: rc %d, messages '%s'", path, n + 1, c.rc, c.diag);
        compiled_free(&c);
    }
}

static void test_oom_ajc_in_memory_every_allocation(void **state)
{
    long points = 0;

    (void)state;
    assert_true(n_files >= 60);
    for (unsigned k = 0; k < n_files; k++) {
        for (int dot = 0; dot < 2; dot++) {
            long once = walk_in_memory(files[k], dot, false);
            /* A failure ends the compilation: both modes stop at one place. */
            assert_int_equal(walk_in_memory(files[k], dot, true), once);
            points += once;
        }
    }
    print_message("ajc in memory: %u files, %ld allocation points (C and DOT; each failed "
                  "alone, then from it on)\n", n_files, points);
    assert_true(points >= 2 * (long)n_files);
}

/* One run of the ajc command in dir, failing malloc nth (0: none). */
typedef struct cli_run {
    int status;        /* exit status; -1: killed by a signal */
    bool hit;          /* the run reached the failing malloc */
    char *out, *err;   /* stdout (the DOT text) and stderr */
    char *h, *c;       /* the outputs, NULL when not written */
    bool stray;        /* a file other than the outputs was left */
} cli_run;

static char *path_in(const char *dir, const char *name)
{
    static char buf[4][2048];
    static int next;
    char *p = buf[next++ % 4];

    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* Reads and removes what a run left in dir/out. */
static void collect(const char *dir, cli_run *r)
{
    char out[1024];
    DIR *d;
    struct dirent *e;

    snprintf(out, sizeof out, "%s/out", dir);
    d = opendir(out);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char *p = path_in(out, e->d_name);
        /* A temporary left behind starts with '.': only these two may. */
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (strcmp(e->d_name, "x.job.h") == 0)
            r->h = read_file(p, NULL);
        else if (strcmp(e->d_name, "x.job.c") == 0)
            r->c = read_file(p, NULL);
        else
            r->stray = true;
        unlink(p);
    }
    closedir(d);
}

static void run_ajc(const char *dir, bool dot, long nth, bool sticky, cli_run *r)
{
    char cwd[2048], lib[4096], num[32], out[2048], job[2048];
    const char *b = getenv("B");
    /* Copies: path_in() hands out each of its buffers again four calls on. */
    char *const argv[] = { (char *)ajc_path(), dot ? "--dot" : "--no-line", "-o",
                           strcpy(out, path_in(dir, "out")), strcpy(job, path_in(dir, "x.job")),
                           NULL };

    /* LD_PRELOAD wants the path whatever the child's directory. */
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(lib, sizeof lib, "%s/%s/tests/reliability/failmalloc.so", cwd,
             b != NULL && *b ? b : "build");
    snprintf(num, sizeof num, "%ld", nth);
    memset(r, 0, sizeof *r);
    unlink(path_in(dir, "hit"));
    setenv("LD_PRELOAD", lib, 1);
    setenv("FAILMALLOC_NTH", num, 1);
    setenv("FAILMALLOC_STICKY", sticky ? "1" : "0", 1);
    setenv("FAILMALLOC_HIT", path_in(dir, "hit"), 1);
    r->status = run(argv, path_in(dir, "stdout"), path_in(dir, "stderr"));
    unsetenv("LD_PRELOAD");
    r->hit = file_exists(path_in(dir, "hit"));
    r->out = read_file(path_in(dir, "stdout"), NULL);
    r->err = read_file(path_in(dir, "stderr"), NULL);
    collect(dir, r);
}

static void cli_run_free(cli_run *r)
{
    free(r->out);
    free(r->err);
    free(r->h);
    free(r->c);
}

static bool same_str(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Exit 2, a last line "ajc: ..." about memory, nothing left behind. */
static void check_failed_run(const cli_run *r, const char *file, long n)
{
    const char *last = r->err, *nl;
    bool memory;

    while ((nl = strchr(last, '\n')) != NULL && nl[1] != '\0')
        last = nl + 1;
    memory = strstr(last, "out of memory") != NULL || strstr(last, "Cannot allocate memory");
    if (r->status != 2 || strncmp(last, "ajc: ", 5) != 0 || !memory || r->h != NULL ||
        r->c != NULL || r->stray)
        fail_msg("%s: malloc %ld failed: exit %d, stderr '%s'%s", file, n, r->status, r->err,
                 r->h != NULL || r->c != NULL || r->stray ? ", files left" : "");
}

/* Returns the malloc calls the command made on this file. */
static long walk_cli(const char *dir, const char *file, bool dot, bool sticky, long *oom_exits)
{
    cli_run clean, r;

    run_ajc(dir, dot, 0, false, &clean);
    assert_true(clean.status == 0 || clean.status == 1);
    for (long n = 1;; n++) {
        run_ajc(dir, dot, n, sticky, &r);
        if (r.status < 0)
            fail_msg("%s: malloc %ld failed: ajc was killed by a signal", file, n);
        /* Not reached, or libc got over it (an unbuffered stream): the
         * clean run's results exactly. */
        bool as_clean = r.status == clean.status && same_str(r.out, clean.out) &&
                        same_str(r.h, clean.h) && same_str(r.c, clean.c) && !r.stray;
        if (!as_clean)
            check_failed_run(&r, file, n);
        *oom_exits += !as_clean;
        cli_run_free(&r);
        if (!r.hit) {
            cli_run_free(&clean);
            return n - 1;
        }
    }
}

static void test_oom_ajc_command_every_malloc(void **state)
{
    static const char *const cli_files[] = {
        "tests/cases/good/sql/sql.job", "examples/logstats/logstats.job",
        "tests/cases/bad/cycle_three_steps.job", "tests/cases/bad/unknown_step_input.job",
    };
    const char *san = getenv("SAN");
    char *dir;
    long points = 0, oom_exits = 0;

    (void)state;
    if (san != NULL && san[0] != '\0')
        skip();
    dir = make_tmpdir();
    assert_int_equal(mkdir(path_in(dir, "out"), 0755), 0);
    for (size_t k = 0; k < sizeof cli_files / sizeof *cli_files; k++) {
        char *text = read_file(cli_files[k], NULL);
        write_file(path_in(dir, "x.job"), text, strlen(text));
        free(text);
        for (int dot = 0; dot < 2; dot++) {
            long once = walk_cli(dir, cli_files[k], dot, false, &oom_exits);
            assert_int_equal(walk_cli(dir, cli_files[k], dot, true, &oom_exits), once);
            points += once;
        }
    }
    remove_tree(dir);
    free(dir);
    print_message("ajc command: %ld malloc calls failed in turn (4 files, C and DOT, alone "
                  "and from it on); %ld runs exited 2 for memory\n", points, oom_exits);
    assert_true(oom_exits > points / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_ajc_in_memory_every_allocation),
        cmocka_unit_test(test_oom_ajc_command_every_malloc),
    };

    return cmocka_run_group_tests_name("oom_ajc", tests, setup, teardown);
}
