/* events.h -- after each commit, one envelope PUSHed to ws-daemon.
 *
 * Each function is called after the change is committed, with the
 * recipients the write function returned (the *_to functions) or after
 * loading them (members of the chat, with unread counts where the event
 * carries them), then sends the shared/event.h envelope with
 * the event object shape.c builds (the one /api/sync builds too).  A
 * failure here is logged and swallowed: the change is already stored and
 * clients catch up through /api/sync. */
#ifndef PL_EVENTS_H
#define PL_EVENTS_H

#include "app.h"
#include "event.h"

#include <libpq-fe.h>

/* The recipients a write function returned (sql/006_writepath.sql): member
 * ids at column `col` (bigint[]), with unread counts and totals at col+1
 * and col+2 when with_unread; `except` (0: nobody) left out.  Returns the
 * count; *out is an array the caller frees. */
size_t events_recipients_of(const PGresult *r, int row, int col, int with_unread,
                            long long except, struct event_recipient **out);

/* `message` is borrowed. */
void events_new_message(struct app *app, long long chat_id, long long seq,
                        json_object *message);
/* The same to the n recipients given (with their unread counts), as the
 * write function returned them: no query.  Reorders rc. */
void events_new_message_to(struct app *app, long long chat_id, long long seq,
                           json_object *message, struct event_recipient *rc, size_t n);
void events_message_updated_to(struct app *app, long long chat_id, long long seq,
                               json_object *message, const struct event_recipient *rc,
                               size_t n);
void events_message_deleted_to(struct app *app, long long chat_id, long long seq,
                               long long message_id, const struct event_recipient *rc,
                               size_t n);
void events_chat_created(struct app *app, long long chat_id, long long seq);
/* unread_update to the reader (all tabs), read_receipt to `others`. */
void events_read_to(struct app *app, long long chat_id, long long seq, long long reader,
                    long long last_read, long long unread, long long total,
                    const struct event_recipient *others, size_t n);
void events_typing(struct app *app, long long chat_id, long long user_id,
                   const char *username);

/* reaction_updated to every member; `reactions` is borrowed. */
void events_reaction(struct app *app, long long chat_id, long long seq, long long message_id,
                     json_object *reactions);
/* chat_updated (the chat's shared fields) to every member. */
void events_chat_updated(struct app *app, long long chat_id, long long seq);
/* chat_muted to the one member who (un)muted. */
void events_chat_muted(struct app *app, long long chat_id, long long seq, long long user_id,
                       int muted);
/* chat_removed to the one member who left or was removed. */
void events_chat_removed(struct app *app, long long chat_id, long long seq, long long user_id);
/* chat_created to each added member, chat_updated to the others. */
void events_members_added(struct app *app, long long chat_id, long long seq,
                          const long long *added, size_t nadded);

#endif
