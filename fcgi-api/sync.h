/* sync.h -- GET /api/sync?since=<seq>: everything a client missed. */
#ifndef PL_SYNC_H
#define PL_SYNC_H

#include "app.h"

void sync_get(struct app *app, struct req *req, struct resp *resp);

#endif
