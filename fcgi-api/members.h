/* members.h -- group membership: add, remove / leave, rename. */
#ifndef PL_MEMBERS_H
#define PL_MEMBERS_H

#include "app.h"

/* POST /api/chats/{id}/members {"user_ids":[...]} -> 200 Chat. */
void members_add(struct app *app, struct req *req, struct resp *resp);
/* DELETE /api/chats/{id}/members/{user_id} -> 204. */
void members_remove(struct app *app, struct req *req, struct resp *resp);
/* PATCH /api/chats/{id} {"title"} -> 200 Chat. */
void members_rename(struct app *app, struct req *req, struct resp *resp);

#endif
