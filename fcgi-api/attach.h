/* attach.h -- uploads attached to messages ("attachment_ids" on POST
 * /api/chats/{id}/messages, "attachments" on every Message).
 *
 * Kept apart from messages.c and render.c so the message code needs only
 * three one-line call sites: attach_parse + attach_check before the post,
 * attach_claim after it, attach_messages wherever Messages are rendered. */
#ifndef PL_ATTACH_H
#define PL_ATTACH_H

#include "app.h"

#define ATTACH_MAX 10

/* Reads optional "attachment_ids" (an array of at most ATTACH_MAX distinct
 * positive ids) into ids.  Returns how many (0 if absent), or -1 with resp
 * set to 400. */
int attach_parse(json_object *body, long long ids[ATTACH_MAX], struct resp *resp);

/* Checks that every id is the caller's own upload and unclaimed (or
 * claimed by the caller's earlier message with this client_id in this chat,
 * so a repeated send passes).  Returns 0, or -1 with resp set (400, or the
 * database error). */
int attach_check(struct app *app, const struct req *req, long long chat_id,
                 const char *client_id, const long long *ids, int n, struct resp *resp);

/* Claims the uploads for message_id.  Returns 0, or -1 (logged: a
 * concurrent send claimed one first; the message stays, without them). */
int attach_claim(struct app *app, long long message_id, long long user_id,
                 const long long *ids, int n);

/* Sets "attachments" on each Message of the array (borrowed): [Upload...]
 * in the order they were attached, [] for deleted messages and messages
 * without any.  One query for the whole array.  On a database failure the
 * messages keep [] and the failure is logged. */
void attach_messages(struct app *app, json_object *messages);

/* The same for one Message (borrowed). */
void attach_one(struct app *app, json_object *message);

#endif
