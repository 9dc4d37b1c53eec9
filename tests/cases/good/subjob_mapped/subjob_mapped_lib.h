/* subjob_mapped_lib.h: the types of subjob_mapped.job. */
#ifndef SUBJOB_MAPPED_LIB_H
#define SUBJOB_MAPPED_LIB_H

struct conn;
struct rows;
typedef struct lib Lib;

void rows_free(struct rows *rows);

#endif
