/* events.h -- after each commit, one envelope PUSHed to ws-daemon.
 *
 * Each function is called after the change is committed, works out the
 * recipients (members of the chat) and, where the event carries them, each
 * recipient's unread counts, then sends the shared/event.h envelope with
 * the event object shape.c builds (the one /api/sync builds too).  A
 * failure here is logged and swallowed: the change is already stored and
 * clients catch up through /api/sync. */
#ifndef PL_EVENTS_H
#define PL_EVENTS_H

#include "app.h"
#include "event.h"

/* `message` is borrowed. */
void events_new_message(struct app *app, long long chat_id, long long seq,
                        json_object *message);
/* The same to the n recipients given (with their unread counts), as the
 * write function returned them: no query.  Reorders rc. */
void events_new_message_to(struct app *app, long long chat_id, long long seq,
                           json_object *message, struct event_recipient *rc, size_t n);
void events_message_updated(struct app *app, long long chat_id, long long seq,
                            json_object *message);
void events_message_deleted(struct app *app, long long chat_id, long long seq,
                            long long message_id);
void events_chat_created(struct app *app, long long chat_id, long long seq);
/* unread_update to the reader (all tabs), read_receipt to the others. */
void events_read(struct app *app, long long chat_id, long long seq, long long reader,
                 long long last_read, long long unread, long long total);
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
