/* admit.c -- who may connect: the accept budget, the upgrade checks, the
 * client's address.
 *
 * Everything here runs before a connection is a Parley WebSocket, and each
 * refusal is an answer the client can read: an accept past the descriptor
 * budget is closed at once (not left in the kernel's accept queue); an
 * upgrade on the wrong path, from a refused Origin, past the connection
 * budget or past the per-address cap gets a small JSON HTTP error, because
 * a browser cannot see the status of a failed upgrade but a tool can, and
 * nothing is left waiting. */
#include "admit.h"

#include "log.h"
#include "origin.h"
#include "registry.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define ADMIT_PATH "/ws"

static int admit_refuse(struct lws *wsi, unsigned status, const char *body,
                        const char *retry_after);

/* The client's address: the peer, or behind our own proxy (lighttpd appends
 * the address it saw to X-Forwarded-For) the last entry of that header.  The
 * header is believed from a peer on loopback (only a local process can reach
 * the daemon's default 127.0.0.1 port) and on the unix socket (ws_socket:
 * only the front can enter its folder); a unix peer without the header
 * counts as "local". */
void admit_client_addr(struct wsd *w, struct lws *wsi, char *out, size_t len)
{
    char xff[256];
    const char *last;
    int n;

    out[0] = '\0';
    if (w->cfg->ws_socket[0])
        snprintf(out, len, "local");
    else if (!lws_get_peer_simple(wsi, out, len))
        snprintf(out, len, "unknown");
    if (strcmp(out, "127.0.0.1") != 0 && strcmp(out, "::1") != 0 &&
        strcmp(out, "::ffff:127.0.0.1") != 0 && strcmp(out, "local") != 0)
        goto out;
    n = lws_hdr_copy(wsi, xff, (int)sizeof xff, WSI_TOKEN_X_FORWARDED_FOR);
    if (n <= 0)
        goto out;
    last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    if (*last && strlen(last) < len && strspn(last, "0123456789abcdefABCDEF.:") == strlen(last))
        snprintf(out, len, "%s", last);
out:
    return;
}

/* Writes a small JSON error response before the upgrade and returns 1 so lws
 * closes the connection.  In lws 4.1 this is the way to get an HTTP status
 * to the client (returning nonzero elsewhere only hangs up). */
static int admit_refuse(struct lws *wsi, unsigned status, const char *body,
                           const char *retry_after)
{
    unsigned char hdr[LWS_PRE + 256], *start = hdr + LWS_PRE, *p = start;
    unsigned char *end = hdr + sizeof hdr - 1;
    unsigned char out[LWS_PRE + 256];
    size_t blen = strlen(body);

    if (blen > sizeof out - LWS_PRE)
        return 1;
    memcpy(out + LWS_PRE, body, blen);
    if (lws_add_http_common_headers(wsi, status, "application/json", blen, &p, end) ||
        (retry_after &&
         lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
                                     (const unsigned char *)retry_after,
                                     (int)strlen(retry_after), &p, end)) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_write(wsi, out + LWS_PRE, blen, LWS_WRITE_HTTP_FINAL);
    return 1;
}

int admit_upgrade(struct wsd *w, struct lws *wsi)
{
    char uri[64], origin[256], addr[REGISTRY_ADDR_MAX];
    const char *o = NULL;
    int n;

    if (lws_hdr_copy(wsi, uri, (int)sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
        strcmp(uri, ADMIT_PATH) != 0)
        return admit_refuse(wsi, HTTP_STATUS_NOT_FOUND,
                            "{\"error\":{\"code\":\"not_found\",\"message\":\"WebSocket is at /ws\"}}",
                            NULL);
    n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
    if (n > 0) {
        /* An origin too long for the buffer cannot be on any sane list. */
        if (n < (int)sizeof origin &&
            lws_hdr_copy(wsi, origin, (int)sizeof origin, WSI_TOKEN_ORIGIN) > 0)
            o = origin;
        else
            o = "";
    }
    /* Past the descriptor budget, say so at once (the client backs off and
     * retries) rather than leave the socket waiting in the accept queue. */
    if ((w->max_conns && registry_nconns(w->reg) >= w->max_conns) ||
        (w->fd_full && lws_get_socket_fd(wsi) >= w->fd_full)) {
        log_warn("upgrade refused: %zu connections, the most this daemon's open-file limit allows",
                 registry_nconns(w->reg));
        return admit_refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE,
                            "{\"error\":{\"code\":\"server_full\",\"message\":\"too many connections; retry later\"}}",
                            NULL);
    }
    if (!origin_allowed(w->origins, o)) {
        log_warn("upgrade refused: origin '%.64s' not allowed", o);
        return admit_refuse(wsi, HTTP_STATUS_FORBIDDEN,
                            "{\"error\":{\"code\":\"forbidden\",\"message\":\"origin not allowed\"}}",
                            NULL);
    }
    admit_client_addr(w, wsi, addr, sizeof addr);
    if (registry_addr_conns(w->reg, addr) >= (size_t)w->cfg->ws_max_conns_per_addr) {
        log_warn("upgrade from %s refused: over ws_max_conns_per_addr", addr);
        return admit_refuse(wsi, 429,
                            "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"too many connections from this address\"}}",
                            "10");
    }
    return 0;
}

/* A just-accepted descriptor numbered at or past the budget (main.c) means
 * the descriptors kept for ZeroMQ, logs and the listener are being eaten
 * into: close it at once (the client sees the connection end; it is not
 * left in the accept queue).  Returns nonzero to refuse.  Logged at most
 * once a second with a count, so a flood cannot fill the disk. */
int admit_accept(struct wsd *w, int fd)
{
    long long now;

    if (!w->fd_budget || fd < w->fd_budget)
        return 0;
    w->fd_refused++;
    now = (long long)time(NULL);
    if (now != w->fd_refused_logged) {
        log_warn("refused %lu connection%s: descriptor %d is past the budget of %d",
                 w->fd_refused, w->fd_refused == 1 ? "" : "s", fd, w->fd_budget);
        w->fd_refused = 0;
        w->fd_refused_logged = now;
    }
    return 1;
}
