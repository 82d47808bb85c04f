/* validate.h -- the input rules of the API contract, as pure functions.
 *
 * Kept apart from any I/O so unit tests and fuzzers reach them directly. */
#ifndef PL_VALIDATE_H
#define PL_VALIDATE_H

#include <stddef.h>

#define VALIDATE_CONTENT_MAX_CHARS 4000
#define VALIDATE_TITLE_MAX_CHARS 100

/* Returns 1 if s[0..n) is well-formed UTF-8 (no overlong forms, no UTF-16
 * surrogates, nothing above U+10FFFF) without NUL bytes, else 0. */
int validate_utf8(const char *s, size_t n);

/* Number of code points in valid UTF-8 s[0..n). */
size_t validate_utf8_chars(const char *s, size_t n);

/* Returns 1 for 3-32 characters of [A-Za-z0-9_.-], else 0. */
int validate_username(const char *s, size_t n);

/* Checks message content and titles: valid UTF-8, 1..max characters after
 * trimming leading and trailing white space, no control characters (tab
 * and line breaks aside) and no bidi embedding/override/isolate controls
 * (U+202A-U+202E, U+2066-U+2069).  With max_chars <= VALIDATE_TITLE_MAX_CHARS
 * the text is a title: one line, so no tab or line break inside either.  On success returns 0 and sets *start
 * and *tlen to the trimmed span inside s (no copy); on failure returns -1
 * with a static reason in *why. */
int validate_text(const char *s, size_t n, size_t max_chars, const char **start,
                  size_t *tlen, const char **why);

/* Parses a decimal id in 1..2^53 (exact in JavaScript).  Returns 0 or -1. */
int validate_id(const char *s, size_t n, long long *out);

/* The value of one hex digit (0-9, a-f, A-F), or -1 for any other byte. */
int validate_hexdigit(char c);

#endif
