/* fname.c -- file name cleaning (see fname.h). */
#include "fname.h"

#include "validate.h"

#include <string.h>

/* Decodes one code point of valid UTF-8 at s (len bytes left); sets *cl. */
static unsigned long fname_cp(const unsigned char *s, size_t *cl)
{
    if (s[0] < 0x80) {
        *cl = 1;
        return s[0];
    }
    if (s[0] < 0xE0) {
        *cl = 2;
        return ((unsigned long)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (s[0] < 0xF0) {
        *cl = 3;
        return ((unsigned long)(s[0] & 0x0F) << 12) | ((unsigned long)(s[1] & 0x3F) << 6) |
               (s[2] & 0x3F);
    }
    *cl = 4;
    return ((unsigned long)(s[0] & 0x07) << 18) | ((unsigned long)(s[1] & 0x3F) << 12) |
           ((unsigned long)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* Characters dropped from names: controls, and invisible ones that change
 * how the rest reads (bidi embeddings/overrides/isolates, zero-width
 * joiners and marks, the BOM, line/paragraph separators). */
static int fname_drop(unsigned long c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0xAD ||
           (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB);
}

int fname_clean(const char *in, size_t n, char out[FNAME_MAX + 1])
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0, start = 0;

    if (!validate_utf8(in, n))
        return -1;
    /* Keep the last path component, whichever separator the client used. */
    for (size_t k = 0; k < n; k++)
        if (s[k] == '/' || s[k] == '\\')
            start = k + 1;
    i = start;
    while (i < n) {
        size_t cl;
        unsigned long c = fname_cp(s + i, &cl);
        if (!fname_drop(c) && !(o == 0 && (c == '.' || c == ' '))) {
            if (o + cl > FNAME_MAX)
                break;
            /* ':' would read as a drive or stream name on some systems. */
            if (c == ':' || c == '"') {
                out[o++] = '_';
            } else {
                memcpy(out + o, s + i, cl);
                o += cl;
            }
        }
        i += cl;
    }
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.'))
        o--;
    if (o == 0) {
        memcpy(out, "file", 5);
        return 0;
    }
    out[o] = '\0';
    return 0;
}
