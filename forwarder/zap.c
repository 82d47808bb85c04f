/* zap.c -- ZAP allow-list handler (see zap.h).
 *
 * Why a hand-written handler: libzmq ships none, and CZMQ's zauth would add
 * a library for forty lines.  The handler only compares a 32-byte key with
 * a list; the allow-list is read once at start (restart to change it). */
#include "zap.h"

#include "log.h"
#include "xmem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_FRAMES 7      /* version, id, domain, address, identity, mechanism, key */

struct zap {
    void *rep;
    pthread_t thread;
    int started;
    unsigned char (*keys)[32];
    size_t nkeys;
};

static int zap_load(struct zap *z, const char *path, char *err, size_t errlen);
static void *zap_main(void *arg);
static int zap_allowed(const struct zap *z, const unsigned char *key, size_t len);

static int zap_load(struct zap *z, const char *path, char *err, size_t errlen)
{
    char line[256];
    size_t cap = 0;
    FILE *f = fopen(path, "r");

    if (!f) {
        snprintf(err, errlen, "cannot open the key allow-list %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *s = line, *e;
        while (*s == ' ' || *s == '\t')
            s++;
        e = s + strcspn(s, " \t\r\n");   /* Z85 keys may contain '#' */
        if (*s == '#' || e == s)
            continue;
        *e = '\0';
        if (z->nkeys == cap) {
            cap = cap ? cap * 2 : 8;
            z->keys = xrealloc(z->keys, cap * sizeof *z->keys);
        }
        if (strlen(s) != 40 || !zmq_z85_decode(z->keys[z->nkeys], s)) {
            snprintf(err, errlen, "%s: '%s' is not a 40-character Z85 public key", path, s);
            fclose(f);
            return -1;
        }
        z->nkeys++;
    }
    fclose(f);
    return 0;
}

static int zap_allowed(const struct zap *z, const unsigned char *key, size_t len)
{
    if (len != 32)
        return 0;
    for (size_t i = 0; i < z->nkeys; i++)
        if (memcmp(z->keys[i], key, 32) == 0)
            return 1;
    return 0;
}

static void *zap_main(void *arg)
{
    struct zap *z = arg;

    for (;;) {
        zmq_msg_t f[ZAP_FRAMES];
        size_t n = 0;
        int more = 1, ok;
        char addr[64] = "", mech[16] = "";
        const char *status, *text;

        /* Read one request, whatever its length; keep the first frames. */
        while (more) {
            zmq_msg_t m;
            size_t sz = sizeof more;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, z->rep, 0) < 0) {
                int e = errno;
                zmq_msg_close(&m);
                for (size_t i = 0; i < n; i++)
                    zmq_msg_close(&f[i]);
                if (e == EINTR)
                    goto next;
                return NULL;    /* ETERM: the context is shutting down */
            }
            zmq_getsockopt(z->rep, ZMQ_RCVMORE, &more, &sz);
            if (n < ZAP_FRAMES)
                f[n++] = m;
            else
                zmq_msg_close(&m);
        }
        ok = n == ZAP_FRAMES && zmq_msg_size(&f[5]) == 5 &&
             memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
             zap_allowed(z, zmq_msg_data(&f[6]), zmq_msg_size(&f[6]));
        if (n > 3)
            snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&f[3]),
                     (const char *)zmq_msg_data(&f[3]));
        if (n > 5)
            snprintf(mech, sizeof mech, "%.*s", (int)zmq_msg_size(&f[5]),
                     (const char *)zmq_msg_data(&f[5]));
        status = ok ? "200" : "400";
        text = ok ? "OK" : "key not allowed";
        if (!ok)
            log_warn("refused a %s peer from %s: key not in the allow-list",
                     mech[0] ? mech : "?", addr[0] ? addr : "?");
        /* Reply: version, request id, status code, text, user id, metadata. */
        if (n >= 2) {
            zmq_send(z->rep, "1.0", 3, ZMQ_SNDMORE);
            zmq_send(z->rep, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
            zmq_send(z->rep, status, 3, ZMQ_SNDMORE);
            zmq_send(z->rep, text, strlen(text), ZMQ_SNDMORE);
            zmq_send(z->rep, "", 0, ZMQ_SNDMORE);
            zmq_send(z->rep, "", 0, 0);
        }
        for (size_t i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
next:;
    }
}

struct zap *zap_start(void *zctx, const char *allow_path, char *err, size_t errlen)
{
    struct zap *z = xcalloc(1, sizeof *z);
    int linger = 0;

    if (zap_load(z, allow_path, err, errlen) < 0)
        goto fail;
    z->rep = zmq_socket(zctx, ZMQ_REP);
    if (!z->rep || zmq_setsockopt(z->rep, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(z->rep, ZAP_ENDPOINT) != 0) {
        snprintf(err, errlen, "ZAP handler: %s", zmq_strerror(errno));
        goto fail;
    }
    if (pthread_create(&z->thread, NULL, zap_main, z) != 0) {
        snprintf(err, errlen, "ZAP handler: cannot start its thread");
        goto fail;
    }
    z->started = 1;
    return z;
fail:
    zap_stop(&z);
    return NULL;
}

void zap_stop(struct zap **zp)
{
    struct zap *z = zp ? *zp : NULL;

    if (!z)
        return;
    if (z->started)
        pthread_join(z->thread, NULL);
    if (z->rep)
        zmq_close(z->rep);
    free(z->keys);
    free(z);
    *zp = NULL;
}

size_t zap_nkeys(const struct zap *z)
{
    return z ? z->nkeys : 0;
}
