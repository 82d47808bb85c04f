/* fuzz_api.h -- non-static doors into fcgi-api's static request parsers.
 *
 * api_auth.c, api_chats.c and api_messages.c each #include one handler
 * module (lighttpd's `#include "mod_access.c"` habit) and wrap the static
 * function a fuzzer needs; the database code they also contain links but is
 * never called. */
#ifndef PL_FUZZ_API_H
#define PL_FUZZ_API_H

#include "app.h"

#include <string.h>

/* Zeroes req and resp and makes req a POST of body[0..len) with the given
 * Content-Type, as main.c would after reading it. */
static inline void fuzz_post_request(struct req *req, struct resp *resp,
                                     const char *content_type, const char *body,
                                     size_t len)
{
    memset(req, 0, sizeof *req);
    memset(resp, 0, sizeof *resp);
    req->method = "POST";
    req->query = "";
    req->content_type = content_type;
    req->body = body;
    req->body_len = len;
}

/* auth.c auth_read_credentials: JSON or form login body into user/pw. */
int fuzz_auth_read_credentials(const struct req *req, struct resp *resp, char *user,
                               size_t ulen, char *pw, size_t pwlen);

/* chats.c chats_member_array: JSON array of ids to a Postgres array text. */
char *fuzz_chats_member_array(json_object *ids, struct resp *resp);

/* messages.c messages_content: {"content"} validated and trimmed. */
char *fuzz_messages_content(json_object *body, struct resp *resp);

/* messages.c messages_query_id: an optional numeric query parameter. */
int fuzz_messages_query_id(struct req *req, struct resp *resp, const char *name,
                           long long *out);

#endif
