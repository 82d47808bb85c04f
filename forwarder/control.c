/* control.c -- STATISTICS to a Prometheus text file, TERMINATE on a signal
 * (see control.h).
 *
 * The metrics are a file, not an HTTP listener: Prometheus' node_exporter
 * reads such files with its textfile collector, and the forwarder opens no
 * extra port.  The file is written to a temporary name and renamed, so a
 * reader never sees half of it. */
#include "control.h"

#include "log.h"
#include "xmem.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define CONTROL_PERIOD_SECS 1
#define CONTROL_REPLY_MS 2000
#define CONTROL_NSTATS 8

struct control {
    void *pair;
    char *metrics_path;
    pthread_t thread;
    int started;
    time_t started_at;
};

static void *control_main(void *arg);
static int control_stats(struct control *c, uint64_t st[CONTROL_NSTATS]);
static void control_write(const struct control *c, const uint64_t st[CONTROL_NSTATS]);

/* Asks the proxy for its eight counters.  Returns 0, or -1 (no answer). */
static int control_stats(struct control *c, uint64_t st[CONTROL_NSTATS])
{
    if (zmq_send(c->pair, "STATISTICS", 10, 0) < 0)
        return -1;
    for (int i = 0; i < CONTROL_NSTATS; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->pair, 0) < 0 || zmq_msg_size(&m) != sizeof st[i]) {
            zmq_msg_close(&m);
            return -1;
        }
        memcpy(&st[i], zmq_msg_data(&m), sizeof st[i]);
        zmq_msg_close(&m);
    }
    return 0;
}

static void control_write(const struct control *c, const uint64_t st[CONTROL_NSTATS])
{
    static const char *const side[2] = { "in", "out" };   /* frontend, backend */
    size_t n = strlen(c->metrics_path) + 8;
    char *tmp = xmalloc(n);
    FILE *f;

    snprintf(tmp, n, "%s.tmp", c->metrics_path);
    f = fopen(tmp, "w");
    if (!f) {
        log_warn("cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    fprintf(f, "# HELP parley_forwarder_messages_total Messages through the forwarder "
               "(socket: in = from API workers, out = to ws-daemons; dir: received/sent).\n"
               "# TYPE parley_forwarder_messages_total counter\n");
    for (int s = 0; s < 2; s++) {
        fprintf(f, "parley_forwarder_messages_total{socket=\"%s\",dir=\"received\"} %" PRIu64 "\n",
                side[s], st[s * 4 + 0]);
        fprintf(f, "parley_forwarder_messages_total{socket=\"%s\",dir=\"sent\"} %" PRIu64 "\n",
                side[s], st[s * 4 + 2]);
    }
    fprintf(f, "# HELP parley_forwarder_bytes_total Bytes through the forwarder.\n"
               "# TYPE parley_forwarder_bytes_total counter\n");
    for (int s = 0; s < 2; s++) {
        fprintf(f, "parley_forwarder_bytes_total{socket=\"%s\",dir=\"received\"} %" PRIu64 "\n",
                side[s], st[s * 4 + 1]);
        fprintf(f, "parley_forwarder_bytes_total{socket=\"%s\",dir=\"sent\"} %" PRIu64 "\n",
                side[s], st[s * 4 + 3]);
    }
    fprintf(f, "# HELP parley_forwarder_start_time_seconds When this forwarder started.\n"
               "# TYPE parley_forwarder_start_time_seconds gauge\n"
               "parley_forwarder_start_time_seconds %lld\n", (long long)c->started_at);
    if (fclose(f) != 0 || rename(tmp, c->metrics_path) != 0)
        log_warn("cannot write %s: %s", c->metrics_path, strerror(errno));
out:
    free(tmp);
}

static void *control_main(void *arg)
{
    struct control *c = arg;
    struct timespec period = { CONTROL_PERIOD_SECS, 0 };
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    for (;;) {
        uint64_t st[CONTROL_NSTATS];
        int sig = sigtimedwait(&set, NULL, &period);

        if (sig == SIGINT || sig == SIGTERM) {
            log_info("signal %d: terminating", sig);
            zmq_send(c->pair, "TERMINATE", 9, 0);
            return NULL;
        }
        if (control_stats(c, st) < 0) {
            if (errno == ETERM)
                return NULL;
            log_warn("no STATISTICS from the proxy: %s", zmq_strerror(errno));
            continue;
        }
        if (c->metrics_path[0])
            control_write(c, st);
    }
}

struct control *control_start(void *zctx, const char *endpoint, const char *metrics_path,
                              char *err, size_t errlen)
{
    struct control *c = xcalloc(1, sizeof *c);
    int linger = 0, tmo = CONTROL_REPLY_MS;

    c->metrics_path = xstrdup(metrics_path);
    c->started_at = time(NULL);
    c->pair = zmq_socket(zctx, ZMQ_PAIR);
    if (!c->pair || zmq_setsockopt(c->pair, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(c->pair, ZMQ_RCVTIMEO, &tmo, sizeof tmo) != 0 ||
        zmq_connect(c->pair, endpoint) != 0) {
        snprintf(err, errlen, "control socket: %s", zmq_strerror(errno));
        goto fail;
    }
    if (pthread_create(&c->thread, NULL, control_main, c) != 0) {
        snprintf(err, errlen, "cannot start the control thread");
        goto fail;
    }
    c->started = 1;
    return c;
fail:
    control_stop(&c);
    return NULL;
}

void control_stop(struct control **cp)
{
    struct control *c = cp ? *cp : NULL;

    if (!c)
        return;
    if (c->started)
        pthread_join(c->thread, NULL);
    if (c->pair)
        zmq_close(c->pair);
    free(c->metrics_path);
    free(c);
    *cp = NULL;
}
