/*
 * main.c: runs one instance of the sql_summary job, prints its step log
 * and its result, then a DOT picture of the finished instance, or, given a
 * file name, writes the picture there instead (make run turns it into an
 * SVG).
 */
#include "sql_summary.job.h"

#include <stdlib.h>

static int write_dot(sql_summary *job, const char *path)
{
    FILE *f = fopen(path, "w");
    int rc;

    if (f == NULL) {
        perror(path);
        return 1;
    }
    rc = aj_instance_dot(sql_summary_instance(job), f, 0);
    if (fclose(f) != 0 || rc != AJ_OK) {
        fprintf(stderr, "%s: %s\n", path, aj_strerror(AJ_EIO));
        return 1;
    }
    return 0;
}

static void print_result(sql_summary *job)
{
    Summary summary;

    if (sql_summary_result(job, &summary) != AJ_OK)
        return;
    printf("result: %s/%s/%s and %s/%s/%s\n", summary->r1.server, summary->r1.table,
           summary->r1.query, summary->r2.server, summary->r2.table, summary->r2.query);
}

static void print_failure(sql_summary *job)
{
    aj_failure f;

    if (aj_instance_failure(sql_summary_instance(job), &f) == 0)
        return;
    printf("failed: step %s, code %d (%s), %u attempt(s): %s\n",
           f.step_name ? f.step_name : "-", f.code, aj_strerror(f.code), f.attempts,
           f.message);
}

int main(int argc, char **argv)
{
    SqlSummaryJobLib lib;
    sql_summary *job;
    int rc;

    if (sql_lib_init(&lib, "server1", "table1", "query1", "table2", "query2", stdout) != 0)
        return 1;
    lib.latency_ns = 2000000; /* a 2 ms round trip to the server */
    rc = sql_summary_start(NULL, &lib, NULL, &job);
    if (rc != AJ_OK) {
        fprintf(stderr, "sql_summary: cannot start: %s\n", aj_strerror(rc));
        return 1;
    }
    rc = sql_summary_wait(job, -1);
    printf("wait: %s\n", aj_strerror(rc));
    print_result(job);
    print_failure(job);
    if (argc < 2)
        aj_instance_dot(sql_summary_instance(job), stdout, 0);
    else if (write_dot(job, argv[1]) != 0)
        rc = 1;
    sql_summary_free(job);
    sql_lib_destroy(&lib);
    return rc == AJ_OK ? 0 : 1;
}
