/* fuzz.h -- what every libFuzzer target in tests/fuzz shares.
 *
 * FUZZ_CHECK turns a broken property into a crash libFuzzer records (abort
 * is a deadly signal to it), with the property printed so the artifact's
 * report says what failed.  fuzz_cstr copies the input into a NUL-terminated
 * heap buffer of exactly size+1 bytes, so ASan sees any over-read. */
#ifndef PL_FUZZ_H
#define PL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(_c)                                                        \
    do {                                                                      \
        if (!(_c)) {                                                          \
            fprintf(stderr, "fuzz: property failed: %s (%s:%d)\n", #_c,       \
                    __FILE__, __LINE__);                                      \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* Returns a fresh NUL-terminated copy of data[0..size); caller frees. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
