/* mention.h -- finding "@username" in message text.
 *
 * Pure (no I/O) so that unit tests and the fuzzer reach it directly.  The
 * database decides which names are members of the chat; this only finds
 * candidates. */
#ifndef PL_MENTION_H
#define PL_MENTION_H

#include <stddef.h>

#define MENTION_MAX 20          /* candidates kept per message */
#define MENTION_NAME_MAX 32     /* a username's longest form */

/* Scans s[0..n) for '@' followed by 3-32 of [A-Za-z0-9_.-], where the '@'
 * starts the text or follows a character that cannot be part of a name
 * (so "a@b.com" is no mention).  A name ending in '.' also yields the name
 * without its trailing dots ("@bob." names bob or "bob.").  Names are
 * lower-cased, without duplicates, at most MENTION_MAX.  Returns the number
 * written to out. */
size_t mention_scan(const char *s, size_t n, char out[][MENTION_NAME_MAX + 1], size_t max);

/* Writes the names as a PostgreSQL text[] literal ({"a","b"}) into buf of
 * size len (every name is quote-free).  Returns 0, or -1 if it does not
 * fit. */
int mention_array(char names[][MENTION_NAME_MAX + 1], size_t count, char *buf, size_t len);

#endif
