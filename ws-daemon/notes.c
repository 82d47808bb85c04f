/* notes.c -- the daemon's publisher towards the tap (see notes.h). */
#include "notes.h"

#include "bus.h"
#include "jsonx.h"
#include "log.h"
#include "xmem.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTES_TAP_SNDHWM 200     /* messages per tap subscriber before drops */
#define NOTES_BUS_SNDHWM 1000    /* notes queued towards the forwarder */

struct notes {
    void *sock;                  /* PUSH into the bus, or PUB on zmq_tap */
    int fanout;                  /* 1: PUSH with the note header */
};

struct notes *notes_new(void *zctx, const struct pl_config *cfg, char *err,
                        size_t errlen)
{
    struct notes *n = xcalloc(1, sizeof *n);
    int linger = 0, hwm;

    n->fanout = cfg->zmq_fanout[0] != '\0';
    hwm = n->fanout ? NOTES_BUS_SNDHWM : NOTES_TAP_SNDHWM;
    n->sock = zmq_socket(zctx, n->fanout ? ZMQ_PUSH : ZMQ_PUB);
    if (!n->sock) {
        snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
        goto fail;
    }
    if (zmq_setsockopt(n->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(n->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0) {
        snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(errno));
        goto fail;
    }
    if (n->fanout) {
        if (bus_curve_client(n->sock, cfg, err, errlen) < 0)
            goto fail;
        if (zmq_connect(n->sock, cfg->zmq_events) != 0) {
            snprintf(err, errlen, "cannot connect to %s: %s", cfg->zmq_events,
                     zmq_strerror(errno));
            goto fail;
        }
    } else if (zmq_bind(n->sock, cfg->zmq_tap) != 0) {
        snprintf(err, errlen, "cannot bind %s: %s", cfg->zmq_tap, zmq_strerror(errno));
        goto fail;
    }
    return n;
fail:
    notes_destroy(&n);
    return NULL;
}

void notes_destroy(struct notes **np)
{
    struct notes *n = np ? *np : NULL;

    if (!n)
        return;
    if (n->sock)
        zmq_close(n->sock);
    free(n);
    *np = NULL;
}

void notes_publish(struct notes *n, const void *data, size_t len)
{
    int r;

    if (!n)
        return;
    /* DONTWAIT: a full queue drops the note (EAGAIN), it never stalls the
     * service thread. */
    if (n->fanout)
        r = zmq_send(n->sock, "n", 1, ZMQ_DONTWAIT | ZMQ_SNDMORE) < 0
                ? -1 : zmq_send(n->sock, data, len, ZMQ_DONTWAIT);
    else
        r = zmq_send(n->sock, data, len, ZMQ_DONTWAIT);
    if (r < 0 && errno != EAGAIN)
        log_debug("note send: %s", zmq_strerror(errno));
}

void notes_repeat(struct notes *n, zmq_msg_t *body)
{
    zmq_msg_t copy;

    if (!n || n->fanout)
        return;
    zmq_msg_init(&copy);
    if (zmq_msg_copy(&copy, body) == 0 &&
        zmq_msg_send(&copy, n->sock, ZMQ_DONTWAIT) < 0 && errno != EAGAIN)
        log_debug("tap send: %s", zmq_strerror(errno));
    zmq_msg_close(&copy);
}

void notes_bad_envelope(struct notes *n, size_t len, const char *why)
{
    json_object *o = json_object_new_object();
    const char *s;

    jsonx_add(o, "type", json_object_new_string("bad_envelope"));
    jsonx_add(o, "bytes", json_object_new_int64((int64_t)len));
    jsonx_add(o, "error", json_object_new_string(why));
    s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    notes_publish(n, s, strlen(s));
    json_object_put(o);
}
