/* jwt.h -- HS256 JSON Web Tokens, nothing else.
 *
 * Parley's access tokens: header {"alg":"HS256","typ":"JWT"}, claims
 * {"sub":"<user id>","sid":<session id>,"username":"...","iat":<s>,"exp":<s>}.
 * "sub" is a decimal string (RFC 7519); a JSON integer, as older tokens
 * carry, is accepted too.  "sid" names the server-side session; tokens
 * without it (older ones) verify with sid 0.  Verification
 * accepts only alg HS256 (so "none" and RS/HS confusion are refused), compares
 * the MAC in constant time, and requires an unexpired `exp`. */
#ifndef PL_JWT_H
#define PL_JWT_H

#include <stddef.h>

#define JWT_MAX_LEN 2048

struct jwt_claims {
    long long sub;         /* user id */
    long long sid;         /* session id; 0: none (token from before sessions) */
    char username[33];     /* 3-32 characters */
    long long iat;         /* issued at, Unix seconds */
    long long exp;         /* expires at, Unix seconds */
};

enum jwt_status {
    JWT_OK = 0,
    JWT_MALFORMED,         /* not three base64url parts of JSON */
    JWT_BAD_ALG,           /* header alg is not HS256 */
    JWT_BAD_SIGNATURE,
    JWT_EXPIRED,
    JWT_BAD_CLAIMS         /* missing or mistyped sub/sid/exp/username */
};

/* Signs claims with key[0..keylen).  Returns a NUL-terminated token the
 * caller frees, never NULL. */
char *jwt_sign(const struct jwt_claims *c, const char *key, size_t keylen);

/* Verifies token[0..len) at time `now` (Unix seconds).  On JWT_OK fills
 * *out; otherwise *out is unspecified. */
enum jwt_status jwt_verify(const char *token, size_t len, const char *key,
                           size_t keylen, long long now, struct jwt_claims *out);

/* A short English reason for a status, for error bodies and close reasons. */
const char *jwt_status_str(enum jwt_status st);

#endif
