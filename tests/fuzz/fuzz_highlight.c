/* fuzz_highlight.c -- libFuzzer target: search highlighting (highlight.c).
 *
 * Input: "<tsquery text>\n<message text>"; the message part must be valid
 * UTF-8 (PostgreSQL's text always is; invalid inputs are skipped), the
 * query part is anything, as hl_terms_parse must refuse what is not a
 * tsquery's text form without reading past it.
 *
 * Properties: the ranges are in order, non-empty, non-overlapping and
 * inside the message's code points; a word found is found again when the
 * same text is asked twice (no state kept between calls). */
#include "fuzz.h"
#include "highlight.h"
#include "validate.h"

static struct hl *hl;

static size_t fuzz_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hl_terms terms;
    size_t starts[256], ends[256], starts2[256], ends2[256], nr, nr2, chars;
    char *in, *text, *nl;
    size_t tn;

    if (!hl && !(hl = hl_new()))
        return 0;
    in = fuzz_cstr(data, size);
    nl = memchr(in, '\n', size);
    if (!nl) {
        free(in);
        return 0;
    }
    *nl = '\0';
    text = nl + 1;
    tn = size - (size_t)(text - in);
    if (hl_terms_parse(in, &terms) < 0 || !validate_utf8(text, tn)) {
        free(in);
        return 0;
    }
    FUZZ_CHECK(terms.n <= HL_MAX_TERMS);
    for (size_t i = 0; i < terms.n; i++)
        FUZZ_CHECK(terms.t[i].len >= 1 && terms.t[i].len <= HL_TERM_MAX &&
                   strlen(terms.t[i].lex) == terms.t[i].len);
    chars = fuzz_chars(text, tn);
    nr = hl_ranges(hl, &terms, text, tn, starts, ends, 256);
    FUZZ_CHECK(nr <= 256);
    for (size_t i = 0; i < nr; i++) {
        FUZZ_CHECK(starts[i] < ends[i] && ends[i] <= chars);
        FUZZ_CHECK(i == 0 || ends[i - 1] < starts[i]);
    }
    nr2 = hl_ranges(hl, &terms, text, tn, starts2, ends2, 256);
    FUZZ_CHECK(nr2 == nr && memcmp(starts, starts2, nr * sizeof *starts) == 0 &&
               memcmp(ends, ends2, nr * sizeof *ends) == 0);
    free(in);
    return 0;
}
