/*
 * test_install.c: a user's projects against `make install` into a
 * temporary prefix with a lib64 LIBDIR: static and dynamic linking, a
 * plugin (a shared library holding generated code and the static runtime,
 * loaded with dlopen), CMake's find_package and asyncjob_generate(), Meson's
 * dependency() and generator(), and `make uninstall` leaving the prefix
 * empty. A CMake or Meson test without its tool says so and is skipped.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asyncjob.h"
#include "project.h"
#include "shell.h"

static const char *tmp;
static char prefix[128], libdir[160], make_dirs[512];

/* Everything install puts, under the prefix, sorted. */
#define V AJ_VERSION_STRING
static const char installed[] =
    "bin/ajc\n"
    "include/asyncjob.h\n"
    "lib64/cmake/asyncjob/asyncjob-config-version.cmake\n"
    "lib64/cmake/asyncjob/asyncjob-config.cmake\n"
    "lib64/libasyncjob.a\n"
    "lib64/libasyncjob.so\n"
    "lib64/libasyncjob.so.0\n"
    "lib64/libasyncjob.so." V "\n"
    "lib64/pkgconfig/asyncjob.pc\n"
    "share/emacs/site-lisp/asyncjob-mode.el\n"
    "share/man/man1/ajc.1\n"
    "share/man/man3/asyncjob.3\n"
    "share/man/man7/asyncjob.7\n"
    "share/vim/vimfiles/ftdetect/asyncjob.vim\n"
    "share/vim/vimfiles/syntax/asyncjob.vim\n";

static int setup(void **state)
{
    (void)state;
    tmp = project_tmp_setup();
    if (*tmp == '\0')
        return 1;
    snprintf(prefix, sizeof prefix, "%s/prefix", tmp);
    snprintf(libdir, sizeof libdir, "%s/lib64", prefix);
    snprintf(make_dirs, sizeof make_dirs, "B=%s PREFIX=%s LIBDIR=%s", shell_build_dir(),
             prefix, libdir);
    return project_setup_run("make -s install %s 2>&1", make_dirs);
}

static void test_install_puts_exactly_these_files(void **state)
{
    char cmd[512], want[512];
    (void)state;
    snprintf(cmd, sizeof cmd, "cd %s && find . ! -type d | sed 's|^\\./||' | LC_ALL=C sort", prefix);
    project_expect(cmd, installed);
    snprintf(cmd, sizeof cmd, "PKG_CONFIG_PATH=%s/pkgconfig pkg-config --variable=ajc asyncjob",
             libdir);
    snprintf(want, sizeof want, "%s/bin/ajc\n", prefix);
    project_expect(cmd, want);
    snprintf(cmd, sizeof cmd,
             "PKG_CONFIG_PATH=%s/pkgconfig pkg-config --libs asyncjob && "
             "PKG_CONFIG_PATH=%s/pkgconfig pkg-config --static --libs asyncjob",
             libdir, libdir);
    snprintf(want, sizeof want, "-L%s -lasyncjob \n-L%s -lasyncjob -pthread \n", libdir, libdir);
    project_expect(cmd, want);
}

/* Generates hello.job's code with the installed ajc, in a project of its own. */
static void hello_generated(const char *dir)
{
    char cmd[1024];
    project_hello(dir);
    snprintf(cmd, sizeof cmd, "cd %s && %s/bin/ajc hello.job 2>&1", dir, prefix);
    project_run_ok(cmd);
}

#define PKG "PKG_CONFIG_PATH=%s/pkgconfig pkg-config"

static void test_install_static_and_dynamic_linking(void **state)
{
    char dir[256], cmd[2048];
    (void)state;
    snprintf(dir, sizeof dir, "%s/link", tmp);
    hello_generated(dir);
    /* Static: the archive by name, and the Libs.private of pkg-config. */
    snprintf(cmd, sizeof cmd,
             "cd %s && cc %s -std=c11 -Wall -Wextra -Wpedantic -Werror $(" PKG " --cflags asyncjob) "
             "-o hello-static main.c hello.job.c %s/libasyncjob.a "
             "$(" PKG " --static --libs-only-other asyncjob) 2>&1 && "
             "! objdump -p hello-static | grep -q 'NEEDED.*libasyncjob' && ./hello-static",
             dir, project_sanflags(), libdir, libdir, libdir);
    project_expect(cmd, "HELLO, INSTALLED WORLD\n");
    /* Dynamic: -lasyncjob finds the development link; the program needs
     * the soname, found through its run path. */
    snprintf(cmd, sizeof cmd,
             "cd %s && cc %s -std=c11 -Wall -Wextra -Wpedantic -Werror $(" PKG " --cflags asyncjob) "
             "-o hello-shared main.c hello.job.c $(" PKG " --libs asyncjob) -Wl,-rpath,%s 2>&1 && "
             "objdump -p hello-shared | awk '$1 == \"NEEDED\" && /asyncjob/ {print $2}' && "
             "./hello-shared",
             dir, project_sanflags(), libdir, libdir, libdir);
    project_expect(cmd, "libasyncjob.so.0\nHELLO, INSTALLED WORLD\n");
}

static const char plugin_c[] =
    PROJECT_HELLO_STEPS
    "int plugin_greet(const char *who, char *buf, size_t size);\n"
    "int plugin_greet(const char *who, char *buf, size_t size)\n"
    "{ hello *job; Greeting g; aj_runtime *rt = aj_runtime_new(NULL);\n"
    "  if (rt == NULL || hello_start(rt, who, NULL, &job) != AJ_OK) return 1;\n"
    "  int rc = hello_wait(job, -1);\n"
    "  if (rc == AJ_OK && (rc = hello_result(job, &g)) == AJ_OK) snprintf(buf, size, \"%s\", g.text);\n"
    "  hello_free(job); aj_runtime_free(rt); return rc; }\n";

static const char host_c[] =
    "#include <dlfcn.h>\n#include <stddef.h>\n#include <stdio.h>\n"
    "typedef int greet_fn(const char *, char *, size_t);\n"
    "int main(int argc, char **argv)\n"
    "{ char buf[64]; void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;\n"
    "  if (h == NULL) { fprintf(stderr, \"%s\\n\", dlerror()); return 1; }\n"
    "  greet_fn *greet; *(void **)&greet = dlsym(h, \"plugin_greet\");\n"
    "  if (greet == NULL || greet(\"plugin world\", buf, sizeof buf) != 0) return 1;\n"
    "  puts(buf); return dlclose(h); }\n";

/* The static library is position-independent. The plugin runs its job on
 * a runtime of its own, freed before it returns: the workers of the default
 * runtime would still be running the plugin's code when dlclose() unmaps
 * it. Linked with --exclude-libs,
 * as README.md advises, the plugin keeps its copy of the runtime to itself:
 * it exports its own functions, none of the runtime's. Under the
 * sanitizers, the host runs without LeakSanitizer, whose exit-time scan
 * now and then crashes in its own tracer over the thread-local storage of
 * a library dlclose() has unmapped: not what this test is about (the
 * runtime's own tests check leaks). */
static void test_install_plugin_links_generated_code_and_the_static_runtime(void **state)
{
    char dir[256], path[300], cmd[2048];
    (void)state;
    snprintf(dir, sizeof dir, "%s/plugin", tmp);
    hello_generated(dir);
    snprintf(path, sizeof path, "%s/plugin.c", dir), project_write(path, plugin_c);
    snprintf(path, sizeof path, "%s/host.c", dir), project_write(path, host_c);
    snprintf(cmd, sizeof cmd,
             "cd %s && cc %s -std=c11 -Wall -Wextra -Wpedantic -Werror -fPIC -shared "
             "$(" PKG " --cflags asyncjob) -o libhello.so plugin.c hello.job.c %s/libasyncjob.a "
             "-Wl,--exclude-libs,libasyncjob.a "
             "$(" PKG " --static --libs-only-other asyncjob) 2>&1 && "
             "cc %s -std=c11 -Wall -Wextra -Werror -o host host.c -ldl 2>&1 && "
             "ASAN_OPTIONS=detect_leaks=0 ./host ./libhello.so && "
             "nm -D --defined-only libhello.so | awk '$3 ~ /^aj_/ {n++} END {print n + 0}'",
             dir, project_sanflags(), libdir, libdir, libdir, project_sanflags());
    project_expect(cmd, "HELLO, PLUGIN WORLD\n0\n");
}

static const char cmakelists[] =
    "cmake_minimum_required(VERSION 3.13)\n"
    "project(hello C)\n"
    "find_package(asyncjob %d.%d REQUIRED)\n"
    "set(CMAKE_C_STANDARD 11)\n"
    "add_compile_options(-Wall -Wextra -Wpedantic -Werror)\n"
    "add_executable(hello main.c)\n"
    "asyncjob_generate(TARGET hello JOBS hello.job)\n"
    "target_link_libraries(hello PRIVATE asyncjob::asyncjob)\n"
    "add_executable(hello2 main.c)\n"
    "asyncjob_generate(TARGET hello2 JOBS hello.job OUT_DIR gen)\n"
    "target_link_libraries(hello2 PRIVATE asyncjob::asyncjob)\n"
    "# Last, as a failed find_package forgets asyncjob_DIR: the next minor\n"
    "# version is refused by the version file, not for want of a package.\n"
    "find_package(asyncjob 0.%d QUIET)\n"
    "if(asyncjob_FOUND OR NOT asyncjob_CONSIDERED_VERSIONS STREQUAL \"%s\")\n"
    "    message(FATAL_ERROR \"0.%d: found ${asyncjob_FOUND}, \"\n"
    "                        \"considered ${asyncjob_CONSIDERED_VERSIONS}\")\n"
    "endif()\n";

/* Sanitizer flags reach CMake and Meson through the environment. */
static const char *flags_env(void)
{
    static char env[300];
    const char *san = project_sanflags();
    snprintf(env, sizeof env, "CFLAGS='%s' LDFLAGS='%s'", san, san);
    return env;
}

static void test_install_cmake_project(void **state)
{
    char dir[256], path[300], text[2048], cmd[2048];
    (void)state;
    if (!project_have("cmake", "cmake"))
        skip();
    snprintf(dir, sizeof dir, "%s/cmake", tmp);
    project_hello(dir);
    snprintf(text, sizeof text, cmakelists, AJ_VERSION_MAJOR, AJ_VERSION_MINOR,
             AJ_VERSION_MINOR + 1, AJ_VERSION_STRING, AJ_VERSION_MINOR + 1);
    snprintf(path, sizeof path, "%s/CMakeLists.txt", dir), project_write(path, text);
    /* CMake searches lib64 only where the system uses it (not on Debian):
     * asyncjob_DIR says where the package is, as README.md tells. */
    snprintf(cmd, sizeof cmd,
             "cd %s && %s cmake -S . -B b -Dasyncjob_DIR=%s/cmake/asyncjob %s >b.log 2>&1 && "
             "cmake --build b >>b.log 2>&1 && b/hello && b/hello2 && test -f b/gen/hello.job.h "
             "|| { cat b.log; exit 1; }",
             dir, flags_env(), libdir, project_have("ninja", "ninja-build") ? "-G Ninja" : "");
    project_expect(cmd, "HELLO, INSTALLED WORLD\nHELLO, INSTALLED WORLD\n");
    /* A changed .job is compiled again, and the program with it. */
    snprintf(cmd, sizeof cmd,
             "cd %s && sed -i 's/result Shout;/result Greet;/' hello.job && "
             "{ cmake --build b >b.log 2>&1 || { cat b.log; exit 1; }; } && "
             "grep -c 'ajc hello.job' b.log && b/hello",
             dir);
    project_expect(cmd, "2\nhello, installed world\n");
    /* ASYNCJOB_USE_STATIC_LIBS: the same project on libasyncjob.a. */
    snprintf(cmd, sizeof cmd,
             "cd %s && %s cmake -S . -B s -Dasyncjob_DIR=%s/cmake/asyncjob "
             "-DASYNCJOB_USE_STATIC_LIBS=ON >s.log 2>&1 && cmake --build s >>s.log 2>&1 "
             "|| { cat s.log; exit 1; }; ! objdump -p s/hello | grep -q 'NEEDED.*asyncjob' && s/hello",
             dir, flags_env(), libdir);
    project_expect(cmd, "hello, installed world\n");
}

/* README.md's Meson recipe. */
static const char meson_build[] =
    "project('hello', 'c', default_options: ['c_std=c11', 'warning_level=3', 'werror=true'])\n"
    "asyncjob = dependency('asyncjob', version: '>=%d.%d')\n"
    "ajc = find_program(asyncjob.get_variable(pkgconfig: 'ajc'))\n"
    "jobs = generator(ajc, output: ['@PLAINNAME@.c', '@PLAINNAME@.h'],\n"
    "                 arguments: ['-o', '@BUILD_DIR@', '@INPUT@'])\n"
    "executable('hello', 'main.c', jobs.process('hello.job'), dependencies: asyncjob)\n";

static void test_install_meson_project(void **state)
{
    char dir[256], path[300], text[1024], cmd[2048];
    (void)state;
    if (!project_have("meson", "meson") || !project_have("ninja", "ninja-build"))
        skip();
    snprintf(dir, sizeof dir, "%s/meson", tmp);
    project_hello(dir);
    snprintf(text, sizeof text, meson_build, AJ_VERSION_MAJOR, AJ_VERSION_MINOR);
    snprintf(path, sizeof path, "%s/meson.build", dir), project_write(path, text);
    snprintf(cmd, sizeof cmd,
             "cd %s && export PKG_CONFIG_PATH=%s/pkgconfig && "
             "{ %s meson setup b >b.log 2>&1 && meson compile -C b >>b.log 2>&1 || "
             "{ cat b.log; exit 1; }; } && LD_LIBRARY_PATH=%s b/hello && "
             "sed -i 's/result Shout;/result Greet;/' hello.job && "
             "{ meson compile -C b >b.log 2>&1 || { cat b.log; exit 1; }; } && "
             "LD_LIBRARY_PATH=%s b/hello",
             dir, libdir, flags_env(), libdir, libdir);
    project_expect(cmd, "HELLO, INSTALLED WORLD\nhello, installed world\n");
}

/* Last: removes what setup installed. */
static void test_install_uninstall_leaves_the_prefix_empty(void **state)
{
    char cmd[1024];
    (void)state;
    snprintf(cmd, sizeof cmd, "make -s uninstall %s >/dev/null 2>&1 && find %s -mindepth 1",
             make_dirs, prefix);
    project_expect(cmd, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_puts_exactly_these_files),
        cmocka_unit_test(test_install_static_and_dynamic_linking),
        cmocka_unit_test(test_install_plugin_links_generated_code_and_the_static_runtime),
        cmocka_unit_test(test_install_cmake_project),
        cmocka_unit_test(test_install_meson_project),
        cmocka_unit_test(test_install_uninstall_leaves_the_prefix_empty),
    };
    return cmocka_run_group_tests(tests, setup, project_teardown);
}
