/* search_query.h -- turning what a user typed into search words.
 *
 * Pure (no I/O) for unit tests and the fuzzer.  Every character that is not
 * a letter or digit separates words, so quotes, tsquery operators (& | ! :
 * * ( ) < >), LIKE wildcards (% _), backslashes and SQL-looking text are
 * plain input: they never reach the database as syntax. */
#ifndef PL_SEARCH_QUERY_H
#define PL_SEARCH_QUERY_H

#include <stddef.h>

#define SEARCH_QUERY_MAX_BYTES 256   /* longer q is a 400 */
#define SEARCH_MAX_WORDS 8           /* further words are ignored */
#define SEARCH_WORD_MAX_BYTES 64     /* a longer word is cut at a character */

/* Splits valid UTF-8 q[0..n) into words: runs of ASCII letters and digits
 * and of non-ASCII characters other than spaces and punctuation blocks.
 * Writes up to max NUL-terminated words to out; returns how many. */
size_t search_query_words(const char *q, size_t n,
                          char out[][SEARCH_WORD_MAX_BYTES + 1], size_t max);

/* The words as a PostgreSQL text[] literal ({"w1","w2"}); 0 or -1 if buf
 * is too small. */
int search_query_array(char words[][SEARCH_WORD_MAX_BYTES + 1], size_t count, char *buf,
                       size_t len);

#endif
