/* render.h -- API JSON shapes (docs/api.md) built from database rows.
 *
 * Queries select the Message columns in MESSAGE_COLS order (the message_v
 * view), so one builder serves history, sends, edits, chat previews, sync
 * and events. */
#ifndef PL_RENDER_H
#define PL_RENDER_H

#include <json-c/json.h>
#include <libpq-fe.h>

#define MESSAGE_COLS "id, chat_id, sender_id, sender_username, content, " \
                     "created_at, edited_at, deleted, client_id, seq, " \
                     "mentions, reply_to, reactions, system"
#define MESSAGE_NCOLS 14

/* Number formatting for statement parameters. */
#define ID_BUF 24
const char *render_id(char buf[ID_BUF], long long v);

/* Column readers; NULL-safe (0 / NULL for SQL NULL). */
long long render_int64(const PGresult *r, int row, int col);
const char *render_str(const PGresult *r, int row, int col);

/* Message at columns col..col+13 of row (the last four are JSON text); a new reference, or NULL (meaning
 * JSON null) when the id column is NULL. */
json_object *render_message(const PGresult *r, int row, int col);

/* JSON text at (row, col) parsed; a new reference, or NULL for SQL NULL
 * or text that does not parse (logged). */
json_object *render_json(const PGresult *r, int row, int col);

/* 1 if Message `msg` lists user_id in its "mentions", else 0. */
int render_mentions(json_object *msg, long long user_id);

/* {"id","username"} */
json_object *render_user(long long id, const char *username);

#endif
