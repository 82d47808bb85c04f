/* notify.c -- non-blocking event PUSH to ws-daemon (see notify.h). */
#include "notify.h"

#include "log.h"
#include "xmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

struct notify {
    void *ctx;
    void *sock;
    unsigned long dropped;
};

struct notify *notify_new(const char *endpoint, int sndhwm, char *err, size_t errlen)
{
    struct notify *n = xcalloc(1, sizeof *n);
    int linger = 200;    /* exit may take 0.2 s to flush, never hang */
    int immediate = 0;   /* queue while the daemon restarts */

    n->ctx = zmq_ctx_new();
    if (!n->ctx)
        goto fail;
    n->sock = zmq_socket(n->ctx, ZMQ_PUSH);
    if (!n->sock ||
        zmq_setsockopt(n->sock, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm) != 0 ||
        zmq_setsockopt(n->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(n->sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate) != 0 ||
        zmq_connect(n->sock, endpoint) != 0)
        goto fail;
    return n;
fail:
    snprintf(err, errlen, "zmq PUSH to %s: %s", endpoint, zmq_strerror(errno));
    notify_destroy(&n);
    return NULL;
}

void notify_destroy(struct notify **np)
{
    struct notify *n = *np;
    if (!n)
        return;
    if (n->sock)
        zmq_close(n->sock);
    if (n->ctx)
        zmq_ctx_term(n->ctx);
    free(n);
    *np = NULL;
}

int notify_send(struct notify *n, const char *buf, size_t len)
{
    if (zmq_send(n->sock, buf, len, ZMQ_DONTWAIT) >= 0)
        return 0;
    n->dropped++;
    /* Log the first drop and then every 1000th, not every one. */
    if (n->dropped == 1 || n->dropped % 1000 == 0)
        log_warn("event queue to ws-daemon full (%s): %lu events dropped so far",
                 zmq_strerror(errno), n->dropped);
    return -1;
}
