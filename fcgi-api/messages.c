/* messages.c -- the message routes of docs/api.md.
 *
 * Writes go through one plpgsql function each (sql/006_writepath.sql), which
 * checks membership and authorship inside the transaction and answers with
 * the stored message and its recipients; the handler maps the status to
 * HTTP and, after the commit, PUSHes the event: one round trip per write.
 * Membership is checked for every read too: a chat you are not in is a 404,
 * exactly like a chat that does not exist. */
#include "messages.h"

#include "access.h"
#include "attach.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "jsonx.h"
#include "mention.h"
#include "throttle.h"
#include "render.h"
#include "shape.h"
#include "reply.h"
#include "validate.h"
#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_LIMIT_DEFAULT 50
#define MSG_LIMIT_MAX 200
#define MSG_CLIENT_ID_MAX 128

/* Older first-page/`before` pages walk down from the top... */
static const struct db_stmt st_page_desc = {
    "msg_page_desc",
    "SELECT * FROM (SELECT " SHAPE_MESSAGE_COLS " FROM message_v "
    "  WHERE chat_id = $1 AND id < $2 AND id > $3 ORDER BY id DESC LIMIT $4) p "
    " ORDER BY id", 4
};
/* ...`after` pages walk up from the marker. */
static const struct db_stmt st_page_asc = {
    "msg_page_asc",
    "SELECT " SHAPE_MESSAGE_COLS " FROM message_v "
    " WHERE chat_id = $1 AND id < $2 AND id > $3 ORDER BY id LIMIT $4", 4
};
/* The write functions of sql/006_writepath.sql: each answers with the
 * stored message (Message columns) and the recipients, so a write is one
 * round trip. */
static const struct db_stmt st_post = {
    "msg_post",
    "SELECT p.status, p.seq, " SHAPE_MESSAGE_COLS_OF("(p.msg)") ", p.has_uploads, "
    "       p.member_ids, p.unread_counts, p.total_unreads "
    "  FROM parley_post($1, $2, $3, $4, $5, $6, $7, $8::text[], $9::bigint[]) p", 9
};
#define POST_COL_MESSAGE 2
#define POST_COL_UPLOADS (POST_COL_MESSAGE + SHAPE_MESSAGE_NCOLS)
#define POST_COL_RECIPIENTS (POST_COL_UPLOADS + 1)
static const struct db_stmt st_change = {
    "msg_change",
    "SELECT c.status, c.chat_id, c.seq, " SHAPE_MESSAGE_COLS_OF("(c.msg)") ", "
    "       c.has_uploads, c.member_ids, c.unread_counts, c.total_unreads "
    "  FROM parley_change($1, $2, $3, $4, $5, $6::text[]) c", 6
};
#define CHANGE_COL_MESSAGE 3
#define CHANGE_COL_UPLOADS (CHANGE_COL_MESSAGE + SHAPE_MESSAGE_NCOLS)
#define CHANGE_COL_RECIPIENTS (CHANGE_COL_UPLOADS + 1)
static const struct db_stmt st_read = {
    "msg_read",
    "SELECT status, last_read, seq, unread, total, member_ids FROM parley_read($1, $2, $3)", 3
};

/* Reads an optional numeric query parameter ("after" may also be 0: from
 * the first message).  Returns 0 (absent: *out untouched), 1, or -1 with
 * resp set. */
static int messages_query_id(struct req *req, struct resp *resp, const char *name,
                             long long *out)
{
    char v[32];
    int f = http_form_get(req->query, strlen(req->query), name, v, sizeof v);
    if (f == 0 || (f == 1 && v[0] == '\0'))
        return 0;
    if (f == 1 && strcmp(name, "after") == 0 && strcmp(v, "0") == 0) {
        *out = 0;
        return 1;
    }
    if (f < 0 || validate_id(v, strlen(v), out) < 0) {
        http_error(resp, 400, "invalid_field", "%s must be a positive integer", name);
        return -1;
    }
    return 1;
}

void messages_list(struct app *app, struct req *req, struct resp *resp)
{
    long long before = 1LL << 62, after = 0, limit = MSG_LIMIT_DEFAULT;
    char cid[ID_BUF], b[ID_BUF], a[ID_BUF], l[ID_BUF];
    const char *params[4];
    int has_after, n;
    json_object *arr, *o;
    PGresult *r = NULL;
    enum db_status st;

    if (messages_query_id(req, resp, "before", &before) < 0 ||
        (has_after = messages_query_id(req, resp, "after", &after)) < 0 ||
        messages_query_id(req, resp, "limit", &limit) < 0)
        goto out;
    if (limit > MSG_LIMIT_MAX)
        limit = MSG_LIMIT_MAX;
    if (access_chat_member(app, req, resp, req->ids[0]) != 1)
        goto out;
    params[0] = render_id(cid, req->ids[0]);
    params[1] = render_id(b, before);
    params[2] = render_id(a, after);
    params[3] = render_id(l, limit + 1);   /* one extra row tells has_more */
    st = db_run(app->db, has_after ? &st_page_asc : &st_page_desc, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    n = PQntuples(r);
    arr = json_object_new_array_ext(n);
    /* The extra row is the oldest of a descending page (first here) or the
     * newest of an ascending one (last). */
    for (int i = 0; i < n; i++) {
        if (n > limit && ((!has_after && i == 0) || (has_after && i == n - 1)))
            continue;
        json_object_array_add(arr, shape_message(r, i, 0));
    }
    attach_messages(app, arr);
    o = json_object_new_object();
    jsonx_add(o, "messages", arr);
    jsonx_add(o, "has_more", json_object_new_boolean(n > limit));
    http_json(resp, 200, o);
out:
    PQclear(r);
}

/* Validates {"content"} from body into a fresh trimmed copy; NULL with resp
 * set on failure. */
static char *messages_content(json_object *body, struct resp *resp)
{
    const char *c, *start, *why;
    size_t n, tlen;
    int has = jsonx_get_string(body, "content", &c, &n);

    if (has != 1) {
        http_error(resp, 400, "invalid_field", "content must be a string");
        return NULL;
    }
    if (validate_text(c, n, VALIDATE_CONTENT_MAX_CHARS, &start, &tlen, &why) < 0) {
        http_error(resp, 400, "invalid_content", "content %s (1-%d characters)", why,
                   VALIDATE_CONTENT_MAX_CHARS);
        return NULL;
    }
    return xstrndup(start, tlen);
}

/* The "@name" candidates of content as a text[] literal into buf. */
static void messages_mentions(const char *content, char *buf, size_t len)
{
    char names[MENTION_MAX][MENTION_NAME_MAX + 1];
    size_t n = mention_scan(content, strlen(content), names, MENTION_MAX);

    /* MENTION_MAX quoted names always fit the caller's buffer. */
    if (mention_array(names, n, buf, len) < 0)
        snprintf(buf, len, "{}");
}

/* Answers 429 with Retry-After for a function's 'rate_limited'. */
static void messages_rate_limited(struct resp *resp, long long wait_s)
{
    char wait[ID_BUF];

    http_header(resp, "Retry-After", render_id(wait, wait_s));
    http_error(resp, 429, "rate_limited", "sending too fast; try again in %lld s", wait_s);
}

/* The stored message of a write function's row, with its attachments
 * loaded only when it has any.  A new reference, or NULL. */
static json_object *messages_of(struct app *app, const PGresult *r, int col, int col_uploads)
{
    json_object *msg = shape_message(r, 0, col);

    if (msg && PQgetvalue(r, 0, col_uploads)[0] == 't')
        attach_one(app, msg);
    return msg;
}

void messages_post(struct app *app, struct req *req, struct resp *resp)
{
    char cid[ID_BUF], uid[ID_BUF], rate[ID_BUF], burst[ID_BUF], rto[ID_BUF];
    char mentions[MENTION_MAX * (MENTION_NAME_MAX + 3) + 3], uploads[ATTACH_IDS_BUF];
    char *content = NULL, *client_id = NULL;
    long long att[ATTACH_MAX];
    int natt;
    const char *params[9], *cl, *status;
    json_object *body = http_json_body(req, resp), *msg = NULL;
    struct event_recipient *rc = NULL;
    PGresult *r = NULL;
    enum db_status st;
    size_t cln, nrc;
    int has_cl, has_rt;
    long long reply_to = 0;

    if (!body)
        return;
    content = messages_content(body, resp);
    if (!content)
        goto out;
    has_cl = jsonx_get_string(body, "client_id", &cl, &cln);
    if (has_cl < 0 || (has_cl == 1 && (cln == 0 || cln > MSG_CLIENT_ID_MAX ||
                                       !validate_utf8(cl, cln)))) {
        http_error(resp, 400, "invalid_field", "client_id must be a string of 1-%d bytes",
                   MSG_CLIENT_ID_MAX);
        goto out;
    }
    has_rt = jsonx_get_int64(body, "reply_to_id", &reply_to);
    if (has_rt < 0 || (has_rt == 1 && reply_to < 1)) {
        http_error(resp, 400, "invalid_field", "reply_to_id must be a positive integer");
        goto out;
    }
    if (has_cl == 1)
        client_id = xstrndup(cl, cln);
    if ((natt = attach_parse(body, att, resp)) < 0)
        goto out;
    attach_ids_text(att, natt, uploads);
    messages_mentions(content, mentions, sizeof mentions);
    params[0] = render_id(cid, req->ids[0]);
    params[1] = render_id(uid, req->user.sub);
    params[2] = content;
    params[3] = client_id;
    params[4] = render_id(rate, app->cfg.send_rate);
    params[5] = render_id(burst, app->cfg.send_burst);
    params[6] = has_rt == 1 ? render_id(rto, reply_to) : NULL;
    params[7] = mentions;
    params[8] = uploads;
    st = db_run(app->db, &st_post, params, &r);
    if (st != DB_OK) {
        if (!attach_refused(app, resp))
            reply_db_error(app, resp, st);
        goto out;
    }
    status = PQgetvalue(r, 0, 0);
    if (strcmp(status, "not_member") == 0) {
        reply_no_chat(resp);
        goto out;
    }
    if (strcmp(status, "rate_limited") == 0) {
        messages_rate_limited(resp, render_int64(r, 0, 1));
        goto out;
    }
    if (strcmp(status, "bad_reply") == 0) {
        http_error(resp, 400, "invalid_reply", "reply_to_id is not a message of this chat");
        goto out;
    }
    msg = messages_of(app, r, POST_COL_MESSAGE, POST_COL_UPLOADS);
    if (!msg) {
        reply_db_error(app, resp, DB_FAILED);
        goto out;
    }
    /* A repeated client_id means the first answer was lost, and perhaps
     * the event too (a worker killed between commit and PUSH): send it
     * again; clients apply new_message by message id, so a repeat is
     * harmless and a lost one is repaired. */
    nrc = events_recipients_of(r, 0, POST_COL_RECIPIENTS, 1, 0, &rc);
    events_new_message_to(app, req->ids[0], render_int64(r, 0, 1), msg, rc, nrc);
    http_json(resp, strcmp(status, "created") == 0 ? 201 : 200, json_object_get(msg));
out:
    free(rc);
    json_object_put(msg);
    json_object_put(body);
    PQclear(r);
    free(content);
    free(client_id);
}

/* Shared by edit (content != NULL) and delete. */
static void messages_change(struct app *app, struct req *req, struct resp *resp,
                            const char *content)
{
    char mid[ID_BUF], uid[ID_BUF], rate[ID_BUF], burst[ID_BUF];
    char mentions[MENTION_MAX * (MENTION_NAME_MAX + 3) + 3];
    const char *params[6] = { render_id(mid, req->ids[0]), render_id(uid, req->user.sub),
                              content, render_id(rate, app->cfg.send_rate),
                              render_id(burst, app->cfg.send_burst), NULL };
    struct event_recipient *rc = NULL;
    json_object *msg = NULL;
    PGresult *r = NULL;
    const char *status;
    enum db_status st;
    long long chat_id, seq;
    size_t nrc;

    /* An edit's mentions are those of its new text. */
    if (content) {
        messages_mentions(content, mentions, sizeof mentions);
        params[5] = mentions;
    }
    st = db_run(app->db, &st_change, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    status = PQgetvalue(r, 0, 0);
    chat_id = render_int64(r, 0, 1);
    seq = render_int64(r, 0, 2);
    if (strcmp(status, "not_found") == 0) {
        http_error(resp, 404, "not_found", "no such message");
    } else if (strcmp(status, "forbidden") == 0) {
        http_error(resp, 403, "forbidden", "only the author can %s a message",
                   content ? "edit" : "delete");
    } else if (strcmp(status, "rate_limited") == 0) {
        messages_rate_limited(resp, seq);
    } else if (strcmp(status, "deleted") == 0) {
        http_error(resp, 409, "message_deleted", "a deleted message cannot be edited");
    } else if (!content) {
        /* 'ok', or 'unchanged' (deleted before): 204 either way. */
        if (strcmp(status, "ok") == 0) {
            nrc = events_recipients_of(r, 0, CHANGE_COL_RECIPIENTS, 1, 0, &rc);
            events_message_deleted_to(app, chat_id, seq, req->ids[0], rc, nrc);
        }
        resp->status = 204;
    } else if (!(msg = messages_of(app, r, CHANGE_COL_MESSAGE, CHANGE_COL_UPLOADS))) {
        reply_db_error(app, resp, DB_FAILED);
    } else {
        nrc = events_recipients_of(r, 0, CHANGE_COL_RECIPIENTS, 0, 0, &rc);
        events_message_updated_to(app, chat_id, seq, msg, rc, nrc);
        http_json(resp, 200, json_object_get(msg));
    }
out:
    free(rc);
    json_object_put(msg);
    PQclear(r);
}

void messages_edit(struct app *app, struct req *req, struct resp *resp)
{
    json_object *body = http_json_body(req, resp);
    char *content;

    if (!body)
        return;
    content = messages_content(body, resp);
    if (content)
        messages_change(app, req, resp, content);
    free(content);
    json_object_put(body);
}

void messages_delete(struct app *app, struct req *req, struct resp *resp)
{
    messages_change(app, req, resp, NULL);
}

void messages_read(struct app *app, struct req *req, struct resp *resp)
{
    char cid[ID_BUF], uid[ID_BUF], mid[ID_BUF];
    const char *params[3] = { render_id(cid, req->ids[0]), render_id(uid, req->user.sub), NULL };
    struct event_recipient *rc = NULL;
    json_object *body = NULL, *o;
    PGresult *r = NULL;
    enum db_status st;
    const char *status;
    long long msg_id, last_read, unread, total;
    size_t nrc;
    int has;

    if (req->body_len > 0) {
        body = http_json_body(req, resp);
        if (!body)
            goto out;
        has = jsonx_get_int64(body, "message_id", &msg_id);
        if (has < 0 || (has == 1 && msg_id < 1)) {
            http_error(resp, 400, "invalid_field", "message_id must be a positive integer");
            goto out;
        }
        if (has == 1)
            params[2] = render_id(mid, msg_id);
    }
    st = db_run(app->db, &st_read, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    status = PQgetvalue(r, 0, 0);
    if (strcmp(status, "no_message") == 0) {
        http_error(resp, 400, "invalid_field", "message_id is not a message of this chat");
        goto out;
    }
    if (strcmp(status, "not_member") == 0) {
        reply_no_chat(resp);
        goto out;
    }
    last_read = render_int64(r, 0, 1);
    unread = render_int64(r, 0, 3);
    total = render_int64(r, 0, 4);
    if (strcmp(status, "ok") == 0) {
        nrc = events_recipients_of(r, 0, 5, 0, req->user.sub, &rc);
        events_read_to(app, req->ids[0], render_int64(r, 0, 2), req->user.sub, last_read,
                       unread, total, rc, nrc);
    }
    o = json_object_new_object();
    jsonx_add(o, "chat_id", json_object_new_int64(req->ids[0]));
    jsonx_add(o, "last_read_message_id", json_object_new_int64(last_read));
    jsonx_add(o, "unread_count", json_object_new_int64(unread));
    jsonx_add(o, "total_unread", json_object_new_int64(total));
    http_json(resp, 200, o);
out:
    free(rc);
    json_object_put(body);
    PQclear(r);
}

void messages_typing(struct app *app, struct req *req, struct resp *resp)
{
    if (access_chat_member(app, req, resp, req->ids[0]) != 1 ||
        throttle_typing(app, req, resp, req->ids[0]) < 0)
        return;
    events_typing(app, req->ids[0], req->user.sub, req->user.username);
    resp->status = 204;
}
