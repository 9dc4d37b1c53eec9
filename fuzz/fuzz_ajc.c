/*
 * fuzz_ajc.c: the libFuzzer entry point. Each input goes through
 * fuzz_check(); a broken rule aborts, which libFuzzer reports as a crash
 * and saves as an artifact. Build and run it with `make fuzz`.
 */
#include "fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *bad = fuzz_check(data, size);

    if (bad != NULL) {
        fprintf(stderr, "fuzz_ajc: %s\n", bad);
        abort();
    }
    return 0;
}
