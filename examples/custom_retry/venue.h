/* venue.h: the booking job's input, a venue that answers "busy" a given
 * number of times before it answers for real. */
#ifndef VENUE_H
#define VENUE_H

#include <stdbool.h>

enum { VENUE_BUSY = 1, VENUE_SOLD_OUT = 2 };

typedef struct Venue {
    int busy_answers;  /* "busy" answers left before a real one */
    bool sold_out;
    int next_seat;
} Venue;

#endif
