/* test_api_parsers.c -- the pure parsers behind search, reactions and
 * mentions (fcgi-api/search_query.c, emoji.c, mention.c), included whole
 * as the ws-daemon tests include theirs. */
#include "../../fcgi-api/emoji.c"
#include "../../fcgi-api/mention.c"
#include "../../fcgi-api/search_query.c"
#include "testhelp.h"

#include <string.h>

static size_t words_of(const char *q, char w[][SEARCH_WORD_MAX_BYTES + 1])
{
    return search_query_words(q, strlen(q), w, SEARCH_MAX_WORDS);
}

static void test_search_words(void)
{
    char w[SEARCH_MAX_WORDS][SEARCH_WORD_MAX_BYTES + 1], arr[1024], longq[200];
    size_t n;

    n = words_of("Тест WebSocket работает!", w);
    test_cond("search: three words, Cyrillic kept whole",
              n == 3 && strcmp(w[0], "Тест") == 0 && strcmp(w[1], "WebSocket") == 0 &&
              strcmp(w[2], "работает") == 0);
    n = words_of("it's \"a\" & b|c:* (d) <-> 100% a_b \\x' OR 1=1; --", w);
    test_cond("search: operators, quotes, %, _ and \\ only separate",
              n == 8 && strcmp(w[0], "it") == 0 && strcmp(w[1], "s") == 0 &&
              strcmp(w[6], "100") == 0 && strcmp(w[7], "a") == 0);
    test_cond("search: punctuation only gives no word", words_of("%_'\\&|!:*() — «»", w) == 0);
    memset(longq, 'x', 150);
    longq[150] = '\0';
    n = words_of(longq, w);
    test_cond("search: a long word is cut to 64 bytes", n == 1 && strlen(w[0]) == SEARCH_WORD_MAX_BYTES);
    n = words_of("я ж ë", w);
    test_cond("search: one-letter words count, Latin and Cyrillic", n == 3 && strcmp(w[2], "ë") == 0);
    n = words_of("один два", w);
    test_cond("search: array literal quotes each word",
              search_query_array(w, n, arr, sizeof arr) == 0 && strcmp(arr, "{\"один\",\"два\"}") == 0);
    test_cond("search: array literal refuses a small buffer", search_query_array(w, n, arr, 5) < 0);
}

static void test_emoji(void)
{
    char out[EMOJI_MAX_BYTES + 1];

    test_cond("emoji: 👍 decoded", emoji_parse("%F0%9F%91%8D", 12, out) == 0 &&
              strcmp(out, "\xF0\x9F\x91\x8D") == 0);
    test_cond("emoji: raw UTF-8 accepted too", emoji_parse("\xE2\x9D\xA4\xEF\xB8\x8F", 6, out) == 0);
    test_cond("emoji: family with joiners",
              emoji_parse("%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7", 54, out) == 0);
    test_cond("emoji: keycap 1️⃣", emoji_parse("1%EF%B8%8F%E2%83%A3", 19, out) == 0);
    test_cond("emoji: letters refused", emoji_parse("ok", 2, out) < 0);
    test_cond("emoji: space refused", emoji_parse("%20", 3, out) < 0);
    test_cond("emoji: newline refused", emoji_parse("%0A", 3, out) < 0);
    test_cond("emoji: bidi override refused", emoji_parse("%E2%80%AE%F0%9F%91%8D", 21, out) < 0);
    test_cond("emoji: no-break space refused", emoji_parse("%C2%A0", 6, out) < 0);
    test_cond("emoji: truncated UTF-8 refused", emoji_parse("%F0%9F", 6, out) < 0);
    test_cond("emoji: bad escape refused", emoji_parse("%ZZ", 3, out) < 0);
    test_cond("emoji: escape cut short refused", emoji_parse("%F", 2, out) < 0);
    test_cond("emoji: empty refused", emoji_parse("", 0, out) < 0);
    test_cond("emoji: NUL refused", emoji_parse("%00", 3, out) < 0);
    test_cond("emoji: over 32 bytes refused",
              emoji_parse("%F0%9F%91%8D%F0%9F%91%8D%F0%9F%91%8D%F0%9F%91%8D%F0%9F%91%8D"
                          "%F0%9F%91%8D%F0%9F%91%8D%F0%9F%91%8D%F0%9F%91%8D", 108, out) < 0);
    test_cond("emoji: over 10 characters refused",
              emoji_parse("\xC2\xA9\xC2\xA9\xC2\xA9\xC2\xA9\xC2\xA9\xC2\xA9\xC2\xA9\xC2\xA9"
                          "\xC2\xA9\xC2\xA9\xC2\xA9", 22, out) < 0);
}

static void test_mentions(void)
{
    char names[MENTION_MAX][MENTION_NAME_MAX + 1], arr[1024];
    const char *t = "hi @Bob and @bob, @carl. mail a@b.com @@x @ab @toolongnametoolongnametoolongname1 @null";
    size_t n = mention_scan(t, strlen(t), names, MENTION_MAX);

    test_cond("mention: names lower-cased, once each, trailing dots both ways",
              n == 4 && strcmp(names[0], "bob") == 0 && strcmp(names[1], "carl.") == 0 &&
              strcmp(names[2], "carl") == 0 && strcmp(names[3], "null") == 0);
    test_cond("mention: array literal quotes (so null is a name, not NULL)",
              mention_array(names, n, arr, sizeof arr) == 0 &&
              strcmp(arr, "{\"bob\",\"carl.\",\"carl\",\"null\"}") == 0);
    test_cond("mention: @ at the very end is nothing", mention_scan("x @", 3, names, MENTION_MAX) == 0);
    n = mention_scan("@abc @abd @abe", 14, names, 2);
    test_cond("mention: at most max names", n == 2);
}

int main(void)
{
    test_search_words();
    test_emoji();
    test_mentions();
    return test_report();
}
