/* zmq_bridge.h -- the daemon's event intake: envelopes in, fan-out, resync.
 *
 * Two modes, chosen by zmq_fanout:
 *  - with a forwarder (zmq_fanout set): a SUB socket connected to it takes
 *    every envelope of the cluster (each daemon delivers to the users it
 *    holds).
 *  - standalone (zmq_fanout ""): a PULL socket bound on zmq_events takes
 *    the workers' PUSHes directly.  One daemon only.
 * What goes to the tap (notes, and standalone a copy of each envelope) is
 * notes.h's job.
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

/* Opens the intake socket of the mode w->cfg selects on w->zctx.  `w` (its
 * cfg, context and notes) is borrowed and must outlive the bridge.  Returns the
 * bridge (release with zmq_bridge_destroy), or NULL with a reason in err. */
struct zmq_bridge *zmq_bridge_new(struct wsd *w, char *err, size_t errlen);

/* Adopts the intake socket's descriptor into the lws context (on its
 * default vhost) and drains what is already queued.  Call once, after the
 * context exists and w->zb is set.  Returns 0, or -1 with a reason in err. */
int zmq_bridge_attach(struct zmq_bridge *zb, struct lws_context *ctx,
                      char *err, size_t errlen);

/* Closes the intake and monitor sockets (LINGER 0).  Call after
 * lws_context_destroy and before the ZeroMQ context is terminated.  Sets *zbp to NULL; NULL-safe. */
void zmq_bridge_destroy(struct zmq_bridge **zbp);

/* The lws protocol entry for the adopted descriptor (protocols[1]). */
extern const struct lws_protocols zmq_bridge_protocol;

#endif
