/* app.h -- the types every API module shares: the per-process context, one
 * parsed request, and the response being built.
 *
 * One struct app exists per worker process (STYLE: one context struct per
 * binary); struct req and struct resp live on the stack of the accept loop
 * for one request and are reset between requests. */
#ifndef PL_APP_H
#define PL_APP_H

#include "config.h"
#include "jwt.h"

#include <json-c/json.h>
#include <stddef.h>

struct db;
struct notify;

struct app {
    struct pl_config cfg;
    struct db *db;
    struct notify *notify;
};

#define REQ_MAX_BODY (64 * 1024)
#define REQ_MAX_IDS 2

struct req {
    const char *method;
    char path[256];            /* REQUEST_URI path, query removed */
    const char *query;         /* raw query string ("" if none) */
    const char *authorization;
    const char *content_type;
    const char *remote_addr;
    const char *user_agent;
    const char *body;          /* NUL-terminated, body_len bytes */
    size_t body_len;
    long long ids[REQ_MAX_IDS];   /* numeric path segments, by the router */
    struct jwt_claims user;    /* the caller, once authenticated */
    int is_admin;              /* the caller is an admin (set with user) */
    long long now;             /* Unix seconds at request start */
};

struct resp {
    int status;
    json_object *body;         /* owned; NULL means no body */
    char headers[256];         /* extra header lines, each ending "\r\n" */
};

typedef void (*handler_fn)(struct app *app, struct req *req, struct resp *resp);

#endif
