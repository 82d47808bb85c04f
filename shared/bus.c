/* bus.c -- bus message headers and CURVE client options (see bus.h). */
#include "bus.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

uint64_t bus_new_publisher(void)
{
    uint64_t id = 0;

    while (id == 0)
        randombytes_buf(&id, sizeof id);
    return id;
}

size_t bus_header(char *buf, char kind, uint64_t pub, uint64_t seq)
{
    int n;

    if (kind != BUS_KIND_EVENT) {
        buf[0] = kind;
        buf[1] = '\0';
        return 1;
    }
    n = snprintf(buf, BUS_HEADER_MAX, "e%016" PRIx64 ":%" PRIu64, pub, seq);
    return (size_t)n;
}

int bus_header_parse(const void *data, size_t len, char *kind, uint64_t *pub,
                     uint64_t *seq)
{
    char tmp[BUS_HEADER_MAX];
    char *end;
    const char *p = data;

    if (len == 0 || len >= sizeof tmp)
        return -1;
    if (p[0] == BUS_KIND_NOTE && len == 1) {
        *kind = BUS_KIND_NOTE;
        return 0;
    }
    /* "e" + 16 hex + ":" + at least one digit */
    if (p[0] != BUS_KIND_EVENT || len < 19 || p[17] != ':')
        return -1;
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    errno = 0;
    *pub = strtoull(tmp + 1, &end, 16);
    if (errno || end != tmp + 17)
        return -1;
    *seq = strtoull(tmp + 18, &end, 10);
    if (errno || *end || tmp[18] < '0' || tmp[18] > '9')
        return -1;
    *kind = BUS_KIND_EVENT;
    return 0;
}

int bus_curve_client(void *sock, const struct pl_config *cfg, char *err,
                     size_t errlen)
{
    if (!cfg->zmq_curve_server[0])
        return 0;
    if (strlen(cfg->zmq_curve_server) != 40 || strlen(cfg->zmq_curve_public) != 40 ||
        strlen(cfg->zmq_curve_secret) != 40) {
        snprintf(err, errlen, "zmq_curve_server, zmq_curve_public and zmq_curve_secret "
                              "must all be 40-character Z85 keys");
        return -1;
    }
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, cfg->zmq_curve_server, 41) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, cfg->zmq_curve_public, 41) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, cfg->zmq_curve_secret, 41) != 0) {
        snprintf(err, errlen, "CURVE client options: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}
