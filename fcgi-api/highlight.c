/* highlight.c -- which words of a message a search matched (see
 * highlight.h for the rule and where it differs from ts_headline). */
#include "highlight.h"

#include "xmem.h"

#include <libstemmer.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* Longest word stemmed or matched, in bytes: a longer one (no word a
 * person types) is skipped, as no term is longer than HL_TERM_MAX. */
#define HL_WORD_MAX 1024

struct hl {
    struct sb_stemmer *russian;
    struct sb_stemmer *english;
    locale_t loc;              /* C.UTF-8, for iswalnum_l / towlower_l */
};

struct hl *hl_new(void)
{
    struct hl *h = xcalloc(1, sizeof *h);

    h->russian = sb_stemmer_new("russian", "UTF_8");
    h->english = sb_stemmer_new("english", "UTF_8");
    h->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (!h->russian || !h->english || h->loc == (locale_t)0)
        hl_free(&h);
    return h;
}

void hl_free(struct hl **hp)
{
    struct hl *h = *hp;

    if (!h)
        return;
    if (h->russian)
        sb_stemmer_delete(h->russian);
    if (h->english)
        sb_stemmer_delete(h->english);
    if (h->loc != (locale_t)0)
        freelocale(h->loc);
    free(h);
    *hp = NULL;
}

static uint32_t hl_next(const char *s, size_t n, size_t *i);
static uint32_t hl_first(const char *s, size_t n);

int hl_terms_parse(const char *q, struct hl_terms *out)
{
    out->n = 0;
    for (const char *p = q; *p;) {
        struct hl_term *t;
        size_t len = 0;

        if (*p != '\'') {
            p++;
            continue;
        }
        if (out->n == HL_MAX_TERMS)
            return -1;
        t = &out->t[out->n];
        /* 'text', a quote inside doubled (PostgreSQL's tsquery output). */
        for (p++;; p++) {
            if (*p == '\0')
                return -1;
            if (*p == '\'') {
                if (p[1] != '\'')
                    break;
                p++;
            }
            if (len == HL_TERM_MAX)
                return -1;
            t->lex[len++] = *p;
        }
        p++;
        t->lex[len] = '\0';
        t->len = len;
        /* Weights may follow the star (':*AB'); none are written here. */
        t->prefix = p[0] == ':' && p[1] == '*';
        t->first = hl_first(t->lex, len);
        if (len > 0)
            out->n++;
    }
    return 0;
}

/* Decodes the code point at s[*i] (valid UTF-8) and advances *i. */
static uint32_t hl_next(const char *s, size_t n, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s + *i;
    size_t k = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    uint32_t c;

    if (*i + k > n)
        k = n - *i;
    c = k == 1 ? u[0] : k == 2 ? u[0] & 0x1F : k == 3 ? u[0] & 0x0F : u[0] & 0x07;
    for (size_t j = 1; j < k; j++)
        c = (c << 6) | (u[j] & 0x3F);
    *i += k;
    return c;
}

/* The first code point of s[0..n) (n > 0), ё folded to е: the Russian
 * stemmer writes ё as е, and neither stemmer changes a first letter
 * otherwise (both remove or rewrite endings only). */
static uint32_t hl_first(const char *s, size_t n)
{
    size_t i = 0;
    uint32_t c = n ? hl_next(s, n, &i) : 0;

    return c == 0x451 ? 0x435 : c;
}

/* Appends code point c as UTF-8 to buf (room for 4 more bytes). */
static size_t hl_put(char *buf, size_t len, uint32_t c)
{
    unsigned char *b = (unsigned char *)buf + len;

    if (c < 0x80) {
        b[0] = (unsigned char)c;
        return len + 1;
    }
    if (c < 0x800) {
        b[0] = (unsigned char)(0xC0 | (c >> 6));
        b[1] = (unsigned char)(0x80 | (c & 0x3F));
        return len + 2;
    }
    if (c < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (c >> 12));
        b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (c & 0x3F));
        return len + 3;
    }
    b[0] = (unsigned char)(0xF0 | (c >> 18));
    b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (c & 0x3F));
    return len + 4;
}

/* Whether form f[0..n) is a term, or starts with a prefix term. */
static int hl_match(const struct hl_terms *terms, const char *f, size_t n)
{
    for (size_t i = 0; i < terms->n; i++) {
        const struct hl_term *t = &terms->t[i];
        if (t->prefix ? n >= t->len && memcmp(f, t->lex, t->len) == 0
                      : n == t->len && memcmp(f, t->lex, n) == 0)
            return 1;
    }
    return 0;
}

static int hl_stem_match(struct sb_stemmer *st, const struct hl_terms *terms,
                         const char *w, size_t n)
{
    const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)w, (int)n);

    /* NULL only when the stemmer cannot allocate: no stem, no match. */
    return s && hl_match(terms, (const char *)s, (size_t)sb_stemmer_length(st));
}

/* Whether the word lower[0..n) (lower-cased) matches in any of its forms. */
static int hl_word(struct hl *h, const struct hl_terms *terms, const char *lower, size_t n,
                   int has_digit, int has_nonascii)
{
    uint32_t first;
    size_t i;

    if (hl_match(terms, lower, n))
        return 1;
    if (has_digit)
        return 0;
    /* Stemming is most of the cost: only a word that begins as some term
     * does can have a stem that matches. */
    first = hl_first(lower, n);
    for (i = 0; i < terms->n && terms->t[i].first != first; i++)
        ;
    if (i == terms->n)
        return 0;
    if (hl_stem_match(h->english, terms, lower, n))
        return 1;
    return has_nonascii && hl_stem_match(h->russian, terms, lower, n);
}

size_t hl_ranges(struct hl *h, const struct hl_terms *terms, const char *text, size_t n,
                 size_t *starts, size_t *ends, size_t max)
{
    char lower[HL_WORD_MAX + 4];
    size_t i = 0, cp = 0, nr = 0;

    if (terms->n == 0)
        return 0;
    while (i < n && nr < max) {
        size_t start = cp, len = 0;
        int has_digit = 0, has_nonascii = 0, too_long = 0;
        uint32_t c = hl_next(text, n, &i);

        cp++;
        if (!iswalnum_l((wint_t)c, h->loc))
            continue;
        /* A word: this code point and every letter or digit after it. */
        for (;;) {
            if (iswdigit_l((wint_t)c, h->loc))
                has_digit = 1;
            else if (c >= 0x80)
                has_nonascii = 1;
            if (len > HL_WORD_MAX)
                too_long = 1;
            else
                len = hl_put(lower, len, (uint32_t)towlower_l((wint_t)c, h->loc));
            if (i >= n)
                break;
            size_t at = i;
            c = hl_next(text, n, &i);
            if (!iswalnum_l((wint_t)c, h->loc)) {
                i = at;
                break;
            }
            cp++;
        }
        if (!too_long && hl_word(h, terms, lower, len, has_digit, has_nonascii)) {
            starts[nr] = start;
            ends[nr++] = cp;
        }
    }
    return nr;
}
