/* wsd.h -- the ws-daemon context: the one mutable object of the process.
 *
 * main() owns it and passes it to lws as the context user pointer; every
 * callback finds it again with lws_context_user(lws_get_context(wsi)).
 * Nothing else in the daemon holds shared mutable state (one context struct per binary). */
#ifndef WSD_H
#define WSD_H

#include "config.h"
#include "metrics.h"

#include <stddef.h>

struct ka_wheel;
struct lws_context;
struct notes;
struct origin_list;
struct registry;
struct zmq_bridge;

struct wsd {
    const struct pl_config *cfg;  /* read-only after start-up */
    struct lws_context *ctx;
    struct registry *reg;         /* user id -> live connections */
    void *zctx;                   /* the ZeroMQ context of zb and notes */
    struct zmq_bridge *zb;        /* event intake */
    struct notes *notes;          /* publisher towards the tap */
    struct origin_list *origins;  /* ws_origins, parsed */
    struct ka_wheel *ka;          /* when each connection is next pinged */
    struct metrics m;             /* counters for /metrics */
    size_t queue_bytes;           /* sum over all connection queues */
    size_t max_conns;             /* WebSockets held at most (fd budget); 0 = no cap */
    int fd_budget;                /* accepted descriptors numbered this high or higher
                                     are closed at once (main.c says why); 0 = no cap */
    int fd_full;                  /* upgrades on descriptors numbered this high or
                                     higher get HTTP 503 (below fd_budget) */
    unsigned long fd_refused;     /* accepts refused since the last log line */
    long long fd_refused_logged;  /* time of that line (seconds) */
};

#endif
