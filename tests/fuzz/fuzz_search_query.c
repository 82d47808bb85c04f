/* fuzz_search_query.c -- libFuzzer target: GET /api/search's q.
 *
 * Input: q as search.c gets it after percent-decoding (it refuses
 * non-UTF-8 first, so invalid inputs are skipped here too).
 *
 * Properties: at most SEARCH_MAX_WORDS words, each 1..SEARCH_WORD_MAX_BYTES
 * bytes of valid UTF-8 with no ASCII other than letters and digits (so no
 * tsquery operator, quote or backslash can reach the database); the array
 * literal always fits the buffer search.c gives it. */
#include "fuzz.h"
#include "search_query.h"
#include "validate.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char words[SEARCH_MAX_WORDS][SEARCH_WORD_MAX_BYTES + 1];
    char arr[SEARCH_MAX_WORDS * (SEARCH_WORD_MAX_BYTES + 3) + 3];
    char *q;
    size_t n;

    if (size > SEARCH_QUERY_MAX_BYTES)
        return 0;
    q = fuzz_cstr(data, size);
    if (!validate_utf8(q, size)) {
        free(q);
        return 0;
    }
    n = search_query_words(q, size, words, SEARCH_MAX_WORDS);
    FUZZ_CHECK(n <= SEARCH_MAX_WORDS);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        FUZZ_CHECK(len >= 1 && len <= SEARCH_WORD_MAX_BYTES);
        FUZZ_CHECK(validate_utf8(words[i], len));
        for (size_t j = 0; j < len; j++) {
            unsigned char c = (unsigned char)words[i][j];
            FUZZ_CHECK(c >= 0x80 || isalnum(c));
        }
    }
    FUZZ_CHECK(search_query_array(words, n, arr, sizeof arr) == 0);
    free(q);
    return 0;
}
