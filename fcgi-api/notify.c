/* notify.c -- non-blocking event PUSH into the bus (see notify.h). */
#include "notify.h"

#include "bus.h"
#include "event.h"
#include "log.h"
#include "pubslot.h"
#include "xmem.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

struct notify {
    void *ctx;
    void *sock;
    uint64_t pub;            /* this process's publisher id */
    uint64_t seq;            /* last sequence number used (sent or dropped) */
    struct pubslot *slot;    /* pub and seq kept in a file, or NULL */
    unsigned long dropped;
};

/* The publisher id and numbering: a dead worker's, continued, when
 * pub_state_dir holds one (pubslot.h); a new random id otherwise.  Returns
 * 1 when a dead worker's numbering was adopted. */
static int notify_publisher(struct notify *n, const struct pl_config *cfg)
{
    char err[256];
    int adopted = 0;

    n->pub = bus_new_publisher();
    if (!cfg->pub_state_dir[0])
        return 0;
    n->slot = pubslot_open(cfg->pub_state_dir, &adopted, err, sizeof err);
    if (!n->slot) {
        /* Not fatal: events still flow; only the last ones of a killed
         * worker would go unnoticed. */
        log_warn("publisher slot: %s", err);
        return 0;
    }
    n->pub = pubslot_pub(n->slot);
    return adopted;
}

/* After adopting a dead worker's numbering: an envelope for no one, so the
 * daemons see at once whether the dead worker's last envelopes arrived
 * (a gap, then a resync), instead of at this worker's first real event. */
static void notify_resume(struct notify *n)
{
    json_object *ev = json_object_new_object();
    size_t len;
    char *env = event_encode(BUS_RESUMED_TYPE, 0, ev, NULL, 0, &len);

    if (notify_send(n, env, len) == 0)
        log_info("publisher %016" PRIx64 ": continued a stopped worker's numbering", n->pub);
    free(env);
    json_object_put(ev);
}

struct notify *notify_new(const struct pl_config *cfg, char *err, size_t errlen)
{
    struct notify *n = xcalloc(1, sizeof *n);
    int linger = 200;    /* exit may take 0.2 s to flush, never hang */
    int immediate = 0;   /* queue while the forwarder restarts */
    int sndhwm = (int)cfg->zmq_sndhwm;
    int adopted = notify_publisher(n, cfg);

    n->ctx = zmq_ctx_new();
    if (!n->ctx)
        goto fail;
    n->sock = zmq_socket(n->ctx, ZMQ_PUSH);
    if (!n->sock ||
        zmq_setsockopt(n->sock, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm) != 0 ||
        zmq_setsockopt(n->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(n->sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate) != 0)
        goto fail;
    if (bus_curve_client(n->sock, cfg, err, errlen) < 0)
        goto fail_msg;
    if (zmq_connect(n->sock, cfg->zmq_events) != 0)
        goto fail;
    if (adopted)
        notify_resume(n);
    return n;
fail:
    snprintf(err, errlen, "zmq PUSH to %s: %s", cfg->zmq_events, zmq_strerror(errno));
fail_msg:
    notify_destroy(&n);
    return NULL;
}

void notify_destroy(struct notify **np)
{
    struct notify *n = *np;
    if (!n)
        return;
    if (n->sock)
        zmq_close(n->sock);
    if (n->ctx)
        zmq_ctx_term(n->ctx);
    pubslot_close(&n->slot);
    free(n);
    *np = NULL;
}

int notify_send(struct notify *n, const char *buf, size_t len)
{
    char hdr[BUS_HEADER_MAX];
    /* Stored in the slot before the envelope is queued (pubslot.h). */
    uint64_t seq = n->slot ? pubslot_next(n->slot) : ++n->seq;
    size_t hlen = bus_header(hdr, BUS_KIND_EVENT, n->pub, seq);

    /* Both frames or neither: the first is queued only when the socket can
     * take a message, and libzmq queues the parts of a message atomically. */
    if (zmq_send(n->sock, hdr, hlen, ZMQ_DONTWAIT | ZMQ_SNDMORE) >= 0 &&
        zmq_send(n->sock, buf, len, ZMQ_DONTWAIT) >= 0)
        return 0;
    n->dropped++;
    /* The sequence number is spent: the next envelope shows the gap. */
    if (n->dropped == 1 || n->dropped % 1000 == 0)
        log_warn("event queue to the bus full (%s): %lu events dropped so far",
                 zmq_strerror(errno), n->dropped);
    return -1;
}
