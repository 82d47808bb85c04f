/* event.h -- the envelope one FastCGI worker PUSHes to ws-daemon per change.
 *
 * Wire format, version 1 (one ZeroMQ message, UTF-8 JSON):
 *
 *   {"v":1,
 *    "type":"new_message",            -- same as event.type
 *    "seq":42,                        -- the change's position (0 for typing)
 *    "event":{"type":"new_message","seq":42,"chat_id":7,"message":{...}},
 *    "recipients":[{"user_id":2,"unread_count":1,"total_unread":3},
 *                  {"user_id":1}]}
 *
 * `event` is exactly what a browser receives, minus the per-recipient fields:
 * when a recipient carries unread_count/total_unread (new_message,
 * message_deleted, unread_update) the daemon appends them to that
 * recipient's copy.  The tap prints the envelope as it travelled.  Readers
 * must refuse v != 1 and unknown shapes (they are dropped and counted). */
#ifndef PL_EVENT_H
#define PL_EVENT_H

#include <json-c/json.h>
#include <stddef.h>

#define EVENT_VERSION 1
#define EVENT_MAX_BYTES (1024 * 1024)

struct event_recipient {
    long long user_id;
    int has_unread;          /* 1: append the two counts below */
    long long unread_count;
    long long total_unread;
};

struct event_env {
    json_object *root;       /* owned; everything below borrows from it */
    const char *type;
    long long seq;
    const char *event_json;  /* `event` serialised once, ends with '}' */
    size_t event_len;
    struct event_recipient *recips;   /* owned array */
    size_t nrecips;
};

/* Builds an envelope.  `event` is borrowed (not freed).  Returns a
 * NUL-terminated string the caller frees; *len gets its length. */
char *event_encode(const char *type, long long seq, json_object *event,
                   const struct event_recipient *r, size_t nr, size_t *len);

/* Parses and checks an envelope from untrusted bytes.  Returns 0 and fills
 * *env (release with event_env_clear), or -1 with a reason in err. */
int event_decode(const char *buf, size_t len, struct event_env *env, char *err,
                 size_t errlen);

/* Releases what event_decode allocated; safe to call twice. */
void event_env_clear(struct event_env *env);

/* The frame recipient `i` gets: event_json, with the unread fields spliced
 * in when the recipient has them.  Returns a buffer of *len bytes of text
 * placed after `headroom` free bytes (LWS_PRE for lws_write); the caller
 * frees the returned pointer. */
unsigned char *event_frame(const struct event_env *env, size_t i,
                           size_t headroom, size_t *len);

#endif
