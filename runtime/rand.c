/*
 * rand.c: random numbers for instance ids and retry jitter. Each thread has
 * its own xoshiro256** state, seeded once from getrandom() (or
 * /dev/urandom), so that starting an instance costs no system call.
 */
#include "aj_base.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

static _Thread_local uint64_t state[4];
static _Thread_local bool seeded;

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* In a child of fork(), the forking thread's generator is its parent's:
 * seeded again, so that the two make different instance ids. */
static void after_fork(void)
{
    seeded = false;
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void watch_fork(void)
{
    (void)pthread_atfork(NULL, NULL, after_fork);
}

/* Kernel entropy, mixed with the clock and the state's address so that two
 * threads differ even if the kernel gave nothing. */
static void seed(void)
{
    uint64_t s = 0;
    uint64_t mix = (uint64_t)aj_now_ns() ^ (uint64_t)(uintptr_t)&state;

    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s) {
        int fd = open("/dev/urandom", O_RDONLY);
        if (fd >= 0) {
            if (read(fd, &s, sizeof s) != (ssize_t)sizeof s)
                s = 0;
            close(fd);
        }
    }
    s ^= mix;
    for (int i = 0; i < 4; i++)
        state[i] = splitmix64(&s);
    seeded = true;
    pthread_once(&fork_once, watch_fork);
}


uint64_t aj__rand64(void)
{
    uint64_t result, t;

    if (!seeded)
        seed();
    result = rotl(state[1] * 5, 7) * 9;
    t = state[1] << 17;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= t;
    state[3] = rotl(state[3], 45);
    return result;
}

void aj__uuid_v4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    uint64_t hi = aj__rand64(), lo = aj__rand64();
    int k = 0;

    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (8 * i));
        b[8 + i] = (unsigned char)(lo >> (8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);  /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    out[k] = '\0';
}
