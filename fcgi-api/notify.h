/* notify.h -- the worker's ZeroMQ PUSH socket to ws-daemon.
 *
 * Sending never blocks a request: the socket connects (not binds), queues up
 * to zmq_sndhwm events while the daemon is away (they are delivered when it
 * comes back), and beyond that drops with a counted warning.  The database
 * stays the record; clients catch up with /api/sync. */
#ifndef PL_NOTIFY_H
#define PL_NOTIFY_H

#include <stddef.h>

struct notify;

/* Opens the PUSH socket connected to `endpoint`.  Returns NULL with a
 * reason in err on failure.  Destroy with notify_destroy. */
struct notify *notify_new(const char *endpoint, int sndhwm, char *err, size_t errlen);
void notify_destroy(struct notify **np);

/* Queues one event.  Returns 0, or -1 if it was dropped (queue full). */
int notify_send(struct notify *n, const char *buf, size_t len);

#endif
