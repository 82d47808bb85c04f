/* mute.h -- PUT /api/chats/{id}/mute {"muted":bool}: per-user, per-chat. */
#ifndef PL_MUTE_H
#define PL_MUTE_H

#include "app.h"

void mute_put(struct app *app, struct req *req, struct resp *resp);

#endif
