/* shape.h -- the one home of every JSON shape a client receives (docs/api.md):
 * the Message, the Chat, and the WebSocket event objects.
 *
 * REST answers, live events (events.c) and /api/sync (sync.c) all build
 * their JSON here, from the same columns, so the three can never drift:
 * tests/integration/shape.test.js compares each path with the golden files
 * in tests/integration/golden/.  Builders return new references; arguments
 * documented "borrowed" are not consumed. */
#ifndef PL_SHAPE_H
#define PL_SHAPE_H

#include "jsonw.h"

#include <json-c/json.h>
#include <libpq-fe.h>

/* The Message columns of the message_v view (sql/003_features.sql), in the
 * order shape_message reads them, each name after prefix `p`: "message_v."
 * for the view, "c.lm_" for a chat's card of its last message (the same
 * columns on chats, sql/014_chat_last.sql). */
#define SHAPE_MESSAGE_COLS_PFX(p)                                             \
    p "id, " p "chat_id, " p "sender_id, " p "sender_username, "              \
    p "content, " p "created_at, " p "edited_at, " p "deleted, "              \
    p "client_id, " p "seq, " p "mentions, " p "reply_to, "                   \
    p "reactions, " p "system"
/* The same, qualified by table alias `t`. */
#define SHAPE_MESSAGE_COLS_OF(t) SHAPE_MESSAGE_COLS_PFX(t ".")
#define SHAPE_MESSAGE_COLS SHAPE_MESSAGE_COLS_OF("message_v")
#define SHAPE_MESSAGE_NCOLS 14
/* Offsets of the content and reactions columns inside the Message columns. */
#define SHAPE_MESSAGE_COL_CONTENT 4
#define SHAPE_MESSAGE_COL_REACTIONS 12

/* Writes the Message at columns col..col+13 of row (null when the id
 * column is NULL): the one spelling of the Message.  "attachments" is []
 * until attach_messages fills it. */
void shape_message_write(struct jsonw *w, const PGresult *r, int row, int col);
/* The same Message as a tree (parsed from shape_message_write's text);
 * NULL (JSON null) when the id column is NULL. */
json_object *shape_message(const PGresult *r, int row, int col);

/* 1 if Message `msg` (borrowed) lists user_id in its "mentions", else 0. */
int shape_mentions(json_object *msg, long long user_id);

/* The chat columns shape_chat reads (a chat row `c`, the viewer's
 * membership `cm` and the last message, from the card the chat row keeps:
 * no read of message_v per chat), with their positions.  updated_at comes
 * as the timestamp's own text, which sorts as text and which render_ts()
 * turns into the API's form: to_char() on 200 rows cost more than the
 * rest of the list's statement beside its sort. */
#define SHAPE_CHAT_COLS                                                       \
    "c.id, c.kind, c.title, c.updated_at AT TIME ZONE 'UTC', "                \
    "cm.last_read_message_id, cm.unread_count, c.owner_id, "                  \
    "cm.mention_count, cm.muted, " SHAPE_MESSAGE_COLS_PFX("c.lm_")
enum shape_chat_col {
    SHAPE_CHAT_ID, SHAPE_CHAT_KIND, SHAPE_CHAT_TITLE, SHAPE_CHAT_UPDATED,
    SHAPE_CHAT_LAST_READ, SHAPE_CHAT_UNREAD, SHAPE_CHAT_OWNER,
    SHAPE_CHAT_MENTIONS, SHAPE_CHAT_MUTED, SHAPE_CHAT_LAST_MESSAGE
};
/* The member columns: chat id, user id, username, deactivated, read marker,
 * all from the membership row `cm` (sql/017_member_names.sql); rows sorted
 * by chat id. */
#define SHAPE_MEMBER_COLS \
    "cm.chat_id, cm.user_id, cm.username, cm.deactivated, cm.last_read_message_id"

/* A members result (SHAPE_MEMBER_COLS) with its chat and user ids read
 * once: each Chat looks its members up by chat id, and parsing the ids
 * again at every probe was the API's largest share of a 200-chat list.
 * `m` is borrowed; shape_members_free frees the arrays only. */
struct shape_members {
    const PGresult *m;
    long long *chat_ids;
    long long *user_ids;
    int n;
};
void shape_members_init(struct shape_members *sm, const PGresult *m);
void shape_members_free(struct shape_members *sm);

/* Writes the Chat of row `row` of `r` (SHAPE_CHAT_COLS) as `viewer` sees
 * it, its members taken from `sm`: the one spelling of the Chat.  A direct
 * chat is titled with the other member's name. */
void shape_chat_write(struct jsonw *w, const PGresult *r, int row,
                      const struct shape_members *sm, long long viewer);

/* Removes from a Chat the fields that differ per member (unread_count,
 * mention_count, last_read_message_id): the "chat" of chat_updated. */
void shape_chat_shared(json_object *chat);

/* Event objects {"type","seq","chat_id",...}.  seq 0 (typing) is left out. */
json_object *shape_ev_new_message(long long seq, long long chat_id, json_object *msg,
                                  int mentioned);        /* msg borrowed */
json_object *shape_ev_message_updated(long long seq, long long chat_id,
                                      json_object *msg); /* msg borrowed */
json_object *shape_ev_message_deleted(long long seq, long long chat_id, long long message_id);
json_object *shape_ev_unread_update(long long seq, long long chat_id);
json_object *shape_ev_read_receipt(long long seq, long long chat_id, long long user_id,
                                   long long last_read);
json_object *shape_ev_reaction(long long seq, long long chat_id, long long message_id,
                               json_object *reactions);  /* reactions borrowed */
/* chat_created or chat_updated; `chat` is consumed. */
json_object *shape_ev_chat(const char *type, long long seq, long long chat_id,
                           json_object *chat);
json_object *shape_ev_chat_removed(long long seq, long long chat_id);
json_object *shape_ev_chat_muted(long long seq, long long chat_id, int muted);
json_object *shape_ev_typing(long long chat_id, long long user_id, const char *username);

/* The per-recipient counts ws-daemon appends to a live new_message,
 * message_deleted and unread_update; sync adds them itself. */
void shape_ev_add_unread(json_object *ev, long long unread, long long total);

#endif
