/* reactions.c -- add or remove the caller's emoji reaction on a message.
 *
 * Both are idempotent: adding a reaction you already have, or removing one
 * you do not, answers 200 with the current reactions and changes nothing
 * (no seq, no event).  parley_react (sql/003_features.sql) checks
 * membership and the cap of distinct emoji under the message's row lock. */
#include "reactions.h"

#include "db.h"
#include "emoji.h"
#include "events.h"
#include "http.h"
#include "jsonx.h"
#include "render.h"
#include "reply.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt st_react = {
    "react", "SELECT status, chat_id, seq FROM parley_react($1, $2, $3, $4, $5)", 5
};
static const struct db_stmt st_reactions = {
    "react_list", "SELECT parley_reactions($1)::text", 1
};

static void reactions_change(struct app *app, struct req *req, struct resp *resp, int add)
{
    char emoji[EMOJI_MAX_BYTES + 1], mid[ID_BUF], uid[ID_BUF], max[ID_BUF], status[16];
    const char *params[5];
    PGresult *r = NULL;
    json_object *list = NULL, *o;
    enum db_status st;
    long long chat_id, seq;

    if (emoji_parse(req->word, strlen(req->word), emoji) < 0) {
        http_error(resp, 400, "invalid_emoji",
                   "a reaction is 1-%d symbols (at most %d bytes): no letters, spaces or controls",
                   EMOJI_MAX_CHARS, EMOJI_MAX_BYTES);
        return;
    }
    params[0] = render_id(mid, req->ids[0]);
    params[1] = render_id(uid, req->user.sub);
    params[2] = emoji;
    params[3] = add ? "true" : "false";
    params[4] = render_id(max, REACTIONS_MAX_DISTINCT);
    st = db_run(app->db, &st_react, params, &r);
    if (st != DB_OK)
        goto dberr;
    snprintf(status, sizeof status, "%s", PQgetvalue(r, 0, 0));
    chat_id = render_int64(r, 0, 1);
    seq = render_int64(r, 0, 2);
    PQclear(r);
    r = NULL;
    if (strcmp(status, "not_found") == 0) {
        http_error(resp, 404, "not_found", "no such message");
        return;
    }
    if (strcmp(status, "deleted") == 0) {
        http_error(resp, 409, "message_deleted", "this message cannot take reactions");
        return;
    }
    if (strcmp(status, "too_many") == 0) {
        http_error(resp, 409, "too_many_reactions",
                   "a message has at most %d different reactions", REACTIONS_MAX_DISTINCT);
        return;
    }
    st = db_run(app->db, &st_reactions, params, &r);
    if (st != DB_OK)
        goto dberr;
    list = render_json(r, 0, 0);
    PQclear(r);
    if (!list) {
        reply_db_error(app, resp, DB_FAILED);
        return;
    }
    if (strcmp(status, "ok") == 0)
        events_reaction(app, chat_id, seq, req->ids[0], list);
    o = json_object_new_object();
    jsonx_add(o, "message_id", json_object_new_int64(req->ids[0]));
    jsonx_add(o, "reactions", list);
    http_json(resp, 200, o);
    return;
dberr:
    reply_db_error(app, resp, st);
}

void reactions_put(struct app *app, struct req *req, struct resp *resp)
{
    reactions_change(app, req, resp, 1);
}

void reactions_delete(struct app *app, struct req *req, struct resp *resp)
{
    reactions_change(app, req, resp, 0);
}
