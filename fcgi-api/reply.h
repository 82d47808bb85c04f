/* reply.h -- the answers every handler gives the same way. */
#ifndef PL_REPLY_H
#define PL_REPLY_H

#include "app.h"
#include "db.h"

/* Turns a failed db_run into 503 (database unavailable) or 500, logging the
 * detail once here; the client never sees SQL or server internals.  A
 * failure that was the session guard's refusal (sessions_guard) is the
 * 401 of reply_session_ended instead. */
void reply_db_error(struct app *app, struct resp *resp, enum db_status st);

/* 401 session_ended: the token's session was ended (logout, revoked,
 * password change, deactivated user). */
void reply_session_ended(struct resp *resp);

/* 404 for a chat that does not exist or that the caller is not in: the two
 * are indistinguishable on purpose. */
void reply_no_chat(struct resp *resp);

/* 422 group_too_large: the group would pass config group_max_members. */
void reply_group_too_large(struct app *app, struct resp *resp);

#endif
