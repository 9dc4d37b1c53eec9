/* emit_table.h: the static tables of one job in FILE.job.c. */
#ifndef AJC_EMIT_TABLE_H
#define AJC_EMIT_TABLE_H

#include "emit.h"

/* The slot table (steps sharing a wrapper only), then the order, edge,
 * successor, gate and limit tables (where it has any), step and run tables
 * of j. */
void emit_tables(const emit_ctx *e, out *o, const ast_job *j);

#endif
