/* sql_lib.h: the library the SQL summary job's steps use (declarations
 * only; tests/generated/test_sql.c defines it). */
#ifndef SQL_LIB_H
#define SQL_LIB_H

typedef struct SqlConnection SqlConnection;
typedef struct SqlTableClient SqlTableClient;
typedef struct SqlQueryResult SqlQueryResult;
typedef struct SummarizedResult SummarizedResult;
typedef struct SqlSummaryJobLib SqlSummaryJobLib;
void sql_connection_close(SqlConnection *c);

#endif
