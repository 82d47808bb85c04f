/* jwt.c -- HS256 JWT sign/verify on libsodium (see jwt.h).
 *
 * libsodium provides exactly the three primitives a JWT needs: base64url
 * without padding (sodium_bin2base64 URLSAFE_NO_PADDING), HMAC-SHA256 with
 * any key length (crypto_auth_hmacsha256_*), and a constant-time compare
 * (sodium_memcmp).  The JSON parts go through jsonx's strict parser. */
#include "jwt.h"

#include "jsonx.h"
#include "validate.h"
#include "xmem.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define JWT_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static const char jwt_header_b64_src[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* Reads "sub" as a decimal string (what jwt_sign writes) or, from tokens
 * issued before sub became a string, a JSON integer.  Returns 0 or -1. */
static int jwt_get_sub(json_object *claims, long long *out)
{
    const char *s;
    size_t n;
    long long v = 0;

    if (jsonx_get_int64(claims, "sub", out) == 1)
        return *out >= 1 ? 0 : -1;
    if (jsonx_get_string(claims, "sub", &s, &n) != 1 || n == 0 || n > 19 || s[0] == '0')
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (LLONG_MAX - (s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static void jwt_mac(const char *data, size_t len, const char *key, size_t keylen,
                    unsigned char out[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

/* Appends base64url(bin) at *p; returns the new end. */
static char *jwt_b64_append(char *p, const void *bin, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, JWT_B64);
    sodium_bin2base64(p, cap, bin, len, JWT_B64);
    return p + strlen(p);
}

char *jwt_sign(const struct jwt_claims *c, const char *key, size_t keylen)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    json_object *claims = json_object_new_object();
    const char *cj;
    char *tok, *p;
    size_t cjlen, cap;

    char sub[24];

    /* RFC 7519 4.1.2: "sub" is a string. */
    snprintf(sub, sizeof sub, "%lld", c->sub);
    jsonx_add(claims, "sub", json_object_new_string(sub));
    if (c->sid > 0)
        jsonx_add(claims, "sid", json_object_new_int64(c->sid));
    jsonx_add(claims, "username", json_object_new_string(c->username));
    jsonx_add(claims, "iat", json_object_new_int64(c->iat));
    jsonx_add(claims, "exp", json_object_new_int64(c->exp));
    cj = json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN);
    cjlen = strlen(cj);

    cap = sodium_base64_ENCODED_LEN(sizeof jwt_header_b64_src, JWT_B64) +
          sodium_base64_ENCODED_LEN(cjlen, JWT_B64) +
          sodium_base64_ENCODED_LEN(sizeof mac, JWT_B64) + 3;
    tok = xmalloc(cap);
    p = jwt_b64_append(tok, jwt_header_b64_src, sizeof jwt_header_b64_src - 1);
    *p++ = '.';
    p = jwt_b64_append(p, cj, cjlen);
    jwt_mac(tok, (size_t)(p - tok), key, keylen, mac);
    *p++ = '.';
    jwt_b64_append(p, mac, sizeof mac);
    json_object_put(claims);
    return tok;
}

/* Decodes one base64url segment into a NUL-terminated buffer.  Returns the
 * decoded length or -1. */
static long jwt_b64_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t bin_len = 0;
    if (sodium_base642bin((unsigned char *)out, cap - 1, s, n, NULL, &bin_len,
                          NULL, JWT_B64) != 0)
        return -1;
    out[bin_len] = '\0';
    return (long)bin_len;
}

enum jwt_status jwt_verify(const char *token, size_t len, const char *key,
                           size_t keylen, long long now, struct jwt_claims *out)
{
    char buf[JWT_MAX_LEN];
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    unsigned char want[crypto_auth_hmacsha256_BYTES];
    const char *dot1, *dot2, *alg, *uname;
    json_object *hdr = NULL, *claims = NULL;
    enum jwt_status st = JWT_MALFORMED;
    char err[128];
    long n;
    size_t ulen, maclen = 0;

    if (len == 0 || len >= JWT_MAX_LEN)
        return JWT_MALFORMED;
    dot1 = memchr(token, '.', len);
    if (!dot1)
        return JWT_MALFORMED;
    dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return JWT_MALFORMED;

    /* Header first: refuse any alg but HS256 before touching the MAC. */
    n = jwt_b64_decode(token, (size_t)(dot1 - token), buf, sizeof buf);
    if (n < 0 || !(hdr = jsonx_parse(buf, (size_t)n, err, sizeof err)) ||
        !json_object_is_type(hdr, json_type_object))
        goto out;
    if (jsonx_get_string(hdr, "alg", &alg, NULL) != 1 || strcmp(alg, "HS256") != 0) {
        st = JWT_BAD_ALG;
        goto out;
    }

    if (sodium_base642bin(mac, sizeof mac, dot2 + 1, len - (size_t)(dot2 + 1 - token),
                          NULL, &maclen, NULL, JWT_B64) != 0 ||
        maclen != sizeof mac)
        goto out;
    jwt_mac(token, (size_t)(dot2 - token), key, keylen, want);
    if (sodium_memcmp(mac, want, sizeof mac) != 0) {
        st = JWT_BAD_SIGNATURE;
        goto out;
    }

    n = jwt_b64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf, sizeof buf);
    if (n < 0 || !(claims = jsonx_parse(buf, (size_t)n, err, sizeof err)) ||
        !json_object_is_type(claims, json_type_object))
        goto out;
    st = JWT_BAD_CLAIMS;
    if (jwt_get_sub(claims, &out->sub) < 0 ||
        jsonx_get_int64(claims, "exp", &out->exp) != 1 ||
        jsonx_get_string(claims, "username", &uname, &ulen) != 1 ||
        !validate_username(uname, ulen))
        goto out;
    if (jsonx_get_int64(claims, "iat", &out->iat) != 1)
        out->iat = 0;
    /* No sid: a token from before sessions (the API checks it otherwise). */
    switch (jsonx_get_int64(claims, "sid", &out->sid)) {
    case 0:
        out->sid = 0;
        break;
    case 1:
        if (out->sid >= 1)
            break;
        /* fall through */
    default:
        goto out;
    }
    memcpy(out->username, uname, ulen);
    out->username[ulen] = '\0';
    st = now < out->exp ? JWT_OK : JWT_EXPIRED;
out:
    json_object_put(hdr);
    json_object_put(claims);
    return st;
}

const char *jwt_status_str(enum jwt_status st)
{
    switch (st) {
    case JWT_OK: return "ok";
    case JWT_MALFORMED: return "malformed token";
    case JWT_BAD_ALG: return "unsupported token algorithm";
    case JWT_BAD_SIGNATURE: return "bad token signature";
    case JWT_EXPIRED: return "token expired";
    case JWT_BAD_CLAIMS: return "bad token claims";
    }
    return "invalid token";
}
