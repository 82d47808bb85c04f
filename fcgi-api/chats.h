/* chats.h -- chats: list, one, create (direct get-or-create, group). */
#ifndef PL_CHATS_H
#define PL_CHATS_H

#include "app.h"
#include "db.h"

void chats_list(struct app *app, struct req *req, struct resp *resp);
void chats_get(struct app *app, struct req *req, struct resp *resp);
void chats_create(struct app *app, struct req *req, struct resp *resp);

/* Loads user's chats (all when chat_id is 0, else that one if a member) as
 * an array of Chat objects, most recent activity first, into *out (new
 * reference) and the sum of unread counts into *total (may be NULL).
 * Returns DB_OK or the failure. */
enum db_status chats_load(struct app *app, long long user_id, long long chat_id,
                          json_object **out, long long *total);

/* Group chat_id as member `viewer` sees it, without the fields that differ
 * per member (unread_count, mention_count, last_read_message_id): the
 * "chat" of chat_updated.  A new reference, or NULL (logged). */
json_object *chats_shared(struct app *app, long long viewer, long long chat_id);

/* Builds the SQL array text "{1,2,3}" from a JSON array of user ids named
 * `field` (for the error text); longer than group_max_members is a 422.
 * Returns a string the caller frees, or NULL with resp set. */
char *chats_member_array(struct app *app, json_object *ids, const char *field,
                         struct resp *resp);

#endif
