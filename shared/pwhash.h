/* pwhash.h -- password hashing: argon2id via libsodium.
 *
 * Cost: libsodium's INTERACTIVE limits (t=2, 64 MiB), about 170 ms per hash
 * on the 2-core reference machine (see docs/security.md).  The encoded string
 * carries its own salt and parameters, so costs can be raised later and old
 * hashes still verify. */
#ifndef PL_PWHASH_H
#define PL_PWHASH_H

#include <stddef.h>

#define PWHASH_STR_LEN 128   /* crypto_pwhash_STRBYTES */

/* Must be called once before the others (initialises libsodium).
 * Returns 0 or -1. */
int pwhash_init(void);

/* Hashes pw into out (NUL-terminated).  Returns 0, or -1 if memory for the
 * hash could not be had. */
int pwhash_hash(const char *pw, size_t pwlen, char out[PWHASH_STR_LEN]);

/* Returns 1 if pw matches the encoded hash, else 0. */
int pwhash_verify(const char *hash, const char *pw, size_t pwlen);

/* Spends the same time as a failed pwhash_verify, for unknown usernames, so
 * login timing does not reveal which usernames exist. */
void pwhash_burn(const char *pw, size_t pwlen);

#endif
