/* chatview.c -- chats as a member sees them, in two queries (see chatview.h).
 *
 * A Chat is built from two queries: the caller's chat rows (with unread
 * count and the card of the last message) and the members of those chats,
 * matched up by chat id.  Two queries rather than one per chat keep
 * GET /api/chats flat for users with hundreds of chats. */
#include "chatview.h"

#include "log.h"
#include "render.h"
#include "shape.h"
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

/* The caller's chats (all, or one), and their members; each comes in two
 * forms so that no statement needs an "any chat" OR that defeats its plan.
 * The last message is the card on the chat row (sql/014_chat_last.sql),
 * kept equal to message_v by the write functions and triggers: the list
 * costs the same whatever the history, and nothing per chat beyond the
 * chat row it reads anyway. */
#define CHATVIEW_SELECT                                                       \
    "SELECT " SHAPE_CHAT_COLS                                                 \
    "  FROM chat_members cm JOIN chats c ON c.id = cm.chat_id "
#define CHATVIEW_MEMBERS                                                      \
    "SELECT " SHAPE_MEMBER_COLS                                               \
    "  FROM chat_members mine JOIN chat_members cm ON cm.chat_id = mine.chat_id "

static const struct db_stmt st_chats_all = {
    "chatview_rows_all",
    CHATVIEW_SELECT " WHERE cm.user_id = $1", 1
};
static const struct db_stmt st_chats_one = {
    "chatview_rows_one", CHATVIEW_SELECT " WHERE cm.user_id = $1 AND cm.chat_id = $2", 2
};
static const struct db_stmt st_members_all = {
    "chatview_members_all",
    CHATVIEW_MEMBERS " WHERE mine.user_id = $1 ORDER BY cm.chat_id, cm.user_id", 1
};
static const struct db_stmt st_members_one = {
    "chatview_members_one",
    CHATVIEW_MEMBERS " WHERE mine.user_id = $1 AND mine.chat_id = $2 ORDER BY cm.chat_id, cm.user_id", 2
};

/* A chat row's place in the list: most recent activity first, then the
 * higher id (the order a SQL sort gave, which cost PostgreSQL a copy of
 * every wide row). */
struct chatview_key {
    const char *updated;    /* timestamp text: sorts as text */
    long long id;
    int row;
};

static int chatview_key_cmp(const void *a, const void *b)
{
    const struct chatview_key *x = a, *y = b;
    int c = strcmp(y->updated, x->updated);

    if (c)
        return c;
    return (y->id > x->id) - (y->id < x->id);
}

/* Writes the caller's chats (all when chat_id is 0, else that one if a
 * member) into w, comma-separated, most recent activity first; *n is how
 * many.  Each is written straight from the rows (no json-c tree): the list
 * is sent as it is written. */
static enum db_status chatview_write(struct app *app, long long user_id, long long chat_id,
                                     struct jsonw *w, int *n)
{
    char uid[ID_BUF], cid[ID_BUF];
    const char *params[2] = { render_id(uid, user_id), render_id(cid, chat_id) };
    const struct db_stmt *sts[2] = { chat_id ? &st_chats_one : &st_chats_all,
                                     chat_id ? &st_members_one : &st_members_all };
    const char *const *ps[2] = { params, params };
    PGresult *res[2] = { NULL, NULL }, *r;
    struct shape_members sm = { NULL, NULL, NULL, 0 };
    struct chatview_key *keys = NULL;
    enum db_status st;

    *n = 0;
    /* Both statements in one round trip (db_run_many). */
    st = db_run_many(app->db, 2, sts, ps, res);
    if (st != DB_OK)
        goto out;
    r = res[0];
    shape_members_init(&sm, res[1]);
    *n = PQntuples(r);
    keys = xmalloc((size_t)(*n ? *n : 1) * sizeof *keys);
    for (int i = 0; i < *n; i++) {
        keys[i].updated = PQgetvalue(r, i, SHAPE_CHAT_UPDATED);
        keys[i].id = render_int64(r, i, SHAPE_CHAT_ID);
        keys[i].row = i;
    }
    qsort(keys, (size_t)*n, sizeof *keys, chatview_key_cmp);
    for (int i = 0; i < *n; i++) {
        if (i)
            jsonw_lit(w, ",");
        shape_chat_write(w, r, keys[i].row, &sm, user_id);
    }
out:
    shape_members_free(&sm);
    free(keys);
    PQclear(res[0]);
    PQclear(res[1]);
    return st;
}

enum db_status chatview_list(struct app *app, long long user_id, json_object **out)
{
    struct jsonw w;
    enum db_status st;
    int n;

    *out = NULL;
    /* ~650 bytes a chat: one growth step or none for a typical list. */
    jsonw_init(&w, 64 * 1024);
    jsonw_lit(&w, "{\"chats\":[");
    st = chatview_write(app, user_id, 0, &w, &n);
    if (st != DB_OK)
        goto out;
    jsonw_lit(&w, "]}");
    *out = jsonw_take(&w);
out:
    jsonw_free(&w);
    return st;
}

enum db_status chatview_one(struct app *app, long long user_id, long long chat_id,
                            json_object **out)
{
    struct jsonw w;
    enum db_status st;
    int n;

    *out = NULL;
    jsonw_init(&w, 1024);
    st = chatview_write(app, user_id, chat_id, &w, &n);
    if (st != DB_OK || n != 1)
        goto out;
    *out = jsonw_parse(&w);
    if (!*out) {
        log_error("chat %lld: a JSON column is not JSON", chat_id);
        st = DB_FAILED;
    }
out:
    jsonw_free(&w);
    return st;
}

json_object *chatview_shared(struct app *app, long long viewer, long long chat_id)
{
    json_object *chat;

    if (chatview_one(app, viewer, chat_id, &chat) != DB_OK) {
        log_warn("chat %lld: %s", chat_id, db_error(app->db));
        return NULL;
    }
    if (chat)
        shape_chat_shared(chat);
    return chat;
}
