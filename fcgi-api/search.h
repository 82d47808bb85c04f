/* search.h -- GET /api/search?q=&chat_id=&before=&limit= */
#ifndef PL_SEARCH_H
#define PL_SEARCH_H

#include "app.h"

void search_get(struct app *app, struct req *req, struct resp *resp);

#endif
