/*
 * catalog.h: a warehouse database server, simulated in memory, for the
 * catalog example. Every call is a round trip that takes real time; the
 * server counts how many queries it is answering at once, so that the
 * example can show its limit held.
 */
#ifndef CATALOG_H
#define CATALOG_H

#include <asyncjob.h>

#include <stdatomic.h>
#include <stddef.h>

typedef struct Table {
    const char *name;
    int columns;
    long rows;
    int resets;               /* Count fails this many times first */
} Table;

typedef struct Warehouse {
    const Table *tables;      /* what the server holds */
    size_t n_tables;
    const char *const *listed; /* what its catalogue lists, in order */
    size_t n_listed;
    int round_trip_ms;
    _Atomic int inside;       /* queries being answered now */
    _Atomic int peak;         /* the most at once */
    _Atomic int resets_left[16]; /* per table, from Table.resets */
} Warehouse;

typedef struct DbSession {
    Warehouse *wh;
} DbSession;

typedef struct TableStats {
    const char *name;
    int columns;
    long rows;
} TableStats;

void session_close(DbSession *s);

#endif
