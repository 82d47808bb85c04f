/* jsonx.h -- strict parsing of untrusted JSON and typed field access.
 *
 * Every byte a client or a peer process sends is parsed here: strict RFC 8259
 * (json-c's JSON_TOKENER_STRICT), UTF-8 validated by the tokenizer, depth
 * limited, and the whole buffer must be consumed (no trailing garbage). */
#ifndef PL_JSONX_H
#define PL_JSONX_H

#include <json-c/json.h>
#include <stddef.h>

#define JSONX_MAX_DEPTH 16

/* Parses exactly `len` bytes.  Returns a new object the caller owns (one
 * json_object_put), or NULL with a short human reason in err. */
json_object *jsonx_parse(const char *buf, size_t len, char *err, size_t errlen);

/* Field getters borrow from `obj` (no reference taken).  Each returns 1 if
 * the key is present with the right type, 0 if absent (or JSON null), and
 * -1 if present with another type. */
int jsonx_get_string(json_object *obj, const char *key, const char **out,
                     size_t *len);
int jsonx_get_int64(json_object *obj, const char *key, long long *out);
int jsonx_get_bool(json_object *obj, const char *key, int *out);

/* Adds key -> val to obj, taking ownership of val even on failure (so
 * callers need no error path for a builder they cannot recover from). */
void jsonx_add(json_object *obj, const char *key, json_object *val);

#endif
