/* zmq_bridge.c -- PULL intake in the lws loop, PUB tap (see zmq_bridge.h).
 *
 * Why ZMQ_FD adoption rather than a receive thread: delivery must touch
 * lws state (queues, lws_callback_on_writable), which only the service
 * thread may do, so a thread would only hand messages over through a lock.
 * Adopting a dup() of ZMQ_FD as an lws raw file makes lws wake us when the
 * socket may have input, with no thread and no lock.
 *
 * ZMQ_FD is edge-like: it signals a change, not readiness.  So every wake-up
 * drains until ZMQ_EVENTS lacks ZMQ_POLLIN, and we drain once right after
 * adoption for messages queued before.  To keep a flood of events from
 * starving the WebSocket writes, one wake-up handles at most
 * ZB_DRAIN_BUDGET messages and then reschedules itself as an immediate lws
 * timer (the descriptor would not signal again for what is already queued).
 *
 * The dup() matters: lws closes adopted descriptors in lws_context_destroy,
 * and libzmq aborts if its own descriptor is closed under it (STACK.md 4). */
#include "zmq_bridge.h"

#include "event.h"
#include "jsonx.h"
#include "log.h"
#include "wsd_proto.h"
#include "xmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define ZB_DRAIN_BUDGET 64
#define ZB_TAP_SNDHWM 200        /* messages per subscriber before drops */
/* Messages libzmq may hold for us before it stops reading the senders'
 * sockets; past it, events wait in the workers' PUSH queues.  Bounds the
 * daemon's intake memory (at most this many envelopes of EVENT_MAX_BYTES). */
#define ZB_INTAKE_RCVHWM 100

struct zmq_bridge {
    struct wsd *w;
    void *zctx;
    void *pull;                  /* intake, bound on zmq_events */
    void *pub;                   /* tap, bound on zmq_tap */
    struct lws_context *lctx;
    struct lws *raw;             /* adopted dup of the PULL's ZMQ_FD */
    lws_sorted_usec_list_t sul;  /* continues a drain cut by the budget */
};

static int zb_socket(struct zmq_bridge *zb, int type, const char *ep, int hwm,
                     void **out, char *err, size_t errlen);
static void zb_drain(struct zmq_bridge *zb);
static void zb_drain_later(lws_sorted_usec_list_t *sul);
static void zb_handle(struct zmq_bridge *zb, zmq_msg_t *msg, int multipart);
static void zb_tap_bad(struct zmq_bridge *zb, size_t len, const char *why);
static int zb_callback(struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len);

const struct lws_protocols zmq_bridge_protocol = {
    .name = "parley-zmq",
    .callback = zb_callback,
};

static int zb_socket(struct zmq_bridge *zb, int type, const char *ep, int hwm,
                     void **out, char *err, size_t errlen)
{
    int linger = 0;
    int opt = type == ZMQ_PULL ? ZMQ_RCVHWM : ZMQ_SNDHWM;
    void *s = zmq_socket(zb->zctx, type);

    if (!s) {
        snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
        return -1;
    }
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s, opt, &hwm, sizeof hwm) != 0) {
        snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(errno));
        zmq_close(s);
        return -1;
    }
    if (zmq_bind(s, ep) != 0) {
        snprintf(err, errlen, "cannot bind %s: %s", ep, zmq_strerror(errno));
        zmq_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

struct zmq_bridge *zmq_bridge_new(struct wsd *w, const char *events_ep,
                                  const char *tap_ep, char *err, size_t errlen)
{
    struct zmq_bridge *zb = xcalloc(1, sizeof *zb);

    zb->w = w;
    zb->zctx = zmq_ctx_new();
    if (!zb->zctx) {
        snprintf(err, errlen, "zmq_ctx_new: %s", zmq_strerror(errno));
        goto fail;
    }
    if (zb_socket(zb, ZMQ_PULL, events_ep, ZB_INTAKE_RCVHWM, &zb->pull, err, errlen) < 0 ||
        zb_socket(zb, ZMQ_PUB, tap_ep, ZB_TAP_SNDHWM, &zb->pub, err, errlen) < 0)
        goto fail;
    return zb;
fail:
    zmq_bridge_destroy(&zb);
    return NULL;
}

int zmq_bridge_attach(struct zmq_bridge *zb, struct lws_context *ctx, char *err,
                      size_t errlen)
{
    lws_sock_file_fd_type fd;
    struct lws_vhost *vh = lws_get_vhost_by_name(ctx, "default");
    int zfd;
    size_t sz = sizeof zfd;

    zb->lctx = ctx;
    if (!vh) {
        snprintf(err, errlen, "lws has no default vhost");
        return -1;
    }
    if (zmq_getsockopt(zb->pull, ZMQ_FD, &zfd, &sz) != 0) {
        snprintf(err, errlen, "zmq_getsockopt(ZMQ_FD): %s", zmq_strerror(errno));
        return -1;
    }
    fd.filefd = dup(zfd);
    if (fd.filefd < 0) {
        snprintf(err, errlen, "dup(ZMQ_FD): %s", strerror(errno));
        return -1;
    }
    zb->raw = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd,
                                         zmq_bridge_protocol.name, NULL);
    if (!zb->raw) {
        /* lws closes the descriptor when adoption fails. */
        snprintf(err, errlen, "lws could not adopt the ZeroMQ descriptor");
        return -1;
    }
    zb_drain(zb);
    return 0;
}

void zmq_bridge_destroy(struct zmq_bridge **zbp)
{
    struct zmq_bridge *zb = zbp ? *zbp : NULL;

    if (!zb)
        return;
    if (zb->pull)
        zmq_close(zb->pull);
    if (zb->pub)
        zmq_close(zb->pub);
    if (zb->zctx) {
        while (zmq_ctx_term(zb->zctx) != 0 && errno == EINTR)
            ;
    }
    free(zb);
    *zbp = NULL;
}

void zmq_bridge_publish(struct zmq_bridge *zb, const void *data, size_t len)
{
    if (!zb || !zb->pub)
        return;
    /* PUB never blocks; DONTWAIT makes that explicit.  A lagging subscriber
     * loses tap lines, never delivery. */
    if (zmq_send(zb->pub, data, len, ZMQ_DONTWAIT) < 0 && errno != EAGAIN)
        log_debug("tap send: %s", zmq_strerror(errno));
}

static void zb_tap_bad(struct zmq_bridge *zb, size_t len, const char *why)
{
    json_object *o = json_object_new_object();
    const char *s;

    jsonx_add(o, "type", json_object_new_string("bad_envelope"));
    jsonx_add(o, "bytes", json_object_new_int64((int64_t)len));
    jsonx_add(o, "error", json_object_new_string(why));
    s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    zmq_bridge_publish(zb, s, strlen(s));
    json_object_put(o);
}

static void zb_handle(struct zmq_bridge *zb, zmq_msg_t *msg, int multipart)
{
    struct wsd *w = zb->w;
    struct event_env env;
    size_t len = zmq_msg_size(msg);
    char err[160];
    zmq_msg_t copy;

    if (multipart) {
        snprintf(err, sizeof err, "multipart message");
    } else if (event_decode(zmq_msg_data(msg), len, &env, err, sizeof err) == 0) {
        /* The tap repeats the envelope exactly as received; zmq_msg_copy
         * shares the payload instead of copying it. */
        zmq_msg_init(&copy);
        if (zmq_msg_copy(&copy, msg) == 0 &&
            zmq_msg_send(&copy, zb->pub, ZMQ_DONTWAIT) < 0 && errno != EAGAIN)
            log_debug("tap send: %s", zmq_strerror(errno));
        zmq_msg_close(&copy);
        w->m.events_in++;
        log_debug("event %s seq %lld for %zu recipients", env.type, env.seq,
                  env.nrecips);
        wsd_proto_deliver(w, &env);
        event_env_clear(&env);
        return;
    }
    w->m.events_bad++;
    log_warn("dropped bad event envelope (%zu bytes): %s", len, err);
    zb_tap_bad(zb, len, err);
}

static void zb_drain(struct zmq_bridge *zb)
{
    for (int budget = ZB_DRAIN_BUDGET; budget > 0; budget--) {
        zmq_msg_t msg;
        int ev, more = 0, multipart = 0;
        size_t sz = sizeof ev;

        if (zmq_getsockopt(zb->pull, ZMQ_EVENTS, &ev, &sz) != 0) {
            if (errno != ETERM)
                log_error("zmq_getsockopt(ZMQ_EVENTS): %s", zmq_strerror(errno));
            return;
        }
        if (!(ev & ZMQ_POLLIN))
            return;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, zb->pull, ZMQ_DONTWAIT) < 0) {
            int e = errno;
            zmq_msg_close(&msg);
            if (e == EAGAIN || e == EINTR)
                continue;
            if (e != ETERM)
                log_error("zmq_msg_recv: %s", zmq_strerror(e));
            return;
        }
        /* Envelopes are one part; swallow the rest of anything longer. */
        sz = sizeof more;
        while (zmq_getsockopt(zb->pull, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
            zmq_msg_t extra;
            int r;
            multipart = 1;
            zmq_msg_init(&extra);
            r = zmq_msg_recv(&extra, zb->pull, ZMQ_DONTWAIT);
            zmq_msg_close(&extra);
            if (r < 0)
                break;
            sz = sizeof more;
        }
        zb_handle(zb, &msg, multipart);
        zmq_msg_close(&msg);
    }
    /* Budget spent with input possibly left: continue on the next loop turn,
     * after lws has serviced the sockets. */
    lws_sul_schedule(zb->lctx, 0, &zb->sul, zb_drain_later, 1);
}

static void zb_drain_later(lws_sorted_usec_list_t *sul)
{
    zb_drain(lws_container_of(sul, struct zmq_bridge, sul));
}

static int zb_callback(struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len)
{
    struct wsd *w = lws_context_user(lws_get_context(wsi));

    (void)user;
    (void)in;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_RAW_ADOPT_FILE:
    case LWS_CALLBACK_RAW_RX_FILE:
        if (w->zb && w->zb->lctx)
            zb_drain(w->zb);
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (w->zb)
            w->zb->raw = NULL;
        break;
    default:
        break;
    }
    return 0;
}
