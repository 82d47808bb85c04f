/* throttle.h -- abuse limits kept in the database, shared by every worker.
 *
 * Workers are separate processes (and may run on several hosts), so every
 * counter lives in PostgreSQL: a failed-login throttle per (username,
 * address) plus a ceiling per address, and token buckets for sign-ups per
 * address, chats created per user and typing notices per user and chat.
 * Every refusal is 429 with Retry-After and the JSON error body. */
#ifndef PL_THROTTLE_H
#define PL_THROTTLE_H

#include "app.h"

/* The caller's address as the limits key it ("unknown" when lighttpd gave
 * none).  Borrowed from req. */
const char *throttle_addr(const struct req *req);

/* Before checking a password: 0 to go ahead, or -1 with resp set (429
 * too_many_attempts, or 503/500 when the database failed). */
int throttle_login_check(struct app *app, const struct req *req, struct resp *resp,
                       const char *username);

/* After a wrong password / a right one.  Return 0, or -1 with resp set
 * when the database failed. */
int throttle_login_failed(struct app *app, const struct req *req, struct resp *resp,
                        const char *username);
int throttle_login_ok(struct app *app, const struct req *req, struct resp *resp,
                    const char *username);

/* One sign-up from the caller's address (about to cost an argon2id hash).
 * 0 when allowed, or -1 with resp set (429 too_many_registrations). */
int throttle_register(struct app *app, const struct req *req, struct resp *resp);

/* One chat created by the caller.  0, or -1 with resp set (429
 * too_many_chats). */
int throttle_chat_create(struct app *app, const struct req *req, struct resp *resp);

/* One typing notice by the caller in chat_id (a member: check first).  0,
 * or -1 with resp set (429 too_many_typing). */
int throttle_typing(struct app *app, const struct req *req, struct resp *resp,
                  long long chat_id);

#endif
