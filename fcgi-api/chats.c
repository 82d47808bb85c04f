/* chats.c -- the Chat shape and the chat routes (docs/api.md).
 *
 * A Chat is built from two queries: the caller's chat rows (with unread
 * count and last message) and the members of those chats, matched up by
 * chat id.  Two queries rather than one per chat keep GET /api/chats flat
 * for users with hundreds of chats. */
#include "chats.h"

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

/* The caller's chats (all, or one), and their members; each comes in two
 * forms so that no statement needs an "any chat" OR that defeats its plan. */
#define CHATS_SELECT                                                          \
    "SELECT c.id, c.kind, c.title, "                                          \
    "       parley_ts(c.updated_at), cm.last_read_message_id, cm.unread_count, " \
    "       lm.id, lm.chat_id, lm.sender_id, lm.sender_username, lm.content, " \
    "       lm.created_at, lm.edited_at, lm.deleted, lm.client_id, lm.seq, "  \
    "       lm.mentions, lm.reply_to, lm.reactions, lm.system, "             \
    "       c.owner_id, cm.mention_count, cm.muted "                          \
    "  FROM chat_members cm JOIN chats c ON c.id = cm.chat_id "               \
    "  LEFT JOIN message_v lm ON lm.id = c.last_message_id "
#define MEMBERS_SELECT                                                        \
    "SELECT cm.chat_id, u.id, u.username, u.deactivated_at IS NOT NULL, "    \
    "       cm.last_read_message_id "                                          \
    "  FROM chat_members mine JOIN chat_members cm ON cm.chat_id = mine.chat_id " \
    "  JOIN users u ON u.id = cm.user_id "

static const struct db_stmt st_chats_all = {
    "chats_rows_all",
    CHATS_SELECT " WHERE cm.user_id = $1 ORDER BY c.updated_at DESC, c.id DESC", 1
};
static const struct db_stmt st_chats_one = {
    "chats_rows_one", CHATS_SELECT " WHERE cm.user_id = $1 AND cm.chat_id = $2", 2
};
static const struct db_stmt st_members_all = {
    "chats_members_all", MEMBERS_SELECT " WHERE mine.user_id = $1 ORDER BY cm.chat_id, u.id", 1
};
static const struct db_stmt st_members_one = {
    "chats_members_one",
    MEMBERS_SELECT " WHERE mine.user_id = $1 AND mine.chat_id = $2 ORDER BY cm.chat_id, u.id", 2
};

static const struct db_stmt st_direct = {
    "chats_direct", "SELECT status, chat_id, seq FROM parley_direct_chat($1, $2)", 2
};

static const struct db_stmt st_group = {
    "chats_group",
    "SELECT status, chat_id, seq FROM parley_group_chat($1, $2, $3::bigint[], $4)", 4
};

/* First row of the members result (sorted by chat id) for chat_id. */
static int chats_members_first(const PGresult *m, long long chat_id)
{
    int lo = 0, hi = PQntuples(m);
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (render_int64(m, mid, 0) < chat_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A Chat as `viewer` sees it: a direct chat is titled with the other
 * member's name, taken from the members rows already loaded. */
static json_object *chats_render(const PGresult *r, int row, const PGresult *m,
                                 long long viewer)
{
    json_object *c = json_object_new_object();
    json_object *members = json_object_new_array();
    long long id = render_int64(r, row, 0);
    const char *title = render_str(r, row, 2);
    int direct = strcmp(PQgetvalue(r, row, 1), "direct") == 0;

    for (int i = chats_members_first(m, id); i < PQntuples(m) && render_int64(m, i, 0) == id; i++) {
        long long uid = render_int64(m, i, 1);
        json_object *u = render_user(uid, PQgetvalue(m, i, 2));
        jsonx_add(u, "deactivated", json_object_new_boolean(PQgetvalue(m, i, 3)[0] == 't'));
        /* Every member's read marker, so "Seen" survives a reload (the
         * same fact read_receipt events carry live). */
        jsonx_add(u, "last_read_message_id", json_object_new_int64(render_int64(m, i, 4)));
        json_object_array_add(members, u);
        if (direct && uid != viewer && !title)
            title = PQgetvalue(m, i, 2);
    }
    jsonx_add(c, "id", json_object_new_int64(id));
    jsonx_add(c, "kind", json_object_new_string(PQgetvalue(r, row, 1)));
    jsonx_add(c, "title", title ? json_object_new_string(title) : NULL);
    jsonx_add(c, "members", members);
    jsonx_add(c, "last_message", render_message(r, row, 6));
    jsonx_add(c, "unread_count", json_object_new_int64(render_int64(r, row, 5)));
    jsonx_add(c, "last_read_message_id", json_object_new_int64(render_int64(r, row, 4)));
    jsonx_add(c, "updated_at", json_object_new_string(PQgetvalue(r, row, 3)));
    jsonx_add(c, "owner_id", PQgetisnull(r, row, 20) ? NULL
                              : json_object_new_int64(render_int64(r, row, 20)));
    jsonx_add(c, "mention_count", json_object_new_int64(render_int64(r, row, 21)));
    jsonx_add(c, "muted", json_object_new_boolean(PQgetvalue(r, row, 22)[0] == 't'));
    return c;
}

enum db_status chats_load(struct app *app, long long user_id, long long chat_id,
                          json_object **out, long long *total)
{
    char uid[ID_BUF], cid[ID_BUF];
    const char *params[2] = { render_id(uid, user_id), render_id(cid, chat_id) };
    PGresult *r = NULL, *m = NULL;
    enum db_status st;
    long long sum = 0;

    *out = NULL;
    st = db_run(app->db, chat_id ? &st_chats_one : &st_chats_all, params, &r);
    if (st == DB_OK)
        st = db_run(app->db, chat_id ? &st_members_one : &st_members_all, params, &m);
    if (st == DB_OK) {
        *out = json_object_new_array_ext(PQntuples(r));
        for (int i = 0; i < PQntuples(r); i++) {
            json_object_array_add(*out, chats_render(r, i, m, user_id));
            sum += render_int64(r, i, 5);
        }
        if (total)
            *total = sum;
    }
    PQclear(r);
    PQclear(m);
    return st;
}

json_object *chats_shared(struct app *app, long long viewer, long long chat_id)
{
    json_object *arr, *chat = NULL;

    if (chats_load(app, viewer, chat_id, &arr, NULL) != DB_OK) {
        log_warn("chat %lld: %s", chat_id, db_error(app->db));
        return NULL;
    }
    if (json_object_array_length(arr) == 1) {
        chat = json_object_get(json_object_array_get_idx(arr, 0));
        json_object_object_del(chat, "unread_count");
        json_object_object_del(chat, "mention_count");
        json_object_object_del(chat, "last_read_message_id");
    }
    json_object_put(arr);
    return chat;
}

void chats_list(struct app *app, struct req *req, struct resp *resp)
{
    json_object *arr, *o;
    enum db_status st = chats_load(app, req->user.sub, 0, &arr, NULL);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    o = json_object_new_object();
    jsonx_add(o, "chats", arr);
    http_json(resp, 200, o);
}

/* Answers with chat `id` as seen by the caller. */
static void chats_reply_one(struct app *app, struct req *req, struct resp *resp,
                            long long id, int status)
{
    json_object *arr;
    enum db_status st = chats_load(app, req->user.sub, id, &arr, NULL);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    if (json_object_array_length(arr) != 1)
        reply_no_chat(resp);
    else
        http_json(resp, status, json_object_get(json_object_array_get_idx(arr, 0)));
    json_object_put(arr);
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
        return;
    }
    st = db_run(app->db, &st_direct, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    status = PQgetvalue(r, 0, 0);
    chat_id = render_int64(r, 0, 1);
    seq = render_int64(r, 0, 2);
    if (strcmp(status, "no_user") == 0) {
        PQclear(r);
        http_error(resp, 404, "not_found", "no such user");
        return;
    }
    if (strcmp(status, "created") == 0) {
        PQclear(r);
        events_chat_created(app, chat_id, seq);
        chats_reply_one(app, req, resp, chat_id, 201);
        return;
    }
    PQclear(r);
    chats_reply_one(app, req, resp, chat_id, 200);
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
