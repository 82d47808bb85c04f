/* fuzz_mention.c -- libFuzzer target: "@name" scanning of message text.
 *
 * Input: message content (any bytes; the scanner must not care).
 *
 * Properties: at most MENTION_MAX distinct names, each a lower-case
 * username of 3..32 of [a-z0-9_.-]; the text[] literal fits the buffer
 * messages.c gives it. */
#include "fuzz.h"
#include "mention.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char names[MENTION_MAX][MENTION_NAME_MAX + 1];
    char arr[MENTION_MAX * (MENTION_NAME_MAX + 3) + 3];
    char *s = fuzz_cstr(data, size);
    size_t n = mention_scan(s, size, names, MENTION_MAX);

    FUZZ_CHECK(n <= MENTION_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        FUZZ_CHECK(len >= 3 && len <= MENTION_NAME_MAX);
        FUZZ_CHECK(strspn(names[i], "abcdefghijklmnopqrstuvwxyz0123456789_.-") == len);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(names[i], names[j]) != 0);
    }
    FUZZ_CHECK(mention_array(names, n, arr, sizeof arr) == 0);
    free(s);
    return 0;
}
