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

void log_files_free(LogFiles *files)
{
    if (files == NULL)
        return;
    for (size_t i = 0; i < files->n; i++)
        free(files->paths[i]);
    free(files->paths);
    free(files);
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

/* Appends dir/name to files, growing its array by doubling. */
static int push_path(LogFiles *files, size_t *cap, const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);

    if (path == NULL)
        return ENOMEM;
    snprintf(path, len, "%s/%s", dir, name);
    if (files->n == *cap) {
        size_t grown = *cap ? *cap * 2 : 16;
        char **paths = realloc(files->paths, grown * sizeof *paths);
        if (paths == NULL) {
            free(path);
            return ENOMEM;
        }
        files->paths = paths;
        *cap = grown;
    }
    files->paths[files->n++] = path;
    return 0;
}

int log_files_scan(const char *dir, LogFiles **out)
{
    LogFiles *files = calloc(1, sizeof *files);
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 0;
    int rc = 0;

    if (files == NULL || d == NULL) {
        rc = files == NULL ? ENOMEM : errno;
        goto done;
    }
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (is_log(e->d_name))
            rc = push_path(files, &cap, dir, e->d_name);
    if (rc == 0 && files->n > 0)
        qsort(files->paths, files->n, sizeof *files->paths, by_name);
done:
    if (d != NULL)
        closedir(d);
    if (rc != 0) {
        log_files_free(files);
        files = NULL;
    }
    *out = files;
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
