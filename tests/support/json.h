/* json.h: checks that a text is well-formed JSON (RFC 8259), for tests of
 * the runtime's trace output. It recognises, it builds nothing. */
#ifndef TESTS_JSON_H
#define TESTS_JSON_H

#include <stdbool.h>

/* True if text is one JSON value, with white space around it at most.
 * Nesting deeper than 256 levels counts as malformed. */
bool json_valid(const char *text);

#endif
