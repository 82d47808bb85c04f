/* main.c -- parley-forwarder: the event bus between API workers and
 * ws-daemons, on zmq_proxy_steerable (docs/architecture.md).
 *
 *   frontend  PULL, bound on forwarder_in:   API workers PUSH envelopes
 *   backend   PUB,  bound on forwarder_out:  every ws-daemon SUBscribes
 *   capture   PUB,  bound on forwarder_tap:  parley-tap, the whole-bus tap
 *   control   PAIR, inproc:                  STATISTICS / TERMINATE
 *
 * The relay loop is libzmq's own; this program only configures it.  Each
 * option accepts several comma-separated endpoints (say, ipc:// for this
 * host and tcp:// for the others).  With forwarder_curve_secret set every
 * socket is a CURVE server and a ZAP handler admits only the public keys
 * listed in forwarder_allow; without it the endpoints must be ipc:// in a
 * folder only Parley's group can enter, and the forwarder refuses tcp://.
 *
 * The backend is PUB, not XPUB: with XPUB the proxy would read
 * subscriptions it cannot pass to a PULL frontend and spin on them. */
#include "config.h"
#include "control.h"
#include "log.h"
#include "xmem.h"
#include "zap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define FWD_CONTROL_EP "inproc://parley-forwarder-control"
#define FWD_ZAP_DOMAIN "parley"
/* A daemon that falls this far behind loses envelopes (PUB drops) and
 * notices the sequence gap; the API workers' PUSH queues hold the rest. */
#define FWD_HWM 100000

struct fwd {
    void *zctx;
    void *in, *out, *tap, *ctl;
    struct zap *zap;
    struct control *control;
    int curve;
};

static void fwd_usage(FILE *f);
static int fwd_keygen(void);
static int fwd_bind_all(void *s, const char *list, int curve, char *err, size_t errlen);
static void *fwd_socket(struct fwd *f, int type, const char *secret, const char *list,
                        char *err, size_t errlen);

static void fwd_usage(FILE *f)
{
    fprintf(f, "usage: parley-forwarder [-c CONFIG]   run the event bus\n"
               "       parley-forwarder --keygen       print a new CURVE key pair\n"
               "  Settings: forwarder_* and zmq_* in CONFIG (or $PARLEY_CONFIG) and\n"
               "  PARLEY_* variables; see docs/config.md and docs/scale.md.\n");
}

/* Two lines, "public = <z85>" and "secret = <z85>". */
static int fwd_keygen(void)
{
    char pub[41], sec[41];

    if (zmq_curve_keypair(pub, sec) != 0) {
        fprintf(stderr, "parley-forwarder: zmq_curve_keypair: %s\n", zmq_strerror(errno));
        return 1;
    }
    printf("public = %s\nsecret = %s\n", pub, sec);
    return 0;
}

static int fwd_bind_all(void *s, const char *list, int curve, char *err, size_t errlen)
{
    char *copy = xstrdup(list), *save = NULL, *ep;
    int rc = -1;

    for (ep = strtok_r(copy, ", ", &save); ep; ep = strtok_r(NULL, ", ", &save)) {
        if (!curve && strncmp(ep, "ipc://", 6) != 0) {
            snprintf(err, errlen, "%s: without forwarder_curve_secret only ipc:// "
                                  "endpoints are allowed (anyone could forge events)", ep);
            goto out;
        }
        if (zmq_bind(s, ep) != 0) {
            snprintf(err, errlen, "cannot bind %s: %s", ep, zmq_strerror(errno));
            goto out;
        }
        log_info("bound %s", ep);
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

static void *fwd_socket(struct fwd *f, int type, const char *secret, const char *list,
                        char *err, size_t errlen)
{
    void *s = zmq_socket(f->zctx, type);
    int linger = 0, hwm = FWD_HWM, one = 1;

    if (!s) {
        snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
        return NULL;
    }
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s, type == ZMQ_PULL ? ZMQ_RCVHWM : ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        (f->curve && (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
                      zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret, 41) != 0 ||
                      zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, FWD_ZAP_DOMAIN,
                                     strlen(FWD_ZAP_DOMAIN)) != 0))) {
        snprintf(err, errlen, "socket options: %s", zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    if (fwd_bind_all(s, list, f->curve, err, errlen) < 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

int main(int argc, char **argv)
{
    struct pl_config cfg;
    struct fwd f;
    const char *cfg_path = NULL;
    enum log_level level = LOG_INFO;
    char err[512];
    sigset_t set;
    int rc = 1;

    memset(&f, 0, sizeof f);
    memset(&cfg, 0, sizeof cfg);
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (!strcmp(argv[i], "--keygen")) {
            return fwd_keygen();
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fwd_usage(stdout);
            return 0;
        } else {
            fwd_usage(stderr);
            return 2;
        }
    }
    /* The forwarder never reads the JWT secret; don't make its host hold one. */
    if (!getenv("PARLEY_JWT_SECRET"))
        setenv("PARLEY_JWT_SECRET", "parley-forwarder-does-not-use-the-jwt-secret", 0);
    if (config_load(&cfg, cfg_path, err, sizeof err) < 0) {
        fprintf(stderr, "parley-forwarder: %s\n", err);
        goto out;
    }
    log_level_parse(cfg.log_level, &level);
    log_init("parley-forwarder", level);

    /* Signals go to the control thread only (sigtimedwait there). */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* ipc:// sockets are files: peers need write permission on them.  The
     * group (lighttpd's user for the API workers, ws-daemon's) may connect;
     * the folder's mode (0750) keeps everyone else out. */
    umask(0007);
    f.curve = cfg.forwarder_curve_secret[0] != '\0';
    if (f.curve && (strlen(cfg.forwarder_curve_secret) != 40 || !cfg.forwarder_allow[0])) {
        log_error("forwarder_curve_secret must be a 40-character Z85 key and "
                  "forwarder_allow must name the allow-list of client public keys");
        goto out;
    }
    f.zctx = zmq_ctx_new();
    if (!f.zctx) {
        log_error("zmq_ctx_new: %s", zmq_strerror(errno));
        goto out;
    }
    if (f.curve) {
        f.zap = zap_start(f.zctx, cfg.forwarder_allow, err, sizeof err);
        if (!f.zap) {
            log_error("%s", err);
            goto out;
        }
    }
    f.in = fwd_socket(&f, ZMQ_PULL, cfg.forwarder_curve_secret, cfg.forwarder_in, err, sizeof err);
    if (f.in)
        f.out = fwd_socket(&f, ZMQ_PUB, cfg.forwarder_curve_secret, cfg.forwarder_out, err, sizeof err);
    if (f.out)
        f.tap = fwd_socket(&f, ZMQ_PUB, cfg.forwarder_curve_secret, cfg.forwarder_tap, err, sizeof err);
    if (!f.tap) {
        log_error("%s", err);
        goto out;
    }
    f.ctl = zmq_socket(f.zctx, ZMQ_PAIR);
    if (!f.ctl || zmq_bind(f.ctl, FWD_CONTROL_EP) != 0) {
        log_error("control socket: %s", zmq_strerror(errno));
        goto out;
    }
    f.control = control_start(f.zctx, FWD_CONTROL_EP, cfg.forwarder_metrics, err, sizeof err);
    if (!f.control) {
        log_error("%s", err);
        goto out;
    }
    log_info("forwarding %s -> %s (tap %s); %s", cfg.forwarder_in, cfg.forwarder_out,
             cfg.forwarder_tap, f.curve ? "CURVE" : "plain ipc");
    if (f.curve)
        log_info("%zu allowed public keys from %s", zap_nkeys(f.zap), cfg.forwarder_allow);
    if (zmq_proxy_steerable(f.in, f.out, f.tap, f.ctl) != 0) {
        log_error("zmq_proxy_steerable: %s", zmq_strerror(errno));
        goto out;
    }
    log_info("terminated");
    rc = 0;
out:
    /* Wakes the two threads (their blocking calls return ETERM). */
    if (f.zctx)
        zmq_ctx_shutdown(f.zctx);
    control_stop(&f.control);
    zap_stop(&f.zap);
    if (f.ctl)
        zmq_close(f.ctl);
    if (f.tap)
        zmq_close(f.tap);
    if (f.out)
        zmq_close(f.out);
    if (f.in)
        zmq_close(f.in);
    if (f.zctx)
        while (zmq_ctx_term(f.zctx) != 0 && errno == EINTR)
            ;
    config_free(&cfg);
    return rc;
}
