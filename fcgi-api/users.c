/* users.c -- username prefix search, for starting chats.
 *
 * Case-insensitive prefix match, the caller excluded, alphabetical, at most
 * 20.  starts_with() keeps the pattern a plain string: no LIKE escaping. */
#include "users.h"

#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "render.h"
#include "reply.h"
#include "validate.h"

#include <string.h>

#define USERS_MAX 20

static const struct db_stmt st_search = {
    "users_search",
    "SELECT id, username, deactivated_at IS NOT NULL FROM users "
    " WHERE starts_with(lower(username), lower($1)) AND id <> $2 "
    " ORDER BY lower(username) LIMIT 20", 2
};

void users_search(struct app *app, struct req *req, struct resp *resp)
{
    char q[128], id[ID_BUF];
    const char *params[2];
    json_object *arr, *o;
    PGresult *r = NULL;
    enum db_status st;
    int found = http_form_get(req->query, strlen(req->query), "q", q, sizeof q);

    if (found == 0)
        q[0] = '\0';
    if (found < 0 || strlen(q) > 32 || !validate_utf8(q, strlen(q))) {
        http_error(resp, 400, "invalid_field", "q must be at most 32 characters of text");
        return;
    }
    params[0] = q;
    params[1] = render_id(id, req->user.sub);
    st = db_run(app->db, &st_search, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    arr = json_object_new_array();
    for (int i = 0; i < PQntuples(r) && i < USERS_MAX; i++) {
        json_object *u = render_user(render_int64(r, i, 0), PQgetvalue(r, i, 1));
        /* Deactivated users stay findable (their chats remain), marked. */
        jsonx_add(u, "deactivated", json_object_new_boolean(PQgetvalue(r, i, 2)[0] == 't'));
        json_object_array_add(arr, u);
    }
    PQclear(r);
    o = json_object_new_object();
    jsonx_add(o, "users", arr);
    http_json(resp, 200, o);
}
