/* admit.h -- who may connect to the daemon (accept budget, upgrade checks,
 * client address).  Called from the protocol callback (wsd_proto.c) on the
 * service thread only. */
#ifndef WSD_ADMIT_H
#define WSD_ADMIT_H

#include "registry.h"
#include "wsd.h"

#include <libwebsockets.h>

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: `fd` was just accepted.  Returns
 * nonzero (lws then closes it) when its number is at or past w->fd_budget
 * (see main.c), 0 to go on. */
int admit_accept(struct wsd *w, int fd);

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: path, connection budget, Origin and
 * per-address cap.  Returns 0 to upgrade, or 1 after writing a JSON HTTP
 * error (404, 503, 403, 429) so lws closes the connection. */
int admit_upgrade(struct wsd *w, struct lws *wsi);

/* Writes the client's address into out[0..len): the peer's, or behind our
 * own proxy the last X-Forwarded-For entry ("local" on the unix socket). */
void admit_client_addr(struct wsd *w, struct lws *wsi, char *out, size_t len);

#endif
