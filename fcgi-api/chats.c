/* chats.c -- the chat routes of docs/api.md: list, one, create (a direct
 * chat is got or created, a group created).  Chats are loaded by
 * chatview.c and shaped by shape.c. */
#include "chats.h"

#include "chatview.h"

#include "events.h"
#include "http.h"
#include "jsonx.h"
#include "throttle.h"
#include "log.h"
#include "render.h"
#include "reply.h"
#include "validate.h"
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

static const struct db_stmt st_direct = {
    "chats_direct", "SELECT status, chat_id, seq FROM parley_direct_chat($1, $2)", 2
};

static const struct db_stmt st_group = {
    "chats_group",
    "SELECT status, chat_id, seq FROM parley_group_chat($1, $2, $3::bigint[], $4)", 4
};

void chats_list(struct app *app, struct req *req, struct resp *resp)
{
    json_object *body;
    enum db_status st = chatview_list(app, req->user.sub, &body);

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    http_json(resp, 200, body);
}

/* Answers with chat `id` as seen by the caller. */
static void chats_reply_one(struct app *app, struct req *req, struct resp *resp,
                            long long id, int status)
{
    json_object *chat;
    enum db_status st = chatview_one(app, req->user.sub, id, &chat);

    if (st != DB_OK)
        reply_db_error(app, resp, st);
    else if (!chat)
        reply_no_chat(resp);
    else
        http_json(resp, status, chat);
}

void chats_get(struct app *app, struct req *req, struct resp *resp)
{
    chats_reply_one(app, req, resp, req->ids[0], 200);
}

static void chats_create_direct(struct app *app, struct req *req, struct resp *resp,
                                long long other)
{
    char uid[ID_BUF], oid[ID_BUF];
    const char *params[2] = { render_id(uid, req->user.sub), render_id(oid, other) };
    PGresult *r = NULL;
    enum db_status st;
    const char *status;
    long long chat_id, seq;

    if (other == req->user.sub) {
        http_error(resp, 400, "invalid_field", "you cannot start a direct chat with yourself");
        goto out;
    }
    st = db_run(app->db, &st_direct, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    status = PQgetvalue(r, 0, 0);
    chat_id = render_int64(r, 0, 1);
    seq = render_int64(r, 0, 2);
    if (strcmp(status, "no_user") == 0) {
        http_error(resp, 404, "not_found", "no such user");
        goto out;
    }
    if (strcmp(status, "created") == 0)
        events_chat_created(app, chat_id, seq);
    chats_reply_one(app, req, resp, chat_id, strcmp(status, "created") == 0 ? 201 : 200);
out:
    PQclear(r);
}

char *chats_member_array(struct app *app, json_object *ids, const char *field,
                         struct resp *resp)
{
    size_t n = json_object_array_length(ids);
    char *buf, *p;

    if (n > (size_t)app->cfg.group_max_members) {
        reply_group_too_large(app, resp);
        return NULL;
    }
    buf = xmalloc(n * 22 + 3);
    p = buf;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(ids, i);
        long long id;
        if (!json_object_is_type(v, json_type_int) || (id = json_object_get_int64(v)) < 1) {
            free(buf);
            http_error(resp, 400, "invalid_field", "%s must be positive integers", field);
            return NULL;
        }
        p += snprintf(p, 22, "%s%lld", i ? "," : "", id);
    }
    *p++ = '}';
    *p = '\0';
    return buf;
}

static void chats_create_group(struct app *app, struct req *req, struct resp *resp,
                               json_object *body)
{
    char uid[ID_BUF], max[ID_BUF], *title = NULL, *members = NULL;
    const char *params[4], *t, *tstart, *why;
    json_object *ids;
    PGresult *r = NULL;
    size_t tn, tlen;
    enum db_status st;

    if (jsonx_get_string(body, "title", &t, &tn) != 1 ||
        validate_text(t, tn, VALIDATE_TITLE_MAX_CHARS, &tstart, &tlen, &why) < 0) {
        http_error(resp, 400, "invalid_field", "title must be 1-%d characters of text",
                   VALIDATE_TITLE_MAX_CHARS);
        return;
    }
    if (!json_object_object_get_ex(body, "member_ids", &ids) ||
        !json_object_is_type(ids, json_type_array)) {
        http_error(resp, 400, "invalid_field", "member_ids must be an array of user ids");
        return;
    }
    members = chats_member_array(app, ids, "member_ids", resp);
    if (!members)
        return;
    title = xstrndup(tstart, tlen);
    params[0] = render_id(uid, req->user.sub);
    params[1] = title;
    params[2] = members;
    params[3] = render_id(max, app->cfg.group_max_members);
    st = db_run(app->db, &st_group, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "too_large") == 0) {
        reply_group_too_large(app, resp);
        goto out;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "created") != 0) {
        http_error(resp, 400, "invalid_field", "member_ids names a user that does not exist");
        goto out;
    }
    events_chat_created(app, render_int64(r, 0, 1), render_int64(r, 0, 2));
    chats_reply_one(app, req, resp, render_int64(r, 0, 1), 201);
out:
    PQclear(r);
    free(title);
    free(members);
}

void chats_create(struct app *app, struct req *req, struct resp *resp)
{
    json_object *body;
    long long other;
    int has_user;

    if (throttle_chat_create(app, req, resp) < 0)
        return;
    body = http_json_body(req, resp);
    if (!body)
        return;
    has_user = jsonx_get_int64(body, "user_id", &other);
    if (has_user == 1 && other >= 1)
        chats_create_direct(app, req, resp, other);
    else if (has_user != 0)
        http_error(resp, 400, "invalid_field", "user_id must be a positive integer");
    else
        chats_create_group(app, req, resp, body);
    json_object_put(body);
}
