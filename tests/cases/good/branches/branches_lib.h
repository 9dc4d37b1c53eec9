/* branches_lib.h: the types of branches.job. */
#ifndef BRANCHES_LIB_H
#define BRANCHES_LIB_H

struct rows {
    int n;
};

#endif
