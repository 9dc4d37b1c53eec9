/*
 * logio.c: the file side of logstats: listing a directory's logs, writing
 * a report atomically under a lock, and generating synthetic logs whose
 * exact tally is known, for the example's demonstration and its tests.
 */
#define _DEFAULT_SOURCE /* flock(): a lock that two opens in one process contend for */
#include "logstats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* A growing list of paths. */
typedef struct path_list {
    char **items;
    size_t n, cap;
} path_list;

static void path_list_clear(path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    *l = (path_list){ 0 };
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_log(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".log") == 0;
}

/* Appends dir/name to l, growing its array by doubling. */
static int push_path(path_list *l, const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);

    if (path == NULL)
        return ENOMEM;
    snprintf(path, len, "%s/%s", dir, name);
    if (l->n == l->cap) {
        size_t grown = l->cap ? l->cap * 2 : 16;
        char **items = realloc(l->items, grown * sizeof *items);
        if (items == NULL) {
            free(path);
            return ENOMEM;
        }
        l->items = items;
        l->cap = grown;
    }
    l->items[l->n++] = path;
    return 0;
}

int log_files_scan(const char *dir, char ***paths, size_t *n)
{
    path_list l = { 0 };
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = d == NULL ? errno : 0;

    while (rc == 0 && (e = readdir(d)) != NULL)
        if (is_log(e->d_name))
            rc = push_path(&l, dir, e->d_name);
    if (d != NULL)
        closedir(d);
    if (rc != 0)
        path_list_clear(&l);
    else if (l.n > 0)
        qsort(l.items, l.n, sizeof *l.items, by_name);
    *paths = l.items;
    *n = l.n;
    return rc;
}

static int write_report(FILE *f, const LogTally *t)
{
    LogPath top[LOG_TOP];
    size_t n = log_tally_top(t, top, LOG_TOP);

    fprintf(f, "lines      %llu\nmalformed  %llu\nbytes      %llu\n",
            (unsigned long long)t->lines, (unsigned long long)t->malformed,
            (unsigned long long)t->bytes);
    for (int k = 1; k <= 5; k++)
        fprintf(f, "status %dxx %llu\n", k, (unsigned long long)t->status[k]);
    fprintf(f, "paths      %zu\n", t->n_paths);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "top        %s %llu\n", top[i].path, (unsigned long long)top[i].hits);
    return ferror(f) ? EIO : 0;
}

/* Writes path.tmp and renames it over path; removes the temporary on error. */
static int write_atomically(const LogTally *t, const char *path, const char *tmp)
{
    FILE *f = fopen(tmp, "w");
    int rc;

    if (f == NULL)
        return errno;
    rc = write_report(f, t);
    if (fclose(f) != 0 && rc == 0)
        rc = errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = errno;
    if (rc != 0)
        remove(tmp);
    return rc;
}

int log_report_write(const LogTally *t, const char *path)
{
    size_t len = strlen(path) + sizeof ".lock";
    char *lock = malloc(len), *tmp = malloc(len);
    int fd = -1, rc = 0;

    if (lock == NULL || tmp == NULL) {
        rc = ENOMEM;
        goto done;
    }
    snprintf(lock, len, "%s.lock", path);
    snprintf(tmp, len, "%s.tmp", path);
    if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        rc = errno;
        goto done;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno; /* EWOULDBLOCK: another writer has it, worth a retry */
        goto done;
    }
    rc = write_atomically(t, path, tmp);
done:
    if (fd >= 0)
        close(fd); /* releases the lock */
    free(lock);
    free(tmp);
    return rc;
}
