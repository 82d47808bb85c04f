/* emoji.c -- reaction emoji validation (see emoji.h). */
#include "emoji.h"

#include "validate.h"

/* Code points a reaction may not contain (besides most of ASCII). */
static int emoji_forbidden(unsigned cp)
{
    if (cp < 0x80)
        return !((cp >= '0' && cp <= '9') || cp == '#' || cp == '*');
    return cp <= 0xA0 ||                        /* C1 controls, no-break space */
           cp == 0xAD || cp == 0x1680 || cp == 0x180E ||
           (cp >= 0x2000 && cp <= 0x200C) ||    /* spaces, zero widths (not ZWJ) */
           (cp >= 0x200E && cp <= 0x200F) ||    /* LRM, RLM */
           (cp >= 0x2028 && cp <= 0x202F) ||    /* separators, bidi embeddings */
           (cp >= 0x205F && cp <= 0x206F) ||    /* math space, bidi isolates */
           cp == 0x3000 || cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF);
}

int emoji_parse(const char *seg, size_t n, char out[EMOJI_MAX_BYTES + 1])
{
    size_t len = 0, chars = 0;
    const unsigned char *u = (const unsigned char *)out;

    for (size_t i = 0; i < n; i++) {
        char c = seg[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = validate_hexdigit(seg[i + 1])) < 0 ||
                (lo = validate_hexdigit(seg[i + 2])) < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (len >= EMOJI_MAX_BYTES)
            return -1;
        out[len++] = c;
    }
    out[len] = '\0';
    if (len == 0 || !validate_utf8(out, len))
        return -1;
    for (size_t i = 0; i < len; chars++) {
        unsigned cp;
        size_t k = u[i] < 0x80 ? 1 : u[i] < 0xE0 ? 2 : u[i] < 0xF0 ? 3 : 4;
        cp = k == 1 ? u[i] : k == 2 ? u[i] & 0x1Fu : k == 3 ? u[i] & 0x0Fu : u[i] & 0x07u;
        for (size_t j = 1; j < k; j++)
            cp = (cp << 6) | (u[i + j] & 0x3Fu);
        if (emoji_forbidden(cp) || chars >= EMOJI_MAX_CHARS)
            return -1;
        i += k;
    }
    return 0;
}
