/* access.h -- the membership check routes make before they read a chat
 * whose id the caller names (messages, search).  Write functions check
 * membership inside their own transaction instead. */
#ifndef PL_ACCESS_H
#define PL_ACCESS_H

#include "app.h"

/* 1 if the caller is a member of chat_id now; 0 with resp set to 404 (no
 * such chat and not a member look the same), -1 with resp set on a
 * database failure. */
int access_chat_member(struct app *app, struct req *req, struct resp *resp,
                       long long chat_id);

#endif
