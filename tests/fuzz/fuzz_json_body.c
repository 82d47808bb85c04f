/* fuzz_json_body.c -- libFuzzer target: JSON request bodies.
 *
 * The input is a POST/PATCH body with Content-Type application/json.  It
 * goes through what each route does with it: http_json_body (jsonx_parse),
 * login/register's auth_read_credentials (64-byte username, 257-byte
 * password buffers), messages' content and client_id rules, chats' title,
 * member_ids and user_id, read's message_id, each through the real static
 * functions (see fuzz_api.h).
 *
 * Properties: accepted credentials are NUL-terminated inside their buffers;
 * accepted content/title is the trimmed, valid, non-empty text within the
 * character limit; a member array is "{id,id,...}" of positive ids. */
#include "fuzz.h"
#include "fuzz_api.h"
#include "http.h"
#include "jsonx.h"
#include "validate.h"

#include <ctype.h>

static void fuzz_check_text(const char *s, size_t max_chars)
{
    size_t n = strlen(s);
    FUZZ_CHECK(n > 0 && validate_utf8(s, n));
    FUZZ_CHECK(validate_utf8_chars(s, n) <= max_chars);
    FUZZ_CHECK(!isspace((unsigned char)s[0]) && !isspace((unsigned char)s[n - 1]));
}

static void fuzz_credentials(const struct req *req)
{
    struct resp resp;
    char user[64], pw[256 + 1];

    memset(&resp, 0, sizeof resp);
    memset(user, 0x5a, sizeof user);
    memset(pw, 0x5a, sizeof pw);
    if (fuzz_auth_read_credentials(req, &resp, user, sizeof user, pw, sizeof pw) == 0) {
        FUZZ_CHECK(memchr(user, '\0', sizeof user) && memchr(pw, '\0', sizeof pw));
        FUZZ_CHECK(validate_utf8(user, strlen(user)) && validate_utf8(pw, strlen(pw)));
        (void)validate_username(user, strlen(user));
        FUZZ_CHECK(resp.body == NULL);
    } else {
        FUZZ_CHECK(resp.status == 400 || resp.status == 415);
    }
    json_object_put(resp.body);
}

static void fuzz_fields(json_object *body)
{
    struct resp resp;
    const char *s, *start, *why;
    size_t n, tlen;
    long long v;
    int b;
    char *out;
    json_object *ids;

    memset(&resp, 0, sizeof resp);
    out = fuzz_messages_content(body, &resp);
    if (out) {
        fuzz_check_text(out, VALIDATE_CONTENT_MAX_CHARS);
        free(out);
    }
    /* messages_post's client_id rule. */
    if (jsonx_get_string(body, "client_id", &s, &n) == 1)
        (void)(n >= 1 && n <= 64 && validate_utf8(s, n));
    if (jsonx_get_string(body, "title", &s, &n) == 1 &&
        validate_text(s, n, VALIDATE_TITLE_MAX_CHARS, &start, &tlen, &why) == 0) {
        FUZZ_CHECK(start >= s && start + tlen <= s + n && tlen > 0);
        FUZZ_CHECK(validate_utf8_chars(start, tlen) <= VALIDATE_TITLE_MAX_CHARS);
    }
    if (json_object_object_get_ex(body, "member_ids", &ids) &&
        json_object_is_type(ids, json_type_array)) {
        out = fuzz_chats_member_array(ids, &resp);
        if (out) {
            size_t len = strlen(out);
            FUZZ_CHECK(len >= 2 && out[0] == '{' && out[len - 1] == '}');
            FUZZ_CHECK(strspn(out + 1, "0123456789,") == len - 2);
            FUZZ_CHECK(strstr(out, "{,") == NULL && strstr(out, ",,") == NULL &&
                       strstr(out, ",}") == NULL && strstr(out, "{0") == NULL &&
                       strstr(out, ",0") == NULL);
            free(out);
        }
    }
    (void)jsonx_get_int64(body, "user_id", &v);
    (void)jsonx_get_int64(body, "message_id", &v);
    if (jsonx_get_string(body, "username", &s, &n) == 1)
        (void)validate_username(s, n);
    if (jsonx_get_string(body, "password", &s, &n) == 1)
        (void)validate_utf8(s, n);
    (void)jsonx_get_bool(body, "content", &b);
    json_object_put(resp.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct req req;
    struct resp resp;
    char *body = fuzz_cstr(data, size);
    json_object *obj;

    if (size > REQ_MAX_BODY) {
        free(body);
        return 0;
    }
    fuzz_post_request(&req, &resp, "application/json; charset=utf-8", body, size);

    fuzz_credentials(&req);
    obj = http_json_body(&req, &resp);
    if (obj) {
        FUZZ_CHECK(json_object_is_type(obj, json_type_object));
        fuzz_fields(obj);
        json_object_put(obj);
    } else {
        FUZZ_CHECK(resp.status == 400 && resp.body != NULL);
    }
    json_object_put(resp.body);
    free(body);
    return 0;
}
