/*
 * sql_lib.c: the simulated SQL library. Calls allocate small result
 * objects; a call fails when a fault injected under its key says so.
 * Calls to the server (all but the summary) block for lib->latency_ns,
 * as a synchronous client waits for its round trip.
 * Calls may come from several worker threads at once: the fault table,
 * the call counts and the log are guarded by lib->mu.
 */
#include "sql_lib.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int copy_name(char dst[SQL_NAME_MAX], const char *src)
{
    if (src == NULL || strlen(src) >= SQL_NAME_MAX)
        return SQL_ENOTFOUND;
    strcpy(dst, src);
    return 0;
}

int sql_lib_init(SqlSummaryJobLib *lib, const char *server, const char *table1,
                 const char *query1, const char *table2, const char *query2,
                 FILE *log)
{
    memset(lib, 0, sizeof *lib);
    if (copy_name(lib->server, server) || copy_name(lib->table1, table1) ||
        copy_name(lib->query1, query1) || copy_name(lib->table2, table2) ||
        copy_name(lib->query2, query2))
        return SQL_ENOTFOUND;
    lib->log = log;
    if (pthread_mutex_init(&lib->mu, NULL) != 0)
        return SQL_ENOMEM;
    return 0;
}

int sql_lib_inject(SqlSummaryJobLib *lib, SqlFault fault)
{
    if (lib->n_faults == SQL_FAULTS_MAX)
        return SQL_ENOMEM;
    lib->faults[lib->n_faults++] = fault;
    return 0;
}

void sql_lib_destroy(SqlSummaryJobLib *lib)
{
    pthread_mutex_destroy(&lib->mu);
}

/* Caller holds lib->mu. Counts one call of key; keys past SQL_KEYS_MAX are
 * not counted (the example and its tests use far fewer). */
static void count_call(SqlSummaryJobLib *lib, const char *key)
{
    for (size_t i = 0; i < lib->n_keys; i++) {
        if (strcmp(lib->keys[i].key, key) == 0) {
            lib->keys[i].calls++;
            return;
        }
    }
    if (lib->n_keys < SQL_KEYS_MAX && strlen(key) < SQL_KEY_MAX) {
        strcpy(lib->keys[lib->n_keys].key, key);
        lib->keys[lib->n_keys++].calls = 1;
    }
}

unsigned sql_lib_calls(SqlSummaryJobLib *lib, const char *key)
{
    unsigned n = 0;

    pthread_mutex_lock(&lib->mu);
    for (size_t i = 0; i < lib->n_keys; i++)
        if (strcmp(lib->keys[i].key, key) == 0)
            n = lib->keys[i].calls;
    pthread_mutex_unlock(&lib->mu);
    return n;
}

/* Logs "[Job: NAME-ID, Step: STEP] message", one whole line at a time. */
static void sql_log(SqlSummaryJobLib *lib, const aj_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (lib->log == NULL)
        return;
    pthread_mutex_lock(&lib->mu);
    fprintf(lib->log, "[Job: %s-%s, Step: %s] ", aj_ctx_job_name(ctx),
            aj_ctx_instance_id(ctx), aj_ctx_step_name(ctx));
    va_start(ap, fmt);
    vfprintf(lib->log, fmt, ap);
    va_end(ap);
    fputc('\n', lib->log);
    fflush(lib->log);
    pthread_mutex_unlock(&lib->mu);
}

/* The server's answer takes this long to come back. */
static void round_trip(const SqlSummaryJobLib *lib)
{
    struct timespec ts = { (time_t)(lib->latency_ns / 1000000000),
                           (long)(lib->latency_ns % 1000000000) };

    if (lib->latency_ns > 0)
        while (nanosleep(&ts, &ts) != 0)
            ;
}

/* Counts the call and returns the code of a fault that applies to it, 0 if
 * none; a failing call also describes itself to the step's context. */
static int consult(SqlSummaryJobLib *lib, aj_ctx *ctx, const char *key)
{
    const SqlFault *hit = NULL;

    pthread_mutex_lock(&lib->mu);
    count_call(lib, key);
    for (size_t i = 0; i < lib->n_faults && hit == NULL; i++) {
        const SqlFault *f = &lib->faults[i];
        if (strcmp(f->key, key) == 0 && (f->times == 0 || lib->fault_hits[i] < f->times)) {
            lib->fault_hits[i]++;
            hit = f;
        }
    }
    pthread_mutex_unlock(&lib->mu);
    if (hit == NULL)
        return 0;
    aj_ctx_set_message(ctx, "%s: %s", key, hit->message ? hit->message : "injected fault");
    if (hit->permanent)
        aj_ctx_set_permanent(ctx);
    sql_log(lib, ctx, "%s failed: %s", key, hit->message ? hit->message : "injected fault");
    return hit->code;
}

/* Allocates a zeroed object, reporting failure to the step's context. */
static void *sql_alloc(aj_ctx *ctx, size_t size)
{
    void *p = calloc(1, size);
    if (p == NULL)
        aj_ctx_set_message(ctx, "out of memory");
    return p;
}

int sql_get_connection(SqlSummaryJobLib *lib, aj_ctx *ctx, const char *server,
                       SqlConnection **out)
{
    SqlConnection *conn;
    int rc;

    sql_log(lib, ctx, "GetConnection to %s", server);
    round_trip(lib);
    if ((rc = consult(lib, ctx, "GetConnection")) != 0)
        return rc;
    if ((conn = sql_alloc(ctx, sizeof *conn)) == NULL)
        return SQL_ENOMEM;
    strcpy(conn->server, server);
    *out = conn;
    return 0;
}

int sql_check_auth(SqlSummaryJobLib *lib, aj_ctx *ctx)
{
    sql_log(lib, ctx, "CheckAuth");
    round_trip(lib);
    return consult(lib, ctx, "CheckAuth");
}

int sql_get_table_client(SqlSummaryJobLib *lib, aj_ctx *ctx, const SqlConnection *conn,
                         const char *table, SqlTableClient **out)
{
    char key[SQL_KEY_MAX];
    SqlTableClient *client;
    int rc;

    sql_log(lib, ctx, "GetTableClient with tableName: %s", table);
    round_trip(lib);
    snprintf(key, sizeof key, "GetTableClient.%s.%s", conn->server, table);
    if ((rc = consult(lib, ctx, key)) != 0)
        return rc;
    if ((client = sql_alloc(ctx, sizeof *client)) == NULL)
        return SQL_ENOMEM;
    strcpy(client->server, conn->server);
    strcpy(client->table, table);
    *out = client;
    return 0;
}

int sql_execute_query(SqlSummaryJobLib *lib, aj_ctx *ctx, const SqlTableClient *client,
                      const char *query, SqlQueryResult **out)
{
    char key[SQL_KEY_MAX];
    SqlQueryResult *result;
    int rc;

    sql_log(lib, ctx, "ExecuteQuery: %s", query);
    round_trip(lib);
    snprintf(key, sizeof key, "ExecuteQuery.%s.%s.%s", client->server, client->table, query);
    if ((rc = consult(lib, ctx, key)) != 0)
        return rc;
    if ((result = sql_alloc(ctx, sizeof *result)) == NULL)
        return SQL_ENOMEM;
    strcpy(result->server, client->server);
    strcpy(result->table, client->table);
    strcpy(result->query, query);
    *out = result;
    return 0;
}

int sql_summarize(SqlSummaryJobLib *lib, aj_ctx *ctx, const SqlQueryResult *r1,
                  const SqlQueryResult *r2, SummarizedResult **out)
{
    SummarizedResult *summary;
    int rc;

    sql_log(lib, ctx, "SummarizeQueryResult");
    if ((rc = consult(lib, ctx, "SummarizeQueryResult")) != 0)
        return rc;
    if ((summary = sql_alloc(ctx, sizeof *summary)) == NULL)
        return SQL_ENOMEM;
    summary->r1 = *r1;
    summary->r2 = *r2;
    *out = summary;
    return 0;
}

int sql_email_notification(SqlSummaryJobLib *lib, aj_ctx *ctx)
{
    sql_log(lib, ctx, "EmailNotification");
    round_trip(lib);
    return consult(lib, ctx, "EmailNotification");
}

int sql_disconnect(SqlSummaryJobLib *lib, aj_ctx *ctx, const SqlConnection *conn)
{
    if (conn == NULL) {
        sql_log(lib, ctx, "Close: no connection");
        return 0;
    }
    sql_log(lib, ctx, "Close %s", conn->server);
    round_trip(lib);
    return consult(lib, ctx, "Close");
}

int sql_alert(SqlSummaryJobLib *lib, aj_ctx *ctx)
{
    sql_log(lib, ctx, "Alert: the summary could not be made");
    return consult(lib, ctx, "Alert");
}

void sql_connection_free(SqlConnection *conn)
{
    free(conn);
}

void sql_table_client_free(SqlTableClient *client)
{
    free(client);
}

void sql_query_result_free(SqlQueryResult *result)
{
    free(result);
}

void sql_summarized_result_free(SummarizedResult *summary)
{
    free(summary);
}
