/* fuzz_form_login.c -- libFuzzer target: form-urlencoded login bodies.
 *
 * The input is a POST /api/auth/login body with Content-Type
 * application/x-www-form-urlencoded.  It goes through auth.c's own
 * auth_read_credentials (64/257-byte buffers, see fuzz_api.h) and through
 * http_form_get directly for both names at those sizes and at 1 byte.
 *
 * Properties: a field found is NUL-terminated inside its buffer, and a
 * buffer is never written past its end (ASan: the buffers are heap copies
 * of exactly the size given). */
#include "fuzz.h"
#include "fuzz_api.h"
#include "http.h"
#include "validate.h"

static void fuzz_get(const char *form, size_t len, const char *name, size_t cap)
{
    char *out = malloc(cap);
    int f;

    if (!out)
        abort();
    f = http_form_get(form, len, name, out, cap);
    FUZZ_CHECK(f >= -1 && f <= 1);
    if (f == 1)
        FUZZ_CHECK(memchr(out, '\0', cap) != NULL);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct req req;
    struct resp resp;
    char user[64], pw[256 + 1];
    char *body;
    int rc;

    if (size > REQ_MAX_BODY)
        return 0;
    body = fuzz_cstr(data, size);
    fuzz_get(body, size, "username", 64);
    fuzz_get(body, size, "password", 257);
    fuzz_get(body, size, "username", 1);
    fuzz_get(body, size, "password", 1);

    fuzz_post_request(&req, &resp, "application/x-www-form-urlencoded", body, size);
    rc = fuzz_auth_read_credentials(&req, &resp, user, sizeof user, pw, sizeof pw);
    if (rc == 0) {
        FUZZ_CHECK(resp.body == NULL);
        FUZZ_CHECK(strlen(user) < sizeof user && strlen(pw) < sizeof pw);
        FUZZ_CHECK(validate_utf8(user, strlen(user)) && validate_utf8(pw, strlen(pw)));
    } else {
        FUZZ_CHECK(resp.status == 400 && resp.body != NULL);
    }
    json_object_put(resp.body);
    free(body);
    return 0;
}
