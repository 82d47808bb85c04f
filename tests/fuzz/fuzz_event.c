/* fuzz_event.c -- libFuzzer target: the ZeroMQ event envelope.
 *
 * The input is one ZeroMQ message as ws-daemon's PULL socket receives it.
 * event_decode must refuse or accept it without crashing or leaking; on
 * acceptance every recipient's frame (built by event_frame with LWS_PRE-like
 * headroom, as wsd_proto_deliver does) must be exactly one JSON object that
 * jsonx_parse accepts, carry the unread counts when the recipient has them,
 * and be NUL-terminated after *len bytes. */
#include "event.h"
#include "fuzz.h"
#include "jsonx.h"

#define FUZZ_HEADROOM 16
#define FUZZ_MAX_FRAMES 256   /* enough to reach every branch per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct event_env env;
    char err[128];

    if (event_decode((const char *)data, size, &env, err, sizeof err) < 0) {
        FUZZ_CHECK(env.root == NULL && env.recips == NULL);
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(env.root != NULL && env.type != NULL && env.event_json != NULL);
    FUZZ_CHECK(env.event_len == strlen(env.event_json));
    for (size_t i = 0; i < env.nrecips && i < FUZZ_MAX_FRAMES; i++) {
        const struct event_recipient *r = &env.recips[i];
        size_t len;
        unsigned char *buf = event_frame(&env, i, FUZZ_HEADROOM, &len);
        json_object *o;
        long long v;

        FUZZ_CHECK(r->user_id >= 1);
        FUZZ_CHECK(buf[FUZZ_HEADROOM + len] == '\0');
        o = jsonx_parse((const char *)buf + FUZZ_HEADROOM, len, err, sizeof err);
        if (!o)
            fprintf(stderr, "fuzz: frame %zu is not JSON (%s): %.*s\n", i, err,
                    (int)(len > 200 ? 200 : len), (const char *)buf + FUZZ_HEADROOM);
        FUZZ_CHECK(o != NULL && json_object_is_type(o, json_type_object));
        if (r->has_unread) {
            FUZZ_CHECK(jsonx_get_int64(o, "unread_count", &v) == 1 && v == r->unread_count);
            FUZZ_CHECK(jsonx_get_int64(o, "total_unread", &v) == 1 && v == r->total_unread);
        }
        json_object_put(o);
        free(buf);
    }
    event_env_clear(&env);
    event_env_clear(&env);
    FUZZ_CHECK(env.root == NULL);
    return 0;
}
