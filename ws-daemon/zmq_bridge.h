/* zmq_bridge.h -- the daemon's two ZeroMQ sockets.
 *
 * Intake: a PULL socket bound on zmq_events, where every FastCGI worker
 * PUSHes one envelope per change.  Its ZMQ_FD is adopted into the lws event
 * loop, so events are decoded and fanned out on the service thread with no
 * extra thread or lock.  Tap: a PUB socket bound on zmq_tap that repeats
 * every envelope as received, plus connect/disconnect notes, for debugging;
 * it never blocks and drops when a subscriber lags. */
#ifndef WSD_ZMQ_BRIDGE_H
#define WSD_ZMQ_BRIDGE_H

#include "wsd.h"

#include <libwebsockets.h>
#include <stddef.h>

struct zmq_bridge;

/* Creates the ZeroMQ context and binds both sockets.  `w` is borrowed and
 * must outlive the bridge.  Returns the bridge (release with
 * zmq_bridge_destroy), or NULL with a reason in err. */
struct zmq_bridge *zmq_bridge_new(struct wsd *w, const char *events_ep,
                                  const char *tap_ep, char *err, size_t errlen);

/* Adopts the intake socket's descriptor into the lws context (on its
 * default vhost) and drains what is already queued.  Call once, after the
 * context exists and w->zb is set.  Returns 0, or -1 with a reason in err. */
int zmq_bridge_attach(struct zmq_bridge *zb, struct lws_context *ctx,
                      char *err, size_t errlen);

/* Closes both sockets (LINGER 0) and terminates the ZeroMQ context.  Call
 * after lws_context_destroy.  Sets *zbp to NULL; NULL-safe. */
void zmq_bridge_destroy(struct zmq_bridge **zbp);

/* Publishes data[0..len) on the tap without blocking; dropped if the tap
 * cannot take it.  Safe with zb NULL. */
void zmq_bridge_publish(struct zmq_bridge *zb, const void *data, size_t len);

/* The lws protocol entry for the adopted descriptor (protocols[1]). */
extern const struct lws_protocols zmq_bridge_protocol;

#endif
