/* config.h -- Parley's settings, read once at start-up, read-only after.
 *
 * Sources, later ones winning:  built-in defaults, then the file named by
 * PARLEY_CONFIG (lines "key = value", '#' comments), then environment
 * variables PARLEY_<KEY> (key upper-cased).  Every value is validated here so
 * that nothing can fail for config reasons at request time. */
#ifndef PL_CONFIG_H
#define PL_CONFIG_H

#include <stddef.h>

struct pl_config {
    char *database_url;    /* libpq conninfo or URI */
    char *jwt_secret;      /* HS256 key, >= 32 bytes */
    long token_ttl;        /* access token lifetime, seconds */
    int allow_register;    /* POST /api/auth/register enabled */
    char *zmq_events;      /* daemon PULL endpoint (workers connect) */
    char *zmq_tap;         /* daemon PUB endpoint (tap connects) */
    long zmq_sndhwm;       /* events a worker queues while daemon is away */
    char *ws_iface;        /* ws-daemon listen address */
    long ws_port;          /* ws-daemon listen port */
    long ws_queue_max;     /* bytes queued per connection before a close */
    long ws_ping_secs;     /* idle seconds before the daemon pings */
    long ws_max_conns_per_user;
    char *ws_origins;      /* comma-separated allowed Origins, "" = any */
    char *log_level;       /* error|warn|info|debug */
    long db_timeout_ms;    /* statement timeout for API queries */
    long search_slots;     /* searches run at once in PostgreSQL, cluster-wide
                              (0 = this host's online processors) */
    long send_rate;        /* messages a user may send per second, sustained */
    long send_burst;       /* ... and in one burst */
    long login_user_max;   /* free failed logins per (username, address) */
    long login_addr_max;   /* failed logins per client address per window */
    long login_window_secs;
    /* The event bus (docs/architecture.md, docs/config.md). */
    char *zmq_fanout;      /* forwarder PUB a ws-daemon SUBscribes to;
                              "" = standalone daemon, PULL bound on zmq_events */
    char *pub_state_dir;   /* API workers' publisher slots (fcgi-api/pubslot.h);
                              "" = none */
    char *zmq_curve_server;  /* forwarder's CURVE public key; "" = no CURVE */
    char *zmq_curve_public;  /* this host's CURVE key pair (Z85) */
    char *zmq_curve_secret;
    char *forwarder_in;    /* forwarder binds, comma-separated: PULL ... */
    char *forwarder_out;   /* ... PUB to the daemons ... */
    char *forwarder_tap;   /* ... and the capture PUB (whole-cluster tap) */
    char *forwarder_curve_secret;  /* "" = plain (ipc:// only) */
    char *forwarder_allow; /* file of allowed client public keys */
    char *forwarder_metrics;  /* Prometheus text file, "" = none */
    char *upload_dir;      /* absolute folder of uploaded files (lighttpd's X-Sendfile docroot) */
    long upload_max_bytes; /* largest upload accepted */
    long group_max_members;   /* members a group may have, creator included */
    long login_max_delay_secs;   /* cap of the doubling delay per pair */
    long register_per_hour;      /* sign-ups per client address, sustained */
    long register_burst;
    long chats_per_hour;         /* chats a user may create, sustained */
    long chats_burst;
    long typing_interval_secs;   /* one typing notice per user and chat per ... */
    long ws_max_conns_per_addr;  /* WebSockets per client address */
    char *ws_socket;       /* ws-daemon listens on this unix socket instead
                              of ws_iface:ws_port; "" = TCP */
};

/* Fills `cfg` from defaults, the file named by $PARLEY_CONFIG (if set) or
 * `path` (if non-NULL), and PARLEY_* environment variables.  Returns 0, or
 * -1 with a message in err.  On success the strings in cfg are owned by cfg
 * and released with config_free(). */
int config_load(struct pl_config *cfg, const char *path, char *err,
                size_t errlen);

/* Releases the strings owned by cfg; safe to call twice. */
void config_free(struct pl_config *cfg);

#endif
