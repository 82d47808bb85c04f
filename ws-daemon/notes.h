/* notes.h -- the daemon's publisher towards the tap.
 *
 * The daemon tells the tap about its sockets (ws_connect, ws_disconnect)
 * and about envelopes it refused (bad_envelope).  Where those notes go
 * depends on the mode (docs/ws-daemon.md):
 *  - with a forwarder (zmq_fanout set): PUSHed into the bus on zmq_events
 *    with the note header "n", so they reach the forwarder's capture
 *    socket (the whole-cluster tap) and no daemon;
 *  - standalone: PUBlished on zmq_tap, beside a copy of every envelope
 *    the daemon takes in (there is no forwarder to capture them).
 * Sending never blocks: a lagging tap loses notes, never delivery.
 * Service thread only. */
#ifndef WSD_NOTES_H
#define WSD_NOTES_H

#include "config.h"

#include <stddef.h>
#include <zmq.h>

struct notes;

/* Opens the socket of the mode cfg selects on the ZeroMQ context `zctx`
 * (borrowed; it must outlive the notes).  Returns the publisher (release
 * with notes_destroy), or NULL with a reason in err. */
struct notes *notes_new(void *zctx, const struct pl_config *cfg, char *err,
                        size_t errlen);

/* Closes the socket (LINGER 0).  Call before the context is terminated.
 * Sets *np to NULL; NULL-safe. */
void notes_destroy(struct notes **np);

/* Sends the note data[0..len) (a JSON object).  Safe with n NULL. */
void notes_publish(struct notes *n, const void *data, size_t len);

/* Standalone only: repeats an envelope exactly as received (the payload is
 * shared, not copied).  Does nothing with a forwarder, whose capture socket
 * already carries it.  `body` is borrowed. */
void notes_repeat(struct notes *n, zmq_msg_t *body);

/* Sends {"type":"bad_envelope","bytes":len,"error":why}. */
void notes_bad_envelope(struct notes *n, size_t len, const char *why);

#endif
