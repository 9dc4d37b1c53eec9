/* subjobs_lib.h: the types of subjobs.job, and what its steps share. */
#ifndef SUBJOBS_LIB_H
#define SUBJOBS_LIB_H

typedef struct RowSet RowSet;
typedef struct Lib Lib;

void rows_free(RowSet *rows);

#endif
