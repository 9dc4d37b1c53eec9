/* map_uses_lib.h: the types of map_uses.job. */
#ifndef MAP_USES_LIB_H
#define MAP_USES_LIB_H

struct meter;

#endif
