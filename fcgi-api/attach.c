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

static const struct db_stmt st_load = {
    "attach_load",
    "SELECT message_id, id, name, size, content_type, width, height FROM uploads "
    " WHERE message_id = ANY ($1::bigint[]) ORDER BY message_id, position", 1
};

void attach_ids_text(const long long *ids, int n, char buf[ATTACH_IDS_BUF])
{
    size_t o = 0, len = ATTACH_IDS_BUF;
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

int attach_refused(struct app *app, struct resp *resp)
{
    if (strcmp(db_sqlstate(app->db), "P0002") != 0)
        return 0;
    http_error(resp, 400, "invalid_attachment",
               "attachment_ids must name your own uploads not yet sent in a message");
    return 1;
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
