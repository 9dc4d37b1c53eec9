/*
 * main.c: the catalog job over a warehouse whose catalogue lists 12
 * tables. Each table's sub-job runs as its own element of Fetch, its
 * queries at most 3 at once (limit db = 3), and a connection reset is
 * retried for that table alone. Then a catalogue whose `events` table
 * keeps resetting: that element fails, and the failure names it.
 *
 *   catalog [DIR]   also writes the pictures DIR/definition.dot,
 *                   DIR/instance.dot and DIR/failed.dot
 */
#include "catalog.job.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const Table tables[] = {
    { "customers", 8, 12000, 0 }, { "orders", 11, 98000, 1 },   { "items", 6, 310000, 0 },
    { "invoices", 9, 45000, 0 },  { "payments", 7, 44000, 0 },  { "refunds", 7, 900, 0 },
    { "products", 14, 2600, 0 },  { "suppliers", 10, 140, 0 },  { "stock", 5, 2600, 0 },
    { "shipments", 12, 61000, 0 }, { "returns", 8, 1200, 0 },   { "events", 4, 5000000, 5 },
};
static const char *const listed[] = { "customers", "orders", "items", "invoices",
                                       "payments", "refunds", "products", "suppliers",
                                       "stock", "shipments", "returns", "events" };
#define N_TABLES (sizeof tables / sizeof *tables)
#define N_LISTED (sizeof listed / sizeof *listed)
_Static_assert(N_TABLES <= sizeof ((Warehouse *)0)->resets_left / sizeof(int),
               "a reset count per table");

/* Retries seen by the observer, from whatever thread made them. */
static struct {
    pthread_mutex_t mu;
    char lines[8][160];
    int n;
} retries = { PTHREAD_MUTEX_INITIALIZER, { { 0 } }, 0 };

static void on_retry(void *arg, const aj_step_event *ev)
{
    (void)arg;
    pthread_mutex_lock(&retries.mu);
    if (retries.n < 8)
        snprintf(retries.lines[retries.n++], sizeof retries.lines[0], "%s[%lld] attempt %u: %s",
                 ev->step, (long long)ev->element, ev->attempt, ev->message);
    pthread_mutex_unlock(&retries.mu);
}

/* DIR/NAME, with the picture of job, or of the definition if job is NULL. */
static void write_dot(catalog *job, const char *dir, const char *name)
{
    char path[512];
    FILE *f;
    int rc;

    if (dir == NULL)
        return;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((f = fopen(path, "w")) == NULL) {
        perror(path);
        return;
    }
    rc = job != NULL ? aj_instance_dot(catalog_instance(job), f, 0)
                     : aj_job_def_dot(&catalog_def, f);
    if (fclose(f) != 0 || rc != AJ_OK)
        fprintf(stderr, "%s: %s\n", path, aj_strerror(AJ_EIO));
}

static void print_stats(catalog *job)
{
    aj_array stats;
    long total;

    catalog_Fetch_output(job, &stats);
    for (size_t i = 0; i < stats.n; i++) {
        const TableStats *t = &((const TableStats *)stats.items)[i];
        printf("  %-10s %2d columns %8ld rows\n", t->name, t->columns, t->rows);
    }
    catalog_result(job, &total);
    printf("total: %ld rows in %zu tables\n", total, stats.n);
}

static int run(Warehouse *wh, const char *dir, const char *picture)
{
    aj_observer obs = { .step_retry = on_retry };
    catalog *job;
    aj_failure f;
    int rc;

    retries.n = 0;
    if ((rc = catalog_start(NULL, wh, &(aj_start_opts){ .observer = &obs }, &job)) != AJ_OK)
        return rc;
    rc = catalog_wait(job, -1);
    printf("wait: %s\n", aj_strerror(rc));
    if (rc == AJ_OK)
        print_stats(job);
    else if (aj_instance_failure(catalog_instance(job), &f) != 0)
        printf("root cause: %s after %u attempts: %s\n", f.step_name, f.attempts, f.message);
    for (int i = 0; i < retries.n; i++)
        printf("retried: %s\n", retries.lines[i]);
    printf("queries at once: %s\n",
           atomic_load(&wh->peak) <= 3 ? "never more than 3 (limit db = 3)" : "TOO MANY");
    write_dot(job, dir, picture);
    catalog_free(job);
    return rc;
}

int main(int argc, char **argv)
{
    Warehouse wh = { tables, N_TABLES, listed, N_LISTED - 1, 2, 0, 0, { 0 } };
    const char *dir = argc > 1 ? argv[1] : NULL;

    for (size_t i = 0; i < N_TABLES; i++)
        wh.resets_left[i] = tables[i].resets;
    write_dot(NULL, dir, "definition.dot");
    printf("catalogue of %zu tables:\n", wh.n_listed);
    if (run(&wh, dir, "instance.dot") != AJ_OK)
        return 1;
    wh.n_listed = N_LISTED;
    printf("catalogue of %zu tables, with events:\n", wh.n_listed);
    return run(&wh, dir, "failed.dot") == ECONNRESET ? 0 : 1;
}
