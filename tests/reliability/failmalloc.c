/*
 * failmalloc.c: an LD_PRELOAD library for the ajc command's out-of-memory
 * tests. With FAILMALLOC_NTH=N in the environment, the Nth call to malloc,
 * calloc or realloc of the process fails (ENOMEM), and with
 * FAILMALLOC_STICKY=1 every call after it fails too. When it fails a call
 * it creates the file FAILMALLOC_HIT names, so that the test knows whether
 * the run reached the failure. Calls from libc count as well (fopen,
 * stdio buffers, open_memstream): glibc routes its own allocations through
 * the malloc the program sees.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

static long fail_at;      /* 0: never */
static bool sticky;
static long calls;
static const char *hit_path;

__attribute__((constructor)) static void failmalloc_init(void)
{
    const char *n = getenv("FAILMALLOC_NTH"), *s = getenv("FAILMALLOC_STICKY");

    hit_path = getenv("FAILMALLOC_HIT");
    sticky = s != NULL && s[0] == '1';
    fail_at = n != NULL ? strtol(n, NULL, 10) : 0;
    calls = 0;
}

static bool fail_now(void)
{
    if (fail_at <= 0)
        return false;
    calls++;
    if (calls < fail_at || (calls > fail_at && !sticky))
        return false;
    if (calls == fail_at && hit_path != NULL) {
        int fd = open(hit_path, O_WRONLY | O_CREAT, 0644);
        if (fd >= 0)
            close(fd);
    }
    errno = ENOMEM;
    return true;
}

void *malloc(size_t size)
{
    return fail_now() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    return fail_now() ? NULL : __libc_realloc(p, size);
}
