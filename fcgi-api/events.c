/* events.c -- build and PUSH the envelopes of docs/api.md and docs/ws-daemon.md (see events.h). */
#include "events.h"

#include "chats.h"
#include "db.h"
#include "event.h"
#include "jsonx.h"
#include "log.h"
#include "notify.h"
#include "render.h"
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

/* A new event object {"type","seq","chat_id"}. */
static json_object *events_base(const char *type, long long seq, long long chat_id)
{
    json_object *ev = json_object_new_object();
    jsonx_add(ev, "type", json_object_new_string(type));
    if (seq)
        jsonx_add(ev, "seq", json_object_new_int64(seq));
    jsonx_add(ev, "chat_id", json_object_new_int64(chat_id));
    return ev;
}

static void events_message(struct app *app, const char *type, long long chat_id,
                           long long seq, json_object *message, int with_unread)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, with_unread, 0, &rc);
    json_object *ev;

    if (n < 0)
        return;
    ev = events_base(type, seq, chat_id);
    jsonx_add(ev, "message", json_object_get(message));
    events_push(app, type, seq, ev, rc, (size_t)n);
    json_object_put(ev);
    free(rc);
}

/* new_message goes out twice: once with "mentioned":true to the members
 * the message mentions, once with false to everyone else. */
void events_new_message(struct app *app, long long chat_id, long long seq,
                        json_object *message)
{
    struct event_recipient *rc, *mentioned;
    long n = events_recipients(app, chat_id, 1, 0, &rc);
    size_t nm = 0, no = 0;

    if (n < 0)
        return;
    mentioned = xcalloc((size_t)n + 1, sizeof *mentioned);
    for (long i = 0; i < n; i++) {
        if (render_mentions(message, rc[i].user_id))
            mentioned[nm++] = rc[i];
        else
            rc[no++] = rc[i];
    }
    for (int pass = 0; pass < 2; pass++) {
        json_object *ev = events_base("new_message", seq, chat_id);
        jsonx_add(ev, "message", json_object_get(message));
        jsonx_add(ev, "mentioned", json_object_new_boolean(pass == 1));
        events_push(app, "new_message", seq, ev, pass ? mentioned : rc, pass ? nm : no);
        json_object_put(ev);
    }
    free(mentioned);
    free(rc);
}

void events_message_updated(struct app *app, long long chat_id, long long seq,
                            json_object *message)
{
    events_message(app, "message_updated", chat_id, seq, message, 0);
}

void events_message_deleted(struct app *app, long long chat_id, long long seq,
                            long long message_id)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 1, 0, &rc);
    json_object *ev;

    if (n < 0)
        return;
    ev = events_base("message_deleted", seq, chat_id);
    jsonx_add(ev, "message_id", json_object_new_int64(message_id));
    events_push(app, "message_deleted", seq, ev, rc, (size_t)n);
    json_object_put(ev);
    free(rc);
}

void events_chat_created(struct app *app, long long chat_id, long long seq)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, 0, &rc);

    if (n < 0)
        return;
    /* A direct chat's title is the *other* member's name, so each member
     * gets their own view; a group looks the same to everyone (apart from
     * nothing that differs at creation), so one view serves all. */
    for (long i = 0; i < n; i++) {
        json_object *arr, *ev;
        if (chats_load(app, rc[i].user_id, chat_id, &arr, NULL) != DB_OK) {
            log_warn("chat_created %lld: %s", chat_id, db_error(app->db));
            break;
        }
        if (json_object_array_length(arr) == 1) {
            json_object *chat = json_object_array_get_idx(arr, 0);
            const char *kind = "";
            json_object *k;
            if (json_object_object_get_ex(chat, "kind", &k))
                kind = json_object_get_string(k);
            ev = events_base("chat_created", seq, chat_id);
            jsonx_add(ev, "chat", json_object_get(chat));
            if (strcmp(kind, "group") == 0) {
                events_push(app, "chat_created", seq, ev, rc, (size_t)n);
                json_object_put(ev);
                json_object_put(arr);
                break;
            }
            events_push(app, "chat_created", seq, ev, &rc[i], 1);
            json_object_put(ev);
        }
        json_object_put(arr);
    }
    free(rc);
}

void events_read(struct app *app, long long chat_id, long long seq, long long reader,
                 long long last_read, long long unread, long long total)
{
    struct event_recipient me = { reader, 1, unread, total }, *rc;
    json_object *ev = events_base("unread_update", seq, chat_id);
    long n;

    events_push(app, "unread_update", seq, ev, &me, 1);
    json_object_put(ev);

    n = events_recipients(app, chat_id, 0, reader, &rc);
    if (n <= 0) {
        free(rc);
        return;
    }
    ev = events_base("read_receipt", seq, chat_id);
    jsonx_add(ev, "user_id", json_object_new_int64(reader));
    jsonx_add(ev, "last_read_message_id", json_object_new_int64(last_read));
    events_push(app, "read_receipt", seq, ev, rc, (size_t)n);
    json_object_put(ev);
    free(rc);
}

void events_typing(struct app *app, long long chat_id, long long user_id,
                   const char *username)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, user_id, &rc);
    json_object *ev;

    if (n < 0)
        return;
    ev = events_base("typing", 0, chat_id);
    jsonx_add(ev, "user_id", json_object_new_int64(user_id));
    jsonx_add(ev, "username", json_object_new_string(username));
    events_push(app, "typing", 0, ev, rc, (size_t)n);
    json_object_put(ev);
    free(rc);
}

void events_reaction(struct app *app, long long chat_id, long long seq, long long message_id,
                     json_object *reactions)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, 0, &rc);
    json_object *ev;

    if (n < 0)
        return;
    ev = events_base("reaction_updated", seq, chat_id);
    jsonx_add(ev, "message_id", json_object_new_int64(message_id));
    jsonx_add(ev, "reactions", json_object_get(reactions));
    events_push(app, "reaction_updated", seq, ev, rc, (size_t)n);
    json_object_put(ev);
    free(rc);
}

void events_chat_updated(struct app *app, long long chat_id, long long seq)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, 0, &rc);
    json_object *chat, *ev;

    if (n <= 0) {
        free(rc);
        return;
    }
    chat = chats_shared(app, rc[0].user_id, chat_id);
    if (chat) {
        ev = events_base("chat_updated", seq, chat_id);
        jsonx_add(ev, "chat", chat);
        events_push(app, "chat_updated", seq, ev, rc, (size_t)n);
        json_object_put(ev);
    }
    free(rc);
}

void events_chat_removed(struct app *app, long long chat_id, long long seq, long long user_id)
{
    struct event_recipient me = { user_id, 0, 0, 0 };
    json_object *ev = events_base("chat_removed", seq, chat_id);

    events_push(app, "chat_removed", seq, ev, &me, 1);
    json_object_put(ev);
}

void events_members_added(struct app *app, long long chat_id, long long seq,
                          const long long *added, size_t nadded)
{
    struct event_recipient *rc;
    long n = events_recipients(app, chat_id, 0, 0, &rc), others = 0;
    json_object *chat, *ev;

    if (n < 0)
        return;
    /* Each new member gets the chat as they see it... */
    for (size_t i = 0; i < nadded; i++) {
        struct event_recipient one = { added[i], 0, 0, 0 };
        json_object *arr;
        if (chats_load(app, added[i], chat_id, &arr, NULL) != DB_OK) {
            log_warn("chat_created %lld: %s", chat_id, db_error(app->db));
            continue;
        }
        if (json_object_array_length(arr) == 1) {
            ev = events_base("chat_created", seq, chat_id);
            jsonx_add(ev, "chat", json_object_get(json_object_array_get_idx(arr, 0)));
            events_push(app, "chat_created", seq, ev, &one, 1);
            json_object_put(ev);
        }
        json_object_put(arr);
    }
    /* ...the others see the member list change. */
    for (long i = 0; i < n; i++) {
        int is_new = 0;
        for (size_t j = 0; j < nadded; j++)
            is_new |= rc[i].user_id == added[j];
        if (!is_new)
            rc[others++] = rc[i];
    }
    chat = others ? chats_shared(app, rc[0].user_id, chat_id) : NULL;
    if (chat) {
        ev = events_base("chat_updated", seq, chat_id);
        jsonx_add(ev, "chat", chat);
        events_push(app, "chat_updated", seq, ev, rc, (size_t)others);
        json_object_put(ev);
    }
    free(rc);
}
