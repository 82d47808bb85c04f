/* sessions.c -- server-side sessions (see sessions.h).
 *
 * The per-request check is one primary-key lookup joined to the user row
 * (parley_session_check), which also refreshes last_used_at at most once a
 * minute, so a busy client costs one index probe per request and one small
 * write per minute.  Revocation is an ordinary event (seq 0, like typing)
 * addressed to the user, so any bus that routes events by user carries it
 * to every daemon holding one of the user's sockets:
 *   {"type":"session_revoked","session_id":N|null,"all":bool,
 *    "except_session_id":N|null,"reason":"..."} */
#include "sessions.h"

#include "db.h"
#include "event.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "notify.h"
#include "render.h"
#include "reply.h"
#include "validate.h"
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

static const struct db_stmt st_open = {
    "sessions_open", "SELECT parley_session_open($1, $2, $3)", 3
};
static const struct db_stmt st_check = {
    "sessions_check", "SELECT parley_session_check($1, $2, $3)", 3
};
static const struct db_stmt st_require = {
    "sessions_require", "SELECT parley_session_require($1, $2, $3)", 3
};
static const struct db_stmt st_end = {
    "sessions_end", "SELECT parley_session_end($1, $2)", 2
};
static const struct db_stmt st_end_all = {
    "sessions_end_all", "SELECT parley_session_end_all($1, $2)", 2
};
static const struct db_stmt st_end_legacy = {
    "sessions_end_legacy", "UPDATE users SET sessions_reset_at = now() WHERE id = $1", 1
};
static const struct db_stmt st_list = {
    "sessions_list",
    "SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
    "       to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
    "       to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), user_agent "
    "  FROM sessions WHERE user_id = $1 AND ended_at IS NULL AND expires_at > now() "
    " ORDER BY last_used_at DESC, id DESC LIMIT 100", 1
};

static void sessions_notify(struct app *app, long long user_id, long long sid, int all,
                            long long keep, const char *reason);
static int sessions_end_one(struct app *app, struct resp *resp, long long user_id,
                            long long sid);

/* Sends session_revoked to user_id's sockets: one session (sid), or all
 * but `keep`.  Best effort, like every event: the API already refuses the
 * token, and a daemon that missed this still closes the socket at `exp`. */
static void sessions_notify(struct app *app, long long user_id, long long sid, int all,
                            long long keep, const char *reason)
{
    struct event_recipient rc;
    json_object *ev = json_object_new_object();
    char *env;
    size_t len;

    memset(&rc, 0, sizeof rc);
    rc.user_id = user_id;
    jsonx_add(ev, "type", json_object_new_string("session_revoked"));
    jsonx_add(ev, "seq", json_object_new_int64(0));
    jsonx_add(ev, "session_id", all ? NULL : json_object_new_int64(sid));
    jsonx_add(ev, "all", json_object_new_boolean(all));
    jsonx_add(ev, "except_session_id", all && keep ? json_object_new_int64(keep) : NULL);
    jsonx_add(ev, "reason", json_object_new_string(reason));
    env = event_encode("session_revoked", 0, ev, &rc, 1, &len);
    notify_send(app->notify, env, len);
    free(env);
    json_object_put(ev);
}

int sessions_issue(struct app *app, struct req *req, struct resp *resp, int status,
                   long long user_id, const char *username, long long *sid)
{
    char uid[ID_BUF], ttl[ID_BUF];
    const char *params[3] = { render_id(uid, user_id), render_id(ttl, app->cfg.token_ttl),
                              req->user_agent ? req->user_agent : "" };
    struct jwt_claims c;
    json_object *o;
    PGresult *r = NULL;
    enum db_status st;
    char *tok;

    /* A user agent is whatever the client sent: keep only valid UTF-8
     * (PostgreSQL would refuse the rest). */
    if (!validate_utf8(params[2], strlen(params[2])))
        params[2] = "";
    st = db_run(app->db, &st_open, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    memset(&c, 0, sizeof c);
    c.sub = user_id;
    c.sid = render_int64(r, 0, 0);
    PQclear(r);
    snprintf(c.username, sizeof c.username, "%s", username);
    c.iat = req->now;
    c.exp = req->now + app->cfg.token_ttl;
    tok = jwt_sign(&c, app->cfg.jwt_secret, strlen(app->cfg.jwt_secret));
    o = json_object_new_object();
    jsonx_add(o, "access_token", json_object_new_string(tok));
    jsonx_add(o, "token_type", json_object_new_string("bearer"));
    jsonx_add(o, "expires_in", json_object_new_int64(app->cfg.token_ttl));
    jsonx_add(o, "user", render_user(user_id, username));
    free(tok);
    http_json(resp, status, o);
    if (sid)
        *sid = c.sid;
    return 0;
}

/* The check's three parameters: session id (NULL for a pre-session
 * token), user id, issued-at. */
static void sessions_params(const struct req *req, char sid[ID_BUF], char uid[ID_BUF],
                            char iat[ID_BUF], const char *params[3])
{
    params[0] = req->user.sid ? render_id(sid, req->user.sid) : NULL;
    params[1] = render_id(uid, req->user.sub);
    params[2] = render_id(iat, req->user.iat);
}

int sessions_check(struct app *app, struct req *req, struct resp *resp)
{
    char sid[ID_BUF], uid[ID_BUF], iat[ID_BUF];
    const char *params[3];
    PGresult *r = NULL;
    enum db_status st;
    long long v;

    sessions_params(req, sid, uid, iat, params);
    st = db_run(app->db, &st_check, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    v = render_int64(r, 0, 0);
    PQclear(r);
    if (v == 0) {
        reply_session_ended(resp);
        return 0;
    }
    req->is_admin = v == 2;
    return 1;
}

void sessions_guard(struct app *app, const struct req *req)
{
    char sid[ID_BUF], uid[ID_BUF], iat[ID_BUF];
    const char *params[3];

    sessions_params(req, sid, uid, iat, params);
    db_guard(app->db, &st_require, params);
}

void sessions_settle(struct app *app, struct resp *resp)
{
    enum db_status st = db_guard_settle(app->db);

    if (db_guard_refused(app->db)) {
        http_reset(resp);
        reply_session_ended(resp);
    } else if (st != DB_OK && resp->status < 500) {
        /* The guard could not run: whatever the handler answered without
         * the database stands only if the session is known to be open. */
        http_reset(resp);
        reply_db_error(app, resp, st);
    }
    db_guard_clear(app->db);
}

/* Ends one session.  1 ended, 0 not open (or not the user's), -1 with resp
 * set when the database failed. */
static int sessions_end_one(struct app *app, struct resp *resp, long long user_id,
                            long long sid)
{
    char u[ID_BUF], s[ID_BUF];
    const char *params[2] = { render_id(u, user_id), render_id(s, sid) };
    PGresult *r = NULL;
    enum db_status st = db_run(app->db, &st_end, params, &r);
    int ended;

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    ended = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (ended)
        sessions_notify(app, user_id, sid, 0, 0, "logout");
    return ended;
}

int sessions_end_all(struct app *app, struct resp *resp, long long user_id, long long keep,
                     const char *reason)
{
    char u[ID_BUF], k[ID_BUF];
    const char *params[2] = { render_id(u, user_id), keep ? render_id(k, keep) : NULL };
    PGresult *r = NULL;
    enum db_status st = db_run(app->db, &st_end_all, params, &r);

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    PQclear(r);
    sessions_notify(app, user_id, 0, 1, keep, reason);
    return 0;
}

void sessions_logout(struct app *app, struct req *req, struct resp *resp)
{
    /* A token from before sessions has no row to end: end every such token
     * of the user (sessions with rows are kept). */
    if (req->user.sid == 0) {
        char u[ID_BUF];
        const char *params[1] = { render_id(u, req->user.sub) };
        PGresult *r = NULL;
        enum db_status st = db_run(app->db, &st_end_legacy, params, &r);
        PQclear(r);
        if (st != DB_OK) {
            reply_db_error(app, resp, st);
            return;
        }
        sessions_notify(app, req->user.sub, 0, 0, 0, "logout");
    } else if (sessions_end_one(app, resp, req->user.sub, req->user.sid) < 0) {
        return;
    }
    resp->status = 204;
}

void sessions_logout_all(struct app *app, struct req *req, struct resp *resp)
{
    if (sessions_end_all(app, resp, req->user.sub, req->user.sid, "logout_all") < 0)
        return;
    resp->status = 204;
}

void sessions_list(struct app *app, struct req *req, struct resp *resp)
{
    char uid[ID_BUF];
    const char *params[1] = { render_id(uid, req->user.sub) };
    PGresult *r = NULL;
    enum db_status st = db_run(app->db, &st_list, params, &r);
    json_object *arr, *o;

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    arr = json_object_new_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_object *s = json_object_new_object();
        long long id = render_int64(r, i, 0);
        jsonx_add(s, "id", json_object_new_int64(id));
        jsonx_add(s, "created_at", json_object_new_string(PQgetvalue(r, i, 1)));
        jsonx_add(s, "last_used_at", json_object_new_string(PQgetvalue(r, i, 2)));
        jsonx_add(s, "expires_at", json_object_new_string(PQgetvalue(r, i, 3)));
        jsonx_add(s, "user_agent", json_object_new_string(PQgetvalue(r, i, 4)));
        jsonx_add(s, "current", json_object_new_boolean(id == req->user.sid));
        json_object_array_add(arr, s);
    }
    PQclear(r);
    o = json_object_new_object();
    jsonx_add(o, "sessions", arr);
    http_json(resp, 200, o);
}

void sessions_delete(struct app *app, struct req *req, struct resp *resp)
{
    int n = sessions_end_one(app, resp, req->user.sub, req->ids[0]);

    if (n < 0)
        return;
    if (n == 0) {
        http_error(resp, 404, "not_found", "no such session");
        return;
    }
    resp->status = 204;
}
