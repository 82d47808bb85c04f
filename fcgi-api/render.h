/* render.h -- reading result columns and formatting statement parameters;
 * the JSON shapes built from rows live in shape.h. */
#ifndef PL_RENDER_H
#define PL_RENDER_H

#include <json-c/json.h>
#include <libpq-fe.h>

/* Number formatting for statement parameters. */
#define ID_BUF 24
const char *render_id(char buf[ID_BUF], long long v);

/* Column readers; NULL-safe (0 / NULL for SQL NULL). */
long long render_int64(const PGresult *r, int row, int col);
const char *render_str(const PGresult *r, int row, int col);

/* A UTC timestamp's own text, as `ts AT TIME ZONE 'UTC'` prints it
 * ("YYYY-MM-DD HH:MM:SS" and up to six digits of fraction), in the API's form
 * ("YYYY-MM-DDTHH:MM:SS.mmmZ", what parley_ts() of sql/006_writepath.sql
 * gives: milliseconds, truncated).  Text of any other shape is copied as it
 * is (cut to fit).  Returns buf. */
#define RENDER_TS_BUF 32
const char *render_ts(char buf[RENDER_TS_BUF], const char *pg);

/* The SQL bigint[] text at (row, col), e.g. "{1,2,3}", into *out (a new
 * array the caller frees; NULL when empty or SQL NULL).  Returns the count. */
size_t render_int64_array(const PGresult *r, int row, int col, long long **out);

/* JSON text at (row, col) parsed; a new reference, or NULL for SQL NULL
 * or text that does not parse (logged). */
json_object *render_json(const PGresult *r, int row, int col);

/* {"id","username"} */
json_object *render_user(long long id, const char *username);

#endif
