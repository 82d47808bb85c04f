/* emoji.h -- the reaction "emoji" path segment, decoded and checked.
 *
 * Pure (no I/O) for unit tests and the fuzzer.  A reaction is a short
 * symbol: after percent-decoding it must be valid UTF-8 of 1-EMOJI_MAX_BYTES
 * bytes and at most EMOJI_MAX_CHARS code points, with no ASCII other than
 * the keycap characters 0-9 # *, no controls (C0, C1), no white space or
 * invisible separators, no bidirectional controls.  Joiners and variation
 * selectors (U+200D, U+FE0F) are allowed: emoji sequences need them. */
#ifndef PL_EMOJI_H
#define PL_EMOJI_H

#include <stddef.h>

#define EMOJI_MAX_BYTES 32
#define EMOJI_MAX_CHARS 10

/* Decodes the raw segment seg[0..n) into out (EMOJI_MAX_BYTES + 1 bytes,
 * NUL-terminated).  Returns 0, or -1 if malformed or not allowed. */
int emoji_parse(const char *seg, size_t n, char out[EMOJI_MAX_BYTES + 1]);

#endif
