/* chats.h -- the chat routes: list, one, create (direct get-or-create, group). */
#ifndef PL_CHATS_H
#define PL_CHATS_H

#include "app.h"
#include "db.h"

void chats_list(struct app *app, struct req *req, struct resp *resp);
void chats_get(struct app *app, struct req *req, struct resp *resp);
void chats_create(struct app *app, struct req *req, struct resp *resp);

/* Builds the SQL array text "{1,2,3}" from a JSON array of user ids named
 * `field` (for the error text); longer than group_max_members is a 422.
 * Returns a string the caller frees, or NULL with resp set. */
char *chats_member_array(struct app *app, json_object *ids, const char *field,
                         struct resp *resp);

#endif
