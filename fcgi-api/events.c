/* events.c -- after a commit, PUSH one envelope per event to ws-daemon: find
 * the recipients, take the event object from shape.c (see events.h). */
#include "events.h"

#include "chatview.h"
#include "db.h"
#include "event.h"
#include "jsonx.h"
#include "log.h"
#include "notify.h"
#include "render.h"
#include "shape.h"
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

static const struct db_stmt st_members = {
    "events_members", "SELECT user_id FROM chat_members WHERE chat_id = $1", 1
};

static const struct db_stmt st_members_unread = {
    "events_members_unread",
    "SELECT cm.user_id, cm.unread_count, parley_total_unread(cm.user_id) "
    "  FROM chat_members cm WHERE cm.chat_id = $1", 1
};

/* Loads the chat's members as recipients (with unread counts if asked),
 * skipping `except` (0: nobody).  Returns the count, or -1 (logged). */
static long events_recipients(struct app *app, long long chat_id, int with_unread,
                              long long except, struct event_recipient **out)
{
    char cid[ID_BUF];
    const char *params[1] = { render_id(cid, chat_id) };
    PGresult *r = NULL;
    enum db_status st;
    long n = 0;

    *out = NULL;
    st = db_run(app->db, with_unread ? &st_members_unread : &st_members, params, &r);
    if (st != DB_OK) {
        log_warn("event recipients for chat %lld: %s", chat_id, db_error(app->db));
        return -1;
    }
    *out = xcalloc((size_t)PQntuples(r) + 1, sizeof **out);
    for (int i = 0; i < PQntuples(r); i++) {
        struct event_recipient *rc = &(*out)[n];
        rc->user_id = render_int64(r, i, 0);
        if (rc->user_id == except)
            continue;
        if (with_unread) {
            rc->has_unread = 1;
            rc->unread_count = render_int64(r, i, 1);
            rc->total_unread = render_int64(r, i, 2);
        }
        n++;
    }
    PQclear(r);
    return n;
}

size_t events_recipients_of(const PGresult *r, int row, int col, int with_unread,
                            long long except, struct event_recipient **out)
{
    long long *ids = NULL, *unread = NULL, *total = NULL;
    size_t n = render_int64_array(r, row, col, &ids), nu = 0, nt = 0, k = 0;

    if (with_unread) {
        nu = render_int64_array(r, row, col + 1, &unread);
        nt = render_int64_array(r, row, col + 2, &total);
    }
    *out = xcalloc(n + 1, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == except)
            continue;
        (*out)[k].user_id = ids[i];
        if (with_unread && i < nu && i < nt) {
            (*out)[k].has_unread = 1;
            (*out)[k].unread_count = unread[i];
            (*out)[k].total_unread = total[i];
        }
        k++;
    }
    free(ids);
    free(unread);
    free(total);
    return k;
}

static void events_push(struct app *app, const char *type, long long seq, json_object *ev,
                        const struct event_recipient *rc, size_t n)
{
    size_t len;
    char *env;

    if (n == 0)
        return;
    env = event_encode(type, seq, ev, rc, n, &len);
    notify_send(app->notify, env, len);
    free(env);
}

/* PUSHes `ev` (consumed) to the n recipients. */
static void events_send(struct app *app, const char *type, long long seq, json_object *ev,
                        const struct event_recipient *rc, size_t n)
{
    events_push(app, type, seq, ev, rc, n);
    json_object_put(ev);
}

void events_new_message_to(struct app *app, long long chat_id, long long seq,
                           json_object *message, struct event_recipient *rc, size_t n)
{
    struct event_recipient *mentioned = xcalloc(n + 1, sizeof *mentioned);
    size_t nm = 0, no = 0;

    /* new_message goes out twice: once with "mentioned":true to the
     * members the message mentions, once with false to everyone else. */
    for (size_t i = 0; i < n; i++) {
        if (shape_mentions(message, rc[i].user_id))
            mentioned[nm++] = rc[i];
        else
            rc[no++] = rc[i];
    }
    events_send(app, "new_message", seq, shape_ev_new_message(seq, chat_id, message, 0),
                rc, no);
    events_send(app, "new_message", seq, shape_ev_new_message(seq, chat_id, message, 1),
                mentioned, nm);
    free(mentioned);
}

void events_new_message(struct app *app, long long chat_id, long long seq,
                        json_object *message)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 1, 0, &rc);

    if (n >= 0)
        events_new_message_to(app, chat_id, seq, message, rc, (size_t)n);
    free(rc);
}

void events_message_updated_to(struct app *app, long long chat_id, long long seq,
                               json_object *message, const struct event_recipient *rc,
                               size_t n)
{
    events_send(app, "message_updated", seq, shape_ev_message_updated(seq, chat_id, message),
                rc, n);
}

void events_message_deleted_to(struct app *app, long long chat_id, long long seq,
                               long long message_id, const struct event_recipient *rc,
                               size_t n)
{
    events_send(app, "message_deleted", seq, shape_ev_message_deleted(seq, chat_id, message_id),
                rc, n);
}

/* chat_created with the chat as `to` sees it: to `to` alone, or to all nall
 * recipients of `all` when it is a group.  Returns the chat's kind ("group",
 * "direct", or "" when `to` is no member), or NULL on failure (logged). */
static const char *events_created_for(struct app *app, long long chat_id, long long seq,
                                      const struct event_recipient *to,
                                      const struct event_recipient *all, size_t nall)
{
    json_object *chat, *k;
    const char *kind;

    if (chatview_one(app, to->user_id, chat_id, &chat) != DB_OK) {
        log_warn("chat_created %lld: %s", chat_id, db_error(app->db));
        return NULL;
    }
    if (!chat)
        return "";             /* no longer a member: nothing to send */
    kind = json_object_object_get_ex(chat, "kind", &k) &&
           strcmp(json_object_get_string(k), "group") == 0 ? "group" : "direct";
    /* A group looks the same to every member at creation, so one view
     * serves all (`all`); a direct chat is titled with the other member. */
    if (all && kind[0] == 'g')
        events_send(app, "chat_created", seq, shape_ev_chat("chat_created", seq, chat_id, chat),
                    all, nall);
    else
        events_send(app, "chat_created", seq, shape_ev_chat("chat_created", seq, chat_id, chat),
                    to, 1);
    return kind;
}

void events_chat_created(struct app *app, long long chat_id, long long seq)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, 0, &rc);

    for (long i = 0; i < n; i++) {
        const char *kind = events_created_for(app, chat_id, seq, &rc[i], rc, (size_t)n);
        if (!kind || kind[0] == 'g')
            break;
    }
    free(rc);
}

void events_read_to(struct app *app, long long chat_id, long long seq, long long reader,
                    long long last_read, long long unread, long long total,
                    const struct event_recipient *others, size_t n)
{
    struct event_recipient me = { reader, 1, unread, total };

    events_send(app, "unread_update", seq, shape_ev_unread_update(seq, chat_id), &me, 1);
    events_send(app, "read_receipt", seq, shape_ev_read_receipt(seq, chat_id, reader, last_read),
                others, n);
}

void events_typing(struct app *app, long long chat_id, long long user_id,
                   const char *username)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, user_id, &rc);

    if (n >= 0)
        events_send(app, "typing", 0, shape_ev_typing(chat_id, user_id, username), rc,
                    (size_t)n);
    free(rc);
}

void events_reaction(struct app *app, long long chat_id, long long seq, long long message_id,
                     json_object *reactions)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, 0, &rc);

    if (n >= 0)
        events_send(app, "reaction_updated", seq,
                    shape_ev_reaction(seq, chat_id, message_id, reactions), rc, (size_t)n);
    free(rc);
}

/* chat_updated (the shared view) to the n recipients. */
static void events_updated_to(struct app *app, long long chat_id, long long seq,
                              const struct event_recipient *rc, size_t n)
{
    json_object *chat = n ? chatview_shared(app, rc[0].user_id, chat_id) : NULL;

    if (chat)
        events_send(app, "chat_updated", seq, shape_ev_chat("chat_updated", seq, chat_id, chat),
                    rc, n);
}

void events_chat_updated(struct app *app, long long chat_id, long long seq)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, 0, &rc);

    if (n > 0)
        events_updated_to(app, chat_id, seq, rc, (size_t)n);
    free(rc);
}

void events_chat_removed(struct app *app, long long chat_id, long long seq, long long user_id)
{
    struct event_recipient me = { user_id, 0, 0, 0 };

    events_send(app, "chat_removed", seq, shape_ev_chat_removed(seq, chat_id), &me, 1);
}

void events_chat_muted(struct app *app, long long chat_id, long long seq, long long user_id,
                       int muted)
{
    struct event_recipient me = { user_id, 0, 0, 0 };

    events_send(app, "chat_muted", seq, shape_ev_chat_muted(seq, chat_id, muted), &me, 1);
}

void events_members_added(struct app *app, long long chat_id, long long seq,
                          const long long *added, size_t nadded)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, 0, &rc), others = 0;

    /* Each new member gets the chat as they see it... */
    for (size_t i = 0; n >= 0 && i < nadded; i++) {
        struct event_recipient one = { added[i], 0, 0, 0 };
        events_created_for(app, chat_id, seq, &one, NULL, 0);
    }
    /* ...the others see the member list change. */
    for (long i = 0; i < n; i++) {
        int is_new = 0;
        for (size_t j = 0; j < nadded; j++)
            is_new |= rc[i].user_id == added[j];
        if (!is_new)
            rc[others++] = rc[i];
    }
    if (others > 0)
        events_updated_to(app, chat_id, seq, rc, (size_t)others);
    free(rc);
}
