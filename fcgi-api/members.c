/* members.c -- who is in a group, and its name.
 *
 * Each change is one plpgsql function (sql/003_features.sql) that locks
 * the chat row, checks the rules (any member adds; the owner removes
 * others and renames; anyone leaves), writes the change and its system
 * line, each with a seq.  After the commit: chat_created to those added,
 * chat_updated to the others, chat_removed to the one who left or was
 * removed, and the system line as a new_message. */
#include "members.h"

#include "chats.h"
#include "chatview.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "jsonx.h"
#include "render.h"
#include "shape.h"
#include "reply.h"
#include "validate.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt st_add = {
    "members_add",
    "SELECT status, array_to_json(added)::text, seq, line_seq "
    "  FROM parley_add_members($1, $2, $3::bigint[], $4)", 4
};
static const struct db_stmt st_remove = {
    "members_remove", "SELECT status, seq, line_seq FROM parley_remove_member($1, $2, $3)", 3
};
static const struct db_stmt st_rename = {
    "members_rename", "SELECT status, seq, line_seq FROM parley_rename_chat($1, $2, $3)", 3
};
static const struct db_stmt st_line = {
    "members_line",
    "SELECT " SHAPE_MESSAGE_COLS " FROM message_v WHERE id = "
    "  (SELECT message_id FROM changes WHERE seq = $1)", 1
};

/* Sends the system line posted with seq `line_seq` as a new_message. */
static void members_send_line(struct app *app, long long chat_id, long long line_seq)
{
    char s[ID_BUF];
    const char *params[1] = { render_id(s, line_seq) };
    PGresult *r = NULL;
    json_object *msg;

    if (line_seq <= 0 || db_run(app->db, &st_line, params, &r) != DB_OK)
        return;      /* clients catch up through /api/sync */
    if (PQntuples(r) == 1) {
        msg = shape_message(r, 0, 0);
        events_new_message(app, chat_id, line_seq, msg);
        json_object_put(msg);
    }
    PQclear(r);
}

/* Maps the statuses every membership function shares; returns 1 if it
 * answered. */
static int members_common_status(struct app *app, struct resp *resp, const char *status,
                                 const char *what)
{
    if (strcmp(status, "not_found") == 0) {
        reply_no_chat(resp);
        return 1;
    }
    if (strcmp(status, "not_group") == 0) {
        http_error(resp, 400, "not_a_group", "direct chats keep their two members and no title");
        return 1;
    }
    if (strcmp(status, "forbidden") == 0) {
        http_error(resp, 403, "forbidden", "only the group's owner can %s", what);
        return 1;
    }
    if (strcmp(status, "too_large") == 0) {
        reply_group_too_large(app, resp);
        return 1;
    }
    return 0;
}

/* Answers 200 with the chat as the caller sees it now. */
static void members_reply_chat(struct app *app, struct req *req, struct resp *resp)
{
    json_object *chat;
    enum db_status st = chatview_one(app, req->user.sub, req->ids[0], &chat);

    if (st != DB_OK)
        reply_db_error(app, resp, st);
    else if (!chat)
        reply_no_chat(resp);
    else
        http_json(resp, 200, chat);
}

void members_add(struct app *app, struct req *req, struct resp *resp)
{
    char cid[ID_BUF], uid[ID_BUF], max[ID_BUF], *ids_text = NULL;
    const char *params[4];
    json_object *body = http_json_body(req, resp), *ids, *added = NULL;
    PGresult *r = NULL;
    enum db_status st;
    long long *list = NULL, seq;
    size_t n;

    if (!body)
        return;
    if (!json_object_object_get_ex(body, "user_ids", &ids) ||
        !json_object_is_type(ids, json_type_array) || json_object_array_length(ids) == 0) {
        http_error(resp, 400, "invalid_field", "user_ids must be a non-empty array of user ids");
        goto out;
    }
    ids_text = chats_member_array(app, ids, "user_ids", resp);
    if (!ids_text)
        goto out;
    params[0] = render_id(cid, req->ids[0]);
    params[1] = render_id(uid, req->user.sub);
    params[2] = ids_text;
    params[3] = render_id(max, app->cfg.group_max_members);
    st = db_run(app->db, &st_add, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (members_common_status(app, resp, PQgetvalue(r, 0, 0), "add members"))
        goto out;
    if (strcmp(PQgetvalue(r, 0, 0), "no_user") == 0) {
        http_error(resp, 400, "invalid_field", "user_ids names a user that does not exist");
        goto out;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "ok") == 0) {
        added = render_json(r, 0, 1);
        seq = render_int64(r, 0, 2);
        n = added ? json_object_array_length(added) : 0;
        list = xcalloc(n + 1, sizeof *list);
        for (size_t i = 0; i < n; i++)
            list[i] = json_object_get_int64(json_object_array_get_idx(added, i));
        events_members_added(app, req->ids[0], seq, list, n);
        members_send_line(app, req->ids[0], render_int64(r, 0, 3));
    }
    members_reply_chat(app, req, resp);
out:
    PQclear(r);
    json_object_put(added);
    json_object_put(body);
    free(ids_text);
    free(list);
}

void members_remove(struct app *app, struct req *req, struct resp *resp)
{
    char cid[ID_BUF], uid[ID_BUF], tid[ID_BUF], status[16];
    const char *params[3] = { render_id(cid, req->ids[0]), render_id(uid, req->user.sub),
                              render_id(tid, req->ids[1]) };
    PGresult *r = NULL;
    enum db_status st = db_run(app->db, &st_remove, params, &r);
    long long seq, line_seq;

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    snprintf(status, sizeof status, "%s", PQgetvalue(r, 0, 0));
    seq = render_int64(r, 0, 1);
    line_seq = render_int64(r, 0, 2);
    PQclear(r);
    if (members_common_status(app, resp, status, "remove other members"))
        return;
    if (strcmp(status, "no_member") == 0) {
        http_error(resp, 404, "not_found", "that user is not a member of this group");
        return;
    }
    events_chat_removed(app, req->ids[0], seq, req->ids[1]);
    events_chat_updated(app, req->ids[0], seq);
    members_send_line(app, req->ids[0], line_seq);
    resp->status = 204;
}

void members_rename(struct app *app, struct req *req, struct resp *resp)
{
    char cid[ID_BUF], uid[ID_BUF], status[16], *title = NULL;
    const char *params[3], *t, *tstart, *why;
    json_object *body = http_json_body(req, resp);
    PGresult *r = NULL;
    enum db_status st;
    size_t tn, tlen;
    long long seq, line_seq;

    if (!body)
        return;
    if (jsonx_get_string(body, "title", &t, &tn) != 1 ||
        validate_text(t, tn, VALIDATE_TITLE_MAX_CHARS, &tstart, &tlen, &why) < 0) {
        http_error(resp, 400, "invalid_field", "title must be 1-%d characters of text",
                   VALIDATE_TITLE_MAX_CHARS);
        goto out;
    }
    title = xstrndup(tstart, tlen);
    params[0] = render_id(cid, req->ids[0]);
    params[1] = render_id(uid, req->user.sub);
    params[2] = title;
    st = db_run(app->db, &st_rename, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    snprintf(status, sizeof status, "%s", PQgetvalue(r, 0, 0));
    seq = render_int64(r, 0, 1);
    line_seq = render_int64(r, 0, 2);
    if (members_common_status(app, resp, status, "rename it"))
        goto out;
    if (strcmp(status, "ok") == 0) {
        events_chat_updated(app, req->ids[0], seq);
        members_send_line(app, req->ids[0], line_seq);
    }
    members_reply_chat(app, req, resp);
out:
    PQclear(r);
    json_object_put(body);
    free(title);
}
