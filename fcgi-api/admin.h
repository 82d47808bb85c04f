/* admin.h -- user administration, for admins only (403 otherwise).
 *
 * GET  /api/admin/users?after=&limit=     list users, by id
 * POST /api/admin/users/{id}/deactivate   end their sessions, refuse logins
 * POST /api/admin/users/{id}/reactivate
 * POST /api/admin/users/{id}/password     {"new_password"}; ends their sessions */
#ifndef PL_ADMIN_H
#define PL_ADMIN_H

#include "app.h"

void admin_users(struct app *app, struct req *req, struct resp *resp);
void admin_deactivate(struct app *app, struct req *req, struct resp *resp);
void admin_reactivate(struct app *app, struct req *req, struct resp *resp);
void admin_password(struct app *app, struct req *req, struct resp *resp);

#endif
