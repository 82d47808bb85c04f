/* presence.h -- who is online: POST /api/presence (a tab reports itself)
 * and GET /api/presence?user_ids=… (docs/api.md, "Presence"). */
#ifndef PL_PRESENCE_H
#define PL_PRESENCE_H

#include "app.h"

/* A report lives this long; the page reports every 15 s while connected,
 * so a page that stops (closed, or its ws-daemon died) is offline within
 * 40 s plus the next report of anyone (the flush), under a minute. */
#define PRESENCE_TTL_SECS 40
/* At most one presence event per user per this many seconds. */
#define PRESENCE_DEBOUNCE_SECS 5

void presence_post(struct app *app, struct req *req, struct resp *resp);
void presence_get(struct app *app, struct req *req, struct resp *resp);

#endif
