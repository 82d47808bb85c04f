/* bus.h -- what every Parley ZeroMQ peer of the event bus shares.
 *
 * The bus: API workers (and parley-tap --send) PUSH into the forwarder, the
 * forwarder PUBlishes to every ws-daemon and copies everything to its
 * capture socket, the whole-cluster tap (docs/architecture.md).
 *
 * Every bus message is two frames: a short header, then the body.
 *
 *   header  "e<16 hex digits>:<decimal>"  an event envelope (event.h) from
 *           publisher <id> (random per process, or continued from a killed
 *           API worker: fcgi-api/pubslot.h) with sequence number <n>,
 *           1, 2, 3... per publisher, counting also envelopes the
 *           publisher had to drop;
 *           "n"  a note (a daemon's ws_connect/ws_disconnect/bad_envelope)
 *           meant for the tap only.
 *
 * Daemons subscribe to the prefix "e", so notes reach the tap and no daemon.
 * A daemon that sees publisher <id> jump from n to n+2 knows it missed an
 * envelope and tells its clients to resync (docs/ws-daemon.md). */
#ifndef PL_BUS_H
#define PL_BUS_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

#define BUS_KIND_EVENT 'e'
#define BUS_KIND_NOTE 'n'
#define BUS_HEADER_MAX 40
/* The envelope (for no one) an API worker sends first when it continues a
 * killed worker's numbering (fcgi-api/pubslot.h). */
#define BUS_RESUMED_TYPE "publisher_resumed"

/* A random publisher id (never 0). */
uint64_t bus_new_publisher(void);

/* Writes the header for kind/pub/seq into buf (BUS_HEADER_MAX bytes) and
 * returns its length.  Notes ignore pub and seq. */
size_t bus_header(char *buf, char kind, uint64_t pub, uint64_t seq);

/* Parses a header frame.  Returns 0 and fills kind (and, for events, pub
 * and seq), or -1 when it is not a header. */
int bus_header_parse(const void *data, size_t len, char *kind, uint64_t *pub,
                     uint64_t *seq);

/* Makes `sock` a CURVE client of the forwarder when cfg->zmq_curve_server
 * is set (else it stays plain, for ipc:// in a private folder).  Call
 * before zmq_connect.  Returns 0, or -1 with a reason in err. */
int bus_curve_client(void *sock, const struct pl_config *cfg, char *err,
                     size_t errlen);

#endif
