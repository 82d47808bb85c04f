/* users.h -- GET /api/users?q=<prefix> */
#ifndef PL_USERS_H
#define PL_USERS_H

#include "app.h"

void users_search(struct app *app, struct req *req, struct resp *resp);

#endif
