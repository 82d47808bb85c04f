/* reactions.h -- PUT / DELETE /api/messages/{id}/reactions/{emoji}. */
#ifndef PL_REACTIONS_H
#define PL_REACTIONS_H

#include "app.h"

#define REACTIONS_MAX_DISTINCT 20

void reactions_put(struct app *app, struct req *req, struct resp *resp);
void reactions_delete(struct app *app, struct req *req, struct resp *resp);

#endif
