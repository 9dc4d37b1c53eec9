/*
 * logstats.h: tallies of web server access logs (Common Log Format), the
 * real work behind the logstats example job.
 *
 *   127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] "GET /index.html HTTP/1.1" 200 2326
 *
 * A tally counts lines, malformed lines, response bytes, responses by
 * status class and requests by path; tallies of disjoint sets of files add
 * up to the tally of their union.
 */
#ifndef LOGSTATS_H
#define LOGSTATS_H

#include <asyncjob.h>

#include <stddef.h>
#include <stdint.h>

#define LOG_TOP 5      /* paths listed in a report */

/* Codes the steps return (errno values where the system gave one). */
enum { LOG_EMALFORMED_CFG = 1000 };

/* The job input. */
typedef struct LogJob {
    const char *dir;     /* read every *.log file in it */
    const char *report;  /* write the summary here; its lock is REPORT.lock */
} LogJob;

typedef struct LogPath {
    char *path;
    uint64_t hits;
} LogPath;

typedef struct LogTally {
    uint64_t lines;
    uint64_t malformed;
    uint64_t bytes;
    uint64_t status[6];  /* [k]: responses with status k00..k99, k = 1..5 */
    size_t n_paths;      /* distinct paths */
    size_t cap;          /* slots in the open-addressing table */
    LogPath *paths;      /* cap slots; path NULL when empty */
} LogTally;

/* Lists DIR's *.log files, sorted by name, into a malloc'ed array of
 * malloc'ed paths (*paths is NULL when there are none); 0 or an errno
 * value, and then nothing is left allocated. */
int log_files_scan(const char *dir, char ***paths, size_t *n);

LogTally *log_tally_new(void);
void log_tally_free(LogTally *t);
/* Adds one file's lines to t; 0 or an errno value. */
int log_tally_file(LogTally *t, const char *path);
/* Adds src into dst; 0 or ENOMEM. */
int log_tally_add(LogTally *dst, const LogTally *src);
/* Counts one request for path; 0 or ENOMEM. */
int log_tally_count_path(LogTally *t, const char *path);
/* The hits of one path (0 if never seen). */
uint64_t log_tally_hits(const LogTally *t, const char *path);
/* The n most requested paths, most first, ties by name; returns how many. */
size_t log_tally_top(const LogTally *t, LogPath *top, size_t n);

/* Writes a report of t to path (via path.tmp and rename) while holding
 * path.lock; EWOULDBLOCK when another writer holds it. */
int log_report_write(const LogTally *t, const char *path);

/* Writes n_files synthetic logs of `lines` lines each into dir, from seed,
 * and fills *expect with their exact tally. 0 or an errno value. */
int log_generate(const char *dir, unsigned n_files, unsigned lines, uint64_t seed,
                 LogTally *expect);

#endif
