/* wsd_proto.h -- Parley's WebSocket protocol for libwebsockets.
 *
 * One lws protocol serves both roles of the daemon's port: the WebSocket at
 * /ws?token=<jwt> (authentication, per-user fan-out, ping/pong, backpressure)
 * and plain HTTP (GET /metrics, 404 otherwise).  It must be protocols[0]:
 * browsers send no subprotocol, and lws binds such upgrades and all HTTP to
 * the first protocol. */
#ifndef WSD_PROTO_H
#define WSD_PROTO_H

#include "event.h"
#include "wsd.h"

#include <libwebsockets.h>

/* Close codes the daemon sends (see docs/ws-daemon.md). */
#define WSD_CLOSE_SLOW 1008       /* queue over ws_queue_max */
#define WSD_CLOSE_TOO_BIG 1009    /* client message over WSD_PROTO_RX_MAX */
#define WSD_CLOSE_AUTH 4001       /* missing, bad or expired token */
#define WSD_CLOSE_TOO_MANY 4008   /* over ws_max_conns_per_user */

#define WSD_PROTO_RX_MAX 4096     /* largest client message accepted */
/* A ping unanswered this long drops the connection (ws_ping_secs of quiet
 * first): 40 s by default, inside common 60 s proxy idle timeouts. */
#define WSD_PONG_SECS 15

/* The protocol table entry (name, callback, pss size, rx buffer size). */
extern const struct lws_protocols wsd_proto_protocol;

/* Sends the frames of one decoded event to every connection of every
 * recipient: written at once where nothing is waiting, else queued for a
 * writeable callback.  Service thread only.
 * `env` is borrowed.  Connections whose queue would pass ws_queue_max are
 * scheduled for a 1008 close instead. */
void wsd_proto_deliver(struct wsd *w, const struct event_env *env);

/* Sends (as above) the text frame data[0..len) to every authenticated connection
 * (e.g. a resync notice).  Service thread only. */
void wsd_proto_broadcast(struct wsd *w, const char *data, size_t len);

/* The keepalive wheel's visitor (keepalive.h; arg is the struct wsd). */
void wsd_proto_keepalive(struct lws_dll2 *link, void *arg);

#endif
