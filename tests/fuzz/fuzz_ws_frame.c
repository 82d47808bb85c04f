/* fuzz_ws_frame.c -- libFuzzer target: what a WebSocket client can send.
 *
 * Input byte 0 bit 0 says whether the message came in binary frames; the
 * rest (at most WSD_PROTO_RX_MAX bytes, what wsd_on_receive lets through) is
 * the message given to client_frame_classify, exactly as wsd_on_message
 * does.  The same bytes, as a C string the way lws_hdr_copy hands it over,
 * are then an Origin header checked against a fixed allow-list, and also a
 * ws_origins setting whose every item must allow itself.
 *
 * Properties: PING only for a text {"type":"ping"} object; otherwise a
 * non-empty NUL-terminated reason for the bad_frame error. */
#include "../../ws-daemon/origin.c"

#include "client_frame.h"
#include "fuzz.h"
#include "jsonx.h"

#include <strings.h>

#define FUZZ_RX_MAX 4096      /* WSD_PROTO_RX_MAX; wsd_proto.h needs lws */

static void fuzz_origin(const char *s)
{
    static struct origin_list *fixed;
    struct origin_list *l;
    int a;

    if (!fixed)
        fixed = origin_list_new(" http://chat.example.com, https://Chat.Example.com:8443 ,,");
    a = origin_allowed(fixed, s);
    FUZZ_CHECK(a == (strcasecmp(s, "http://chat.example.com") == 0 ||
                     strcasecmp(s, "https://chat.example.com:8443") == 0));
    FUZZ_CHECK(origin_allowed(fixed, NULL) == 1);

    l = origin_list_new(s);
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->item[i]);
        FUZZ_CHECK(n > 0 && strchr(l->item[i], ',') == NULL);
        FUZZ_CHECK(!isspace((unsigned char)l->item[i][0]) &&
                   !isspace((unsigned char)l->item[i][n - 1]));
        FUZZ_CHECK(origin_allowed(l, l->item[i]) == 1);
    }
    if (origin_list_count(l) == 0)
        FUZZ_CHECK(origin_allowed(l, "http://anything.example") == 1);
    origin_list_destroy(&l);
    FUZZ_CHECK(l == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[128], err[128];
    int binary;
    enum client_frame_kind k;
    unsigned char *msg;
    char *s;
    size_t len;

    if (size == 0 || size - 1 > FUZZ_RX_MAX)
        return 0;
    binary = data[0] & 1;
    len = size - 1;
    /* An exact-size heap copy, so ASan sees any read past the message. */
    msg = malloc(len ? len : 1);
    if (!msg)
        abort();
    memcpy(msg, data + 1, len);
    memset(why, 0x5a, sizeof why);
    k = client_frame_classify(msg, len, binary, why, sizeof why);
    if (k == CLIENT_FRAME_PING) {
        const char *type;
        json_object *o = jsonx_parse((const char *)msg, len, err, sizeof err);
        FUZZ_CHECK(!binary && o != NULL);
        FUZZ_CHECK(jsonx_get_string(o, "type", &type, NULL) == 1 && strcmp(type, "ping") == 0);
        json_object_put(o);
    } else {
        FUZZ_CHECK(k == CLIENT_FRAME_BAD);
        FUZZ_CHECK(memchr(why, '\0', sizeof why) != NULL && why[0] != '\0');
    }
    free(msg);

    s = fuzz_cstr(data + 1, len);
    fuzz_origin(s);
    free(s);
    return 0;
}
