/* shape.c -- builds the Message, Chat and event JSON from rows (see shape.h). */
#include "shape.h"

#include "jsonx.h"
#include "render.h"

#include <string.h>

/* Adds a key that is a string literal and not yet in obj: json-c then
 * neither copies the key nor looks it up first (a chat list adds ~50
 * keys per chat). */
static void shape_put(json_object *obj, const char *key, json_object *val)
{
    if (json_object_object_add_ex(obj, key, val,
                                  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT) < 0)
        jsonx_add(obj, key, val);      /* reports and aborts (out of memory) */
}

static json_object *shape_str_or_null(const PGresult *r, int row, int col)
{
    const char *s = render_str(r, row, col);
    return s ? json_object_new_string(s) : NULL;
}

json_object *shape_message(const PGresult *r, int row, int col)
{
    json_object *m;
    const char *deleted;

    if (PQgetisnull(r, row, col))
        return NULL;
    m = json_object_new_object();
    deleted = render_str(r, row, col + 7);
    shape_put(m, "id", json_object_new_int64(render_int64(r, row, col)));
    shape_put(m, "chat_id", json_object_new_int64(render_int64(r, row, col + 1)));
    shape_put(m, "sender_id", json_object_new_int64(render_int64(r, row, col + 2)));
    shape_put(m, "sender_username", shape_str_or_null(r, row, col + 3));
    shape_put(m, "content", shape_str_or_null(r, row, col + 4));
    shape_put(m, "created_at", shape_str_or_null(r, row, col + 5));
    shape_put(m, "edited_at", shape_str_or_null(r, row, col + 6));
    shape_put(m, "deleted", json_object_new_boolean(deleted && deleted[0] == 't'));
    shape_put(m, "client_id", shape_str_or_null(r, row, col + 8));
    shape_put(m, "seq", json_object_new_int64(render_int64(r, row, col + 9)));
    shape_put(m, "mentions", render_json(r, row, col + 10));
    shape_put(m, "reply_to", render_json(r, row, col + 11));
    shape_put(m, "reactions", render_json(r, row, col + SHAPE_MESSAGE_COL_REACTIONS));
    shape_put(m, "system", render_json(r, row, col + 13));
    /* Filled in by attach_messages where the message is sent out. */
    shape_put(m, "attachments", json_object_new_array());
    return m;
}

int shape_mentions(json_object *msg, long long user_id)
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

/* First row of the members result (sorted by chat id) for chat_id. */
static int shape_members_first(const PGresult *m, long long chat_id)
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

json_object *shape_chat(const PGresult *r, int row, const PGresult *m, long long viewer)
{
    json_object *c = json_object_new_object();
    json_object *members = json_object_new_array();
    long long id = render_int64(r, row, SHAPE_CHAT_ID);
    const char *title = render_str(r, row, SHAPE_CHAT_TITLE);
    const char *kind = PQgetvalue(r, row, SHAPE_CHAT_KIND);
    int direct = strcmp(kind, "direct") == 0;

    for (int i = shape_members_first(m, id); i < PQntuples(m) && render_int64(m, i, 0) == id;
         i++) {
        long long uid = render_int64(m, i, 1);
        json_object *u = render_user(uid, PQgetvalue(m, i, 2));
        shape_put(u, "deactivated", json_object_new_boolean(PQgetvalue(m, i, 3)[0] == 't'));
        /* Every member's read marker, so "Seen" survives a reload (the
         * same fact read_receipt events carry live). */
        shape_put(u, "last_read_message_id", json_object_new_int64(render_int64(m, i, 4)));
        json_object_array_add(members, u);
        if (direct && uid != viewer && !title)
            title = PQgetvalue(m, i, 2);
    }
    shape_put(c, "id", json_object_new_int64(id));
    shape_put(c, "kind", json_object_new_string(kind));
    shape_put(c, "title", title ? json_object_new_string(title) : NULL);
    shape_put(c, "members", members);
    shape_put(c, "last_message", shape_message(r, row, SHAPE_CHAT_LAST_MESSAGE));
    shape_put(c, "unread_count", json_object_new_int64(render_int64(r, row, SHAPE_CHAT_UNREAD)));
    shape_put(c, "last_read_message_id",
              json_object_new_int64(render_int64(r, row, SHAPE_CHAT_LAST_READ)));
    shape_put(c, "updated_at", json_object_new_string(PQgetvalue(r, row, SHAPE_CHAT_UPDATED)));
    shape_put(c, "owner_id", PQgetisnull(r, row, SHAPE_CHAT_OWNER) ? NULL
                              : json_object_new_int64(render_int64(r, row, SHAPE_CHAT_OWNER)));
    shape_put(c, "mention_count",
              json_object_new_int64(render_int64(r, row, SHAPE_CHAT_MENTIONS)));
    shape_put(c, "muted", json_object_new_boolean(PQgetvalue(r, row, SHAPE_CHAT_MUTED)[0] == 't'));
    return c;
}

void shape_chat_shared(json_object *chat)
{
    json_object_object_del(chat, "unread_count");
    json_object_object_del(chat, "mention_count");
    json_object_object_del(chat, "last_read_message_id");
}

static json_object *shape_ev(const char *type, long long seq, long long chat_id)
{
    json_object *ev = json_object_new_object();
    shape_put(ev, "type", json_object_new_string(type));
    if (seq)
        shape_put(ev, "seq", json_object_new_int64(seq));
    shape_put(ev, "chat_id", json_object_new_int64(chat_id));
    return ev;
}

json_object *shape_ev_new_message(long long seq, long long chat_id, json_object *msg,
                                  int mentioned)
{
    json_object *ev = shape_ev("new_message", seq, chat_id);
    shape_put(ev, "message", json_object_get(msg));
    shape_put(ev, "mentioned", json_object_new_boolean(mentioned));
    return ev;
}

json_object *shape_ev_message_updated(long long seq, long long chat_id, json_object *msg)
{
    json_object *ev = shape_ev("message_updated", seq, chat_id);
    shape_put(ev, "message", json_object_get(msg));
    return ev;
}

json_object *shape_ev_message_deleted(long long seq, long long chat_id, long long message_id)
{
    json_object *ev = shape_ev("message_deleted", seq, chat_id);
    shape_put(ev, "message_id", json_object_new_int64(message_id));
    return ev;
}

json_object *shape_ev_unread_update(long long seq, long long chat_id)
{
    return shape_ev("unread_update", seq, chat_id);
}

json_object *shape_ev_read_receipt(long long seq, long long chat_id, long long user_id,
                                   long long last_read)
{
    json_object *ev = shape_ev("read_receipt", seq, chat_id);
    shape_put(ev, "user_id", json_object_new_int64(user_id));
    shape_put(ev, "last_read_message_id", json_object_new_int64(last_read));
    return ev;
}

json_object *shape_ev_reaction(long long seq, long long chat_id, long long message_id,
                               json_object *reactions)
{
    json_object *ev = shape_ev("reaction_updated", seq, chat_id);
    shape_put(ev, "message_id", json_object_new_int64(message_id));
    shape_put(ev, "reactions", json_object_get(reactions));
    return ev;
}

json_object *shape_ev_chat(const char *type, long long seq, long long chat_id,
                           json_object *chat)
{
    json_object *ev = shape_ev(type, seq, chat_id);
    shape_put(ev, "chat", chat);
    return ev;
}

json_object *shape_ev_chat_removed(long long seq, long long chat_id)
{
    return shape_ev("chat_removed", seq, chat_id);
}

json_object *shape_ev_chat_muted(long long seq, long long chat_id, int muted)
{
    json_object *ev = shape_ev("chat_muted", seq, chat_id);
    shape_put(ev, "muted", json_object_new_boolean(muted));
    return ev;
}

json_object *shape_ev_typing(long long chat_id, long long user_id, const char *username)
{
    json_object *ev = shape_ev("typing", 0, chat_id);
    shape_put(ev, "user_id", json_object_new_int64(user_id));
    shape_put(ev, "username", json_object_new_string(username));
    return ev;
}

void shape_ev_add_unread(json_object *ev, long long unread, long long total)
{
    shape_put(ev, "unread_count", json_object_new_int64(unread));
    shape_put(ev, "total_unread", json_object_new_int64(total));
}
