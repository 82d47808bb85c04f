/* presence.c -- presence reports and queries (see presence.h).
 *
 * Presence lives in PostgreSQL, fed by the pages themselves: each tab
 * POSTs {"tab_id","state"} while its WebSocket is connected, so tabs on
 * any number of ws-daemons meet in one place and every API worker answers
 * the same (sql/005_uploads.sql has the model).  With each report (one
 * round trip) the database also answers which users' status changed
 * (expired reports included: a dead daemon's users), debounced per user,
 * each with the users who share a chat with them; the worker PUSHes a
 * `presence` event for each to those users.
 * Presence is not a stored change: it has no seq and is not in /api/sync;
 * a client reloads it with GET /api/presence after a reconnect. */
#include "presence.h"

#include "db.h"
#include "event.h"
#include "http.h"
#include "jsonx.h"
#include "notify.h"
#include "render.h"
#include "reply.h"
#include "validate.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRESENCE_MAX_IDS 200
#define PRESENCE_DUE_BATCH 200
#define PRESENCE_TAB_MAX 64

/* The report, then every due change with the users to tell (one round
 * trip; parley_presence_report in sql/007_search_presence.sql). */
static const struct db_stmt st_report = {
    "presence_report",
    "SELECT user_id, status, last_seen_at, peers FROM parley_presence_report($1, $2, $3, $4, $5, $6)",
    6
};
/* Only users who share a chat with the caller (or the caller): presence is
 * not public. */
static const struct db_stmt st_get = {
    "presence_get",
    "SELECT u.id, parley_presence_status(u.id), parley_ts(p.last_seen_at) "
    "  FROM unnest($2::bigint[]) AS x(id) JOIN users u ON u.id = x.id "
    "  LEFT JOIN presence_users p ON p.user_id = u.id "
    " WHERE u.id = $1 OR EXISTS (SELECT 1 FROM chat_members m JOIN chat_members o "
    "        ON o.chat_id = m.chat_id WHERE m.user_id = $1 AND o.user_id = u.id) "
    " ORDER BY u.id", 2
};

static json_object *presence_entry(long long user_id, const char *status, const char *seen)
{
    json_object *o = json_object_new_object();
    jsonx_add(o, "user_id", json_object_new_int64(user_id));
    jsonx_add(o, "status", json_object_new_string(status));
    jsonx_add(o, "last_seen_at", seen ? json_object_new_string(seen) : NULL);
    return o;
}

/* Parses a bigint[] in PostgreSQL's text form ("{1,2,3}") into a new
 * array (freed by the caller); returns the count, 0 for "{}". */
static size_t presence_ids(const char *text, struct event_recipient **out)
{
    size_t n = 0, cap = 1;
    struct event_recipient *rc;

    for (const char *p = text; *p; p++)
        cap += *p == ',';
    rc = xcalloc(cap, sizeof *rc);
    for (const char *p = text; *p && n < cap;) {
        char *end;
        long long v;
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        v = strtoll(p, &end, 10);
        rc[n++].user_id = v;
        p = end;
    }
    *out = rc;
    return n;
}

/* Sends `presence` for row i of the report's result to the user's peers. */
static void presence_announce(struct app *app, const PGresult *due, int i)
{
    struct event_recipient *rc = NULL;
    size_t n = presence_ids(PQgetvalue(due, i, 3), &rc), len;
    json_object *ev;
    char *env;

    if (n == 0)
        goto out;
    ev = presence_entry(render_int64(due, i, 0), PQgetvalue(due, i, 1), render_str(due, i, 2));
    jsonx_add(ev, "type", json_object_new_string("presence"));
    env = event_encode("presence", 0, ev, rc, n, &len);
    notify_send(app->notify, env, len);
    free(env);
    json_object_put(ev);
out:
    free(rc);
}

void presence_post(struct app *app, struct req *req, struct resp *resp)
{
    char uid[ID_BUF], ttl[ID_BUF], deb[ID_BUF], lim[ID_BUF], tab[PRESENCE_TAB_MAX + 1];
    const char *params[6], *t, *state;
    json_object *body = http_json_body(req, resp);
    PGresult *r = NULL;
    enum db_status st;
    size_t tn, sn;

    if (!body)
        return;
    if (jsonx_get_string(body, "tab_id", &t, &tn) != 1 || tn == 0 || tn > PRESENCE_TAB_MAX ||
        !validate_utf8(t, tn)) {
        http_error(resp, 400, "invalid_field", "tab_id must be a string of 1-%d bytes",
                   PRESENCE_TAB_MAX);
        goto out;
    }
    if (jsonx_get_string(body, "state", &state, &sn) != 1 ||
        (strcmp(state, "active") != 0 && strcmp(state, "away") != 0 &&
         strcmp(state, "gone") != 0)) {
        http_error(resp, 400, "invalid_field", "state must be \"active\", \"away\" or \"gone\"");
        goto out;
    }
    memcpy(tab, t, tn);
    tab[tn] = '\0';
    params[0] = render_id(uid, req->user.sub);
    params[1] = tab;
    params[2] = state;
    params[3] = render_id(ttl, PRESENCE_TTL_SECS);
    params[4] = render_id(deb, PRESENCE_DEBOUNCE_SECS);
    params[5] = render_id(lim, PRESENCE_DUE_BATCH);
    st = db_run(app->db, &st_report, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    for (int i = 0; i < PQntuples(r); i++)
        presence_announce(app, r, i);
    resp->status = 204;
out:
    PQclear(r);
    json_object_put(body);
}

void presence_get(struct app *app, struct req *req, struct resp *resp)
{
    char raw[PRESENCE_MAX_IDS * 18], uid[ID_BUF], *arr = NULL, *p;
    const char *params[2];
    json_object *list, *o;
    PGresult *r = NULL;
    enum db_status st;
    size_t n = 0, o_len;
    int f = http_form_get(req->query, strlen(req->query), "user_ids", raw, sizeof raw);

    if (f != 1) {
        http_error(resp, 400, "invalid_field",
                   "user_ids must list at most %d user ids, separated by commas", PRESENCE_MAX_IDS);
        return;
    }
    o_len = strlen(raw) + 3;
    arr = xmalloc(o_len);
    p = arr;
    *p++ = '{';
    for (char *tok = raw, *next; tok && *tok; tok = next) {
        long long id;
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (validate_id(tok, strlen(tok), &id) < 0 || ++n > PRESENCE_MAX_IDS) {
            http_error(resp, 400, "invalid_field",
                       "user_ids must list at most %d user ids, separated by commas",
                       PRESENCE_MAX_IDS);
            goto out;
        }
        p += snprintf(p, o_len - (size_t)(p - arr), "%s%lld", n > 1 ? "," : "", id);
    }
    if (n == 0) {
        http_error(resp, 400, "invalid_field", "user_ids must list at least one user id");
        goto out;
    }
    snprintf(p, o_len - (size_t)(p - arr), "}");
    params[0] = render_id(uid, req->user.sub);
    params[1] = arr;
    st = db_run(app->db, &st_get, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    list = json_object_new_array_ext(PQntuples(r));
    for (int i = 0; i < PQntuples(r); i++)
        json_object_array_add(list, presence_entry(render_int64(r, i, 0), PQgetvalue(r, i, 1),
                                                   render_str(r, i, 2)));
    o = json_object_new_object();
    jsonx_add(o, "presence", list);
    http_json(resp, 200, o);
out:
    PQclear(r);
    free(arr);
}
