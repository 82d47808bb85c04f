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
    return test_report();
}
