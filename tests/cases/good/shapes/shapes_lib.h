/* shapes_lib.h: types and functions the shapes jobs use
 * (tests/generated/test_shapes.c defines them). */
#ifndef SHAPES_LIB_H
#define SHAPES_LIB_H

struct buf {
    int value;
};
void buf_free(struct buf *b);

#endif
