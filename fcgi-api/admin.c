/* admin.c -- user administration (see admin.h).
 *
 * Whether the caller is an admin comes from the same lookup that checks the
 * session on every request (req->is_admin), so it is never stale and costs
 * nothing extra.  Every change to another user that must take effect at
 * once (deactivation, a password reset) also ends that user's sessions,
 * which closes their sockets through the ordinary event path. */
#include "admin.h"

#include "auth.h"
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "render.h"
#include "reply.h"
#include "sessions.h"
#include "validate.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_PAGE_MAX 200

static const struct db_stmt st_users = {
    "admin_users",
    "SELECT id, username, is_admin, deactivated_at IS NOT NULL, "
    "       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
    "  FROM users WHERE id > $1 ORDER BY id LIMIT $2", 2
};
static const struct db_stmt st_set_active = {
    "admin_set_active",
    "UPDATE users SET deactivated_at = CASE WHEN $2::boolean THEN NULL "
    "                 ELSE coalesce(deactivated_at, now()) END "
    " WHERE id = $1 RETURNING id, username, is_admin, deactivated_at IS NOT NULL, "
    "       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", 2
};
static const struct db_stmt st_exists = {
    "admin_user_exists", "SELECT 1 FROM users WHERE id = $1", 1
};

static int admin_only(const struct req *req, struct resp *resp);
static json_object *admin_user_json(const PGresult *r, int row);
static void admin_set_active(struct app *app, struct req *req, struct resp *resp, int active);

/* 0 for an admin, else -1 with resp set to 403. */
static int admin_only(const struct req *req, struct resp *resp)
{
    if (req->is_admin)
        return 0;
    http_error(resp, 403, "forbidden", "only administrators may do this");
    return -1;
}

/* {"id","username","is_admin","deactivated","created_at"} from columns 0-4. */
static json_object *admin_user_json(const PGresult *r, int row)
{
    json_object *u = render_user(render_int64(r, row, 0), PQgetvalue(r, row, 1));
    jsonx_add(u, "is_admin", json_object_new_boolean(PQgetvalue(r, row, 2)[0] == 't'));
    jsonx_add(u, "deactivated", json_object_new_boolean(PQgetvalue(r, row, 3)[0] == 't'));
    jsonx_add(u, "created_at", json_object_new_string(PQgetvalue(r, row, 4)));
    return u;
}

void admin_users(struct app *app, struct req *req, struct resp *resp)
{
    char after[ID_BUF] = "0", limit[ID_BUF] = "100", lim[ID_BUF];
    const char *params[2];
    long long a = 0, l = 100;
    PGresult *r = NULL;
    enum db_status st;
    json_object *arr, *o;
    int n;

    if (admin_only(req, resp) < 0)
        return;
    if (http_form_get(req->query, strlen(req->query), "after", after, sizeof after) < 0 ||
        http_form_get(req->query, strlen(req->query), "limit", limit, sizeof limit) < 0 ||
        (strcmp(after, "0") != 0 && validate_id(after, strlen(after), &a) < 0) ||
        validate_id(limit, strlen(limit), &l) < 0 || l > ADMIN_PAGE_MAX) {
        http_error(resp, 400, "invalid_field",
                   "after must be a user id (or 0) and limit 1-%d", ADMIN_PAGE_MAX);
        return;
    }
    params[0] = render_id(after, a);
    params[1] = render_id(lim, l + 1);   /* one more tells has_more */
    st = db_run(app->db, &st_users, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    n = PQntuples(r);
    arr = json_object_new_array();
    for (int i = 0; i < n && i < l; i++)
        json_object_array_add(arr, admin_user_json(r, i));
    PQclear(r);
    o = json_object_new_object();
    jsonx_add(o, "users", arr);
    jsonx_add(o, "has_more", json_object_new_boolean(n > l));
    http_json(resp, 200, o);
}

static void admin_set_active(struct app *app, struct req *req, struct resp *resp, int active)
{
    char id[ID_BUF];
    const char *params[2] = { render_id(id, req->ids[0]), active ? "true" : "false" };
    PGresult *r = NULL;
    enum db_status st;

    if (admin_only(req, resp) < 0)
        return;
    if (!active && req->ids[0] == req->user.sub) {
        http_error(resp, 409, "cannot_deactivate_self", "you cannot deactivate your own account");
        return;
    }
    st = db_run(app->db, &st_set_active, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (PQntuples(r) != 1) {
        http_error(resp, 404, "not_found", "no such user");
        goto out;
    }
    if (!active && sessions_end_all(app, resp, req->ids[0], 0, "deactivated") < 0)
        goto out;
    log_info("admin %s %s user %lld", req->user.username, active ? "reactivated" : "deactivated",
             req->ids[0]);
    http_json(resp, 200, admin_user_json(r, 0));
out:
    PQclear(r);
}

void admin_deactivate(struct app *app, struct req *req, struct resp *resp)
{
    admin_set_active(app, req, resp, 0);
}

void admin_reactivate(struct app *app, struct req *req, struct resp *resp)
{
    admin_set_active(app, req, resp, 1);
}

void admin_password(struct app *app, struct req *req, struct resp *resp)
{
    char pw[300], id[ID_BUF];
    const char *params[1] = { render_id(id, req->ids[0]) }, *v;
    json_object *body = NULL;
    PGresult *r = NULL;
    enum db_status st;
    size_t n;

    if (admin_only(req, resp) < 0)
        return;
    body = http_json_body(req, resp);
    if (!body)
        return;
    if (jsonx_get_string(body, "new_password", &v, &n) != 1 || memchr(v, '\0', n) ||
        n >= sizeof pw || !validate_utf8(v, n)) {
        http_error(resp, 400, "invalid_field", "new_password must be a string");
        goto out;
    }
    memcpy(pw, v, n + 1);
    st = db_run(app->db, &st_exists, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (PQntuples(r) != 1) {
        http_error(resp, 404, "not_found", "no such user");
        goto out;
    }
    if (auth_set_password(app, resp, req->ids[0], pw) < 0 ||
        sessions_end_all(app, resp, req->ids[0], 0, "password_reset") < 0)
        goto out;
    log_info("admin %s reset the password of user %lld", req->user.username, req->ids[0]);
    resp->status = 204;
out:
    PQclear(r);
    json_object_put(body);
    sodium_memzero(pw, sizeof pw);
}
