/* tap.c -- parley-tap: watch (or inject) the events of the bus.
 *
 * Watch mode subscribes to the tap (zmq_tap: the forwarder's capture
 * socket, which sees the whole cluster, or a standalone daemon's PUB) and
 * prints one
 * JSON line per message on stdout, flushed at once so it can be piped or
 * read by tests; --type and --user filter, --count and --timeout bound the
 * run.  Send mode (--send FILE|-) is the operator's "inject a test event":
 * it PUSHes each input line as one envelope into the bus (zmq_events),
 * exactly as a FastCGI worker would: with a bus header (shared/bus.h) and,
 * when the config names a forwarder key, over CURVE with this host's key.
 * Watch mode prints the body of each message, never the header.
 *
 * It is a debugging tool on purpose kept apart from the daemon: the tap
 * socket drops messages for a subscriber that lags, so a stopped or slow
 * tap never slows delivery.  Like any ZeroMQ subscriber it misses what was
 * published before its subscription reached the daemon (the "slow joiner"). */
#include "bus.h"
#include "config.h"
#include "jsonx.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define TAP_POLL_MS 200
#define TAP_SEND_LINGER_MS 5000
#define TAP_SEND_TIMEOUT_MS 5000

struct tap_opts {
    const char *endpoint;     /* NULL: from config */
    const char *config;
    const char *type;         /* filter on "type" */
    long long user;           /* filter on user_id / recipients[].user_id */
    long count;               /* stop after this many printed lines */
    double timeout;           /* stop after this many seconds */
    const char *send;         /* send mode input, "-" = stdin */
};

static volatile sig_atomic_t tap_stop;

static void tap_on_signal(int sig);
static void tap_usage(FILE *f);
static int tap_parse_args(int argc, char **argv, struct tap_opts *o);
static int tap_matches(const struct tap_opts *o, const char *data, size_t len);
static void tap_print(const char *data, size_t len);
static double tap_now(void);
static int tap_watch(void *zctx, const struct tap_opts *o, const struct pl_config *cfg,
                     const char *ep);
static int tap_send(void *zctx, const struct tap_opts *o, const struct pl_config *cfg,
                    const char *ep);

static void tap_on_signal(int sig)
{
    (void)sig;
    tap_stop = 1;
}

static void tap_usage(FILE *f)
{
    fprintf(f,
            "usage: parley-tap [--endpoint E] [--type T] [--user N] [--count N] [--timeout S]\n"
            "       parley-tap --send FILE|- [--endpoint E]\n"
            "  Watch: print every event of the bus as one JSON line\n"
            "         (default endpoint: zmq_tap from the config).\n"
            "  --type T    only envelopes/notes whose \"type\" is T (e.g. new_message)\n"
            "  --user N    only those naming user N (user_id or recipients[].user_id)\n"
            "  --count N   exit after N printed lines (status 1 if a timeout comes first)\n"
            "  --timeout S exit after S seconds\n"
            "  --send F    inject: PUSH each line of F (- = stdin) as one envelope to\n"
            "              the daemon's intake (default endpoint: zmq_events)\n"
            "  --config P  config file (else $PARLEY_CONFIG; PARLEY_* variables apply)\n");
}

static int tap_parse_args(int argc, char **argv, struct tap_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            tap_usage(stdout);
            exit(0);
        }
        if (!v) {
            fprintf(stderr, "parley-tap: %s needs a value (or is unknown)\n", a);
            return -1;
        }
        i++;
        if (!strcmp(a, "--endpoint")) {
            o->endpoint = v;
        } else if (!strcmp(a, "--config")) {
            o->config = v;
        } else if (!strcmp(a, "--type")) {
            o->type = v;
        } else if (!strcmp(a, "--send")) {
            o->send = v;
        } else if (!strcmp(a, "--user")) {
            o->user = strtoll(v, &end, 10);
            if (*end || o->user < 1)
                goto bad;
        } else if (!strcmp(a, "--count")) {
            o->count = strtol(v, &end, 10);
            if (*end || o->count < 1)
                goto bad;
        } else if (!strcmp(a, "--timeout")) {
            o->timeout = strtod(v, &end);
            if (*end || o->timeout <= 0)
                goto bad;
        } else {
            fprintf(stderr, "parley-tap: unknown option %s\n", a);
            return -1;
        }
        continue;
bad:
        fprintf(stderr, "parley-tap: bad value for %s: %s\n", a, v);
        return -1;
    }
    return 0;
}

/* 1 if the message passes the filters.  Unparseable messages pass only
 * when no filter is set. */
static int tap_matches(const struct tap_opts *o, const char *data, size_t len)
{
    char err[64];
    json_object *root, *arr;
    const char *type;
    long long uid;
    int ok = 0;

    if (!o->type && !o->user)
        return 1;
    root = jsonx_parse(data, len, err, sizeof err);
    if (!root || !json_object_is_type(root, json_type_object))
        goto out;
    if (o->type && (jsonx_get_string(root, "type", &type, NULL) != 1 ||
                    strcmp(type, o->type) != 0))
        goto out;
    if (o->user) {
        if (jsonx_get_int64(root, "user_id", &uid) == 1 && uid == o->user) {
            ok = 1;
            goto out;
        }
        if (!json_object_object_get_ex(root, "recipients", &arr) ||
            !json_object_is_type(arr, json_type_array))
            goto out;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
            json_object *r = json_object_array_get_idx(arr, i);
            if (json_object_is_type(r, json_type_object) &&
                jsonx_get_int64(r, "user_id", &uid) == 1 && uid == o->user) {
                ok = 1;
                goto out;
            }
        }
        goto out;
    }
    ok = 1;
out:
    json_object_put(root);
    return ok;
}

/* One line per message: a raw CR or LF can only be JSON whitespace (never
 * inside a string), so turning it into a space keeps the JSON intact. */
static void tap_print(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char ch = data[i];
        putchar(ch == '\n' || ch == '\r' ? ' ' : ch);
    }
    putchar('\n');
    fflush(stdout);
}

static double tap_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int tap_watch(void *zctx, const struct tap_opts *o, const struct pl_config *cfg,
                     const char *ep)
{
    void *sub = zmq_socket(zctx, ZMQ_SUB);
    double deadline = o->timeout > 0 ? tap_now() + o->timeout : 0;
    long printed = 0;
    int linger = 0, rc = 1;
    char err[160];

    if (sub && bus_curve_client(sub, cfg, err, sizeof err) < 0) {
        fprintf(stderr, "parley-tap: %s\n", err);
        goto out;
    }
    if (!sub || zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0) != 0 || zmq_connect(sub, ep) != 0) {
        fprintf(stderr, "parley-tap: cannot subscribe to %s: %s\n", ep, zmq_strerror(errno));
        goto out;
    }
    fprintf(stderr, "parley-tap: watching %s\n", ep);
    while (!tap_stop) {
        zmq_pollitem_t it = { sub, 0, ZMQ_POLLIN, 0 };
        long wait = TAP_POLL_MS;
        zmq_msg_t msg;

        if (deadline) {
            double left = deadline - tap_now();
            if (left <= 0)
                break;
            if (left * 1000 < wait)
                wait = (long)(left * 1000) + 1;
        }
        if (zmq_poll(&it, 1, wait) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "parley-tap: zmq_poll: %s\n", zmq_strerror(errno));
            goto out;
        }
        if (!(it.revents & ZMQ_POLLIN))
            continue;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        /* A bus message is [header, body]: keep the last frame. */
        for (;;) {
            int more = 0;
            size_t sz = sizeof more;
            if (zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &sz) != 0 || !more)
                break;
            zmq_msg_close(&msg);
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, sub, 0) < 0)
                break;
        }
        if (tap_matches(o, zmq_msg_data(&msg), zmq_msg_size(&msg))) {
            tap_print(zmq_msg_data(&msg), zmq_msg_size(&msg));
            printed++;
        }
        zmq_msg_close(&msg);
        if (o->count && printed >= o->count)
            break;
    }
    rc = (o->count && printed < o->count && !tap_stop) ? 1 : 0;
out:
    if (sub)
        zmq_close(sub);
    return rc;
}

static int tap_send(void *zctx, const struct tap_opts *o, const struct pl_config *cfg,
                    const char *ep)
{
    FILE *in = strcmp(o->send, "-") == 0 ? stdin : fopen(o->send, "r");
    void *push = zmq_socket(zctx, ZMQ_PUSH);
    int linger = TAP_SEND_LINGER_MS, tmo = TAP_SEND_TIMEOUT_MS, rc = 1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long sent = 0;
    uint64_t pub = bus_new_publisher(), seq = 0;
    char hdr[BUS_HEADER_MAX], err[160];

    if (push && bus_curve_client(push, cfg, err, sizeof err) < 0) {
        fprintf(stderr, "parley-tap: %s\n", err);
        goto out;
    }
    if (!in) {
        fprintf(stderr, "parley-tap: cannot open %s: %s\n", o->send, strerror(errno));
        goto out;
    }
    /* LINGER lets queued events reach a daemon that is up; SNDTIMEO turns a
     * daemon that is away for long into an error instead of a hang. */
    if (!push || zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(push, ZMQ_SNDTIMEO, &tmo, sizeof tmo) != 0 ||
        zmq_connect(push, ep) != 0) {
        fprintf(stderr, "parley-tap: cannot connect to %s: %s\n", ep, zmq_strerror(errno));
        goto out;
    }
    while (!tap_stop && (n = getline(&line, &cap, in)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        size_t hlen = bus_header(hdr, BUS_KIND_EVENT, pub, ++seq);
        if (zmq_send(push, hdr, hlen, ZMQ_SNDMORE) < 0 ||
            zmq_send(push, line, (size_t)n, 0) < 0) {
            fprintf(stderr, "parley-tap: send to %s failed after %ld events: %s\n", ep,
                    sent, zmq_strerror(errno));
            goto out;
        }
        sent++;
    }
    fprintf(stderr, "parley-tap: sent %ld events to %s\n", sent, ep);
    rc = 0;
out:
    free(line);
    if (in && in != stdin)
        fclose(in);
    if (push)
        zmq_close(push);
    return rc;
}

int main(int argc, char **argv)
{
    struct tap_opts o;
    struct pl_config cfg;
    struct sigaction sa;
    char err[256];
    void *zctx = NULL;
    const char *ep;
    int rc = 2;

    memset(&o, 0, sizeof o);
    memset(&cfg, 0, sizeof cfg);
    if (tap_parse_args(argc, argv, &o) < 0) {
        tap_usage(stderr);
        return 2;
    }
    /* config_load insists on a jwt_secret, which the tap never uses: give it
     * a placeholder so the tap works where only the endpoints are set. */
    if (!getenv("PARLEY_JWT_SECRET"))
        setenv("PARLEY_JWT_SECRET", "parley-tap-does-not-use-the-jwt-secret", 0);
    if (config_load(&cfg, o.config, err, sizeof err) < 0) {
        fprintf(stderr, "parley-tap: %s\n", err);
        goto out;
    }
    ep = o.endpoint ? o.endpoint : o.send ? cfg.zmq_events : cfg.zmq_tap;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tap_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    zctx = zmq_ctx_new();
    if (!zctx) {
        fprintf(stderr, "parley-tap: zmq_ctx_new: %s\n", zmq_strerror(errno));
        rc = 1;
        goto out;
    }
    rc = o.send ? tap_send(zctx, &o, &cfg, ep) : tap_watch(zctx, &o, &cfg, ep);
out:
    if (zctx)
        while (zmq_ctx_term(zctx) != 0 && errno == EINTR)
            ;
    config_free(&cfg);
    return rc;
}
