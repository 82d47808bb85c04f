/* attach.c -- attachments on messages (see attach.h). */
#include "attach.h"

#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "render.h"
#include "reply.h"
#include "uploads.h"

#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATTACH_ARRAY_BUF (ATTACH_MAX * 22 + 3)

static const struct db_stmt st_check = {
    "attach_check",
    "SELECT count(*) FROM uploads u "
    " WHERE u.id = ANY ($1::bigint[]) AND u.owner_id = $2 "
    "   AND (u.message_id IS NULL OR u.message_id IN ("
    "        SELECT m.id FROM messages m WHERE m.chat_id = $3 AND m.sender_id = $2 "
    "           AND m.client_id = $4))", 4
};
static const struct db_stmt st_claim = {
    "attach_claim", "SELECT parley_claim_uploads($1, $2, $3::bigint[])", 3
};
static const struct db_stmt st_load = {
    "attach_load",
    "SELECT message_id, id, name, size, content_type, width, height FROM uploads "
    " WHERE message_id = ANY ($1::bigint[]) ORDER BY message_id, position", 1
};

/* "{1,2,3}" from ids. */
static void attach_array(const long long *ids, int n, char *buf, size_t len)
{
    size_t o = 0;
    o += (size_t)snprintf(buf, len, "{");
    for (int i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "," : "", ids[i]);
    if (o < len)
        snprintf(buf + o, len - o, "}");
}

int attach_parse(json_object *body, long long ids[ATTACH_MAX], struct resp *resp)
{
    json_object *arr;
    size_t n;

    if (!json_object_object_get_ex(body, "attachment_ids", &arr) || arr == NULL)
        return 0;
    if (!json_object_is_type(arr, json_type_array) ||
        (n = json_object_array_length(arr)) > ATTACH_MAX)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_int) || (ids[i] = json_object_get_int64(v)) < 1)
            goto bad;
        for (size_t k = 0; k < i; k++)
            if (ids[k] == ids[i])
                goto bad;
    }
    return (int)n;
bad:
    http_error(resp, 400, "invalid_field",
               "attachment_ids must be an array of at most %d different upload ids",
               ATTACH_MAX);
    return -1;
}

int attach_check(struct app *app, const struct req *req, long long chat_id,
                 const char *client_id, const long long *ids, int n, struct resp *resp)
{
    char arr[ATTACH_ARRAY_BUF], uid[ID_BUF], cid[ID_BUF];
    const char *params[4];
    PGresult *r;
    enum db_status st;
    long long ok;

    if (n == 0)
        return 0;
    attach_array(ids, n, arr, sizeof arr);
    params[0] = arr;
    params[1] = render_id(uid, req->user.sub);
    params[2] = render_id(cid, chat_id);
    params[3] = client_id;
    st = db_run(app->db, &st_check, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    ok = render_int64(r, 0, 0);
    PQclear(r);
    if (ok != n) {
        http_error(resp, 400, "invalid_attachment",
                   "attachment_ids must name your own uploads not yet sent in a message");
        return -1;
    }
    return 0;
}

int attach_claim(struct app *app, long long message_id, long long user_id,
                 const long long *ids, int n)
{
    char arr[ATTACH_ARRAY_BUF], mid[ID_BUF], uid[ID_BUF];
    const char *params[3] = { render_id(mid, message_id), render_id(uid, user_id), arr };
    PGresult *r;

    if (n == 0)
        return 0;
    attach_array(ids, n, arr, sizeof arr);
    if (db_run(app->db, &st_claim, params, &r) != DB_OK) {
        log_warn("message %lld: attachments not claimed: %s", message_id, db_error(app->db));
        return -1;
    }
    PQclear(r);
    return 0;
}

static long long attach_id_of(json_object *m)
{
    json_object *v;
    return json_object_object_get_ex(m, "id", &v) ? json_object_get_int64(v) : 0;
}

static int attach_is_deleted(json_object *m)
{
    json_object *v;
    return json_object_object_get_ex(m, "deleted", &v) && json_object_get_boolean(v);
}

void attach_messages(struct app *app, json_object *messages)
{
    size_t n = json_object_array_length(messages), o = 1, len = n * 22 + 3;
    char *arr = xmalloc(len);
    const char *params[1] = { arr };
    PGresult *r = NULL;

    arr[0] = '{';
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(messages, i);
        jsonx_add(m, "attachments", json_object_new_array());
        if (!attach_is_deleted(m))
            o += (size_t)snprintf(arr + o, len - o, "%s%lld", o > 1 ? "," : "",
                                  attach_id_of(m));
    }
    snprintf(arr + o, len - o, "}");
    if (o == 1)
        goto out;
    if (db_run(app->db, &st_load, params, &r) != DB_OK) {
        log_warn("attachments: %s", db_error(app->db));
        goto out;
    }
    /* At most 200 messages and 10 uploads each: a nested scan is fine. */
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(messages, i), *list;
        long long id = attach_id_of(m);
        if (attach_is_deleted(m) || !json_object_object_get_ex(m, "attachments", &list))
            continue;
        for (int k = 0; k < PQntuples(r); k++)
            if (render_int64(r, k, 0) == id)
                json_object_array_add(list, uploads_render(r, k, 1));
    }
out:
    PQclear(r);
    free(arr);
}

void attach_one(struct app *app, json_object *message)
{
    json_object *one = json_object_new_array();
    json_object_array_add(one, json_object_get(message));
    attach_messages(app, one);
    json_object_put(one);
}
