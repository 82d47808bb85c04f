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
#include "db.h"
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

/* How a route authenticates.  AUTH_GUARD: the token here, the session
 * with the handler's first statement (sessions_guard: one round trip and
 * one transaction fewer per request).  Only for handlers whose first
 * action with an effect is a statement, that answer a failed statement
 * with reply_db_error, do not need req->is_admin, and never wait for
 * other transactions (sync's parley_settled_seq would wait for this one's
 * session update and it for them). */
enum route_auth { AUTH_NONE = 0, AUTH_CHECK, AUTH_GUARD };

struct route {
    const char *method;
    const char *pattern;
    handler_fn fn;
    enum route_auth auth;
};

static const struct route routes[] = {
    { "POST", "/api/auth/login", auth_login, AUTH_NONE },
    { "POST", "/api/auth/register", auth_register, AUTH_NONE },
    { "GET", "/api/health", auth_health, AUTH_NONE },
    { "GET", "/api/me", auth_me, AUTH_CHECK },
    { "GET", "/api/users", users_search, AUTH_CHECK },
    { "GET", "/api/chats", chats_list, AUTH_GUARD },
    { "POST", "/api/chats", chats_create, AUTH_CHECK },
    { "GET", "/api/chats/#", chats_get, AUTH_GUARD },
    { "GET", "/api/chats/#/messages", messages_list, AUTH_GUARD },
    { "POST", "/api/chats/#/messages", messages_post, AUTH_GUARD },
    { "POST", "/api/chats/#/read", messages_read, AUTH_GUARD },
    { "POST", "/api/chats/#/typing", messages_typing, AUTH_CHECK },
    { "PATCH", "/api/messages/#", messages_edit, AUTH_GUARD },
    { "DELETE", "/api/messages/#", messages_delete, AUTH_GUARD },
    { "GET", "/api/sync", sync_get, AUTH_CHECK },
    { "PUT", "/api/chats/#/mute", mute_put, AUTH_GUARD },
    { "GET", "/api/presence", presence_get, AUTH_CHECK },
    { "POST", "/api/presence", presence_post, AUTH_CHECK },
    { "POST", "/api/uploads", uploads_post, AUTH_CHECK },
    /* Authenticates itself: browsers fetch files with <img src> and links,
     * which carry a cookie but no Authorization header. */
    { "GET", "/api/uploads/#/*", uploads_get, AUTH_NONE },
    /* Search, reactions, group membership (docs/api.md). */
    { "GET", "/api/search", search_get, AUTH_GUARD },
    { "PUT", "/api/messages/#/reactions/*", reactions_put, AUTH_GUARD },
    { "DELETE", "/api/messages/#/reactions/*", reactions_delete, AUTH_GUARD },
    { "POST", "/api/chats/#/members", members_add, AUTH_CHECK },
    { "DELETE", "/api/chats/#/members/#", members_remove, AUTH_CHECK },
    { "PATCH", "/api/chats/#", members_rename, AUTH_CHECK },
    /* Sessions and administration (sessions.c, auth.c, admin.c). */
    { "POST", "/api/auth/logout", sessions_logout, AUTH_CHECK },
    { "POST", "/api/auth/logout-all", sessions_logout_all, AUTH_CHECK },
    { "POST", "/api/auth/password", auth_password, AUTH_CHECK },
    { "GET", "/api/sessions", sessions_list, AUTH_CHECK },
    { "DELETE", "/api/sessions/#", sessions_delete, AUTH_CHECK },
    { "GET", "/api/admin/users", admin_users, AUTH_CHECK },
    { "POST", "/api/admin/users/#/deactivate", admin_deactivate, AUTH_CHECK },
    { "POST", "/api/admin/users/#/reactivate", admin_reactivate, AUTH_CHECK },
    { "POST", "/api/admin/users/#/password", admin_password, AUTH_CHECK },
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

    /* Each request starts without a session guard (db.h). */
    db_guard_clear(app->db);
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
        if (r->auth == AUTH_CHECK && auth_check(app, req, resp) < 0)
            return;
        if (r->auth == AUTH_GUARD) {
            if (auth_token(app, req, resp) < 0)
                return;
            sessions_guard(app, req);
        }
        r->fn(app, req, resp);
        if (r->auth == AUTH_GUARD)
            sessions_settle(app, resp);
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
