/* auth.h -- login, registration, the caller's identity, and health. */
#ifndef PL_AUTH_H
#define PL_AUTH_H

#include "app.h"

/* Verifies "Authorization: Bearer <jwt>", checks that its session is open
 * and its user active, and fills req->user and req->is_admin.  Returns 0,
 * or -1 with resp set (401, or 503/500 when the database failed). */
int auth_check(struct app *app, struct req *req, struct resp *resp);

/* The token part of auth_check alone (signature, algorithm, exp): fills
 * req->user; the session is checked by the caller (sessions_guard). */
int auth_token(struct app *app, struct req *req, struct resp *resp);

void auth_login(struct app *app, struct req *req, struct resp *resp);
void auth_register(struct app *app, struct req *req, struct resp *resp);
/* POST /api/auth/password {"current_password","new_password"}: 200 with a
 * new token; every other session ends. */
void auth_password(struct app *app, struct req *req, struct resp *resp);

/* Hashes pw (length-checked) and stores it for user_id.  0, or -1 with
 * resp set (400 invalid_password, 503, 500). */
int auth_set_password(struct app *app, struct resp *resp, long long user_id,
                      const char *pw);

void auth_me(struct app *app, struct req *req, struct resp *resp);
void auth_health(struct app *app, struct req *req, struct resp *resp);

#endif
