/* map_lib.h: the types of map.job. */
#ifndef MAP_LIB_H
#define MAP_LIB_H

#include <stddef.h>

struct source {
    const char *prefix;
};

struct rows {
    long n;
};

void rows_free(struct rows *r);

#endif
