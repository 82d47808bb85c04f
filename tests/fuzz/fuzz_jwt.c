/* fuzz_jwt.c -- libFuzzer target: HS256 tokens.
 *
 * Two things per input.  First jwt_verify on the raw bytes (fixed key,
 * fixed now): it must never crash, and an accepted token must carry claims
 * the API relies on (sub >= 1, a valid username, exp in the future).
 * Second a round trip: claims derived from the input (any sub >= 1, a 3-32
 * character username over the allowed alphabet, any iat, any exp after now,
 * a key of 0-64 input bytes) are signed with jwt_sign and must verify with
 * the same key and give back the same claims, and must not verify with
 * another key or once expired. */
#include "fuzz.h"
#include "jwt.h"

#include <limits.h>
#include <sodium.h>

#define FUZZ_NOW 1700000000LL

static const char fuzz_key[] = "fuzz-secret-0123456789abcdef-0123";
static const char fuzz_alpha[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

/* Takes 8 bytes from the input (zero-padded at the end). */
static unsigned long long fuzz_u64(const uint8_t **p, size_t *left)
{
    unsigned long long v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8;
        if (*left) {
            v |= **p;
            (*p)++;
            (*left)--;
        }
    }
    return v;
}

static void fuzz_round_trip(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t left = size, ulen, klen;
    struct jwt_claims c, got;
    char key[64];
    char *tok;

    memset(&c, 0, sizeof c);
    c.sub = (long long)(fuzz_u64(&p, &left) % (unsigned long long)LLONG_MAX) + 1;
    c.iat = (long long)fuzz_u64(&p, &left);
    c.sid = (long long)(fuzz_u64(&p, &left) % (unsigned long long)LLONG_MAX);
    c.exp = FUZZ_NOW + 1 +
            (long long)(fuzz_u64(&p, &left) % (unsigned long long)(LLONG_MAX - FUZZ_NOW));
    ulen = 3 + (left ? *p % 30 : 0);
    for (size_t i = 0; i < ulen; i++)
        c.username[i] = fuzz_alpha[left > i + 1 ? p[i + 1] % (sizeof fuzz_alpha - 1) : 0];
    c.username[ulen] = '\0';
    klen = size % sizeof key;
    for (size_t i = 0; i < klen; i++)
        key[i] = (char)data[(i * 7) % (size ? size : 1)] ^ (char)i;

    tok = jwt_sign(&c, key, klen);
    FUZZ_CHECK(strlen(tok) < JWT_MAX_LEN);
    FUZZ_CHECK(jwt_verify(tok, strlen(tok), key, klen, FUZZ_NOW, &got) == JWT_OK);
    FUZZ_CHECK(got.sub == c.sub && got.sid == c.sid && got.iat == c.iat && got.exp == c.exp &&
               strcmp(got.username, c.username) == 0);
    FUZZ_CHECK(jwt_verify(tok, strlen(tok), key, klen, c.exp, &got) == JWT_EXPIRED);
    FUZZ_CHECK(jwt_verify(tok, strlen(tok), fuzz_key, sizeof fuzz_key - 1, FUZZ_NOW,
                          &got) == JWT_BAD_SIGNATURE);
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct jwt_claims got;
    char *tok;
    enum jwt_status st;

    if (!ready) {
        if (sodium_init() < 0)
            abort();
        ready = 1;
    }
    tok = fuzz_cstr(data, size);
    memset(&got, 0, sizeof got);
    st = jwt_verify(tok, size, fuzz_key, sizeof fuzz_key - 1, FUZZ_NOW, &got);
    FUZZ_CHECK(st >= JWT_OK && st <= JWT_BAD_CLAIMS);
    FUZZ_CHECK(jwt_status_str(st) != NULL);
    if (st == JWT_OK) {
        size_t n = strnlen(got.username, sizeof got.username);
        FUZZ_CHECK(n < sizeof got.username && n >= 3);
        FUZZ_CHECK(got.sub >= 1 && got.exp > FUZZ_NOW);
    }
    free(tok);
    fuzz_round_trip(data, size);
    return 0;
}
