/* wsd_proto.c -- the lws protocol callback: auth, fan-out, ping, metrics.
 *
 * Why it is built this way:
 *  - The upgrade is accepted first and the token checked in ESTABLISHED, so a
 *    refused client gets a real close frame with code 4001 and a reason (a
 *    browser cannot see HTTP statuses of a failed upgrade, only 1006).
 *  - Per-connection state (struct wsd_conn, the lws pss) is about a hundred
 *    bytes: the registry link, an outq that allocates nothing while idle, and
 *    pointers to buffers that exist only while in use.  lws itself gets a
 *    1 KiB rx buffer because client frames are tiny.
 *  - Frames are written only from SERVER_WRITEABLE, one lws_write per
 *    callback, re-arming while the queue is non-empty.  lws keeps any part
 *    of a frame the kernel refused and delivers no WRITEABLE until it is
 *    flushed, so a reader that stalls makes its queue grow; past
 *    ws_queue_max the queue is dropped and the socket closed with 1008 (the
 *    page then resyncs over REST).  If the socket is so stuck that even the
 *    close frame cannot go out, a timeout kills it.
 *  - One frame is built per distinct payload: recipients without unread
 *    counts share one buffer, and all tabs of a user share that user's
 *    buffer (outq frames are reference-counted). */
#include "wsd_proto.h"

#include "client_frame.h"
#include "jsonx.h"
#include "jwt.h"
#include "log.h"
#include "origin.h"
#include "outq.h"
#include "registry.h"
#include "xmem.h"
#include "zmq_bridge.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WSD_RX_BUFFER 1024       /* lws rx chunk, allocated per connection */
#define WSD_TX_PACKET (EVENT_MAX_BYTES + 1024) /* one send() per frame */
#define WSD_SLOW_KILL_SECS 5     /* grace for a 1008 close frame to get out */
#define WSD_PATH "/ws"

struct wsd_conn {
    struct registry_conn reg;    /* in the user's list once authenticated */
    struct outq q;               /* frames waiting for WRITEABLE */
    struct lws *wsi;
    unsigned char *rx;           /* reassembly of a fragmented message */
    unsigned char *http_body;    /* /metrics body (LWS_PRE headroom) */
    uint32_t http_len;
    uint16_t rxlen;
    uint16_t close_code;         /* sent or received close code */
    uint8_t closing;             /* server close pending in WRITEABLE */
    uint8_t rx_binary;
};

static int wsd_proto_callback(struct lws *wsi, enum lws_callback_reasons reason,
                              void *user, void *in, size_t len);
static int wsd_close(struct lws *wsi, struct wsd_conn *c, uint16_t code,
                     const char *reason);
static const char *wsd_close_text(uint16_t code);
static void wsd_queue(struct wsd *w, struct wsd_conn *c, struct outq_frame *f);
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
static int wsd_confirm_upgrade(struct wsd *w, struct lws *wsi);
static int wsd_http_refuse(struct lws *wsi, unsigned status, const char *body);
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

static void wsd_queue(struct wsd *w, struct wsd_conn *c, struct outq_frame *f)
{
    size_t dropped;

    if (c->closing) {
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
            wsd_queue(w, lws_container_of(rc, struct wsd_conn, reg), f);
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
    wsd_queue(b->w, lws_container_of(rc, struct wsd_conn, reg), b->f);
}

void wsd_proto_broadcast(struct wsd *w, const char *data, size_t len)
{
    struct wsd_bcast b = { w, outq_frame_text(data, len, LWS_PRE) };

    registry_each(w->reg, wsd_bcast_one, &b);
    outq_frame_unref(&b.f);
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
    n = registry_add(w->reg, cl.sub, &c->reg, (size_t)w->cfg->ws_max_conns_per_user);
    if (n < 0) {
        log_warn("user %lld refused: already %ld connections (%d)", cl.sub,
                 w->cfg->ws_max_conns_per_user, WSD_CLOSE_TOO_MANY);
        return wsd_close(wsi, c, WSD_CLOSE_TOO_MANY, wsd_close_text(WSD_CLOSE_TOO_MANY));
    }
    log_info("user %lld connected (total connections: %zu)", cl.sub,
             registry_nconns(w->reg));

    /* jwt_verify accepts only [A-Za-z0-9_.-] usernames: no escaping needed. */
    n = snprintf(buf, sizeof buf, "{\"type\":\"connected\",\"user_id\":%lld,\"username\":\"%s\"}",
                 cl.sub, cl.username);
    wsd_queue_text(w, c, buf, (size_t)n);
    n = snprintf(buf, sizeof buf, "{\"type\":\"ws_connect\",\"user_id\":%lld,\"connections\":%zu}",
                 cl.sub, registry_user_conns(w->reg, cl.sub));
    zmq_bridge_publish(w->zb, buf, (size_t)n);
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

    if (c->closing)
        return wsd_close(wsi, c, c->close_code, wsd_close_text(c->close_code));
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
    if (c->q.count)
        lws_callback_on_writable(wsi);
    return 0;
}

static void wsd_on_closed(struct wsd *w, struct wsd_conn *c)
{
    long long uid = registry_conn_user(&c->reg);
    char buf[128];
    size_t left;
    int n;

    w->queue_bytes -= c->q.bytes;
    w->m.frames_dropped += outq_clear(&c->q);
    free(c->rx);
    c->rx = NULL;
    c->rxlen = 0;
    if (!uid)
        return;
    left = registry_remove(w->reg, &c->reg);
    if (!c->close_code)
        c->close_code = 1006;   /* dropped without a close frame */
    log_info("user %lld disconnected (code %u, total connections: %zu)", uid,
             (unsigned)c->close_code, registry_nconns(w->reg));
    n = snprintf(buf, sizeof buf,
                 "{\"type\":\"ws_disconnect\",\"user_id\":%lld,\"code\":%u,\"connections\":%zu}",
                 uid, (unsigned)c->close_code, left);
    zmq_bridge_publish(w->zb, buf, (size_t)n);
}

/* Writes a small JSON error response before the upgrade and returns 1 so lws
 * closes the connection.  STACK.md 4: this is the way to get an HTTP status
 * to the client (returning nonzero elsewhere only hangs up). */
static int wsd_http_refuse(struct lws *wsi, unsigned status, const char *body)
{
    unsigned char hdr[LWS_PRE + 256], *start = hdr + LWS_PRE, *p = start;
    unsigned char *end = hdr + sizeof hdr - 1;
    unsigned char out[LWS_PRE + 256];
    size_t blen = strlen(body);

    if (blen > sizeof out - LWS_PRE)
        return 1;
    memcpy(out + LWS_PRE, body, blen);
    if (lws_add_http_common_headers(wsi, status, "application/json", blen, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_write(wsi, out + LWS_PRE, blen, LWS_WRITE_HTTP_FINAL);
    return 1;
}

static int wsd_confirm_upgrade(struct wsd *w, struct lws *wsi)
{
    char uri[64], origin[256];
    const char *o = NULL;
    int n;

    if (lws_hdr_copy(wsi, uri, (int)sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
        strcmp(uri, WSD_PATH) != 0)
        return wsd_http_refuse(wsi, HTTP_STATUS_NOT_FOUND,
                               "{\"error\":{\"code\":\"not_found\",\"message\":\"WebSocket is at /ws\"}}");
    n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
    if (n > 0) {
        /* An origin too long for the buffer cannot be on any sane list. */
        if (n < (int)sizeof origin &&
            lws_hdr_copy(wsi, origin, (int)sizeof origin, WSI_TOKEN_ORIGIN) > 0)
            o = origin;
        else
            o = "";
    }
    /* Past the descriptor budget, say so at once (the client backs off and
     * retries) rather than leave the socket waiting in the accept queue. */
    if (w->max_conns && registry_nconns(w->reg) >= w->max_conns) {
        log_warn("upgrade refused: %zu connections, the most this daemon's open-file limit allows",
                 registry_nconns(w->reg));
        return wsd_http_refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE,
                               "{\"error\":{\"code\":\"server_full\",\"message\":\"too many connections; retry later\"}}");
    }
    if (!origin_allowed(w->origins, o)) {
        log_warn("upgrade refused: origin '%.64s' not allowed", o);
        return wsd_http_refuse(wsi, HTTP_STATUS_FORBIDDEN,
                               "{\"error\":{\"code\":\"forbidden\",\"message\":\"origin not allowed\"}}");
    }
    return 0;
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

static int wsd_proto_callback(struct lws *wsi, enum lws_callback_reasons reason,
                              void *user, void *in, size_t len)
{
    struct wsd *w = lws_context_user(lws_get_context(wsi));
    struct wsd_conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return wsd_confirm_upgrade(w, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        return wsd_on_established(w, wsi, c);
    case LWS_CALLBACK_RECEIVE:
        return wsd_on_receive(w, wsi, c, in, len);
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
