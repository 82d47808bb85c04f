/* mute.h -- PUT /api/chats/{id}/mute {"muted":bool}: per-user, per-chat. */
#ifndef PL_MUTE_H
#define PL_MUTE_H

#include "app.h"

#include <libpq-fe.h>

void mute_put(struct app *app, struct req *req, struct resp *resp);

/* The chat_muted event of a change row: {"type","seq","chat_id","muted"}.
 * New reference. */
json_object *mute_event(long long seq, long long chat_id, int muted);

#endif
