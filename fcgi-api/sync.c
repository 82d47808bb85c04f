/* sync.c -- catch-up after a reconnect (docs/api.md "Sync").
 *
 * The answer covers changes in the caller's chats with since < seq <= L,
 * where L = parley_settled_seq(): every change numbered up to L has
 * committed or rolled back, so a change that commits late can never fall
 * behind a cursor the client already holds (see sql/001_schema.sql).  L is
 * returned as the next cursor.  Changes are rendered in the WebSocket event
 * shapes from the current rows, and the current unread count of every chat
 * is returned so the client sets badges absolutely rather than adding up.
 * Every event object comes from shape.c, as the live ones do. */
#include "sync.h"

#include "attach.h"
#include "chatview.h"
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "render.h"
#include "reply.h"
#include "shape.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#define SYNC_MAX_CHANGES 500

static const struct db_stmt st_settled = {
    "sync_settled", "SELECT parley_settled_seq()", 0
};
/* Changes of the chats the caller is in now, plus the removals of the
 * caller from chats they are no longer in (their chat_removed). */
static const struct db_stmt st_changes = {
    "sync_changes",
    "SELECT c.seq, c.kind, c.chat_id, c.user_id, c.message_id, "
    SHAPE_MESSAGE_COLS_OF("mv") ", "
    "       coalesce($1 = ANY (c.target_ids), false), coalesce(mine.muted, false) "
    "  FROM (SELECT c.* FROM changes c "
    "          JOIN chat_members me ON me.chat_id = c.chat_id AND me.user_id = $1 "
    "         WHERE c.seq > $2 AND c.seq <= $3 "
    "           AND (c.kind <> 'chat_muted' OR c.user_id = $1) "
    "        UNION ALL "
    "        SELECT c.* FROM changes c "
    "         WHERE c.kind = 'member_removed' AND c.target_ids @> ARRAY[$1::bigint] "
    "           AND c.seq > $2 AND c.seq <= $3 AND NOT EXISTS (SELECT 1 FROM chat_members me "
    "                WHERE me.chat_id = c.chat_id AND me.user_id = $1)) c "
    "  LEFT JOIN message_v mv ON mv.id = c.message_id AND c.kind <> 'read' "
    "  LEFT JOIN chat_members mine ON mine.chat_id = c.chat_id AND mine.user_id = $1 "
    " ORDER BY c.seq LIMIT $4", 4
};
#define SYNC_COL_MESSAGE 5
#define SYNC_COL_ABOUT_ME (SYNC_COL_MESSAGE + SHAPE_MESSAGE_NCOLS)
#define SYNC_COL_MUTED (SYNC_COL_ABOUT_ME + 1)
static const struct db_stmt st_unreads = {
    "sync_unreads",
    "SELECT cm.chat_id, cm.unread_count, cm.mention_count "
    "  FROM chat_members cm WHERE cm.user_id = $1 ORDER BY cm.chat_id", 1
};

/* Unread count of chat_id in the (chat id ordered) unreads result. */
static long long sync_unread_of(const PGresult *u, long long chat_id)
{
    int lo = 0, hi = PQntuples(u);
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        long long v = render_int64(u, mid, 0);
        if (v == chat_id)
            return render_int64(u, mid, 1);
        if (v < chat_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* One change row as an event; NULL to skip it. */
static json_object *sync_render_change(struct app *app, const struct req *req,
                                       const PGresult *c, int i, const PGresult *u,
                                       long long total)
{
    long long seq = render_int64(c, i, 0), chat_id = render_int64(c, i, 2);
    long long actor = render_int64(c, i, 3), mid = render_int64(c, i, 4);
    const char *kind = PQgetvalue(c, i, 1);
    long long unread = sync_unread_of(u, chat_id);
    json_object *ev;

    int about_me = PQgetvalue(c, i, SYNC_COL_ABOUT_ME)[0] == 't';

    if (strcmp(kind, "message_new") == 0) {
        json_object *msg = shape_message(c, i, SYNC_COL_MESSAGE);
        ev = shape_ev_new_message(seq, chat_id, msg, shape_mentions(msg, req->user.sub));
        shape_ev_add_unread(ev, unread, total);
        json_object_put(msg);
    } else if (strcmp(kind, "message_edit") == 0) {
        json_object *msg = shape_message(c, i, SYNC_COL_MESSAGE);
        ev = shape_ev_message_updated(seq, chat_id, msg);
        json_object_put(msg);
    } else if (strcmp(kind, "reaction") == 0) {
        json_object *reactions = render_json(c, i, SYNC_COL_MESSAGE + SHAPE_MESSAGE_COL_REACTIONS);
        ev = shape_ev_reaction(seq, chat_id, mid, reactions);
        json_object_put(reactions);
    } else if (strcmp(kind, "member_removed") == 0 && about_me) {
        ev = shape_ev_chat_removed(seq, chat_id);
    } else if (strcmp(kind, "chat_updated") == 0 || strcmp(kind, "member_removed") == 0 ||
               (strcmp(kind, "members_added") == 0 && !about_me)) {
        json_object *chat = chatview_shared(app, req->user.sub, chat_id);
        if (!chat)
            return NULL;
        ev = shape_ev_chat("chat_updated", seq, chat_id, chat);
    } else if (strcmp(kind, "message_delete") == 0) {
        ev = shape_ev_message_deleted(seq, chat_id, mid);
        shape_ev_add_unread(ev, unread, total);
    } else if (strcmp(kind, "read") == 0 && actor == req->user.sub) {
        ev = shape_ev_unread_update(seq, chat_id);
        shape_ev_add_unread(ev, unread, total);
    } else if (strcmp(kind, "read") == 0) {
        ev = shape_ev_read_receipt(seq, chat_id, actor, mid);
    } else if (strcmp(kind, "chat_muted") == 0) {
        /* Only the caller's own (the query filters); the current value. */
        ev = shape_ev_chat_muted(seq, chat_id, PQgetvalue(c, i, SYNC_COL_MUTED)[0] == 't');
    } else {
        json_object *chat;
        if (chatview_one(app, req->user.sub, chat_id, &chat) != DB_OK || !chat)
            return NULL;
        ev = shape_ev_chat("chat_created", seq, chat_id, chat);
    }
    return ev;
}

void sync_get(struct app *app, struct req *req, struct resp *resp)
{
    char sincebuf[32], uid[ID_BUF], s1[ID_BUF], s2[ID_BUF], lim[ID_BUF];
    const char *params[4];
    PGresult *r = NULL, *c = NULL, *u = NULL;
    json_object *o = NULL, *changes, *chats;
    long long since = -1, settled, total = 0;
    int reset = 0, f;
    enum db_status st;

    f = http_form_get(req->query, strlen(req->query), "since", sincebuf, sizeof sincebuf);
    if (f == 1 && strcmp(sincebuf, "0") == 0)
        since = 0;
    else if (f == 1 && validate_id(sincebuf, strlen(sincebuf), &since) < 0)
        f = -1;
    if (f < 0) {
        http_error(resp, 400, "invalid_field", "since must be a non-negative integer");
        return;
    }
    st = db_run(app->db, &st_settled, NULL, &r);
    if (st != DB_OK)
        goto dberr;
    settled = render_int64(r, 0, 0);
    params[0] = render_id(uid, req->user.sub);
    st = db_run(app->db, &st_unreads, params, &u);
    if (st != DB_OK)
        goto dberr;
    chats = json_object_new_array_ext(PQntuples(u));
    for (int i = 0; i < PQntuples(u); i++) {
        json_object *ch = json_object_new_object();
        jsonx_add(ch, "id", json_object_new_int64(render_int64(u, i, 0)));
        jsonx_add(ch, "unread_count", json_object_new_int64(render_int64(u, i, 1)));
        jsonx_add(ch, "mention_count", json_object_new_int64(render_int64(u, i, 2)));
        total += render_int64(u, i, 1);
        json_object_array_add(chats, ch);
    }
    o = json_object_new_object();
    changes = json_object_new_array();
    jsonx_add(o, "seq", json_object_new_int64(settled));
    jsonx_add(o, "changes", changes);
    jsonx_add(o, "chats", chats);
    jsonx_add(o, "total_unread", json_object_new_int64(total));

    if (since < 0 || since > settled) {
        reset = 1;     /* no cursor, or one this database never issued */
    } else {
        params[1] = render_id(s1, since);
        params[2] = render_id(s2, settled);
        params[3] = render_id(lim, SYNC_MAX_CHANGES + 1);
        st = db_run(app->db, &st_changes, params, &c);
        if (st != DB_OK)
            goto dberr;
        if (PQntuples(c) > SYNC_MAX_CHANGES) {
            reset = 1;  /* too far behind: cheaper to reload */
        } else {
            json_object *msgs = json_object_new_array();
            for (int i = 0; i < PQntuples(c); i++) {
                json_object *ev = sync_render_change(app, req, c, i, u, total), *m;
                if (!ev)
                    continue;
                json_object_array_add(changes, ev);
                if (json_object_object_get_ex(ev, "message", &m) && m)
                    json_object_array_add(msgs, json_object_get(m));
            }
            attach_messages(app, msgs);
            json_object_put(msgs);
        }
    }
    jsonx_add(o, "reset", json_object_new_boolean(reset));
    http_json(resp, 200, o);
    o = NULL;
    goto out;
dberr:
    reply_db_error(app, resp, st);
out:
    json_object_put(o);
    PQclear(r);
    PQclear(c);
    PQclear(u);
}
