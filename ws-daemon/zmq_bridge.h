/* zmq_bridge.h -- the daemon's side of the event bus.
 *
 * Two modes, chosen by zmq_fanout:
 *  - with a forwarder (zmq_fanout set): a SUB socket connected to it takes
 *    every envelope of the cluster (each daemon delivers to the users it
 *    holds); notes (connect/disconnect, bad envelopes) are PUSHed into the
 *    bus on zmq_events for the cluster tap.
 *  - standalone (zmq_fanout ""): a PULL socket bound on zmq_events takes
 *    the workers' PUSHes directly, and a PUB bound on zmq_tap repeats every
 *    envelope plus the notes.  One daemon only.
 * The intake's ZMQ_FD is adopted into the lws event loop, so events are
 * decoded and fanned out on the service thread with no extra thread or
 * lock.  When events may have been missed (a (re)connection to the
 * forwarder, a publisher's sequence gap) every client gets
 * {"type":"resync","reason":...} (docs/ws-daemon.md). */
#ifndef WSD_ZMQ_BRIDGE_H
#define WSD_ZMQ_BRIDGE_H

#include "wsd.h"

#include <libwebsockets.h>
#include <stddef.h>

struct zmq_bridge;

/* Creates the ZeroMQ context and the sockets of the mode w->cfg selects.
 * `w` (and its cfg) is borrowed and must outlive the bridge.  Returns the
 * bridge (release with zmq_bridge_destroy), or NULL with a reason in err. */
struct zmq_bridge *zmq_bridge_new(struct wsd *w, char *err, size_t errlen);

/* Adopts the intake socket's descriptor into the lws context (on its
 * default vhost) and drains what is already queued.  Call once, after the
 * context exists and w->zb is set.  Returns 0, or -1 with a reason in err. */
int zmq_bridge_attach(struct zmq_bridge *zb, struct lws_context *ctx,
                      char *err, size_t errlen);

/* Closes both sockets (LINGER 0) and terminates the ZeroMQ context.  Call
 * after lws_context_destroy.  Sets *zbp to NULL; NULL-safe. */
void zmq_bridge_destroy(struct zmq_bridge **zbp);

/* Publishes the note data[0..len) to the tap without blocking; dropped if
 * it cannot be taken.  Safe with zb NULL. */
void zmq_bridge_publish(struct zmq_bridge *zb, const void *data, size_t len);

/* The lws protocol entry for the adopted descriptor (protocols[1]). */
extern const struct lws_protocols zmq_bridge_protocol;

#endif
