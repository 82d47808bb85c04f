/* jsonw.h -- writes JSON text straight into a growing buffer, no tree.
 *
 * A json-c tree costs a malloc and a free per node: a chat list of 200
 * chats is ~10,000 nodes, and building then freeing them was a third of
 * the FastCGI worker's time (docs/bench.md).  Shapes that are sent as
 * they are built write their text here instead; jsonw_take hands the text
 * to code that expects a json_object (it serialises as that text).
 *
 * The writer does not check structure: the caller writes the punctuation
 * (jsonw_lit(w, ",\"key\":")).  The buffer is always NUL-terminated. */
#ifndef PL_JSONW_H
#define PL_JSONW_H

#include <json-c/json.h>
#include <stddef.h>

struct jsonw {
    char *buf;      /* owned; NUL-terminated */
    size_t len;     /* bytes written, not counting the NUL */
    size_t cap;
};

/* Starts an empty buffer with room for `cap` bytes (it grows as needed). */
void jsonw_init(struct jsonw *w, size_t cap);
/* Releases the buffer (safe on a taken or zeroed writer). */
void jsonw_free(struct jsonw *w);

/* Appends n bytes as they are (already JSON). */
void jsonw_raw(struct jsonw *w, const char *s, size_t n);
/* Appends a string literal as it is. */
#define jsonw_lit(w, s) jsonw_raw((w), "" s, sizeof(s) - 1)
/* Appends s as a JSON string (quoted and escaped), or null if s is NULL.
 * s must be UTF-8 (PostgreSQL's text is). */
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, long long v);
void jsonw_bool(struct jsonw *w, int v);

/* A new json_object whose serialisation is the text written so far; the
 * buffer moves into it (the writer is left empty).  The object is opaque:
 * only for serialising (e.g. a reply body). */
json_object *jsonw_take(struct jsonw *w);

/* Parses the text written so far into a tree (caller puts it), or NULL if
 * it is not JSON. */
json_object *jsonw_parse(const struct jsonw *w);

#endif
