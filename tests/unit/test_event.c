/* test_event.c -- the ZeroMQ envelope: round trip, per-recipient frames,
 * and refusal of malformed envelopes. */
#include "event.h"
#include "jsonx.h"
#include "testhelp.h"

#include <stdlib.h>
#include <string.h>

static int decodes(const char *s)
{
    struct event_env env;
    char err[128];
    int ok = event_decode(s, strlen(s), &env, err, sizeof err) == 0;
    event_env_clear(&env);
    return ok;
}

int main(void)
{
    struct event_recipient rc[2] = { { 2, 1, 1, 3 }, { 7, 0, 0, 0 } };
    json_object *ev = json_object_new_object();
    struct event_env env;
    char err[128];
    unsigned char *f;
    size_t len, flen;
    char *wire;

    jsonx_add(ev, "type", json_object_new_string("new_message"));
    jsonx_add(ev, "seq", json_object_new_int64(42));
    jsonx_add(ev, "chat_id", json_object_new_int64(5));
    wire = event_encode("new_message", 42, ev, rc, 2, &len);
    test_cond("encode gives text", wire && len == strlen(wire));
    test_cond("decode round trip", event_decode(wire, len, &env, err, sizeof err) == 0);
    test_cond("type and seq", strcmp(env.type, "new_message") == 0 && env.seq == 42);
    test_cond("two recipients", env.nrecips == 2 && env.recips[0].user_id == 2 &&
                                    env.recips[1].user_id == 7);
    test_cond("unread flags", env.recips[0].has_unread && !env.recips[1].has_unread);
    f = event_frame(&env, 0, 16, &flen);
    test_cond("frame with unread spliced",
              strcmp((char *)f + 16,
                     "{\"type\":\"new_message\",\"seq\":42,\"chat_id\":5,"
                     "\"unread_count\":1,\"total_unread\":3}") == 0 &&
                  flen == strlen((char *)f + 16));
    {
        json_object *parsed = jsonx_parse((char *)f + 16, flen, err, sizeof err);
        test_cond("spliced frame is valid JSON", parsed != NULL);
        json_object_put(parsed);
    }
    free(f);
    f = event_frame(&env, 1, 0, &flen);
    test_cond("frame without unread is the event",
              strcmp((char *)f, "{\"type\":\"new_message\",\"seq\":42,\"chat_id\":5}") == 0);
    free(f);
    event_env_clear(&env);
    event_env_clear(&env);
    test_cond("clear is idempotent", env.root == NULL);
    free(wire);
    json_object_put(ev);

    test_cond("wrong version refused",
              !decodes("{\"v\":2,\"type\":\"x\",\"seq\":1,\"event\":{},\"recipients\":[]}"));
    test_cond("missing event refused", !decodes("{\"v\":1,\"type\":\"x\",\"seq\":1,\"recipients\":[]}"));
    test_cond("event not object refused",
              !decodes("{\"v\":1,\"type\":\"x\",\"seq\":1,\"event\":[],\"recipients\":[]}"));
    test_cond("recipient without id refused",
              !decodes("{\"v\":1,\"type\":\"x\",\"seq\":1,\"event\":{},\"recipients\":[{}]}"));
    test_cond("half unread refused",
              !decodes("{\"v\":1,\"type\":\"x\",\"seq\":1,\"event\":{},"
                       "\"recipients\":[{\"user_id\":1,\"unread_count\":1}]}"));
    test_cond("not JSON refused", !decodes("hello"));
    test_cond("array refused", !decodes("[1,2]"));
    test_cond("minimal ok",
              decodes("{\"v\":1,\"type\":\"typing\",\"seq\":0,\"event\":{\"type\":\"typing\"},"
                      "\"recipients\":[{\"user_id\":3}]}"));
    return test_report();
}
