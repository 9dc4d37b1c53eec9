/*
 * steps.c: the sql_summary job's steps. Each is a thin call into the
 * simulated SQL library with the job's parameters, as go-asyncjob's step
 * functions are; the prototypes come from the generated header, so the C
 * compiler checks every signature against sql_summary.job.
 */
#include "sql_summary.job.h"

int sql_summary_GetConnection(aj_ctx *ctx, SqlSummaryJobLib *lib, Conn *out)
{
    return sql_get_connection(lib, ctx, lib->server, out);
}

int sql_summary_CheckAuth(aj_ctx *ctx, SqlSummaryJobLib *lib)
{
    return sql_check_auth(lib, ctx);
}

int sql_summary_GetTableClient1(aj_ctx *ctx, SqlSummaryJobLib *lib, Conn conn, Client *out)
{
    return sql_get_table_client(lib, ctx, conn, lib->table1, out);
}

int sql_summary_GetTableClient2(aj_ctx *ctx, SqlSummaryJobLib *lib, Conn conn, Client *out)
{
    return sql_get_table_client(lib, ctx, conn, lib->table2, out);
}

int sql_summary_QueryTable1(aj_ctx *ctx, SqlSummaryJobLib *lib, Client client, Rows *out)
{
    return sql_execute_query(lib, ctx, client, lib->query1, out);
}

int sql_summary_QueryTable2(aj_ctx *ctx, SqlSummaryJobLib *lib, Client client, Rows *out)
{
    return sql_execute_query(lib, ctx, client, lib->query2, out);
}

int sql_summary_Summarize(aj_ctx *ctx, SqlSummaryJobLib *lib, Rows r1, Rows r2, Summary *out)
{
    return sql_summarize(lib, ctx, r1, r2, out);
}

int sql_summary_EmailNotification(aj_ctx *ctx, SqlSummaryJobLib *lib)
{
    return sql_email_notification(lib, ctx);
}

int sql_summary_Close(aj_ctx *ctx, SqlSummaryJobLib *lib, const Conn *conn)
{
    return sql_disconnect(lib, ctx, conn != NULL ? *conn : NULL);
}

int sql_summary_Alert(aj_ctx *ctx, SqlSummaryJobLib *lib)
{
    return sql_alert(lib, ctx);
}
