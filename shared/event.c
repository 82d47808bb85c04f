/* event.c -- encode/decode of the ZeroMQ event envelope (see event.h).
 *
 * The daemon fans one event out to many sockets, so the event body is
 * serialised once at decode time; per-recipient frames splice two integers
 * before the closing brace instead of re-serialising JSON per recipient. */
#include "event.h"

#include "jsonx.h"
#include "xmem.h"

#include <stdio.h>
#include <string.h>

char *event_encode(const char *type, long long seq, json_object *event,
                   const struct event_recipient *r, size_t nr, size_t *len)
{
    json_object *root = json_object_new_object();
    json_object *arr = json_object_new_array_ext((int)nr);
    char *out;

    jsonx_add(root, "v", json_object_new_int(EVENT_VERSION));
    jsonx_add(root, "type", json_object_new_string(type));
    jsonx_add(root, "seq", json_object_new_int64(seq));
    jsonx_add(root, "event", json_object_get(event));
    for (size_t i = 0; i < nr; i++) {
        json_object *o = json_object_new_object();
        jsonx_add(o, "user_id", json_object_new_int64(r[i].user_id));
        if (r[i].has_unread) {
            jsonx_add(o, "unread_count", json_object_new_int64(r[i].unread_count));
            jsonx_add(o, "total_unread", json_object_new_int64(r[i].total_unread));
        }
        json_object_array_add(arr, o);
    }
    jsonx_add(root, "recipients", arr);
    out = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    *len = strlen(out);
    json_object_put(root);
    return out;
}

int event_decode(const char *buf, size_t len, struct event_env *env, char *err,
                 size_t errlen)
{
    json_object *ev, *arr;
    long long v;
    size_t n;

    memset(env, 0, sizeof *env);
    if (len > EVENT_MAX_BYTES) {
        snprintf(err, errlen, "envelope over %d bytes", EVENT_MAX_BYTES);
        return -1;
    }
    env->root = jsonx_parse(buf, len, err, errlen);
    if (!env->root)
        return -1;
    if (!json_object_is_type(env->root, json_type_object) ||
        jsonx_get_int64(env->root, "v", &v) != 1 || v != EVENT_VERSION) {
        snprintf(err, errlen, "not a version %d envelope", EVENT_VERSION);
        goto fail;
    }
    if (jsonx_get_string(env->root, "type", &env->type, NULL) != 1 ||
        jsonx_get_int64(env->root, "seq", &env->seq) != 1 ||
        !json_object_object_get_ex(env->root, "event", &ev) ||
        !json_object_is_type(ev, json_type_object) ||
        !json_object_object_get_ex(env->root, "recipients", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        snprintf(err, errlen, "envelope lacks type, seq, event or recipients");
        goto fail;
    }
    n = json_object_array_length(arr);
    env->recips = xcalloc(n ? n : 1, sizeof *env->recips);
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        struct event_recipient *r = &env->recips[i];
        int a, b;
        if (!json_object_is_type(o, json_type_object) ||
            jsonx_get_int64(o, "user_id", &r->user_id) != 1 || r->user_id < 1) {
            snprintf(err, errlen, "recipient %zu has no user_id", i);
            goto fail;
        }
        a = jsonx_get_int64(o, "unread_count", &r->unread_count);
        b = jsonx_get_int64(o, "total_unread", &r->total_unread);
        if (a < 0 || b < 0 || a != b) {
            snprintf(err, errlen, "recipient %zu has bad unread fields", i);
            goto fail;
        }
        r->has_unread = a == 1;
    }
    env->nrecips = n;
    env->event_json = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
    env->event_len = strlen(env->event_json);
    return 0;
fail:
    event_env_clear(env);
    return -1;
}

void event_env_clear(struct event_env *env)
{
    json_object_put(env->root);
    free(env->recips);
    memset(env, 0, sizeof *env);
}

unsigned char *event_frame(const struct event_env *env, size_t i,
                           size_t headroom, size_t *len)
{
    const struct event_recipient *r = &env->recips[i];
    char extra[96];
    int ne = 0;
    unsigned char *buf;

    /* event_json is a JSON object, so it ends with '}' and is at least "{}";
     * with extra fields we replace that brace, with a comma unless the object
     * is empty (decode does not insist on "type", and "{," is not JSON). */
    if (r->has_unread)
        ne = snprintf(extra, sizeof extra, "%s\"unread_count\":%lld,\"total_unread\":%lld}",
                      env->event_len > 2 ? "," : "", r->unread_count, r->total_unread);
    *len = r->has_unread ? env->event_len - 1 + (size_t)ne : env->event_len;
    buf = xmalloc(headroom + *len + 1);
    memcpy(buf + headroom, env->event_json, env->event_len);
    if (r->has_unread)
        memcpy(buf + headroom + env->event_len - 1, extra, (size_t)ne);
    buf[headroom + *len] = '\0';
    return buf;
}
