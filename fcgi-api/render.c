/* render.c -- row -> JSON builders (see render.h). */
#include "render.h"

#include "jsonx.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

const char *render_id(char buf[ID_BUF], long long v)
{
    snprintf(buf, ID_BUF, "%lld", v);
    return buf;
}

long long render_int64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

const char *render_str(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return PQgetvalue(r, row, col);
}

static json_object *render_str_or_null(const PGresult *r, int row, int col)
{
    const char *s = render_str(r, row, col);
    return s ? json_object_new_string(s) : NULL;
}

json_object *render_json(const PGresult *r, int row, int col)
{
    const char *s = render_str(r, row, col);
    json_object *o;

    if (!s)
        return NULL;
    o = json_tokener_parse(s);
    if (!o)
        log_error("column %d holds text that is not JSON", col);
    return o;
}

json_object *render_message(const PGresult *r, int row, int col)
{
    json_object *m;
    const char *deleted;

    if (PQgetisnull(r, row, col))
        return NULL;
    m = json_object_new_object();
    deleted = render_str(r, row, col + 7);
    jsonx_add(m, "id", json_object_new_int64(render_int64(r, row, col)));
    jsonx_add(m, "chat_id", json_object_new_int64(render_int64(r, row, col + 1)));
    jsonx_add(m, "sender_id", json_object_new_int64(render_int64(r, row, col + 2)));
    jsonx_add(m, "sender_username", render_str_or_null(r, row, col + 3));
    jsonx_add(m, "content", render_str_or_null(r, row, col + 4));
    jsonx_add(m, "created_at", render_str_or_null(r, row, col + 5));
    jsonx_add(m, "edited_at", render_str_or_null(r, row, col + 6));
    jsonx_add(m, "deleted", json_object_new_boolean(deleted && deleted[0] == 't'));
    jsonx_add(m, "client_id", render_str_or_null(r, row, col + 8));
    jsonx_add(m, "seq", json_object_new_int64(render_int64(r, row, col + 9)));
    jsonx_add(m, "mentions", render_json(r, row, col + 10));
    jsonx_add(m, "reply_to", render_json(r, row, col + 11));
    jsonx_add(m, "reactions", render_json(r, row, col + 12));
    jsonx_add(m, "system", render_json(r, row, col + 13));
    /* Filled in by attach_messages where the message is sent out. */
    jsonx_add(m, "attachments", json_object_new_array());
    return m;
}

int render_mentions(json_object *msg, long long user_id)
{
    json_object *arr;

    if (!msg || !json_object_object_get_ex(msg, "mentions", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        if (json_object_get_int64(json_object_array_get_idx(arr, i)) == user_id)
            return 1;
    return 0;
}

json_object *render_user(long long id, const char *username)
{
    json_object *u = json_object_new_object();
    jsonx_add(u, "id", json_object_new_int64(id));
    jsonx_add(u, "username", json_object_new_string(username));
    return u;
}
