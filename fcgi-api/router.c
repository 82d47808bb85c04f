/* router.c -- the route table of docs/api.md and bearer-token checks.
 *
 * Patterns are literal paths where "#" stands for one numeric id segment
 * (validated here, so handlers get ids in req->ids) and "*" for one
 * non-empty segment of other text (raw, in req->word; the handler decodes
 * and checks it).  A path that matches
 * with another method is a 405 with an Allow header, anything else a 404.
 * Authentication happens here, once, for every route marked auth. */
#include "router.h"

#include "admin.h"
#include "auth.h"
#include "chats.h"
#include "http.h"
#include "members.h"
#include "messages.h"
#include "reactions.h"
#include "search.h"
#include "sessions.h"
#include "sync.h"
#include "uploads.h"
#include "mute.h"
#include "presence.h"
#include "users.h"
#include "validate.h"

#include <string.h>

struct route {
    const char *method;
    const char *pattern;
    handler_fn fn;
    int auth;
};

static const struct route routes[] = {
    { "POST", "/api/auth/login", auth_login, 0 },
    { "POST", "/api/auth/register", auth_register, 0 },
    { "GET", "/api/health", auth_health, 0 },
    { "GET", "/api/me", auth_me, 1 },
    { "GET", "/api/users", users_search, 1 },
    { "GET", "/api/chats", chats_list, 1 },
    { "POST", "/api/chats", chats_create, 1 },
    { "GET", "/api/chats/#", chats_get, 1 },
    { "GET", "/api/chats/#/messages", messages_list, 1 },
    { "POST", "/api/chats/#/messages", messages_post, 1 },
    { "POST", "/api/chats/#/read", messages_read, 1 },
    { "POST", "/api/chats/#/typing", messages_typing, 1 },
    { "PATCH", "/api/messages/#", messages_edit, 1 },
    { "DELETE", "/api/messages/#", messages_delete, 1 },
    { "GET", "/api/sync", sync_get, 1 },
    { "PUT", "/api/chats/#/mute", mute_put, 1 },
    { "GET", "/api/presence", presence_get, 1 },
    { "POST", "/api/presence", presence_post, 1 },
    { "POST", "/api/uploads", uploads_post, 1 },
    /* Authenticates itself: browsers fetch files with <img src> and links,
     * which carry a cookie but no Authorization header. */
    { "GET", "/api/uploads/#/*", uploads_get, 0 },
    /* Search, reactions, group membership (docs/api.md). */
    { "GET", "/api/search", search_get, 1 },
    { "PUT", "/api/messages/#/reactions/*", reactions_put, 1 },
    { "DELETE", "/api/messages/#/reactions/*", reactions_delete, 1 },
    { "POST", "/api/chats/#/members", members_add, 1 },
    { "DELETE", "/api/chats/#/members/#", members_remove, 1 },
    { "PATCH", "/api/chats/#", members_rename, 1 },
    /* Sessions and administration (sessions.c, auth.c, admin.c). */
    { "POST", "/api/auth/logout", sessions_logout, 1 },
    { "POST", "/api/auth/logout-all", sessions_logout_all, 1 },
    { "POST", "/api/auth/password", auth_password, 1 },
    { "GET", "/api/sessions", sessions_list, 1 },
    { "DELETE", "/api/sessions/#", sessions_delete, 1 },
    { "GET", "/api/admin/users", admin_users, 1 },
    { "POST", "/api/admin/users/#/deactivate", admin_deactivate, 1 },
    { "POST", "/api/admin/users/#/reactivate", admin_reactivate, 1 },
    { "POST", "/api/admin/users/#/password", admin_password, 1 },
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* Matches path against pattern, collecting "#" segments into ids and the
 * one "*" segment (any non-empty segment) into word.  Returns 1 on a match. */
static int router_match(const char *pattern, const char *path, long long *ids,
                        char word[REQ_MAX_WORD])
{
    int nid = 0;
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= REQ_MAX_WORD)
                return 0;
            memcpy(word, path, n);
            word[n] = '\0';
            pattern++;
            path += n;
            continue;
        }
        if (*pattern == '#') {
            size_t n = strcspn(path, "/");
            if (nid >= REQ_MAX_IDS || validate_id(path, n, &ids[nid]) < 0)
                return 0;
            nid++;
            pattern++;
            path += n;
            continue;
        }
        if (*pattern != *path)
            return 0;
        pattern++;
        path++;
    }
    return *pattern == '\0' && *path == '\0';
}

int router_streams_body(const char *method, const char *path)
{
    return strcmp(method, "POST") == 0 &&
           (strcmp(path, "/api/uploads") == 0 || strcmp(path, "/api/uploads/") == 0);
}

void router_dispatch(struct app *app, struct req *req, struct resp *resp)
{
    char allow[64] = "";  /* at most "GET, POST, PATCH, PUT, DELETE" */
    long long ids[REQ_MAX_IDS];
    char word[REQ_MAX_WORD] = "";
    size_t n = strlen(req->path);

    /* "/api/chats/" is "/api/chats". */
    if (n > 1 && req->path[n - 1] == '/')
        req->path[n - 1] = '\0';
    for (size_t i = 0; i < NROUTES; i++) {
        const struct route *r = &routes[i];
        if (!router_match(r->pattern, req->path, ids, word))
            continue;
        if (strcmp(r->method, req->method) != 0) {
            size_t a = strlen(allow);
            snprintf(allow + a, sizeof allow - a, "%s%s", a ? ", " : "", r->method);
            continue;
        }
        memcpy(req->ids, ids, sizeof ids);
        memcpy(req->word, word, sizeof word);
        if (r->auth && auth_check(app, req, resp) < 0)
            return;
        r->fn(app, req, resp);
        return;
    }
    if (allow[0]) {
        http_header(resp, "Allow", allow);
        http_error(resp, 405, "method_not_allowed", "%s is not allowed here; use %s",
                   req->method, allow);
        return;
    }
    http_error(resp, 404, "not_found", "no such resource");
}
