/* test_highlight.c -- search highlighting (fcgi-api/highlight.c), included
 * whole: the tsquery text parser and which words of a message match, with
 * the Snowball stemmers for real. */
#include "../../fcgi-api/highlight.c"
#include "testhelp.h"

#include <string.h>

/* The matched words of text, as "w1|w2|..." (code point ranges cut back
 * out of the text). */
static const char *marked(struct hl *h, const char *query, const char *text)
{
    static char out[512];
    struct hl_terms t;
    size_t s[32], e[32], n, o = 0;

    out[0] = '\0';
    if (hl_terms_parse(query, &t) < 0)
        return "(bad query)";
    n = hl_ranges(h, &t, text, strlen(text), s, e, 32);
    for (size_t i = 0; i < n; i++) {
        size_t cp = 0, b = 0, from = 0, to = 0;
        for (; text[b]; b++) {
            if (((unsigned char)text[b] & 0xC0) == 0x80)
                continue;
            if (cp == s[i])
                from = b;
            if (cp == e[i])
                break;
            cp++;
        }
        to = b;
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", i ? "|" : "", (int)(to - from),
                              text + from);
    }
    return out;
}

int main(void)
{
    struct hl *h = hl_new();
    struct hl_terms t;

    test_cond("highlight: stemmers and C.UTF-8 are there", h != NULL);
    if (!h)
        return test_report();

    test_cond("terms: quoted lexemes, prefix flag, operators skipped",
              hl_terms_parse("( 'база' | 'баз' ) & ( 'данных':* | 'дан':* )", &t) == 0 &&
              t.n == 4 && strcmp(t.t[0].lex, "база") == 0 && !t.t[0].prefix &&
              strcmp(t.t[3].lex, "дан") == 0 && t.t[3].prefix);
    test_cond("terms: a doubled quote is one quote",
              hl_terms_parse("'it''s':*", &t) == 0 && t.n == 1 && strcmp(t.t[0].lex, "it's") == 0 &&
              t.t[0].prefix);
    test_cond("terms: an unterminated quote is refused", hl_terms_parse("'abc", &t) < 0);
    test_cond("terms: an empty query has no terms", hl_terms_parse("", &t) == 0 && t.n == 0);

    test_cond("match: Russian stems and prefixes (the spec's sentence)",
              strcmp(marked(h, "'работать':* | 'работа':*", "Тест WebSocket работает!"), "работает") == 0);
    test_cond("match: case is ignored, as typed",
              strcmp(marked(h, "'websocket':*", "Тест WebSocket работает!"), "WebSocket") == 0);
    test_cond("match: an exact term matches an inflected form by its stem",
              strcmp(marked(h, "'сервер'", "сервера и сервер, серверу; серверный"),
                     "сервера|сервер|серверу") == 0);
    test_cond("match: English stem (running, runners) and the typed prefix",
              strcmp(marked(h, "'run':*", "The runners were running quickly"), "runners|running") == 0);
    test_cond("match: a prefix longer than the stem still matches as typed",
              strcmp(marked(h, "'runn':*", "running ran"), "running") == 0);
    test_cond("match: English stem of an accented word",
              strcmp(marked(h, "'naïv'", "Naïves are naïve"), "Naïves|naïve") == 0);
    test_cond("match: ё and е (the Russian stemmer writes ё as е)",
              strcmp(marked(h, "'елк':*", "ёлки и елки"), "ёлки|елки") == 0);
    test_cond("match: a word with digits only as written",
              strcmp(marked(h, "'abc123'", "abc123 abc1234 abc"), "abc123") == 0);
    test_cond("match: punctuation and apostrophes separate words",
              strcmp(marked(h, "'deploy':*", "re-deploy, deploying; don't_deploy"), "deploy|deploying|deploy") == 0);
    test_cond("match: nothing when no term matches", strcmp(marked(h, "'zzz'", "abc def"), "") == 0);
    test_cond("match: ranges count code points, not bytes",
              strcmp(marked(h, "'тест'", "Тест тест"), "Тест|тест") == 0);
    hl_free(&h);
    test_cond("hl_free clears the pointer", h == NULL);
    return test_report();
}
