/* wsd_proto.c -- the lws protocol callback: auth, fan-out, ping, metrics
 * (who may connect at all is admit.c's).
 *
 * Why it is built this way:
 *  - The upgrade is accepted first and the token checked in ESTABLISHED, so a
 *    refused client gets a real close frame with code 4001 and a reason (a
 *    browser cannot see HTTP statuses of a failed upgrade, only 1006).
 *  - Per-connection state (struct wsd_conn, the lws pss) is about a hundred
 *    bytes: the registry link, an outq that allocates nothing while idle, and
 *    pointers to buffers that exist only while in use.  lws itself gets a
 *    1 KiB rx buffer because client frames are tiny.
 *  - An event frame for a connection with nothing waiting is written at
 *    once (wsd_write_now); anything else goes to the connection's queue,
 *    written from SERVER_WRITEABLE, one lws_write per callback, re-arming
 *    while the queue is non-empty.  lws keeps any part of a frame the
 *    kernel refused and delivers no WRITEABLE until it is flushed, so a
 *    reader that stalls makes its queue grow; past
 *    ws_queue_max the queue is dropped and the socket closed with 1008 (the
 *    page then resyncs over REST).  If the socket is so stuck that even the
 *    close frame cannot go out, a timeout kills it.
 *  - One frame is built per distinct payload: recipients without unread
 *    counts share one buffer, and all tabs of a user share that user's
 *    buffer (outq frames are reference-counted). */
#include "wsd_proto.h"

#include "admit.h"
#include "client_frame.h"
#include "jsonx.h"
#include "jwt.h"
#include "keepalive.h"
#include "log.h"
#include "notes.h"
#include "outq.h"
#include "registry.h"
#include "xmem.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WSD_RX_BUFFER 1024       /* lws rx chunk, allocated per connection */
#define WSD_TX_PACKET (EVENT_MAX_BYTES + 1024) /* one send() per frame */
#define WSD_SLOW_KILL_SECS 5     /* grace for a 1008 close frame to get out */

struct wsd_conn {
    struct registry_conn reg;    /* in the user's list once authenticated */
    struct outq q;               /* frames waiting for WRITEABLE */
    struct lws *wsi;
    unsigned char *rx;           /* reassembly of a fragmented message */
    unsigned char *http_body;    /* /metrics body (LWS_PRE headroom) */
    uint32_t http_len;
    const char *close_reason;    /* static text for close_code, or NULL */
    long long sid;               /* the token's session (0: none) */
    struct lws_dll2 ka;          /* our slot on the keepalive wheel */
    long long exp;               /* the token's exp (0 once its timer is set) */
    uint32_t since;              /* monotonic s when established */
    uint32_t heard;              /* monotonic s of the last pong or frame */
    uint32_t ping_at;            /* monotonic s of an unanswered ping, or 0 */
    uint8_t ping_due;            /* a ping waits for WRITEABLE */
    uint16_t rxlen;
    uint16_t close_code;         /* sent or received close code */
    uint8_t closing;             /* server close pending in WRITEABLE */
    uint8_t drain_close;         /* close once the queue is written */
    uint8_t addr_counted;        /* addr holds one of registry's counts */
    uint8_t rx_binary;
    char addr[REGISTRY_ADDR_MAX];   /* client address, for the per-address cap */
};

static int wsd_proto_callback(struct lws *wsi, enum lws_callback_reasons reason,
                              void *user, void *in, size_t len);
static int wsd_close(struct lws *wsi, struct wsd_conn *c, uint16_t code,
                     const char *reason);
static const char *wsd_close_text(uint16_t code);
static void wsd_expiry_timer(const struct wsd *w, struct wsd_conn *c);
static void wsd_queue(struct wsd *w, struct wsd_conn *c, struct outq_frame *f);
static int wsd_write_now(struct wsd *w, struct wsd_conn *c, struct outq_frame *f);
static void wsd_send(struct wsd *w, struct wsd_conn *c, struct outq_frame *f);
/* An event frame: written at once when it can be, else queued. */
static void wsd_send(struct wsd *w, struct wsd_conn *c, struct outq_frame *f)
{
    if (c->closing || c->drain_close || !wsd_write_now(w, c, f))
        wsd_queue(w, c, f);
}

static void wsd_queue_text(struct wsd *w, struct wsd_conn *c, const char *text,
                           size_t len);
static void wsd_send_error(struct wsd *w, struct wsd_conn *c, const char *msg);
static int wsd_on_established(struct wsd *w, struct lws *wsi, struct wsd_conn *c);
static int wsd_on_receive(struct wsd *w, struct lws *wsi, struct wsd_conn *c,
                          const unsigned char *in, size_t len);
static void wsd_on_message(struct wsd *w, struct wsd_conn *c,
                           const unsigned char *msg, size_t len);
static int wsd_on_writeable(struct wsd *w, struct lws *wsi, struct wsd_conn *c);
static void wsd_on_closed(struct wsd *w, struct wsd_conn *c);
static void wsd_end_after_drain(struct wsd_conn *c, const char *reason);
static void wsd_revoke(struct wsd *w, const struct event_env *env);
static int wsd_http_request(struct wsd *w, struct lws *wsi, struct wsd_conn *c,
                            const char *path);
static int wsd_http_writeable(struct lws *wsi, struct wsd_conn *c);

const struct lws_protocols wsd_proto_protocol = {
    .name = "parley",
    .callback = wsd_proto_callback,
    .per_session_data_size = sizeof(struct wsd_conn),
    .rx_buffer_size = WSD_RX_BUFFER,
    /* 0 would also cap each send() at rx_buffer_size and make lws copy the
     * rest of every larger frame into a side buffer. */
    .tx_packet_size = WSD_TX_PACKET,
};

static const char *wsd_close_text(uint16_t code)
{
    switch (code) {
    case WSD_CLOSE_SLOW: return "slow consumer";
    case WSD_CLOSE_TOO_BIG: return "frame too big";
    case WSD_CLOSE_TOO_MANY: return "too many connections";
    case WSD_CLOSE_AUTH: return "session ended";
    default: return "closing";
    }
}

/* Records the code, puts the close frame in place and returns -1 so lws
 * sends it and closes.  Only valid from this wsi's own callback. */
static int wsd_close(struct lws *wsi, struct wsd_conn *c, uint16_t code,
                     const char *reason)
{
    c->close_code = code;
    lws_close_reason(wsi, (enum lws_close_status)code,
                     (unsigned char *)(uintptr_t)reason, strlen(reason));
    return -1;
}

/* The fan-out's fast path: a frame for an authenticated connection with
 * nothing waiting (our queue empty, no part of an earlier frame held by
 * lws) is written at once instead of queued behind a WRITEABLE callback.
 * That saves, per recipient, arming and disarming POLLOUT and a service
 * turn over every descriptor, and the first frames leave while the rest are
 * still being built.  lws 4.1 permits it for a plain (no TLS, no HTTP/2)
 * WebSocket: lws_write() keeps whatever the kernel refuses in the
 * connection's own buffer and asks for WRITEABLE itself, and from then on
 * lws_partial_buffered() sends later frames here to the queue, so the order
 * and the backpressure rules are unchanged.  Returns 1 if the frame was
 * taken care of, 0 if it must be queued. */
static int wsd_write_now(struct wsd *w, struct wsd_conn *c, struct outq_frame *f)
{
    int n;

    if (!c->reg.user || c->q.count || c->close_code || lws_partial_buffered(c->wsi))
        return 0;
    n = lws_write(c->wsi, outq_frame_data(f), f->len, LWS_WRITE_TEXT);
    if (n < (int)f->len) {
        /* Not in this connection's callback: it cannot return -1, so lws
         * is asked to close it on its next service turn. */
        log_warn("user %lld: write failed, closing", registry_conn_user(&c->reg));
        c->closing = 1;
        w->m.frames_dropped++;
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return 1;
    }
    w->m.frames_out++;
    return 1;
}

static void wsd_queue(struct wsd *w, struct wsd_conn *c, struct outq_frame *f)
{
    size_t dropped;

    if (c->closing || c->drain_close) {
        w->m.frames_dropped++;
        return;
    }
    if (outq_push(&c->q, f, (size_t)w->cfg->ws_queue_max) == 0) {
        w->queue_bytes += f->len;
        lws_callback_on_writable(c->wsi);
        return;
    }
    log_warn("user %lld: slow consumer with %zu bytes queued, closing %d",
             registry_conn_user(&c->reg), c->q.bytes, WSD_CLOSE_SLOW);
    w->queue_bytes -= c->q.bytes;
    dropped = outq_clear(&c->q);
    w->m.frames_dropped += dropped + 1;
    w->m.slow_closes++;
    c->closing = 1;
    c->close_code = WSD_CLOSE_SLOW;
    /* The close frame goes out from WRITEABLE; a socket too jammed to ever
     * become writeable is killed when this timeout expires. */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, WSD_SLOW_KILL_SECS);
    lws_callback_on_writable(c->wsi);
}

static void wsd_queue_text(struct wsd *w, struct wsd_conn *c, const char *text,
                           size_t len)
{
    struct outq_frame *f = outq_frame_text(text, len, LWS_PRE);
    wsd_queue(w, c, f);
    outq_frame_unref(&f);
}

/* {"type":"error","error":{"code":"bad_frame","message":msg}}, built with
 * json-c so that any text in msg is escaped. */
static void wsd_send_error(struct wsd *w, struct wsd_conn *c, const char *msg)
{
    json_object *root = json_object_new_object();
    json_object *e = json_object_new_object();
    const char *s;

    jsonx_add(e, "code", json_object_new_string("bad_frame"));
    jsonx_add(e, "message", json_object_new_string(msg));
    jsonx_add(root, "type", json_object_new_string("error"));
    jsonx_add(root, "error", e);
    s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    wsd_queue_text(w, c, s, strlen(s));
    json_object_put(root);
}

void wsd_proto_deliver(struct wsd *w, const struct event_env *env)
{
    struct outq_frame *shared = NULL;

    if (strcmp(env->type, "session_revoked") == 0) {
        wsd_revoke(w, env);
        return;
    }
    for (size_t i = 0; i < env->nrecips; i++) {
        const struct event_recipient *r = &env->recips[i];
        struct registry_conn *rc = registry_find(w->reg, r->user_id);
        struct outq_frame *f;
        size_t len;

        if (!rc)
            continue;   /* offline: the database is the record */
        if (r->has_unread) {
            unsigned char *buf = event_frame(env, i, LWS_PRE, &len);
            f = outq_frame_wrap(buf, LWS_PRE, len);
        } else {
            if (!shared) {
                unsigned char *buf = event_frame(env, i, LWS_PRE, &len);
                shared = outq_frame_wrap(buf, LWS_PRE, len);
            }
            f = outq_frame_ref(shared);
        }
        for (; rc; rc = rc->next)
            wsd_send(w, lws_container_of(rc, struct wsd_conn, reg), f);
        outq_frame_unref(&f);
    }
    outq_frame_unref(&shared);
}

struct wsd_bcast {
    struct wsd *w;
    struct outq_frame *f;
};

static void wsd_bcast_one(struct registry_conn *rc, void *arg)
{
    struct wsd_bcast *b = arg;
    wsd_send(b->w, lws_container_of(rc, struct wsd_conn, reg), b->f);
}

void wsd_proto_broadcast(struct wsd *w, const char *data, size_t len)
{
    struct wsd_bcast b = { w, outq_frame_text(data, len, LWS_PRE) };

    registry_each(w->reg, wsd_bcast_one, &b);
    outq_frame_unref(&b.f);
}

/* Sends what is queued, then closes with 4001 and `reason`.  A socket too
 * stuck to drain is killed when the timeout expires. */
static void wsd_end_after_drain(struct wsd_conn *c, const char *reason)
{
    if (c->closing || c->drain_close)
        return;
    c->drain_close = 1;
    c->close_code = WSD_CLOSE_AUTH;
    c->close_reason = reason;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, WSD_SLOW_KILL_SECS);
    lws_callback_on_writable(c->wsi);
}

/* session_revoked: the event goes to the matching sockets of each recipient,
 * which then close with 4001.  `session_id` names one session (0: the
 * user's tokens from before sessions); `all` means every socket but those
 * of `except_session_id`. */
static void wsd_revoke(struct wsd *w, const struct event_env *env)
{
    json_object *ev = NULL, *v;
    long long sid = -1, keep = -1;
    int all = 0;

    if (!json_object_object_get_ex(env->root, "event", &ev) ||
        jsonx_get_bool(ev, "all", &all) != 1 ||
        (!all && jsonx_get_int64(ev, "session_id", &sid) != 1)) {
        w->m.events_bad++;
        log_warn("session_revoked without session_id or all: dropped");
        return;
    }
    if (all && json_object_object_get_ex(ev, "except_session_id", &v) && v &&
        jsonx_get_int64(ev, "except_session_id", &keep) != 1) {
        w->m.events_bad++;
        return;
    }
    for (size_t i = 0; i < env->nrecips; i++) {
        struct registry_conn *rc = registry_find(w->reg, env->recips[i].user_id);
        struct outq_frame *f = NULL;
        size_t n = 0, len;
        long long now = (long long)time(NULL);

        /* Remembered until every token of the session has expired, so the
         * token cannot open a new socket here either. */
        if (all)
            registry_revoke_all(w->reg, env->recips[i].user_id, now, keep,
                                now + w->cfg->token_ttl);
        else
            registry_revoke_session(w->reg, env->recips[i].user_id, sid,
                                    now + w->cfg->token_ttl);

        for (; rc; rc = rc->next) {
            struct wsd_conn *c = lws_container_of(rc, struct wsd_conn, reg);
            if (all ? c->sid == keep : c->sid != sid)
                continue;
            if (!f) {
                unsigned char *buf = event_frame(env, i, LWS_PRE, &len);
                f = outq_frame_wrap(buf, LWS_PRE, len);
            }
            wsd_queue(w, c, f);
            wsd_end_after_drain(c, "session ended");
            n++;
        }
        outq_frame_unref(&f);
        if (n)
            log_info("user %lld: session revoked, closing %zu connection%s (%d)",
                     env->recips[i].user_id, n, n == 1 ? "" : "s", WSD_CLOSE_AUTH);
    }
}

static int wsd_on_established(struct wsd *w, struct lws *wsi, struct wsd_conn *c)
{
    char tok[JWT_MAX_LEN + 16], shown[9], buf[192];
    const char *t;
    struct jwt_claims cl;
    enum jwt_status st;
    size_t i;
    int n;

    c->wsi = wsi;
    c->since = c->heard = ka_now();
    admit_client_addr(w, wsi, c->addr, sizeof c->addr);
    if (registry_addr_add(w->reg, c->addr, (size_t)w->cfg->ws_max_conns_per_addr) < 0) {
        log_warn("connection from %s refused: over ws_max_conns_per_addr (%d)", c->addr,
                 WSD_CLOSE_TOO_MANY);
        return wsd_close(wsi, c, WSD_CLOSE_TOO_MANY, "too many connections from this address");
    }
    c->addr_counted = 1;
    t = lws_get_urlarg_by_name(wsi, "token=", tok, (int)sizeof tok);
    if (!t || !*t) {
        w->m.auth_failures++;
        log_info("connection refused: missing token (%d)", WSD_CLOSE_AUTH);
        return wsd_close(wsi, c, WSD_CLOSE_AUTH, "missing token");
    }
    /* Never log a whole token; and the prefix is attacker-chosen text. */
    for (i = 0; i < 8 && t[i]; i++)
        shown[i] = (t[i] >= 0x21 && t[i] <= 0x7e) ? t[i] : '?';
    shown[i] = '\0';
    log_info("connection attempt token=%s\xe2\x80\xa6", shown);

    st = jwt_verify(t, strlen(t), w->cfg->jwt_secret, strlen(w->cfg->jwt_secret),
                    (long long)time(NULL), &cl);
    if (st != JWT_OK) {
        w->m.auth_failures++;
        log_info("connection refused: %s (%d)", jwt_status_str(st), WSD_CLOSE_AUTH);
        return wsd_close(wsi, c, WSD_CLOSE_AUTH, jwt_status_str(st));
    }
    if (registry_is_revoked(w->reg, cl.sub, cl.sid, cl.iat, (long long)time(NULL))) {
        w->m.auth_failures++;
        log_info("connection refused: session ended (%d)", WSD_CLOSE_AUTH);
        return wsd_close(wsi, c, WSD_CLOSE_AUTH, "session ended");
    }
    c->sid = cl.sid;
    /* The token is only good until exp: close then (TIMER), not only refuse
     * it at the next connect.  The lws timer is set only once exp is near
     * (wsd_expiry_timer): lws keeps timers in one sorted list walked on
     * every insert, and an hour-long timer per connection would lengthen
     * every other insert's walk. */
    c->exp = cl.exp;
    wsd_expiry_timer(w, c);
    n = registry_add(w->reg, cl.sub, &c->reg, (size_t)w->cfg->ws_max_conns_per_user);
    if (n < 0) {
        log_warn("user %lld refused: already %ld connections (%d)", cl.sub,
                 w->cfg->ws_max_conns_per_user, WSD_CLOSE_TOO_MANY);
        return wsd_close(wsi, c, WSD_CLOSE_TOO_MANY, wsd_close_text(WSD_CLOSE_TOO_MANY));
    }
    log_info("user %lld connected (total connections: %zu)", cl.sub,
             registry_nconns(w->reg));
    ka_schedule(w->ka, &c->ka, c->since + (uint32_t)w->cfg->ws_ping_secs);

    /* jwt_verify accepts only [A-Za-z0-9_.-] usernames: no escaping needed. */
    n = snprintf(buf, sizeof buf, "{\"type\":\"connected\",\"user_id\":%lld,\"username\":\"%s\"}",
                 cl.sub, cl.username);
    wsd_queue_text(w, c, buf, (size_t)n);
    n = snprintf(buf, sizeof buf, "{\"type\":\"ws_connect\",\"user_id\":%lld,\"connections\":%zu}",
                 cl.sub, registry_user_conns(w->reg, cl.sub));
    notes_publish(w->notes, buf, (size_t)n);
    return 0;
}

static int wsd_on_receive(struct wsd *w, struct lws *wsi, struct wsd_conn *c,
                          const unsigned char *in, size_t len)
{
    int final = lws_is_final_fragment(wsi);
    size_t total = (size_t)c->rxlen + len + lws_remaining_packet_payload(wsi);

    if (!c->reg.user)
        return 0;   /* refused in ESTABLISHED, close under way */
    if (total > WSD_PROTO_RX_MAX) {
        log_info("user %lld: client frame over %d bytes, closing %d",
                 registry_conn_user(&c->reg), WSD_PROTO_RX_MAX, WSD_CLOSE_TOO_BIG);
        return wsd_close(wsi, c, WSD_CLOSE_TOO_BIG, wsd_close_text(WSD_CLOSE_TOO_BIG));
    }
    if (c->rxlen == 0 && !c->rx)
        c->rx_binary = (uint8_t)lws_frame_is_binary(wsi);
    if (final && c->rxlen == 0) {
        wsd_on_message(w, c, in, len);   /* the common case: no copy */
        return 0;
    }
    if (!c->rx)
        c->rx = xmalloc(WSD_PROTO_RX_MAX);
    memcpy(c->rx + c->rxlen, in, len);
    c->rxlen = (uint16_t)(c->rxlen + len);
    if (!final)
        return 0;
    wsd_on_message(w, c, c->rx, c->rxlen);
    free(c->rx);
    c->rx = NULL;
    c->rxlen = 0;
    return 0;
}

/* One complete client message.  Anything but {"type":"ping"} gets an error
 * event and is otherwise ignored. */
static void wsd_on_message(struct wsd *w, struct wsd_conn *c,
                           const unsigned char *msg, size_t len)
{
    static const char pong[] = "{\"type\":\"pong\"}";
    char why[128];

    if (client_frame_classify(msg, len, c->rx_binary, why, sizeof why) == CLIENT_FRAME_PING)
        wsd_queue_text(w, c, pong, sizeof pong - 1);
    else
        wsd_send_error(w, c, why);
}

static int wsd_on_writeable(struct wsd *w, struct lws *wsi, struct wsd_conn *c)
{
    struct outq_frame *f;
    int n;

    if (c->closing || (c->drain_close && !c->q.count))
        return wsd_close(wsi, c, c->close_code,
                         c->close_reason ? c->close_reason : wsd_close_text(c->close_code));
    if (c->ping_due) {
        /* One byte of payload: lws 4.1 passes an empty pong to no callback,
         * and the peer echoes the byte back in its pong. */
        unsigned char ping[LWS_PRE + 1];

        c->ping_due = 0;
        ping[LWS_PRE] = 'k';
        if (lws_write(wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 0) {
            log_warn("user %lld: ping write failed, closing", registry_conn_user(&c->reg));
            return -1;
        }
        if (c->q.count)
            lws_callback_on_writable(wsi);
        return 0;
    }
    f = outq_pop(&c->q);
    if (!f)
        return 0;
    w->queue_bytes -= f->len;
    n = lws_write(wsi, outq_frame_data(f), f->len, LWS_WRITE_TEXT);
    if (n < (int)f->len) {
        log_warn("user %lld: write failed, closing", registry_conn_user(&c->reg));
        outq_frame_unref(&f);
        return -1;
    }
    w->m.frames_out++;
    outq_frame_unref(&f);
    if (c->q.count || c->drain_close)
        lws_callback_on_writable(wsi);
    return 0;
}

static void wsd_on_closed(struct wsd *w, struct wsd_conn *c)
{
    long long uid = registry_conn_user(&c->reg);
    char buf[128];
    uint32_t now;
    size_t left;
    int n;

    ka_remove(&c->ka);

    w->queue_bytes -= c->q.bytes;
    w->m.frames_dropped += outq_clear(&c->q);
    free(c->rx);
    c->rx = NULL;
    c->rxlen = 0;
    if (c->addr_counted) {
        registry_addr_remove(w->reg, c->addr);
        c->addr_counted = 0;
    }
    if (!uid)
        return;
    left = registry_remove(w->reg, &c->reg);
    if (!c->close_code)
        c->close_code = 1006;   /* dropped without a close frame */
    /* A drop without a close frame says when the peer was last heard. */
    now = ka_now();
    if (c->close_code == 1006)
        log_info("user %lld disconnected (code 1006 after %us, heard %us ago, total "
                 "connections: %zu)", uid, (unsigned)(now - c->since),
                 (unsigned)(now - c->heard), registry_nconns(w->reg));
    else
        log_info("user %lld disconnected (code %u, total connections: %zu)", uid,
                 (unsigned)c->close_code, registry_nconns(w->reg));
    n = snprintf(buf, sizeof buf,
                 "{\"type\":\"ws_disconnect\",\"user_id\":%lld,\"code\":%u,\"connections\":%zu}",
                 uid, (unsigned)c->close_code, left);
    notes_publish(w->notes, buf, (size_t)n);
}

static int wsd_http_request(struct wsd *w, struct lws *wsi, struct wsd_conn *c,
                            const char *path)
{
    unsigned char hdr[LWS_PRE + 256], *start = hdr + LWS_PRE, *p = start;
    unsigned char *end = hdr + sizeof hdr - 1;
    struct metrics_gauges g;
    char body[4096];
    int n;

    if (strcmp(path, "/metrics") != 0 || !c) {
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
        if (lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL))
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    g.connections = registry_nconns(w->reg);
    g.users = registry_nusers(w->reg);
    g.queue_bytes = w->queue_bytes;
    n = metrics_render(&w->m, &g, body, sizeof body);
    if (n < 0) {
        log_error("metrics text does not fit in %zu bytes", sizeof body);
        return -1;
    }
    free(c->http_body);
    c->http_body = xmalloc(LWS_PRE + (size_t)n);
    memcpy(c->http_body + LWS_PRE, body, (size_t)n);
    c->http_len = (uint32_t)n;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4",
                                    (lws_filepos_t)n, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int wsd_http_writeable(struct lws *wsi, struct wsd_conn *c)
{
    int n;

    if (!c || !c->http_body)
        return 0;
    n = lws_write(wsi, c->http_body + LWS_PRE, c->http_len, LWS_WRITE_HTTP_FINAL);
    free(c->http_body);
    c->http_body = NULL;
    if (n < (int)c->http_len)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Arms the lws timer that closes the socket at the token's exp, once exp is
 * within the wheel's reach (every connection is visited at least every
 * ws_ping_secs or WSD_PONG_SECS seconds, so the timer is always set in
 * time). */
static void wsd_expiry_timer(const struct wsd *w, struct wsd_conn *c)
{
    long long left, reach = WSD_PONG_SECS + 2;

    if (!c->exp)
        return;
    if (w->cfg->ws_ping_secs + 2 > reach)
        reach = w->cfg->ws_ping_secs + 2;
    left = c->exp - (long long)time(NULL);
    if (left > reach)
        return;
    lws_set_timer_usecs(c->wsi, (lws_usec_t)(left > 0 ? left : 0) * LWS_US_PER_SEC);
    c->exp = 0;
}

/* One connection's turn on the wheel: ping it after ws_ping_secs of quiet
 * (nothing heard: no frame, no pong), drop it when a ping stays unanswered
 * for WSD_PONG_SECS, and put it back for its next turn. */
void wsd_proto_keepalive(struct lws_dll2 *link, void *arg)
{
    struct wsd *w = arg;
    struct wsd_conn *c = lws_container_of(link, struct wsd_conn, ka);
    uint32_t now = ka_now(), quiet = (uint32_t)w->cfg->ws_ping_secs;

    if (c->closing || c->drain_close)
        return;   /* a close is under way, with its own timeout */
    wsd_expiry_timer(w, c);
    if (c->ping_at && (int32_t)(c->heard - c->ping_at) < 0) {
        if (now - c->ping_at >= WSD_PONG_SECS) {
            log_info("user %lld: no pong %us after a ping, dropping",
                     registry_conn_user(&c->reg), (unsigned)(now - c->ping_at));
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            return;
        }
        ka_schedule(w->ka, link, c->ping_at + WSD_PONG_SECS);
        return;
    }
    c->ping_at = 0;
    if (now - c->heard >= quiet) {
        c->ping_at = now;
        c->ping_due = 1;
        lws_callback_on_writable(c->wsi);
        ka_schedule(w->ka, link, now + WSD_PONG_SECS);
        return;
    }
    ka_schedule(w->ka, link, c->heard + quiet);
}

static int wsd_proto_callback(struct lws *wsi, enum lws_callback_reasons reason,
                              void *user, void *in, size_t len)
{
    struct wsd *w = lws_context_user(lws_get_context(wsi));
    struct wsd_conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return admit_accept(w, (int)(lws_intptr_t)in);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return admit_upgrade(w, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        return wsd_on_established(w, wsi, c);
    case LWS_CALLBACK_RECEIVE:
        c->heard = ka_now();
        return wsd_on_receive(w, wsi, c, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        c->heard = ka_now();
        /* Answered: next ping after ws_ping_secs of quiet from now. */
        if (c->ping_at && c->ka.owner) {
            c->ping_at = 0;
            ka_schedule(w->ka, &c->ka, c->heard + (uint32_t)w->cfg->ws_ping_secs);
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return wsd_on_writeable(w, wsi, c);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const unsigned char *b = in;
            c->close_code = (uint16_t)(b[0] << 8 | b[1]);
        } else {
            c->close_code = 1005;   /* close frame without a status */
        }
        return 0;
    case LWS_CALLBACK_TIMER:
        /* The token's exp has passed. */
        if (c && c->reg.user) {
            log_info("user %lld: token expired, closing %d", registry_conn_user(&c->reg),
                     WSD_CLOSE_AUTH);
            wsd_end_after_drain(c, "token expired");
        }
        return 0;
    case LWS_CALLBACK_CLOSED:
        wsd_on_closed(w, c);
        return 0;
    case LWS_CALLBACK_HTTP:
        return wsd_http_request(w, wsi, c, in ? (const char *)in : "");
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return wsd_http_writeable(wsi, c);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (c) {
            free(c->http_body);
            c->http_body = NULL;
        }
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}
