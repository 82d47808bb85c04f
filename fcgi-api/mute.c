/* mute.c -- per-chat mute (see mute.h).
 *
 * Mute is the caller's own setting: it is stored on their chat_members row,
 * shows as Chat.muted, and a change is sent as a `chat_muted` event to the
 * caller's tabs only (and replayed by /api/sync to the caller only).  The
 * server does not filter anything for a muted chat: badges still count;
 * the page decides not to notify and not to count it in the title. */
#include "mute.h"

#include "db.h"
#include "events.h"
#include "http.h"
#include "jsonx.h"
#include "render.h"
#include "reply.h"

#include <stdlib.h>
#include <string.h>

static const struct db_stmt st_mute = {
    "mute_set", "SELECT status, seq FROM parley_set_mute($1, $2, $3)", 3
};

void mute_put(struct app *app, struct req *req, struct resp *resp)
{
    char cid[ID_BUF], uid[ID_BUF];
    const char *params[3];
    json_object *body = http_json_body(req, resp), *o;
    PGresult *r = NULL;
    enum db_status st;
    int muted;

    if (!body)
        return;
    if (jsonx_get_bool(body, "muted", &muted) != 1) {
        http_error(resp, 400, "invalid_field", "muted must be true or false");
        goto out;
    }
    params[0] = render_id(cid, req->ids[0]);
    params[1] = render_id(uid, req->user.sub);
    params[2] = muted ? "true" : "false";
    st = db_run(app->db, &st_mute, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "not_member") == 0) {
        reply_no_chat(resp);
        goto out;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "ok") == 0)
        events_chat_muted(app, req->ids[0], render_int64(r, 0, 1), req->user.sub, muted);
    o = json_object_new_object();
    jsonx_add(o, "chat_id", json_object_new_int64(req->ids[0]));
    jsonx_add(o, "muted", json_object_new_boolean(muted));
    http_json(resp, 200, o);
out:
    PQclear(r);
    json_object_put(body);
}
