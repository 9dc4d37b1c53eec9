/* fuzz_check.h: what must hold for every input ajc is given, checked by the
 * fuzz target and by the replay of its regression inputs in make test. */
#ifndef AJC_FUZZ_CHECK_H
#define AJC_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Compiles size bytes as a .job file to C and then to DOT, in memory, and
 * checks the results against each other. Returns NULL when every rule
 * holds, else a sentence naming the rule broken (static storage). Memory
 * errors, leaks and hangs are left to the sanitizers and the watchdog. */
const char *fuzz_check(const uint8_t *data, size_t size);

#endif
