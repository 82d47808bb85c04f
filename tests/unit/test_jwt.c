/* test_jwt.c -- HS256 sign/verify, refusal of alg:none, tampering, expiry. */
#include "jwt.h"
#include "pwhash.h"
#include "testhelp.h"

#include <sodium.h>
#include <string.h>
#include <stdlib.h>

static const char key[] = "0123456789abcdef0123456789abcdef";

/* Builds "<b64(header)>.<b64(payload)>.<sig>" by hand for forged tokens. */
static char *forge(const char *hdr, const char *payload, const char *sig)
{
    static char out[2048];
    char h[512], p[512];
    sodium_bin2base64(h, sizeof h, (const unsigned char *)hdr, strlen(hdr),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2base64(p, sizeof p, (const unsigned char *)payload, strlen(payload),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, sizeof out, "%s.%s.%s", h, p, sig);
    return out;
}

/* Like forge, but with a correct HS256 MAC under `key`, so only the
 * claims decide the outcome. */
static char *forge_signed(const char *payload)
{
    static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char sig[64], *t, *dot2;

    t = forge(hdr, payload, "");
    dot2 = strrchr(t, '.');
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, (size_t)(dot2 - t));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(sig, sizeof sig, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    strcat(t, sig);
    return t;
}

static void test_sub_and_sid(void)
{
    struct jwt_claims c = { .sub = 7, .sid = 99, .username = "user1", .iat = 1000, .exp = 2000 };
    struct jwt_claims got;
    char *tok = jwt_sign(&c, key, strlen(key));
    char payload[512];
    const char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    unsigned char bin[512];
    size_t bl = 0;
    const char *t;

    sodium_base642bin(bin, sizeof bin - 1, dot1 + 1, (size_t)(dot2 - dot1 - 1), NULL, &bl, NULL,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    bin[bl] = '\0';
    snprintf(payload, sizeof payload, "%s", (const char *)bin);
    test_cond("sub is signed as a JSON string", strstr(payload, "\"sub\":\"7\"") != NULL);
    test_cond("sid is in the token", strstr(payload, "\"sid\":99") != NULL);
    test_cond("sid round-trips", jwt_verify(tok, strlen(tok), key, strlen(key), 1500, &got) == JWT_OK &&
                                     got.sub == 7 && got.sid == 99);
    free(tok);

    t = forge_signed("{\"sub\":5,\"username\":\"user1\",\"exp\":2000}");
    test_cond("numeric sub of an older token still accepted",
              jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_OK && got.sub == 5 &&
                  got.sid == 0);
    t = forge_signed("{\"sub\":\"12\",\"username\":\"user1\",\"exp\":2000}");
    test_cond("string sub accepted", jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_OK &&
                                         got.sub == 12);
    t = forge_signed("{\"sub\":\"012\",\"username\":\"user1\",\"exp\":2000}");
    test_cond("sub with a leading zero refused",
              jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_BAD_CLAIMS);
    t = forge_signed("{\"sub\":\"1x\",\"username\":\"user1\",\"exp\":2000}");
    test_cond("non-numeric sub refused",
              jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_BAD_CLAIMS);
    t = forge_signed("{\"sub\":\"\",\"username\":\"user1\",\"exp\":2000}");
    test_cond("empty sub refused", jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_BAD_CLAIMS);
    t = forge_signed("{\"sub\":\"99999999999999999999\",\"username\":\"user1\",\"exp\":2000}");
    test_cond("overlong sub refused",
              jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_BAD_CLAIMS);
    t = forge_signed("{\"sub\":\"9999999999999999999\",\"username\":\"user1\",\"exp\":2000}");
    test_cond("sub past 2^63 refused",
              jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_BAD_CLAIMS);
    t = forge_signed("{\"sub\":\"3\",\"sid\":\"4\",\"username\":\"user1\",\"exp\":2000}");
    test_cond("string sid refused", jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_BAD_CLAIMS);
    t = forge_signed("{\"sub\":\"3\",\"sid\":0,\"username\":\"user1\",\"exp\":2000}");
    test_cond("zero sid refused", jwt_verify(t, strlen(t), key, strlen(key), 1500, &got) == JWT_BAD_CLAIMS);
}

int main(void)
{
    struct jwt_claims c = { .sub = 42, .username = "user1", .iat = 1000, .exp = 2000 };
    struct jwt_claims got;
    char *tok;
    enum jwt_status st;

    test_cond("pwhash_init", pwhash_init() == 0);
    tok = jwt_sign(&c, key, strlen(key));
    test_cond("token has three parts", strchr(tok, '.') && strchr(strchr(tok, '.') + 1, '.'));
    st = jwt_verify(tok, strlen(tok), key, strlen(key), 1500, &got);
    test_cond("valid token verifies", st == JWT_OK);
    test_cond("claims round-trip", got.sub == 42 && strcmp(got.username, "user1") == 0 &&
                                       got.exp == 2000 && got.iat == 1000);
    test_cond("expired token refused",
              jwt_verify(tok, strlen(tok), key, strlen(key), 2000, &got) == JWT_EXPIRED);
    test_cond("wrong key refused",
              jwt_verify(tok, strlen(tok), "another-key-another-key-another-key", 35, 1500,
                         &got) == JWT_BAD_SIGNATURE);
    {
        char *t2 = strdup(tok);
        char *dot = strchr(t2, '.');
        dot[1] = dot[1] == 'A' ? 'B' : 'A'; /* tamper with the payload */
        test_cond("tampered payload refused",
                  jwt_verify(t2, strlen(t2), key, strlen(key), 1500, &got) != JWT_OK);
        free(t2);
    }
    {
        const char *t = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}",
                              "{\"sub\":1,\"username\":\"admin\",\"exp\":99999}", "");
        test_cond("alg none refused", jwt_verify(t, strlen(t), key, strlen(key), 1, &got) != JWT_OK);
        t = forge("{\"alg\":\"HS512\"}", "{\"sub\":1,\"username\":\"admin\",\"exp\":99999}", "abc");
        test_cond("alg HS512 refused",
                  jwt_verify(t, strlen(t), key, strlen(key), 1, &got) == JWT_BAD_ALG);
    }
    test_cond("garbage refused", jwt_verify("abc", 3, key, strlen(key), 1, &got) == JWT_MALFORMED);
    test_cond("empty refused", jwt_verify("", 0, key, strlen(key), 1, &got) == JWT_MALFORMED);
    test_cond("four parts refused", jwt_verify("a.b.c.d", 7, key, strlen(key), 1, &got) == JWT_MALFORMED);
    {
        char big[4096];
        memset(big, 'a', sizeof big);
        test_cond("oversized refused",
                  jwt_verify(big, sizeof big, key, strlen(key), 1, &got) == JWT_MALFORMED);
    }
    {
        /* jwt.io's reference HS256 token, key "your-256-bit-secret": proves
         * interoperability of the MAC (its claims lack exp, so BAD_CLAIMS). */
        const char *ref = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                          "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
                          "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        test_cond("jwt.io reference MAC verifies",
                  jwt_verify(ref, strlen(ref), "your-256-bit-secret", 19, 1, &got) == JWT_BAD_CLAIMS);
        test_cond("jwt.io reference with wrong key fails",
                  jwt_verify(ref, strlen(ref), "your-256-bit-secreT", 19, 1, &got) == JWT_BAD_SIGNATURE);
    }
    free(tok);
    test_sub_and_sid();
    return test_report();
}
