/* auth.h -- login, registration, the caller's identity, and health. */
#ifndef PL_AUTH_H
#define PL_AUTH_H

#include "app.h"

/* Verifies "Authorization: Bearer <jwt>" and fills req->user.  Returns 0,
 * or -1 with resp set to 401. */
int auth_check(struct app *app, struct req *req, struct resp *resp);

void auth_login(struct app *app, struct req *req, struct resp *resp);
void auth_register(struct app *app, struct req *req, struct resp *resp);
void auth_me(struct app *app, struct req *req, struct resp *resp);
void auth_health(struct app *app, struct req *req, struct resp *resp);

#endif
