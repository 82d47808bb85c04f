/* fuzz_emoji.c -- libFuzzer target: the {emoji} path segment of
 * PUT/DELETE /api/messages/{id}/reactions/{emoji}.
 *
 * Input: the raw segment (the router hands over at most 255 bytes, no '/').
 *
 * Properties: an accepted emoji is NUL-terminated, 1..EMOJI_MAX_BYTES bytes
 * of valid UTF-8, with no ASCII other than 0-9 # * and no white space. */
#include "emoji.h"
#include "fuzz.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[EMOJI_MAX_BYTES + 1];
    char *seg;

    if (size >= 256)
        return 0;
    seg = fuzz_cstr(data, size);
    memset(out, 0x5a, sizeof out);
    if (emoji_parse(seg, size, out) == 0) {
        size_t len = strlen(out);
        FUZZ_CHECK(len >= 1 && len <= EMOJI_MAX_BYTES);
        FUZZ_CHECK(validate_utf8(out, len));
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)out[i];
            FUZZ_CHECK(c >= 0x80 || (c >= '0' && c <= '9') || c == '#' || c == '*');
        }
    }
    free(seg);
    return 0;
}
