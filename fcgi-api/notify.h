/* notify.h -- the worker's ZeroMQ PUSH socket into the event bus.
 *
 * Sending never blocks a request: the socket connects (not binds) to the
 * forwarder (or a standalone ws-daemon), queues up to zmq_sndhwm events
 * while it is away (they are delivered when it comes back), and beyond that
 * drops with a counted warning.  Every envelope carries this worker's
 * publisher id and a sequence number that also counts dropped envelopes,
 * so a daemon sees any loss as a gap and tells its clients to resync
 * (shared/bus.h).  With pub_state_dir set, both live in a publisher slot
 * (pubslot.h) that the worker started in place of a killed one continues,
 * so the events a kill took from the socket are a gap too.  The database
 * stays the record; clients catch up with /api/sync. */
#ifndef PL_NOTIFY_H
#define PL_NOTIFY_H

#include "config.h"

#include <stddef.h>

struct notify;

/* Opens the PUSH socket connected to cfg->zmq_events, a CURVE client when
 * cfg->zmq_curve_server is set.  Returns NULL with a reason in err on
 * failure.  Destroy with notify_destroy. */
struct notify *notify_new(const struct pl_config *cfg, char *err, size_t errlen);
void notify_destroy(struct notify **np);

/* Queues one event.  Returns 0, or -1 if it was dropped (queue full). */
int notify_send(struct notify *n, const char *buf, size_t len);

#endif
