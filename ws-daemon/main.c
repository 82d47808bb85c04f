/* main.c -- parley-wsd: configuration, the lws context, signals, the loop.
 *
 * The daemon is one process with one lws service thread.  Everything it
 * shares lives in one struct wsd on main()'s stack, handed to lws as the
 * context user pointer.  The only file-scope variables are the two that
 * signal handling needs (a stop flag and the context to wake).
 *
 * Start-up fails fast: a bad config, a port or endpoint that cannot be bound
 * stop the daemon with a message and exit status 1.  SIGINT/SIGTERM end the
 * loop; then lws closes every connection (CLOSED callbacks free their state),
 * ZeroMQ sockets close with LINGER 0, and everything else is freed, so a
 * sanitizer build exits with no leak reports. */
#include "config.h"
#include "keepalive.h"
#include "log.h"
#include "notes.h"
#include "origin.h"
#include "registry.h"
#include "wsd.h"
#include "wsd_proto.h"
#include "zmq_bridge.h"

#include <errno.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static volatile sig_atomic_t wsd_stop;
static struct lws_context *volatile wsd_sig_ctx;

static void wsd_on_signal(int sig);
static void wsd_lws_log(int level, const char *line);
static rlim_t wsd_raise_nofile(void);
static int wsd_signals(void);
static void wsd_usage(FILE *f);
static int wsd_unix_path(const char *path);

static void wsd_on_signal(int sig)
{
    (void)sig;
    wsd_stop = 1;
    /* Wakes lws_service() even if the signal landed outside poll(). */
    if (wsd_sig_ctx)
        lws_cancel_service(wsd_sig_ctx);
}

/* lws's own messages go through our log format and level, at most
 * WSD_LOG_BURST lines a second: a condition that repeats every loop turn
 * (say, accept() failing) must not fill the disk.  Suppressed lines are
 * counted in the next line that gets through. */
#define WSD_LOG_BURST 20

static void wsd_lws_log(int level, const char *line)
{
    static time_t window;
    static unsigned long in_window, suppressed;
    time_t now = time(NULL);
    size_t n = strlen(line);
    enum log_level l = level == LLL_ERR ? LOG_ERROR : level == LLL_WARN ? LOG_WARN : LOG_DEBUG;

    if (now != window) {
        window = now;
        in_window = 0;
    }
    if (++in_window > WSD_LOG_BURST) {
        suppressed++;
        return;
    }
    if (suppressed) {
        log_msg(LOG_WARN, "lws: (%lu repeated library messages suppressed)", suppressed);
        suppressed = 0;
    }
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_msg(l, "lws: %.*s", (int)n, line);
}

/* Each WebSocket is a descriptor: use all the hard limit allows.  Returns
 * the limit in force (0 if unknown). */
static rlim_t wsd_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur != rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_warn("cannot raise the open file limit to %llu",
                     (unsigned long long)rl.rlim_max);
    }
    log_info("open file limit %llu", (unsigned long long)rl.rlim_cur);
    return rl.rlim_cur;
}

static int wsd_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = wsd_on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

static void wsd_usage(FILE *f)
{
    fprintf(f, "usage: parley-wsd [-c CONFIG]\n"
               "  Settings come from CONFIG (or $PARLEY_CONFIG) and PARLEY_* variables;\n"
               "  see docs/ws-daemon.md.\n");
}

/* ws_socket must be an absolute path that fits sockaddr_un; a stale socket
 * file of an earlier run is removed (bind would fail on it), anything else
 * at that path is left alone and refused.  Returns 0, or -1 (logged). */
static int wsd_unix_path(const char *path)
{
    struct sockaddr_un sa;
    struct stat st;
    int rc = -1;

    if (path[0] != '/' || strlen(path) >= sizeof sa.sun_path) {
        log_error("ws_socket must be an absolute path under %zu bytes: %s",
                  sizeof sa.sun_path, path);
        goto out;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("ws_socket %s exists and is not a socket", path);
            goto out;
        }
        if (unlink(path) != 0) {
            log_error("cannot remove the stale socket %s: %s", path, strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    return rc;
}

int main(int argc, char **argv)
{
    struct lws_context_creation_info info;
    struct lws_protocols protocols[3];
    struct pl_config cfg;
    struct wsd w;
    lws_retry_bo_t retry;
    const char *cfg_path = NULL;
    enum log_level level = LOG_INFO;
    char err[256];
    int rc = 1;
    rlim_t nofile;

    memset(&w, 0, sizeof w);
    memset(&cfg, 0, sizeof cfg);
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            wsd_usage(stdout);
            return 0;
        } else {
            wsd_usage(stderr);
            return 2;
        }
    }
    if (config_load(&cfg, cfg_path, err, sizeof err) < 0) {
        fprintf(stderr, "parley-wsd: %s\n", err);
        goto out;
    }
    log_level_parse(cfg.log_level, &level);
    log_init("parley-wsd", level);
    lws_set_log_level(level == LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO
                                         : LLL_ERR | LLL_WARN,
                      wsd_lws_log);
    nofile = wsd_raise_nofile();
    if (wsd_signals() != 0) {
        log_error("cannot install signal handlers");
        goto out;
    }

    w.cfg = &cfg;
    w.reg = registry_new();
    w.origins = origin_list_new(cfg.ws_origins);
    w.zctx = zmq_ctx_new();
    if (!w.zctx) {
        log_error("zmq_ctx_new: %s", zmq_strerror(errno));
        goto out;
    }
    w.notes = notes_new(w.zctx, &cfg, err, sizeof err);
    if (!w.notes) {
        log_error("%s", err);
        goto out;
    }
    w.zb = zmq_bridge_new(&w, err, sizeof err);
    if (!w.zb) {
        log_error("%s", err);
        goto out;
    }

    /* Pings keep proxies (60 s idle timeouts) from cutting quiet sockets; a
     * peer silent for WSD_PONG_SECS past a ping is dead and is dropped.  Our
     * own wheel does it (keepalive.h says why not lws's validity timers):
     * a policy with no hangup turns those off. */
    memset(&retry, 0, sizeof retry);

    memset(protocols, 0, sizeof protocols);
    protocols[0] = wsd_proto_protocol;    /* must be first: see wsd_proto.h */
    protocols[1] = zmq_bridge_protocol;

    memset(&info, 0, sizeof info);
    info.port = (int)cfg.ws_port;
    info.iface = cfg.ws_iface;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (cfg.ws_socket[0]) {
        /* A unix socket in a folder only the front may enter: no port a
         * local user could take while the daemon restarts. */
        if (wsd_unix_path(cfg.ws_socket) < 0)
            goto out;
        info.iface = cfg.ws_socket;
        info.port = 0;   /* lws binds the unix path only with port 0 */
        info.options |= LWS_SERVER_OPTION_UNIX_SOCK;
    }
    info.user = &w;
    info.retry_and_idle_policy = &retry;
    /* Header tables exist only during handshakes; more of them lets a
     * reconnect storm upgrade in parallel. */
    info.max_http_header_pool = 64;
    /* Leave descriptors for ZeroMQ (its own sockets, one per connected
     * worker and tap), logs and the listener.  The budget is enforced on
     * the accepted descriptor's number (wsd_proto.c closes one numbered at
     * or past it; the kernel hands out the lowest free number, so such a
     * number means the budget is used up), not with lws's
     * fd_limit_per_thread: any limit below the open-file limit switches
     * lws 4.1 to its "unrelated to ulimit" descriptor table, where every
     * fd -> connection lookup is a linear scan of the whole table, once
     * for each socket poll() reports: with 1,000 sockets writeable after a
     * fan-out that scan was the daemon's top user-space symbol. */
    if (nofile > 256)
        w.fd_budget = (int)(nofile - 64);
    else if (nofile > 48)
        w.fd_budget = (int)(nofile - 8);   /* tests and drills run this small */
    else if (nofile > 0)
        w.fd_budget = (int)(nofile / 2);
    /* Upgrades stop a little below that (HTTP 503 on a descriptor numbered
     * from fd_full on), so there are always descriptors left to accept a
     * handshake and answer it, rather than only resetting it. */
    if (w.fd_budget > 256)
        w.fd_full = w.fd_budget - 16;
    else if (w.fd_budget > 16)
        w.fd_full = w.fd_budget - 8;
    else
        w.fd_full = w.fd_budget / 2;
    w.max_conns = (size_t)w.fd_full;
    w.ctx = lws_create_context(&info);
    if (!w.ctx) {
        if (cfg.ws_socket[0])
            log_error("cannot listen on %s", cfg.ws_socket);
        else
            log_error("cannot listen on %s:%ld", cfg.ws_iface, cfg.ws_port);
        goto out;
    }
    wsd_sig_ctx = w.ctx;
    w.ka = ka_new(w.ctx, (unsigned)(cfg.ws_ping_secs > WSD_PONG_SECS ? cfg.ws_ping_secs
                                                                      : WSD_PONG_SECS),
                  wsd_proto_keepalive, &w);
    if (zmq_bridge_attach(w.zb, w.ctx, err, sizeof err) < 0) {
        log_error("%s", err);
        goto out;
    }
    if (cfg.zmq_fanout[0])
        log_info("events from the forwarder at %s (%s); notes to %s", cfg.zmq_fanout,
                 cfg.zmq_curve_server[0] ? "CURVE" : "plain", cfg.zmq_events);
    else
        log_info("standalone: events on %s; tap %s", cfg.zmq_events, cfg.zmq_tap);
    if (cfg.ws_socket[0])
        log_info("listening on unix:%s (path /ws)", cfg.ws_socket);
    else
        log_info("listening on ws://%s:%ld/ws", cfg.ws_iface, cfg.ws_port);
    log_info("queue cap %ld bytes; ping %lds; origins %s", cfg.ws_queue_max,
             cfg.ws_ping_secs, origin_list_count(w.origins) ? cfg.ws_origins : "any");

    while (!wsd_stop && lws_service(w.ctx, 0) >= 0)
        ;
    log_info("shutting down (%zu connections)", registry_nconns(w.reg));
    rc = 0;
out:
    wsd_sig_ctx = NULL;
    ka_stop(w.ka);
    if (w.ctx)
        lws_context_destroy(w.ctx);
    ka_destroy(&w.ka);
    zmq_bridge_destroy(&w.zb);
    notes_destroy(&w.notes);
    if (w.zctx) {
        while (zmq_ctx_term(w.zctx) != 0 && errno == EINTR)
            ;
    }
    origin_list_destroy(&w.origins);
    registry_destroy(&w.reg);
    config_free(&cfg);
    return rc;
}
