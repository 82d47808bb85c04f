/* chatview.h -- loads chats as a given member sees them (the Chat shape of
 * docs/api.md), for the chat routes, the membership routes, events and
 * sync.  Kept apart from the route file so that the event builder and the
 * routes both depend on it, and not on each other. */
#ifndef PL_CHATVIEW_H
#define PL_CHATVIEW_H

#include "app.h"
#include "db.h"

/* The body of GET /api/chats, {"chats":[Chat...]} with user's chats most
 * recent activity first, into *out (new reference): written as text, so
 * *out is only for sending (jsonw_take).  Returns DB_OK or the failure
 * (*out NULL). */
enum db_status chatview_list(struct app *app, long long user_id, json_object **out);

/* Chat chat_id as user_id sees it into *out (new reference), or *out NULL
 * when user_id is not a member.  Returns DB_OK or the failure. */
enum db_status chatview_one(struct app *app, long long user_id, long long chat_id,
                            json_object **out);

/* Chat chat_id as member `viewer` sees it, without the fields that differ
 * per member: the "chat" of chat_updated.  A new reference, or NULL
 * (logged). */
json_object *chatview_shared(struct app *app, long long viewer, long long chat_id);

#endif
