/* shape.c -- builds the Message, Chat and event JSON from rows (see shape.h).
 *
 * The Message and the Chat are written as text (jsonw): a chat list sends
 * 200 of each, and a json-c tree of them cost more than the queries.  The
 * tree forms the live path needs are parsed from that same text, so each
 * shape is spelled once. */
#include "shape.h"

#include "jsonx.h"
#include "log.h"
#include "render.h"
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

/* Adds a key that is a string literal and not yet in obj: json-c then
 * neither copies the key nor looks it up first. */
static void shape_put(json_object *obj, const char *key, json_object *val)
{
    if (json_object_object_add_ex(obj, key, val,
                                  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT) < 0)
        jsonx_add(obj, key, val);      /* reports and aborts (out of memory) */
}

/* A text column as a JSON string, or null. */
static void shape_w_str(struct jsonw *w, const PGresult *r, int row, int col)
{
    jsonw_str(w, render_str(r, row, col));
}

/* A bigint column: PostgreSQL's text is already the JSON number (0 when
 * NULL, as render_int64 reads it). */
static void shape_w_int(struct jsonw *w, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        jsonw_lit(w, "0");
    else
        jsonw_raw(w, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

/* A column PostgreSQL built as JSON (array_to_json, json_build_object,
 * a json column), copied as it is; null when NULL. */
static void shape_w_json(struct jsonw *w, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        jsonw_lit(w, "null");
    else
        jsonw_raw(w, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

/* The Message's keys in the order of its columns (SHAPE_MESSAGE_COLS_OF),
 * each with how its column's text becomes JSON. */
enum shape_kind { SHAPE_INT, SHAPE_STR, SHAPE_BOOL, SHAPE_JSON };
static const struct {
    const char *key;            /* the separator and key before the value */
    size_t len;                 /* strlen(key) */
    enum shape_kind kind;
} shape_message_fields[SHAPE_MESSAGE_NCOLS] = {
#define SHAPE_F(key, kind) { key, sizeof(key) - 1, kind }
    SHAPE_F("{\"id\":", SHAPE_INT),           SHAPE_F(",\"chat_id\":", SHAPE_INT),
    SHAPE_F(",\"sender_id\":", SHAPE_INT),    SHAPE_F(",\"sender_username\":", SHAPE_STR),
    SHAPE_F(",\"content\":", SHAPE_STR),      SHAPE_F(",\"created_at\":", SHAPE_STR),
    SHAPE_F(",\"edited_at\":", SHAPE_STR),    SHAPE_F(",\"deleted\":", SHAPE_BOOL),
    SHAPE_F(",\"client_id\":", SHAPE_STR),    SHAPE_F(",\"seq\":", SHAPE_INT),
    SHAPE_F(",\"mentions\":", SHAPE_JSON),    SHAPE_F(",\"reply_to\":", SHAPE_JSON),
    SHAPE_F(",\"reactions\":", SHAPE_JSON),   SHAPE_F(",\"system\":", SHAPE_JSON),
#undef SHAPE_F
};

void shape_message_write(struct jsonw *w, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col)) {
        jsonw_lit(w, "null");
        return;
    }
    for (int i = 0; i < SHAPE_MESSAGE_NCOLS; i++) {
        const char *v;

        jsonw_raw(w, shape_message_fields[i].key, shape_message_fields[i].len);
        switch (shape_message_fields[i].kind) {
        case SHAPE_INT:
            shape_w_int(w, r, row, col + i);
            break;
        case SHAPE_STR:
            shape_w_str(w, r, row, col + i);
            break;
        case SHAPE_BOOL:
            v = render_str(r, row, col + i);
            jsonw_bool(w, v && v[0] == 't');
            break;
        case SHAPE_JSON:
            shape_w_json(w, r, row, col + i);
            break;
        }
    }
    /* Filled in by attach_messages where the message is sent out. */
    jsonw_lit(w, ",\"attachments\":[]}");
}

json_object *shape_message(const PGresult *r, int row, int col)
{
    struct jsonw w;
    json_object *m;

    if (PQgetisnull(r, row, col))
        return NULL;
    jsonw_init(&w, 512);
    shape_message_write(&w, r, row, col);
    m = jsonw_parse(&w);
    if (!m)
        log_error("message at column %d: a JSON column is not JSON", col);
    jsonw_free(&w);
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

void shape_members_init(struct shape_members *sm, const PGresult *m)
{
    int n = PQntuples(m);

    sm->m = m;
    sm->n = n;
    sm->chat_ids = xmalloc((size_t)(n ? n : 1) * sizeof *sm->chat_ids);
    sm->user_ids = xmalloc((size_t)(n ? n : 1) * sizeof *sm->user_ids);
    for (int i = 0; i < n; i++) {
        sm->chat_ids[i] = render_int64(m, i, 0);
        sm->user_ids[i] = render_int64(m, i, 1);
    }
}

void shape_members_free(struct shape_members *sm)
{
    free(sm->chat_ids);
    free(sm->user_ids);
    sm->chat_ids = sm->user_ids = NULL;
    sm->n = 0;
}

/* First member row (rows sorted by chat id) of chat_id. */
static int shape_members_first(const struct shape_members *sm, long long chat_id)
{
    int lo = 0, hi = sm->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (sm->chat_ids[mid] < chat_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void shape_chat_write(struct jsonw *w, const PGresult *r, int row,
                      const struct shape_members *sm, long long viewer)
{
    const PGresult *m = sm->m;
    long long id = render_int64(r, row, SHAPE_CHAT_ID);
    const char *title = render_str(r, row, SHAPE_CHAT_TITLE);
    const char *kind = PQgetvalue(r, row, SHAPE_CHAT_KIND);
    int direct = strcmp(kind, "direct") == 0;
    int first = shape_members_first(sm, id), end = first;
    char ts[RENDER_TS_BUF];

    /* A direct chat is titled with the other member's name. */
    while (end < sm->n && sm->chat_ids[end] == id) {
        if (direct && !title && sm->user_ids[end] != viewer)
            title = PQgetvalue(m, end, 2);
        end++;
    }
    jsonw_lit(w, "{\"id\":");
    shape_w_int(w, r, row, SHAPE_CHAT_ID);
    jsonw_lit(w, ",\"kind\":");
    jsonw_str(w, kind);
    jsonw_lit(w, ",\"title\":");
    jsonw_str(w, title);
    jsonw_lit(w, ",\"members\":[");
    for (int i = first; i < end; i++) {
        if (i > first)
            jsonw_lit(w, ",");
        jsonw_lit(w, "{\"id\":");
        shape_w_int(w, m, i, 1);
        jsonw_lit(w, ",\"username\":");
        shape_w_str(w, m, i, 2);
        jsonw_lit(w, ",\"deactivated\":");
        jsonw_bool(w, PQgetvalue(m, i, 3)[0] == 't');
        /* Every member's read marker, so "Seen" survives a reload (the
         * same fact read_receipt events carry live). */
        jsonw_lit(w, ",\"last_read_message_id\":");
        shape_w_int(w, m, i, 4);
        jsonw_lit(w, "}");
    }
    jsonw_lit(w, "],\"last_message\":");
    shape_message_write(w, r, row, SHAPE_CHAT_LAST_MESSAGE);
    jsonw_lit(w, ",\"unread_count\":");
    shape_w_int(w, r, row, SHAPE_CHAT_UNREAD);
    jsonw_lit(w, ",\"last_read_message_id\":");
    shape_w_int(w, r, row, SHAPE_CHAT_LAST_READ);
    jsonw_lit(w, ",\"updated_at\":");
    jsonw_str(w, render_ts(ts, PQgetvalue(r, row, SHAPE_CHAT_UPDATED)));
    jsonw_lit(w, ",\"owner_id\":");
    if (PQgetisnull(r, row, SHAPE_CHAT_OWNER))
        jsonw_lit(w, "null");
    else
        shape_w_int(w, r, row, SHAPE_CHAT_OWNER);
    jsonw_lit(w, ",\"mention_count\":");
    shape_w_int(w, r, row, SHAPE_CHAT_MENTIONS);
    jsonw_lit(w, ",\"muted\":");
    jsonw_bool(w, PQgetvalue(r, row, SHAPE_CHAT_MUTED)[0] == 't');
    jsonw_lit(w, "}");
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
