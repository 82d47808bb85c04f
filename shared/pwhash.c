/* pwhash.c -- argon2id password hashes (see pwhash.h). */
#include "pwhash.h"

#include <sodium.h>
#include <string.h>

#define PWHASH_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PWHASH_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

/* A real hash of a random password, made once at start-up: verifying
 * against it costs exactly what a real failed login costs. */
static char pwhash_dummy[PWHASH_STR_LEN];

int pwhash_init(void)
{
    unsigned char pw[16];
    if (sodium_init() < 0)
        return -1;
    if (pwhash_dummy[0])
        return 0;
    randombytes_buf(pw, sizeof pw);
    return pwhash_hash((const char *)pw, sizeof pw, pwhash_dummy);
}

int pwhash_hash(const char *pw, size_t pwlen, char out[PWHASH_STR_LEN])
{
    if (crypto_pwhash_str(out, pw, pwlen, PWHASH_OPS, PWHASH_MEM) != 0)
        return -1;
    return 0;
}

int pwhash_verify(const char *hash, const char *pw, size_t pwlen)
{
    return crypto_pwhash_str_verify(hash, pw, pwlen) == 0;
}

void pwhash_burn(const char *pw, size_t pwlen)
{
    if (crypto_pwhash_str_verify(pwhash_dummy, pw, pwlen) == 0)
        return;    /* cannot happen: nobody knows the random password */
}
