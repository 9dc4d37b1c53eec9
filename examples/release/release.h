/* release.h: what the release example's steps share. */
#ifndef RELEASE_H
#define RELEASE_H

#include <stdbool.h>

typedef struct Release {
    const char *name;
    bool hotfix;
    int canary_failures; /* the canary fails this many times, then passes */
    bool notes_fail;     /* the release notes cannot be written */
    int builds;          /* Build counts its runs here */
} Release;

void text_free(char *text);

#endif
