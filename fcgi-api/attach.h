/* attach.h -- uploads attached to messages ("attachment_ids" on POST
 * /api/chats/{id}/messages, "attachments" on every Message).
 *
 * Kept apart from messages.c and shape.c so the message code needs only a
 * few one-line call sites: attach_parse and attach_ids_text before the
 * post (the write function claims the uploads in the post's own
 * transaction, sql/006_writepath.sql), attach_refused when it refuses
 * them, attach_messages wherever Messages are rendered. */
#ifndef PL_ATTACH_H
#define PL_ATTACH_H

#include "app.h"

#define ATTACH_MAX 10

/* Reads optional "attachment_ids" (an array of at most ATTACH_MAX distinct
 * positive ids) into ids.  Returns how many (0 if absent), or -1 with resp
 * set to 400. */
int attach_parse(json_object *body, long long ids[ATTACH_MAX], struct resp *resp);

/* ids as the SQL array literal "{1,2,3}" the write function takes. */
#define ATTACH_IDS_BUF (ATTACH_MAX * 22 + 3)
void attach_ids_text(const long long *ids, int n, char buf[ATTACH_IDS_BUF]);

/* 1 when the last failed statement was the write function refusing the
 * uploads (not the caller's, or in another message: SQLSTATE P0002), with
 * resp set to 400 invalid_attachment; else 0. */
int attach_refused(struct app *app, struct resp *resp);

/* Sets "attachments" on each Message of the array (borrowed): [Upload...]
 * in the order they were attached, [] for deleted messages and messages
 * without any.  One query for the whole array.  On a database failure the
 * messages keep [] and the failure is logged. */
void attach_messages(struct app *app, json_object *messages);

/* The same for one Message (borrowed). */
void attach_one(struct app *app, json_object *message);

#endif
