/* metrics.h -- the daemon's counters and their Prometheus text form.
 *
 * Counters only ever grow and live in the daemon context; gauges (current
 * connections, users, queued bytes) are read from their owners when
 * /metrics is requested, so nothing is counted twice.  Pure logic. */
#ifndef WSD_METRICS_H
#define WSD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct metrics {
    uint64_t events_in;       /* envelopes decoded and fanned out */
    uint64_t events_bad;      /* envelopes dropped as malformed */
    uint64_t frames_out;      /* WebSocket frames written */
    uint64_t frames_dropped;  /* frames discarded for slow or closing sockets */
    uint64_t slow_closes;     /* connections closed 1008 slow consumer */
    uint64_t auth_failures;   /* upgrades closed 4001 */
    uint64_t bus_gaps;        /* sequence gaps seen on the bus */
    uint64_t resyncs;         /* resync broadcasts to all clients */
};

struct metrics_gauges {
    size_t connections;       /* authenticated WebSocket connections */
    size_t users;             /* distinct users among them */
    size_t queue_bytes;       /* bytes waiting in all per-connection queues */
};

/* Writes the Prometheus text exposition (version 0.0.4) into buf[0..cap).
 * Returns its length, or -1 if cap is too small (buf then holds a
 * truncated, NUL-terminated prefix). */
int metrics_render(const struct metrics *m, const struct metrics_gauges *g,
                   char *buf, size_t cap);

#endif
