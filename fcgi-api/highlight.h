/* highlight.h -- which words of a message a search matched.
 *
 * parley_search (sql/013_search_cost.sql) returns the hits and the
 * tsquery that found them, as text.  A word of a hit is highlighted when
 * one of the forms PostgreSQL indexed it under (messages.tsv: the
 * 'simple', 'russian' and 'english' configurations) equals a term of that
 * query, or starts with a prefix term ('word':*):
 *   - the word lower-cased ('simple'; every word);
 *   - its English Snowball stem (a word of ASCII letters, in both
 *     stemming configurations; any other word of letters, in 'english');
 *   - its Russian Snowball stem (a word with a non-ASCII letter, in
 *     'russian').
 * A word with a digit is only lower-cased (PostgreSQL's numword and int
 * tokens go to the 'simple' dictionary in every configuration).  The stems
 * come from libstemmer: the same Snowball stemmers as PostgreSQL's
 * dict_snowball (docs/bench.md compares them word by word).
 *
 * This replaces two or three ts_headline passes per hit, which were a
 * quarter of a search's database CPU.  Where it differs from ts_headline,
 * by design (docs/api.md, "Search"): a word is a run of letters and digits
 * (PostgreSQL's parser makes one token of an e-mail address, a URL, a host
 * name or a decimal number; here their parts are words), and a stop word
 * ("the", "и") is stemmed like any word (PostgreSQL's stemming
 * configurations drop it, so only its lower-cased form can match there).
 *
 * Letters, digits and lower case are those of the C.UTF-8 locale, the
 * locale `make run` creates the database cluster with (scripts/
 * parley-stack.sh); a cluster of another UTF-8 locale classifies letters
 * the same way for the scripts a chat uses. */
#ifndef PL_HIGHLIGHT_H
#define PL_HIGHLIGHT_H

#include <stddef.h>

#define HL_MAX_TERMS 64        /* eight words of three forms, with room */
#define HL_TERM_MAX 256        /* bytes; a longer term is never a match */

struct hl_term {
    char lex[HL_TERM_MAX + 1];
    size_t len;
    int prefix;                /* 'lex':* */
    unsigned first;            /* its first code point (ё as е): a stem
                                  keeps its word's first letter */
};

struct hl_terms {
    size_t n;
    struct hl_term t[HL_MAX_TERMS];
};

/* Reads the quoted terms of a tsquery's text form ("( 'база' | 'баз' ) &
 * 'дан':*"); operators and parentheses are skipped.  Returns 0, or -1 if
 * the text is not such a form (an unterminated quote, too many or too long
 * terms). */
int hl_terms_parse(const char *tsquery, struct hl_terms *out);

/* The stemmers and the locale: one per process (hl_new), freed with
 * hl_free.  hl_new returns NULL if either cannot be had. */
struct hl;
struct hl *hl_new(void);
void hl_free(struct hl **hp);

/* Writes the matched words of text[0..n) (valid UTF-8) as [start, end)
 * ranges in code points, in order, up to `max` of them; returns how many
 * were written. */
size_t hl_ranges(struct hl *h, const struct hl_terms *terms, const char *text, size_t n,
                 size_t *starts, size_t *ends, size_t max);

#endif
