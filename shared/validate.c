/* validate.c -- input rules (see validate.h). */
#include "validate.h"

#include <string.h>

int validate_utf8(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned int cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;    /* continuation byte, overlong lead, or > U+10FFFF */
        }
        if (n - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

size_t validate_utf8_chars(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

int validate_username(const char *s, size_t n)
{
    if (n < 3 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* The code point starting at s[i] of valid UTF-8; *len gets its bytes. */
static unsigned int validate_cp(const unsigned char *s, size_t i, size_t *len)
{
    unsigned char c = s[i];

    if (c < 0x80) {
        *len = 1;
        return c;
    }
    if (c < 0xE0) {
        *len = 2;
        return (unsigned int)(c & 0x1F) << 6 | (s[i + 1] & 0x3F);
    }
    if (c < 0xF0) {
        *len = 3;
        return (unsigned int)(c & 0x0F) << 12 | (unsigned int)(s[i + 1] & 0x3F) << 6 |
               (s[i + 2] & 0x3F);
    }
    *len = 4;
    return (unsigned int)(c & 0x07) << 18 | (unsigned int)(s[i + 1] & 0x3F) << 12 |
           (unsigned int)(s[i + 2] & 0x3F) << 6 | (s[i + 3] & 0x3F);
}

/* Characters no Parley text may hold: C0 controls but tab and line breaks,
 * DEL and the C1 controls (they move terminals and logs), and the bidi
 * embeddings, overrides and isolates U+202A-U+202E, U+2066-U+2069, which
 * make text display in another order than it reads ("Trojan Source").
 * One-line text (titles) refuses tab and line breaks too. */
static int validate_forbidden(unsigned int cp, int one_line)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return one_line;
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

static int validate_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int validate_text(const char *s, size_t n, size_t max_chars, const char **start,
                  size_t *tlen, const char **why)
{
    size_t b = 0, e = n;

    if (!validate_utf8(s, n)) {
        *why = "must be valid UTF-8 text without NUL characters";
        return -1;
    }
    while (b < e && validate_is_space((unsigned char)s[b]))
        b++;
    while (e > b && validate_is_space((unsigned char)s[e - 1]))
        e--;
    if (e == b) {
        *why = "must not be empty";
        return -1;
    }
    for (size_t i = b, len; i < e; i += len) {
        if (validate_forbidden(validate_cp((const unsigned char *)s, i, &len),
                               max_chars <= VALIDATE_TITLE_MAX_CHARS)) {
            *why = "must not contain control or bidi-override characters";
            return -1;
        }
    }
    if (validate_utf8_chars(s + b, e - b) > max_chars) {
        *why = "is too long";
        return -1;
    }
    *start = s + b;
    *tlen = e - b;
    return 0;
}

int validate_id(const char *s, size_t n, long long *out)
{
    long long v = 0;
    if (n == 0 || n > 16)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > (1LL << 53))
        return -1;
    *out = v;
    return 0;
}

int validate_hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
