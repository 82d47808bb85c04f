/* fname.h -- a user-supplied file name made safe to store and to show.
 *
 * The name only ever labels a file (the bytes on disk are named by their
 * hash), but it is echoed in JSON, in URLs and in Content-Disposition, so it
 * is cleaned once, on upload: the last path component only (no "../" or
 * "C:\"), no control characters, no bidirectional overrides or other
 * invisible format characters (U+202E "gnp.exe" tricks), valid UTF-8, no
 * leading dots or spaces, at most FNAME_MAX bytes cut on a character
 * boundary.  Pure: no I/O. */
#ifndef PL_FNAME_H
#define PL_FNAME_H

#include <stddef.h>

#define FNAME_MAX 200

/* Writes the cleaned form of in[0..n) to out (FNAME_MAX + 1 bytes).  An
 * empty result becomes "file".  Returns 0, or -1 if `in` is not valid
 * UTF-8 or contains NUL (the caller answers 400). */
int fname_clean(const char *in, size_t n, char out[FNAME_MAX + 1]);

#endif
