/*
 * test_output.c: output that cannot be written.
 * - The ajc command writing its C output into a read-only directory, onto
 *   a full device (/dev/full, reached through the temporary file's path),
 *   into a path that is not a directory, and printing DOT, --help or
 *   --version to a full or closed stdout: exit 2, one line "ajc: ..." with
 *   the reason, no output or temporary file left, older outputs intact.
 * - The runtime's pictures (definition and instance DOT, trace JSON,
 *   Mermaid) written to a stream that fails after k bytes, for every k
 *   short of the whole text, buffered and unbuffered: AJ_EIO every time;
 *   with room for all of it, AJ_OK and the same text as before.
 */
#define _GNU_SOURCE /* fopencookie */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "tjob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char job_text[] = "job j(int seed) {\n    step A() -> int;\n"
                               "    step B(int a = A) -> long;\n    result B;\n}\n";

static int setup(void **state)
{
    *state = cli_fixture_new(job_text);
    return 0;
}

static int teardown(void **state)
{
    cli_fixture_free(*state);
    return 0;
}

/* Exit 2, and stderr is one line "ajc: ..." holding what. */
static void fails_with(const cli_fixture *f, int status, const char *what)
{
    if (status != 2)
        fail_msg("want exit 2 and one line with '%s'; got %d", what, status);
    cli_one_line_reason(f, what);
}

/* chmod does not stop root: make the directory immutable instead. */
static bool make_read_assert_dir_holds(const char *dir, bool on)
{
    char *const argv[] = { "/usr/bin/chattr", on ? "+i" : "-i", (char *)dir, NULL };
    bool root = geteuid() == 0;

    if (root && !on && run(argv, NULL, NULL) != 0)
        return false;
    if (chmod(dir, on ? 0555 : 0755) != 0)
        return false;
    return !root || !on || (access(argv[0], X_OK) == 0 && run(argv, NULL, NULL) == 0);
}

static void test_output_read_only_directory(void **state)
{
    cli_fixture *f = *state;
    char *ro = cli_in_dir(f, "ro");
    int status;

    assert_int_equal(mkdir(ro, 0755), 0);
    if (!make_read_assert_dir_holds(ro, true))
        skip(); /* root, and no chattr or a file system without +i */
    status = cli_ajc(f, "-o", ro, f->job, NULL);
    assert_true(make_read_assert_dir_holds(ro, false));
    fails_with(f, status, "cannot write");
    assert_dir_holds(ro, "");
}

/* The temporary file's path leads to /dev/full: the write fails for want
 * of space, at fflush. Header first, then the source. */
static void test_output_full_device(void **state)
{
    cli_fixture *f = *state;
    static const char *const tmps[] = { "j.job.h.tmp", "j.job.c.tmp" };

    for (int k = 0; k < 2; k++) {
        write_file(cli_in_dir(f, "j.job.h"), "old\n", 4);
        assert_int_equal(symlink("/dev/full", cli_in_dir(f, tmps[k])), 0);
        fails_with(f, cli_ajc(f, f->job, NULL, NULL, NULL), "No space left on device");
        char *h = read_file(cli_in_dir(f, "j.job.h"), NULL);
        assert_string_equal(h, "old\n"); /* the old output stands */
        free(h);
        assert_false(file_exists(cli_in_dir(f, "j.job.c")));
        assert_false(file_exists(cli_in_dir(f, tmps[0])));
        assert_false(file_exists(cli_in_dir(f, tmps[1])));
        unlink(cli_in_dir(f, "j.job.h"));
    }
}

static void test_output_not_a_directory(void **state)
{
    cli_fixture *f = *state;

    fails_with(f, cli_ajc(f, "-o", "/dev/full", f->job, NULL), "Not a directory");
    fails_with(f, cli_ajc(f, "-o", f->job, f->job, NULL), "Not a directory");
    assert_dir_holds(f->dir, "j.job stderr stdout ");
}

/* stdout is /dev/full, or closed. */
static int ajc_to(const cli_fixture *f, const char *out, const char *a, const char *b)
{
    fflush(NULL);
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        if (freopen(f->err, "w", stderr) == NULL)
            _exit(127);
        if (out == NULL)
            close(STDOUT_FILENO);
        else if (freopen(out, "w", stdout) == NULL)
            _exit(127);
        execl(ajc_path(), ajc_path(), a, b, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_output_stdout_full_or_closed(void **state)
{
    cli_fixture *f = *state;

    fails_with(f, ajc_to(f, "/dev/full", "--dot", f->job), "cannot write the DOT output");
    fails_with(f, ajc_to(f, NULL, "--dot", f->job), "Bad file descriptor");
    fails_with(f, ajc_to(f, "/dev/full", "--help", NULL), "No space left on device");
    fails_with(f, ajc_to(f, "/dev/full", "--version", NULL), "No space left on device");
    assert_dir_holds(f->dir, "j.job stderr ");
}

/* ------------------------------------------------------------------------ */
/* Runtime pictures on a stream that fails after k bytes                   */

typedef struct sink {
    char *buf;
    size_t len, room;  /* bytes kept; bytes it takes before failing */
} sink;

static ssize_t sink_write(void *cookie, const char *data, size_t n)
{
    sink *k = cookie;
    size_t left = k->room - k->len;

    if (n <= left) {
        memcpy(k->buf + k->len, data, n);
        k->len += n;
        return (ssize_t)n;
    }
    /* Keeps what fits, then fails as a full disk does. */
    memcpy(k->buf + k->len, data, left);
    k->len += left;
    errno = ENOSPC;
    return left > 0 ? (ssize_t)left : -1;
}

typedef int (*draw_fn)(aj_instance *inst, const aj_job_def *def, FILE *out);

static int draw_def(aj_instance *inst, const aj_job_def *def, FILE *out)
{
    (void)inst;
    return aj_job_def_dot(def, out);
}

static int draw_dot(aj_instance *inst, const aj_job_def *def, FILE *out)
{
    (void)def;
    return aj_instance_dot(inst, out, AJ_DOT_NO_TIMES);
}

static int draw_trace(aj_instance *inst, const aj_job_def *def, FILE *out)
{
    (void)def;
    return aj_instance_trace_json(inst, out);
}

static int draw_mermaid(aj_instance *inst, const aj_job_def *def, FILE *out)
{
    (void)def;
    return aj_instance_mermaid(inst, out);
}

/* One picture into a stream taking room bytes; buffer 0: unbuffered. */
static int draw_into(draw_fn draw, aj_instance *inst, const aj_job_def *def, sink *k,
                     size_t buffer)
{
    cookie_io_functions_t io = { NULL, sink_write, NULL, NULL };
    FILE *fp = fopencookie(k, "w", io);
    int rc;

    assert_non_null(fp);
    assert_int_equal(setvbuf(fp, NULL, buffer > 0 ? _IOFBF : _IONBF, buffer), 0);
    k->len = 0;
    rc = draw(inst, def, fp);
    fclose(fp);
    return rc;
}

/* Every k short of the whole text fails with AJ_EIO; the whole fits. */
static size_t every_cut(draw_fn draw, aj_instance *inst, const aj_job_def *def)
{
    sink whole = { malloc(1 << 20), 0, 1 << 20 }, cut;
    size_t len;

    assert_non_null(whole.buf);
    assert_int_equal(draw_into(draw, inst, def, &whole, 4096), AJ_OK);
    len = whole.len;
    assert_true(len > 0);
    cut.buf = malloc(len);
    assert_non_null(cut.buf);
    for (size_t room = 0; room < len; room++) {
        for (size_t buffer = 0; buffer <= 64; buffer += 64) {
            cut.room = room;
            if (draw_into(draw, inst, def, &cut, buffer) != AJ_EIO)
                fail_msg("a stream failing after %zu of %zu bytes (buffer %zu) was not AJ_EIO",
                         room, len, buffer);
        }
    }
    cut.room = len;
    assert_int_equal(draw_into(draw, inst, def, &cut, 0), AJ_OK);
    assert_memory_equal(cut.buf, whole.buf, len);
    free(cut.buf);
    free(whole.buf);
    return len;
}

static void test_output_pictures_fail_at_every_byte(void **state)
{
    static const draw_fn draws[] = { draw_def, draw_dot, draw_trace, draw_mermaid };
    tj_inputs in;
    aj_start_opts o = { .sequential = true, .instance_id = "cut" };
    aj_instance *inst;
    size_t bytes = 0;

    (void)state;
    seed_setup(NULL);
    in.run = seed_run;
    seed_run->behave[SEED_QUERY2].fails = -1; /* failed and skipped steps too */
    assert_int_equal(aj_instance_start(NULL, &seed_job->def, &in, &o, &inst), AJ_OK);
    assert_int_equal(aj_instance_wait(inst, -1), -7);
    for (size_t d = 0; d < sizeof draws / sizeof *draws; d++)
        bytes += every_cut(draws[d], inst, &seed_job->def);
    print_message("pictures: %zu bytes, each a failure point, buffered and unbuffered\n", bytes);
    aj_instance_free(inst);
    seed_teardown(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output_read_only_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_full_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_not_a_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_stdout_full_or_closed, setup, teardown),
        cmocka_unit_test(test_output_pictures_fail_at_every_byte),
    };

    return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
