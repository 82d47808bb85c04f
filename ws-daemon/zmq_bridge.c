/* zmq_bridge.c -- event intake in the lws loop and resync (see
 * zmq_bridge.h).
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
 * and libzmq aborts if its own descriptor is closed under it.
 *
 * Missed events: pub-sub loses messages while a subscriber (re)connects or
 * lags past its high-water mark, and says nothing.  So the bridge watches
 * for both -- the SUB socket's monitor reports every (re)connection to the
 * forwarder, and each publisher's sequence numbers show any envelope lost
 * on the way -- and then tells every client {"type":"resync"} (at most
 * once per ZB_RESYNC_MIN_US); the page catches up from the database. */
#include "zmq_bridge.h"

#include "bus.h"
#include "event.h"
#include "jsonx.h"
#include "log.h"
#include "notes.h"
#include "registry.h"
#include "wsd_proto.h"
#include "xmem.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define ZB_DRAIN_BUDGET 64
/* Messages libzmq may hold for us before it stops reading the senders'
 * sockets (standalone PULL); past it, events wait in the workers' PUSH
 * queues.  Bounds the daemon's intake memory. */
#define ZB_INTAKE_RCVHWM 100
/* From the forwarder a PUB drops past the mark instead of waiting, and we
 * would resync: leave room for bursts. */
#define ZB_SUB_RCVHWM 10000
#define ZB_TICK_US (200 * LWS_US_PER_MS)
#define ZB_RESYNC_MIN_US (1000 * LWS_US_PER_MS)
#define ZB_HEARTBEAT_MS 2000     /* a silent forwarder is dead after 3 of these */
#define ZB_MAX_PUBS 256          /* publishers whose sequence we follow */
#define ZB_MONITOR_EP "inproc://parley-wsd-bus-monitor"

struct zb_pub {
    uint64_t id;
    uint64_t seq;                /* last seen */
    uint64_t used;               /* tick of last use, for eviction */
};

struct zmq_bridge {
    struct wsd *w;
    void *in;                    /* PULL (standalone) or SUB (forwarder) */
    void *mon;                   /* PAIR: the SUB's connect/disconnect events */
    int fanout;                  /* 1: subscribed to a forwarder */
    struct lws_context *lctx;
    struct lws *raw;             /* adopted dup of the intake's ZMQ_FD */
    lws_sorted_usec_list_t sul;  /* continues a drain cut by the budget */
    lws_sorted_usec_list_t tick; /* monitor events, pending resync */
    struct zb_pub pubs[ZB_MAX_PUBS];
    size_t npubs;
    uint64_t uses;
    const char *resync_reason;   /* pending resync (static string) or NULL */
    lws_usec_t last_resync;
};

static int zb_opts(void *s, int type, int hwm, char *err, size_t errlen);
static void *zb_open(struct zmq_bridge *zb, int type, int hwm, char *err, size_t errlen);
static int zb_open_fanout(struct zmq_bridge *zb, char *err, size_t errlen);
static void zb_drain(struct zmq_bridge *zb);
static void zb_drain_later(lws_sorted_usec_list_t *sul);
static void zb_tick(lws_sorted_usec_list_t *sul);
static void zb_monitor(struct zmq_bridge *zb);
static void zb_resync(struct zmq_bridge *zb, const char *reason);
static void zb_resync_flush(struct zmq_bridge *zb);
static void zb_track(struct zmq_bridge *zb, uint64_t pub, uint64_t seq, int resumed);
static void zb_handle(struct zmq_bridge *zb, zmq_msg_t *parts, int nparts, int extra);
static int zb_callback(struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len);

const struct lws_protocols zmq_bridge_protocol = {
    .name = "parley-zmq",
    .callback = zb_callback,
};

static int zb_opts(void *s, int type, int hwm, char *err, size_t errlen)
{
    int linger = 0;
    int opt = (type == ZMQ_PULL || type == ZMQ_SUB) ? ZMQ_RCVHWM : ZMQ_SNDHWM;

    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s, opt, &hwm, sizeof hwm) != 0) {
        snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

static void *zb_open(struct zmq_bridge *zb, int type, int hwm, char *err, size_t errlen)
{
    void *s = zmq_socket(zb->w->zctx, type);

    if (!s) {
        snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
        return NULL;
    }
    if (zb_opts(s, type, hwm, err, errlen) < 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* SUB to the forwarder (envelopes only) and its monitor. */
static int zb_open_fanout(struct zmq_bridge *zb, char *err, size_t errlen)
{
    const struct pl_config *cfg = zb->w->cfg;
    char kind = BUS_KIND_EVENT;
    int ivl = ZB_HEARTBEAT_MS, tmo = 3 * ZB_HEARTBEAT_MS, rc = -1;

    zb->in = zb_open(zb, ZMQ_SUB, ZB_SUB_RCVHWM, err, errlen);
    if (!zb->in)
        goto out;
    if (zmq_setsockopt(zb->in, ZMQ_SUBSCRIBE, &kind, 1) != 0 ||
        zmq_setsockopt(zb->in, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) != 0 ||
        zmq_setsockopt(zb->in, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo) != 0) {
        snprintf(err, errlen, "SUB options: %s", zmq_strerror(errno));
        goto out;
    }
    if (bus_curve_client(zb->in, cfg, err, errlen) < 0)
        goto out;
    /* The monitor first, so the first CONNECTED is seen too. */
    if (zmq_socket_monitor(zb->in, ZB_MONITOR_EP,
                           ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) != 0) {
        snprintf(err, errlen, "zmq_socket_monitor: %s", zmq_strerror(errno));
        goto out;
    }
    zb->mon = zmq_socket(zb->w->zctx, ZMQ_PAIR);
    if (!zb->mon || zmq_connect(zb->mon, ZB_MONITOR_EP) != 0) {
        snprintf(err, errlen, "monitor socket: %s", zmq_strerror(errno));
        goto out;
    }
    if (zmq_connect(zb->in, cfg->zmq_fanout) != 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", cfg->zmq_fanout,
                 zmq_strerror(errno));
        goto out;
    }
    rc = 0;
out:
    return rc;
}

struct zmq_bridge *zmq_bridge_new(struct wsd *w, char *err, size_t errlen)
{
    const struct pl_config *cfg = w->cfg;
    struct zmq_bridge *zb = xcalloc(1, sizeof *zb);

    zb->w = w;
    zb->fanout = cfg->zmq_fanout[0] != '\0';
    if (zb->fanout) {
        if (zb_open_fanout(zb, err, errlen) < 0)
            goto fail;
        goto out;
    }
    zb->in = zb_open(zb, ZMQ_PULL, ZB_INTAKE_RCVHWM, err, errlen);
    if (!zb->in)
        goto fail;
    if (zmq_bind(zb->in, cfg->zmq_events) != 0) {
        snprintf(err, errlen, "cannot bind %s: %s", cfg->zmq_events, zmq_strerror(errno));
        goto fail;
    }
    goto out;
fail:
    zmq_bridge_destroy(&zb);
out:
    return zb;
}

int zmq_bridge_attach(struct zmq_bridge *zb, struct lws_context *ctx, char *err,
                      size_t errlen)
{
    lws_sock_file_fd_type fd;
    struct lws_vhost *vh = lws_get_vhost_by_name(ctx, "default");
    int zfd, rc = -1;
    size_t sz = sizeof zfd;

    zb->lctx = ctx;
    if (!vh) {
        snprintf(err, errlen, "lws has no default vhost");
        goto out;
    }
    if (zmq_getsockopt(zb->in, ZMQ_FD, &zfd, &sz) != 0) {
        snprintf(err, errlen, "zmq_getsockopt(ZMQ_FD): %s", zmq_strerror(errno));
        goto out;
    }
    fd.filefd = dup(zfd);
    if (fd.filefd < 0) {
        snprintf(err, errlen, "dup(ZMQ_FD): %s", strerror(errno));
        goto out;
    }
    zb->raw = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd,
                                         zmq_bridge_protocol.name, NULL);
    if (!zb->raw) {
        /* lws closes the descriptor when adoption fails. */
        snprintf(err, errlen, "lws could not adopt the ZeroMQ descriptor");
        goto out;
    }
    lws_sul_schedule(zb->lctx, 0, &zb->tick, zb_tick, ZB_TICK_US);
    zb_drain(zb);
    rc = 0;
out:
    return rc;
}

void zmq_bridge_destroy(struct zmq_bridge **zbp)
{
    struct zmq_bridge *zb = zbp ? *zbp : NULL;

    if (!zb)
        return;
    if (zb->mon)
        zmq_close(zb->mon);
    if (zb->in)
        zmq_close(zb->in);
    free(zb);
    *zbp = NULL;
}

/* Follows publisher `pub`; a jump past seq + 1 means envelopes were lost
 * between it and us.  A publisher seen for the first time sets the base
 * (what came before is covered by the resync on (re)connection), unless
 * `resumed`: an API worker continuing a killed one's numbering
 * (fcgi-api/pubslot.h), whose earlier envelopes we never saw, so the last
 * of them may have died with it.  (They may also predate our connection;
 * one resync too many is harmless.) */
static void zb_track(struct zmq_bridge *zb, uint64_t pub, uint64_t seq, int resumed)
{
    struct zb_pub *p = NULL, *oldest = NULL;

    zb->uses++;
    for (size_t i = 0; i < zb->npubs; i++) {
        if (zb->pubs[i].id == pub) {
            p = &zb->pubs[i];
            break;
        }
        if (!oldest || zb->pubs[i].used < oldest->used)
            oldest = &zb->pubs[i];
    }
    if (!p) {
        p = zb->npubs < ZB_MAX_PUBS ? &zb->pubs[zb->npubs++] : oldest;
        p->id = pub;
        p->seq = seq;
        p->used = zb->uses;
        if (resumed && seq > 1) {
            log_warn("publisher %016" PRIx64 " resumed at %" PRIu64 " and never seen "
                     "before; clients will resync", pub, seq);
            zb_resync(zb, "gap");
        }
        return;
    }
    p->used = zb->uses;
    if (seq > p->seq + 1) {
        zb->w->m.bus_gaps += seq - p->seq - 1;
        log_warn("publisher %016" PRIx64 ": envelopes %" PRIu64 "..%" PRIu64
                 " never arrived; clients will resync", pub, p->seq + 1, seq - 1);
        zb_resync(zb, "gap");
    }
    if (seq > p->seq)
        p->seq = seq;
}

/* parts[0..nparts) are the first frames of one message; `extra` more were
 * discarded.  Accepted: [envelope] (standalone only, from older senders)
 * or [event header, envelope]. */
static void zb_handle(struct zmq_bridge *zb, zmq_msg_t *parts, int nparts, int extra)
{
    struct wsd *w = zb->w;
    struct event_env env;
    zmq_msg_t *body = &parts[nparts - 1];
    size_t len = zmq_msg_size(body);
    char err[160], kind = 0;
    uint64_t pub = 0, seq = 0;

    if (extra || (nparts == 2 && (bus_header_parse(zmq_msg_data(&parts[0]),
                                                   zmq_msg_size(&parts[0]), &kind,
                                                   &pub, &seq) < 0 ||
                                  kind != BUS_KIND_EVENT))) {
        snprintf(err, sizeof err, "multipart message");
    } else if (nparts == 1 && zb->fanout) {
        snprintf(err, sizeof err, "envelope without a bus header");
    } else if (event_decode(zmq_msg_data(body), len, &env, err, sizeof err) == 0) {
        if (nparts == 2)
            zb_track(zb, pub, seq, strcmp(env.type, BUS_RESUMED_TYPE) == 0);
        notes_repeat(w->notes, body);
        w->m.events_in++;
        log_debug("event %s seq %lld for %zu recipients", env.type, env.seq,
                  env.nrecips);
        wsd_proto_deliver(w, &env);
        event_env_clear(&env);
        goto out;
    }
    w->m.events_bad++;
    log_warn("dropped bad event envelope (%zu bytes): %s", len, err);
    notes_bad_envelope(w->notes, len, err);
out:
    return;
}

static void zb_drain(struct zmq_bridge *zb)
{
    for (int budget = ZB_DRAIN_BUDGET; budget > 0; budget--) {
        zmq_msg_t parts[2];
        int ev, more = 1, nparts = 0, extra = 0;
        size_t sz = sizeof ev;

        if (zmq_getsockopt(zb->in, ZMQ_EVENTS, &ev, &sz) != 0) {
            if (errno != ETERM)
                log_error("zmq_getsockopt(ZMQ_EVENTS): %s", zmq_strerror(errno));
            return;
        }
        if (!(ev & ZMQ_POLLIN))
            return;
        /* Keep the first two frames of the message, swallow the rest. */
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, zb->in, ZMQ_DONTWAIT) < 0) {
                int e = errno;
                zmq_msg_close(&m);
                if (nparts == 0 && (e == EAGAIN || e == EINTR))
                    break;
                if (e != ETERM && e != EAGAIN)
                    log_error("zmq_msg_recv: %s", zmq_strerror(e));
                for (int i = 0; i < nparts; i++)
                    zmq_msg_close(&parts[i]);
                return;
            }
            sz = sizeof more;
            if (zmq_getsockopt(zb->in, ZMQ_RCVMORE, &more, &sz) != 0)
                more = 0;
            if (nparts < 2)
                parts[nparts++] = m;
            else {
                extra++;
                zmq_msg_close(&m);
            }
        }
        if (nparts == 0)
            continue;
        zb_handle(zb, parts, nparts, extra);
        for (int i = 0; i < nparts; i++)
            zmq_msg_close(&parts[i]);
    }
    /* Budget spent with input possibly left: continue on the next loop turn,
     * after lws has serviced the sockets. */
    lws_sul_schedule(zb->lctx, 0, &zb->sul, zb_drain_later, 1);
}

static void zb_drain_later(lws_sorted_usec_list_t *sul)
{
    zb_drain(lws_container_of(sul, struct zmq_bridge, sul));
}

static void zb_resync(struct zmq_bridge *zb, const char *reason)
{
    if (!zb->resync_reason)
        zb->resync_reason = reason;
    zb_resync_flush(zb);
}

/* Sends the pending resync unless one went out less than
 * ZB_RESYNC_MIN_US ago (then the tick sends it later): a run of gaps
 * makes one resync, not one per envelope. */
static void zb_resync_flush(struct zmq_bridge *zb)
{
    char buf[96];
    lws_usec_t now = lws_now_usecs();
    int n;

    if (!zb->resync_reason || (zb->last_resync && now - zb->last_resync < ZB_RESYNC_MIN_US))
        return;
    n = snprintf(buf, sizeof buf, "{\"type\":\"resync\",\"reason\":\"%s\"}", zb->resync_reason);
    log_info("resync (%s) sent to %zu connections", zb->resync_reason,
             registry_nconns(zb->w->reg));
    wsd_proto_broadcast(zb->w, buf, (size_t)n);
    zb->w->m.resyncs++;
    zb->last_resync = now;
    zb->resync_reason = NULL;
}

/* Socket monitor events: 2 frames, (uint16 event, uint32 value) and the
 * endpoint.  Every CONNECTED may follow a gap (the first one too: clients
 * may have arrived before it), so it asks for a resync. */
static void zb_monitor(struct zmq_bridge *zb)
{
    for (;;) {
        zmq_msg_t a, b;
        uint16_t event = 0;

        zmq_msg_init(&a);
        if (zmq_msg_recv(&a, zb->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&a);
            return;
        }
        if (zmq_msg_size(&a) >= 2)
            memcpy(&event, zmq_msg_data(&a), 2);
        zmq_msg_close(&a);
        zmq_msg_init(&b);
        zmq_msg_recv(&b, zb->mon, ZMQ_DONTWAIT);
        if (event == ZMQ_EVENT_DISCONNECTED) {
            log_warn("lost the forwarder at %.*s; reconnecting", (int)zmq_msg_size(&b),
                     (const char *)zmq_msg_data(&b));
        } else if (event == ZMQ_EVENT_CONNECTED) {
            log_info("connected to the forwarder at %.*s", (int)zmq_msg_size(&b),
                     (const char *)zmq_msg_data(&b));
            zb_resync(zb, "bus_reconnect");
        }
        zmq_msg_close(&b);
    }
}

static void zb_tick(lws_sorted_usec_list_t *sul)
{
    struct zmq_bridge *zb = lws_container_of(sul, struct zmq_bridge, tick);

    if (zb->mon)
        zb_monitor(zb);
    zb_resync_flush(zb);
    lws_sul_schedule(zb->lctx, 0, &zb->tick, zb_tick, ZB_TICK_US);
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
