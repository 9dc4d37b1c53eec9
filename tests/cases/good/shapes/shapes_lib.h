/* shapes_lib.h: types and functions the shapes jobs use
 * (tests/generated/test_shapes.c defines them). */
#ifndef SHAPES_LIB_H
#define SHAPES_LIB_H

struct buf {
    int value;
};
void buf_free(struct buf *b);

/* An array type: a job input and a result of job typed. */
typedef int vec4[4];

#endif
