/* sessions.h -- server-side sessions: the row every access token names.
 *
 * A token is only as good as its session: the router asks sessions_check
 * (or, on the busiest routes, sessions_guard) on every request, and ending a session both refuses its
 * token at once and tells ws-daemon (a `session_revoked` event addressed to
 * the user, over the ordinary event bus) to close its sockets with 4001. */
#ifndef PL_SESSIONS_H
#define PL_SESSIONS_H

#include "app.h"

/* Opens a session for user_id (user agent from req) and signs a token for
 * it.  Returns 0 with the reply {"access_token","token_type","expires_in",
 * "user"} in resp (status `status`), or -1 with resp set when the database
 * failed.  *sid gets the new session id (may be NULL). */
int sessions_issue(struct app *app, struct req *req, struct resp *resp, int status,
                   long long user_id, const char *username, long long *sid);

/* Is req->user's session open and the user active?  1 yes (req->is_admin
 * set), 0 no (resp set to 401), -1 database failure (resp set). */
int sessions_check(struct app *app, struct req *req, struct resp *resp);

/* The same check, deferred (fcgi-api/db.h, db_guard): sent in one
 * pipeline and one transaction with the handler's first statement, which
 * runs only if the session is open.  sessions_settle() runs after the
 * handler: it runs the check if no statement took it along, and replaces
 * the answer with 401 session_ended (or the database error) if it failed.
 * req->is_admin is not set on this path: routes that need it use
 * sessions_check. */
void sessions_guard(struct app *app, const struct req *req);
void sessions_settle(struct app *app, struct resp *resp);

/* Ends every session of user_id except `keep` (0: all) and tells
 * ws-daemon.  `reason` goes into the event ("logout_all", "password_changed",
 * "deactivated", "password_reset").  0, or -1 with resp set. */
int sessions_end_all(struct app *app, struct resp *resp, long long user_id, long long keep,
                     const char *reason);

/* POST /api/auth/logout, POST /api/auth/logout-all. */
void sessions_logout(struct app *app, struct req *req, struct resp *resp);
void sessions_logout_all(struct app *app, struct req *req, struct resp *resp);

/* GET /api/sessions, DELETE /api/sessions/{id}. */
void sessions_list(struct app *app, struct req *req, struct resp *resp);
void sessions_delete(struct app *app, struct req *req, struct resp *resp);

#endif
