/*
 * tally.c: parsing Common Log Format lines and counting them. Paths are
 * counted in an open-addressing hash table (FNV-1a, linear probing, grown
 * at 70% load) owned by the tally.
 */
#include "logstats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LogTally *log_tally_new(void)
{
    LogTally *t = calloc(1, sizeof *t);

    if (t == NULL)
        return NULL;
    t->cap = 64;
    t->paths = calloc(t->cap, sizeof *t->paths);
    if (t->paths == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void log_tally_free(LogTally *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->paths[i].path);
    free(t->paths);
    free(t);
}

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

/* The slot holding path, or the empty slot where it belongs. */
static LogPath *slot_for(LogPath *paths, size_t cap, const char *path, size_t len)
{
    size_t i = (size_t)fnv1a(path, len) & (cap - 1);

    while (paths[i].path != NULL &&
           (strncmp(paths[i].path, path, len) != 0 || paths[i].path[len] != '\0'))
        i = (i + 1) & (cap - 1);
    return &paths[i];
}

static int grow(LogTally *t)
{
    size_t cap = t->cap * 2;
    LogPath *paths = calloc(cap, sizeof *paths);

    if (paths == NULL)
        return ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->paths[i].path != NULL)
            *slot_for(paths, cap, t->paths[i].path, strlen(t->paths[i].path)) = t->paths[i];
    free(t->paths);
    t->paths = paths;
    t->cap = cap;
    return 0;
}

/* Adds hits to path (len bytes, not NUL-terminated). */
static int add_hits(LogTally *t, const char *path, size_t len, uint64_t hits)
{
    LogPath *slot;

    if ((t->n_paths + 1) * 10 > t->cap * 7 && grow(t) != 0)
        return ENOMEM;
    slot = slot_for(t->paths, t->cap, path, len);
    if (slot->path == NULL) {
        if ((slot->path = malloc(len + 1)) == NULL)
            return ENOMEM;
        memcpy(slot->path, path, len);
        slot->path[len] = '\0';
        t->n_paths++;
    }
    slot->hits += hits;
    return 0;
}

int log_tally_count_path(LogTally *t, const char *path)
{
    return add_hits(t, path, strlen(path), 1);
}

/* Reads an unsigned decimal number at *p, advancing past it. */
static bool parse_number(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    if (s == end || *s < '0' || *s > '9')
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    *p = s;
    *out = v;
    return true;
}

/* Counts one line [s, end); a line that does not parse counts as malformed. */
static int tally_line(LogTally *t, const char *s, const char *end)
{
    const char *req = memchr(s, '"', (size_t)(end - s)), *path, *path_end, *q;
    uint64_t status, bytes = 0;

    t->lines++;
    if (req == NULL || (path = memchr(req, ' ', (size_t)(end - req))) == NULL)
        goto malformed;
    path++;
    if ((path_end = memchr(path, ' ', (size_t)(end - path))) == NULL ||
        (q = memchr(path_end, '"', (size_t)(end - path_end))) == NULL || end - q < 6)
        goto malformed;
    q += 2;
    if (!parse_number(&q, end, &status) || status < 100 || status > 599 || *q++ != ' ')
        goto malformed;
    if (!(q < end && *q == '-') && !parse_number(&q, end, &bytes))
        goto malformed;
    t->status[status / 100]++;
    t->bytes += bytes;
    return add_hits(t, path, (size_t)(path_end - path), 1);
malformed:
    t->malformed++;
    return 0;
}

int log_tally_file(LogTally *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;

    if (f == NULL)
        return errno;
    errno = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0)
        rc = tally_line(t, line, line + len - (line[len - 1] == '\n'));
    /* getline's errno says why reading stopped (EISDIR for a directory). */
    if (rc == 0 && ferror(f))
        rc = errno != 0 ? errno : EIO;
    free(line);
    fclose(f);
    return rc;
}

int log_tally_add(LogTally *dst, const LogTally *src)
{
    dst->lines += src->lines;
    dst->malformed += src->malformed;
    dst->bytes += src->bytes;
    for (size_t k = 0; k < 6; k++)
        dst->status[k] += src->status[k];
    for (size_t i = 0; i < src->cap; i++) {
        const LogPath *p = &src->paths[i];
        if (p->path != NULL && add_hits(dst, p->path, strlen(p->path), p->hits) != 0)
            return ENOMEM;
    }
    return 0;
}

uint64_t log_tally_hits(const LogTally *t, const char *path)
{
    const LogPath *slot = slot_for(t->paths, t->cap, path, strlen(path));
    return slot->path != NULL ? slot->hits : 0;
}

/* More hits first, then by name. */
static bool ranks_before(const LogPath *a, const LogPath *b)
{
    return a->hits != b->hits ? a->hits > b->hits : strcmp(a->path, b->path) < 0;
}

size_t log_tally_top(const LogTally *t, LogPath *top, size_t n)
{
    size_t have = 0;

    for (size_t i = 0; i < t->cap; i++) {
        const LogPath *p = &t->paths[i];
        size_t j;
        if (p->path == NULL)
            continue;
        /* Insertion into the short sorted list top[0..have). */
        for (j = have; j > 0 && ranks_before(p, &top[j - 1]); j--)
            if (j < n)
                top[j] = top[j - 1];
        if (j < n) {
            top[j] = *p;
            if (have < n)
                have++;
        }
    }
    return have;
}
