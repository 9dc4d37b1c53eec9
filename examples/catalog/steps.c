/*
 * steps.c: the catalog job's steps against the simulated warehouse. A
 * query sleeps a round trip while it counts itself inside the server;
 * table_stats' steps get the session and the table's name (the sub-job's
 * inputs) whatever element of Fetch they run for.
 */
#include "catalog.job.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void session_close(DbSession *s)
{
    free(s);
}

static void round_trip(Warehouse *wh)
{
    struct timespec t = { 0, wh->round_trip_ms * 1000000L };
    nanosleep(&t, NULL);
}

/* A query: inside the server for one round trip. */
static void query(Warehouse *wh)
{
    int now = atomic_fetch_add(&wh->inside, 1) + 1;
    int peak = atomic_load(&wh->peak);

    while (now > peak && !atomic_compare_exchange_weak(&wh->peak, &peak, now))
        ;
    round_trip(wh);
    atomic_fetch_sub(&wh->inside, 1);
}

/* A query about one table: its row in the warehouse, or NULL once the
 * step's message says there is none (the step then fails for good). */
static const Table *query_table(aj_ctx *ctx, Session s, TableName table, size_t *at)
{
    query(s->wh);
    for (size_t i = 0; i < s->wh->n_tables; i++)
        if (strcmp(s->wh->tables[i].name, table) == 0) {
            *at = i;
            return &s->wh->tables[i];
        }
    aj_ctx_set_message(ctx, "no table '%s' in the warehouse", table);
    aj_ctx_set_permanent(ctx);
    return NULL;
}

int catalog_Connect(aj_ctx *ctx, Warehouse *wh, Session *out)
{
    (void)ctx;
    round_trip(wh);
    if ((*out = malloc(sizeof **out)) == NULL)
        return ENOMEM;
    (*out)->wh = wh;
    return 0;
}

int catalog_ListTables(aj_ctx *ctx, Warehouse *wh, Session s, TableName **out, size_t *n_out)
{
    (void)ctx, (void)s;
    round_trip(wh);
    *out = malloc(wh->n_listed * sizeof **out);
    if (*out == NULL && wh->n_listed > 0)
        return ENOMEM;
    for (size_t i = 0; i < wh->n_listed; i++)
        (*out)[i] = wh->listed[i];
    *n_out = wh->n_listed;
    return 0;
}

int table_stats_Describe(aj_ctx *ctx, Session s, TableName table, int *out)
{
    size_t at;
    const Table *t = query_table(ctx, s, table, &at);

    if (t == NULL)
        return ENOENT;
    *out = t->columns;
    return 0;
}

int table_stats_Count(aj_ctx *ctx, Session s, TableName table, int columns, TableStats *out)
{
    size_t at;
    const Table *t = query_table(ctx, s, table, &at);

    if (t == NULL)
        return ENOENT;
    if (atomic_fetch_sub(&s->wh->resets_left[at], 1) > 0) {
        aj_ctx_set_message(ctx, "connection reset while counting %s", table);
        return ECONNRESET;
    }
    *out = (TableStats){ table, columns, t->rows };
    return 0;
}

int catalog_Report(aj_ctx *ctx, Warehouse *wh, const TableStats *tables, size_t n_tables,
                   long *out)
{
    long total = 0;

    (void)ctx, (void)wh;
    for (size_t i = 0; i < n_tables; i++)
        total += tables[i].rows;
    *out = total;
    return 0;
}
