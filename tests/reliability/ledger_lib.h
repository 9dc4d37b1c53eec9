/* ledger_lib.h: the types of ledger.job (test_map_ledger.c). */
#ifndef LEDGER_LIB_H
#define LEDGER_LIB_H

struct ledger;

struct box {
    long v;
};

void box_free(struct box *b);

#endif
