/*
 * sql_lib.h: a simulated SQL library for the sql_summary example.
 *
 * It stands in for a real database client the way go-asyncjob's tests do:
 * connections, table clients, query results and a summary, each a small
 * heap object, with failures injected by key so that tests can make any
 * call fail a given number of times. Every call logs one line through the
 * step's context: [Job: NAME-INSTANCE_ID, Step: STEP] message.
 */
#ifndef SQL_LIB_H
#define SQL_LIB_H

#include <asyncjob.h>

#include <pthread.h>
#include <stdio.h>

#define SQL_NAME_MAX 64

/* Codes the library returns; a step passes them on unchanged. */
enum {
    SQL_ENOTFOUND = 1, /* no such server or table */
    SQL_EAUTH = 2,     /* authentication refused */
    SQL_EQUERY = 3,    /* the query failed */
    SQL_ENOMEM = 4     /* out of memory */
};

/* Makes the call named key fail with code: the first `times` calls, or
 * every call when times is 0. Keys, as in go-asyncjob's tests:
 * "GetConnection", "CheckAuth", "GetTableClient.SERVER.TABLE",
 * "ExecuteQuery.SERVER.TABLE.QUERY", "SummarizeQueryResult",
 * "EmailNotification", "Close", "Alert". */
typedef struct SqlFault {
    const char *key;
    int code;
    unsigned times;
    const char *message; /* attached to the step's failure */
    bool permanent;      /* not worth retrying */
} SqlFault;

#define SQL_FAULTS_MAX 8
#define SQL_KEYS_MAX 16
#define SQL_KEY_MAX (4 * SQL_NAME_MAX)

/* The job input: parameters, injected faults, the log and call counts. */
typedef struct SqlSummaryJobLib {
    char server[SQL_NAME_MAX];
    char table1[SQL_NAME_MAX];
    char query1[SQL_NAME_MAX];
    char table2[SQL_NAME_MAX];
    char query2[SQL_NAME_MAX];
    FILE *log;                        /* NULL: no log */
    int64_t latency_ns;               /* every call to the server waits this
                                         long, as a round trip would; 0: none */
    size_t n_faults;
    SqlFault faults[SQL_FAULTS_MAX];
    pthread_mutex_t mu;               /* guards the counters below and log */
    unsigned fault_hits[SQL_FAULTS_MAX];
    size_t n_keys;                    /* calls made, by key */
    struct {
        char key[SQL_KEY_MAX];
        unsigned calls;
    } keys[SQL_KEYS_MAX];
} SqlSummaryJobLib;

typedef struct SqlConnection {
    char server[SQL_NAME_MAX];
} SqlConnection;

typedef struct SqlTableClient {
    char server[SQL_NAME_MAX];
    char table[SQL_NAME_MAX];
} SqlTableClient;

typedef struct SqlQueryResult {
    char server[SQL_NAME_MAX];
    char table[SQL_NAME_MAX];
    char query[SQL_NAME_MAX];
} SqlQueryResult;

typedef struct SummarizedResult {
    SqlQueryResult r1;
    SqlQueryResult r2;
} SummarizedResult;

/* Fills lib with copies of the names (each shorter than SQL_NAME_MAX);
 * returns 0 or SQL_ENOTFOUND for a name too long or NULL. */
int sql_lib_init(SqlSummaryJobLib *lib, const char *server, const char *table1,
                 const char *query1, const char *table2, const char *query2,
                 FILE *log);
/* Adds a fault; returns 0, or SQL_ENOMEM when SQL_FAULTS_MAX are set. */
int sql_lib_inject(SqlSummaryJobLib *lib, SqlFault fault);
void sql_lib_destroy(SqlSummaryJobLib *lib);
/* How many times the call named key ran (failed or not). */
unsigned sql_lib_calls(SqlSummaryJobLib *lib, const char *key);

int sql_get_connection(SqlSummaryJobLib *lib, aj_ctx *ctx, const char *server,
                       SqlConnection **out);
int sql_check_auth(SqlSummaryJobLib *lib, aj_ctx *ctx);
int sql_get_table_client(SqlSummaryJobLib *lib, aj_ctx *ctx, const SqlConnection *conn,
                         const char *table, SqlTableClient **out);
int sql_execute_query(SqlSummaryJobLib *lib, aj_ctx *ctx, const SqlTableClient *client,
                      const char *query, SqlQueryResult **out);
int sql_summarize(SqlSummaryJobLib *lib, aj_ctx *ctx, const SqlQueryResult *r1,
                  const SqlQueryResult *r2, SummarizedResult **out);
int sql_email_notification(SqlSummaryJobLib *lib, aj_ctx *ctx);
/* Tells the server the connection is no longer needed; conn NULL (there
 * was none) does nothing but log. The memory is sql_connection_free's. */
int sql_disconnect(SqlSummaryJobLib *lib, aj_ctx *ctx, const SqlConnection *conn);
/* Raises an alert: the summary could not be made. */
int sql_alert(SqlSummaryJobLib *lib, aj_ctx *ctx);

void sql_connection_free(SqlConnection *conn);
void sql_table_client_free(SqlTableClient *client);
void sql_query_result_free(SqlQueryResult *result);
void sql_summarized_result_free(SummarizedResult *summary);

#endif
