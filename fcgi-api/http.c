/* http.c -- response builders and request-field parsing (see http.h). */
#include "http.h"

#include "jsonx.h"
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void http_json(struct resp *resp, int status, json_object *obj)
{
    json_object_put(resp->body);
    resp->status = status;
    resp->body = obj;
}

void http_reset(struct resp *resp)
{
    json_object_put(resp->body);
    resp->body = NULL;
    resp->status = 0;
    resp->headers[0] = '\0';
    resp->sendfile = 0;
}

void http_error(struct resp *resp, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_object *err = json_object_new_object();
    json_object *root = json_object_new_object();

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jsonx_add(err, "code", json_object_new_string(code));
    jsonx_add(err, "message", json_object_new_string(msg));
    jsonx_add(root, "error", err);
    http_json(resp, status, root);
}

void http_header(struct resp *resp, const char *name, const char *value)
{
    size_t n = strlen(resp->headers);
    snprintf(resp->headers + n, sizeof resp->headers - n, "%s: %s\r\n", name, value);
}

/* Percent-decodes s[0..n) into out; '+' is a space.  Returns the decoded
 * length or -1. */
static long http_urldecode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = validate_hexdigit(s[i + 1]);
            lo = validate_hexdigit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return -1;      /* "%00" would cut the value short later */
            i += 2;
        }
        if (o + 1 >= outlen)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return (long)o;
}

int http_form_get(const char *form, size_t formlen, const char *name, char *out,
                  size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = form, *end = form + formlen;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        size_t klen = (size_t)((eq ? eq : pe) - p);
        if (klen == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : pe;
            return http_urldecode(v, (size_t)(pe - v), out, outlen) < 0 ? -1 : 1;
        }
        p = pe + 1;
    }
    return 0;
}

int http_content_type_is(const struct req *req, const char *mime)
{
    size_t n = strlen(mime);
    const char *ct = req->content_type;
    if (!ct || strncasecmp(ct, mime, n) != 0)
        return 0;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

json_object *http_json_body(const struct req *req, struct resp *resp)
{
    char err[128];
    json_object *obj;

    if (!http_content_type_is(req, "application/json")) {
        http_error(resp, 415, "unsupported_media_type",
                   "request body must be application/json");
        return NULL;
    }
    obj = jsonx_parse(req->body, req->body_len, err, sizeof err);
    if (!obj) {
        http_error(resp, 400, "invalid_json", "%s", err);
        return NULL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        http_error(resp, 400, "invalid_json", "request body must be a JSON object");
        return NULL;
    }
    return obj;
}
