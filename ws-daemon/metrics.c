/* metrics.c -- Prometheus text for /metrics (see metrics.h).
 *
 * A fixed table of name, kind, help text and value keeps the output order
 * stable and makes adding a metric a one-line change. */
#include "metrics.h"

#include <stdio.h>

struct metrics_line {
    const char *name;
    const char *kind;
    const char *help;
    unsigned long long value;
};

int metrics_render(const struct metrics *m, const struct metrics_gauges *g,
                   char *buf, size_t cap)
{
    const struct metrics_line lines[] = {
        { "parley_ws_connections", "gauge", "Authenticated WebSocket connections.",
          g->connections },
        { "parley_ws_users", "gauge", "Distinct users with at least one connection.",
          g->users },
        { "parley_events_in_total", "counter", "Event envelopes received and delivered.",
          m->events_in },
        { "parley_events_bad_total", "counter", "Event envelopes dropped as malformed.",
          m->events_bad },
        { "parley_frames_out_total", "counter", "WebSocket frames written to clients.",
          m->frames_out },
        { "parley_frames_dropped_total", "counter",
          "Frames discarded because their connection was slow or closing.",
          m->frames_dropped },
        { "parley_ws_queue_bytes", "gauge", "Bytes queued for all connections.",
          g->queue_bytes },
        { "parley_ws_slow_closes_total", "counter",
          "Connections closed with 1008 for exceeding the queue limit.", m->slow_closes },
        { "parley_ws_auth_failures_total", "counter",
          "Upgrades closed with 4001 for a missing, bad or expired token.",
          m->auth_failures },
        { "parley_bus_gaps_total", "counter",
          "Envelopes known missed: sequence gaps from a publisher.", m->bus_gaps },
        { "parley_resyncs_total", "counter",
          "Times every client was told to resync (possible missed events).", m->resyncs },
    };
    size_t off = 0;

    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        int n = snprintf(buf + off, cap - off, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
                         lines[i].name, lines[i].help, lines[i].name, lines[i].kind,
                         lines[i].name, lines[i].value);
        if (n < 0 || (size_t)n >= cap - off)
            return -1;
        off += (size_t)n;
    }
    return (int)off;
}
