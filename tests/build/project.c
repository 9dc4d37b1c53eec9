/* project.c: see project.h. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "project.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "shell.h"

static char tmp[64];

const char *project_tmp_setup(void)
{
    /* Run by make test, the makes started here would inherit its flags
     * (--no-builtin-rules among them), which a user's make does not have. */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    strcpy(tmp, "/tmp/asyncjob-build-XXXXXX");
    if (mkdtemp(tmp) == NULL)
        tmp[0] = '\0';
    return tmp;
}

int project_tmp_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) != 0;
}

int project_teardown(void **state)
{
    (void)state;
    return project_tmp_teardown();
}

int project_setup_run(const char *fmt, ...)
{
    char cmd[2048], *out;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    rc = shell_run(cmd, &out);
    if (rc != 0)
        fprintf(stderr, "%s failed:\n%s", cmd, out);
    free(out);
    return rc != 0;
}

void project_run_ok(const char *cmd)
{
    char *out;
    int rc = shell_run(cmd, &out);
    if (rc != 0)
        fail_msg("'%s' exited with %d:\n%s", cmd, rc, out);
    free(out);
}

void project_expect(const char *cmd, const char *want)
{
    char *out;
    int rc = shell_run(cmd, &out);
    if (rc != 0)
        fail_msg("'%s' exited with %d:\n%s", cmd, rc, out);
    assert_string_equal(out, want);
    free(out);
}

void project_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static const char hello_job[] =
    "include \"greeting.h\";\n"
    "job hello(const char *who) {\n"
    "    step Greet() -> Greeting;\n"
    "    step Shout(Greeting g = Greet) -> Greeting;\n"
    "    result Shout;\n"
    "}\n";

static const char greeting_h[] = "typedef struct { char text[64]; } Greeting;\n";

static const char hello_main[] =
    PROJECT_HELLO_STEPS
    "int main(void)\n"
    "{ hello *job; Greeting g;\n"
    "  if (hello_start(NULL, \"installed world\", NULL, &job) != AJ_OK) return 1;\n"
    "  int rc = hello_wait(job, -1);\n"
    "  if (rc == AJ_OK && hello_result(job, &g) == AJ_OK) puts(g.text);\n"
    "  hello_free(job); return rc != AJ_OK; }\n";

void project_hello(const char *dir)
{
    char path[512];
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/hello.job", dir), project_write(path, hello_job);
    snprintf(path, sizeof path, "%s/greeting.h", dir), project_write(path, greeting_h);
    snprintf(path, sizeof path, "%s/main.c", dir), project_write(path, hello_main);
}

const char *project_sanflags(void)
{
    static char flags[128];
    const char *san = getenv("SAN");
    if (san != NULL && *san != '\0')
        snprintf(flags, sizeof flags, "-fsanitize=%s", san);
    return flags;
}

void project_path_without(char *dir, size_t size, const char *without)
{
    char cmd[1024];
    snprintf(dir, size, "%s/bin-%ld", tmp, (long)strlen(without));
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && for f in /usr/bin/* /bin/*; do "
             "n=${f##*/}; case $n in %s) continue;; esac; "
             "[ -e %s/$n ] || ln -s $f %s/$n; done", dir, without, dir, dir);
    project_run_ok(cmd);
}

bool project_have(const char *tool, const char *package)
{
    char cmd[128], *out;
    snprintf(cmd, sizeof cmd, "command -v %s", tool);
    int rc = shell_run(cmd, &out);
    free(out);
    if (rc != 0)
        print_message("skipped: %s not found (apt-get install -y %s)\n", tool, package);
    return rc == 0;
}
