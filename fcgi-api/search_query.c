/* search_query.c -- search words from user input (see search_query.h). */
#include "search_query.h"

#include <stdio.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s[0..n) (already validated; a truncated
 * one counts as one byte).  Returns its length, code point in *cp. */
static size_t sq_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    unsigned v = len == 1 ? s[0] : len == 2 ? s[0] & 0x1Fu : len == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;

    if (len > n) {
        *cp = 0;
        return 1;
    }
    for (size_t i = 1; i < len; i++)
        v = (v << 6) | (s[i] & 0x3Fu);
    *cp = v;
    return len;
}

/* Letters and digits: ASCII alphanumerics and non-ASCII characters outside
 * the blocks of spaces, punctuation and symbols that separate words. */
static int sq_wordchar(unsigned cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp <= 0xBF)                         /* C1 controls, Latin-1 punctuation */
        return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
    if (cp == 0xD7 || cp == 0xF7)           /* multiplication, division signs */
        return 0;
    if (cp >= 0x2000 && cp <= 0x2BFF)       /* spaces, punctuation, symbols, arrows */
        return 0;
    if (cp >= 0x3000 && cp <= 0x303F)       /* CJK spaces and punctuation */
        return 0;
    if (cp == 0xFEFF || (cp >= 0xFE10 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFF0F))
        return 0;
    return cp != 0x1680 && cp != 0x180E;
}

size_t search_query_words(const char *q, size_t n,
                          char out[][SEARCH_WORD_MAX_BYTES + 1], size_t max)
{
    const unsigned char *s = (const unsigned char *)q;
    size_t count = 0, i = 0, wlen = 0;
    int in_word = 0;

    while (i < n && count < max) {
        unsigned cp;
        size_t len = sq_decode(s + i, n - i, &cp);
        if (sq_wordchar(cp)) {
            if (!in_word) {
                in_word = 1;
                wlen = 0;
            }
            if (wlen + len <= SEARCH_WORD_MAX_BYTES) {   /* else cut here */
                memcpy(out[count] + wlen, s + i, len);
                wlen += len;
            }
        } else if (in_word) {
            out[count][wlen] = '\0';
            count++;
            in_word = 0;
        }
        i += len;
    }
    if (in_word && count < max) {
        out[count][wlen] = '\0';
        count++;
    }
    return count;
}

int search_query_array(char words[][SEARCH_WORD_MAX_BYTES + 1], size_t count, char *buf,
                       size_t len)
{
    size_t used;
    int w = snprintf(buf, len, "{");

    if (w < 0 || (size_t)w >= len)
        return -1;
    used = (size_t)w;
    for (size_t i = 0; i < count; i++) {
        w = snprintf(buf + used, len - used, "%s\"%s\"", i ? "," : "", words[i]);
        if (w < 0 || (size_t)w >= len - used)
            return -1;
        used += (size_t)w;
    }
    w = snprintf(buf + used, len - used, "}");
    return (w < 0 || (size_t)w >= len - used) ? -1 : 0;
}
