/* app.h -- the types every API module shares: the per-process context, one
 * parsed request, and the response being built.
 *
 * One struct app exists per worker process (one context struct per
 * binary); struct req and struct resp live on the stack of the accept loop
 * for one request and are reset between requests. */
#ifndef PL_APP_H
#define PL_APP_H

#include "config.h"
#include "jwt.h"

#include <json-c/json.h>
#include <stddef.h>

struct db;
struct hl;
struct notify;

struct app {
    struct pl_config cfg;
    struct db *db;
    struct notify *notify;
    struct hl *hl;             /* search highlighting (highlight.c); NULL: none */
};

#define REQ_MAX_BODY (64 * 1024)
#define REQ_MAX_IDS 2
#define REQ_MAX_WORD 1024      /* as long as path: a segment is never cut */

struct req {
    const char *method;
    char path[1024];            /* REQUEST_URI path, query removed */
    const char *query;         /* raw query string ("" if none) */
    const char *authorization;
    const char *cookie;        /* HTTP Cookie header, or NULL */
    const char *content_type;
    const char *remote_addr;
    const char *user_agent;
    const char *body;          /* NUL-terminated, body_len bytes */
    size_t body_len;
    /* Routes that take large bodies (router_streams_body) get no `body`:
     * they pull it with body_read (returns bytes read, 0 at the end, -1 on
     * error) up to content_length bytes, never all of it in memory. */
    long long content_length;
    long (*body_read)(void *ctx, char *buf, size_t n);
    void *body_ctx;
    long long ids[REQ_MAX_IDS];   /* numeric path segments, by the router */
    char word[REQ_MAX_WORD];   /* the one "*" path segment, raw (percent-encoded) */
    struct jwt_claims user;    /* the caller, once authenticated */
    int is_admin;              /* the caller is an admin (set with user) */
    long long now;             /* Unix seconds at request start */
};

struct resp {
    int status;
    json_object *body;         /* owned; NULL means no body */
    char headers[1024];        /* extra header lines, each ending "\r\n" */
    int sendfile;              /* X-Sendfile answer: lighttpd sends the
                                * file and its length, so no body, no
                                * Content-Length and no Cache-Control here */
};

typedef void (*handler_fn)(struct app *app, struct req *req, struct resp *resp);

#endif
