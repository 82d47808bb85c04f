/* http.h -- request/response plumbing between FastCGI and the handlers.
 *
 * Handlers never touch FCGX: they read struct req and fill struct resp with
 * these helpers, which keeps them testable and the error shape uniform:
 * {"error":{"code":"<snake_case>","message":"<human text>"}}. */
#ifndef PL_HTTP_H
#define PL_HTTP_H

#include "app.h"

/* Sets resp to `status` with body `obj` (ownership passes to resp). */
void http_json(struct resp *resp, int status, json_object *obj);

/* Sets resp to an error body.  `fmt` builds the human message. */
void http_error(struct resp *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Drops whatever resp holds (body, headers, status), to answer anew. */
void http_reset(struct resp *resp);

/* Appends one "Name: value" header line to resp. */
void http_header(struct resp *resp, const char *name, const char *value);

/* Finds `name` in an application/x-www-form-urlencoded string (query or
 * form body) and percent-decodes it into out.  Returns 1 if found, 0 if
 * absent, -1 if malformed or longer than outlen-1. */
int http_form_get(const char *form, size_t formlen, const char *name, char *out,
                  size_t outlen);

/* Returns 1 if the request's Content-Type is `mime` (parameters such as
 * "; charset=utf-8" allowed). */
int http_content_type_is(const struct req *req, const char *mime);

/* Parses the JSON object body.  Returns the object (caller puts it), or
 * NULL with resp set to 415 (not JSON) or 400 (invalid JSON / not object). */
json_object *http_json_body(const struct req *req, struct resp *resp);

#endif
