/* client_frame.c -- classification of client messages (see client_frame.h).
 *
 * Parsed with jsonx's strict parser like every other outside byte; the
 * reasons are the texts the daemon has always sent in bad_frame errors. */
#include "client_frame.h"

#include "jsonx.h"

#include <stdio.h>
#include <string.h>

enum client_frame_kind client_frame_classify(const unsigned char *msg, size_t len,
                                             int binary, char *why, size_t whylen)
{
    enum client_frame_kind k = CLIENT_FRAME_BAD;
    const char *type;
    json_object *o;

    if (binary) {
        snprintf(why, whylen, "binary frames are not accepted");
        return CLIENT_FRAME_BAD;
    }
    o = jsonx_parse((const char *)msg, len, why, whylen);
    if (!o)
        return CLIENT_FRAME_BAD;
    if (!json_object_is_type(o, json_type_object) ||
        jsonx_get_string(o, "type", &type, NULL) != 1)
        snprintf(why, whylen, "expected an object with a string \"type\"");
    else if (strcmp(type, "ping") == 0)
        k = CLIENT_FRAME_PING;
    else
        snprintf(why, whylen, "unknown frame type");
    json_object_put(o);
    return k;
}
