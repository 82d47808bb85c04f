/* zap.h -- the forwarder's ZAP handler: a CURVE public-key allow-list.
 *
 * libzmq asks a handler bound on inproc://zeromq.zap.01 (ZeroMQ RFC 27) about
 * every handshake on a socket that has a ZAP domain.  Ours answers 200 for a
 * CURVE client whose public key is in the allow-list file and 400 for
 * anything else, so a host without an allowed key can neither publish nor
 * subscribe.  It runs on its own thread with its own REP socket. */
#ifndef FWD_ZAP_H
#define FWD_ZAP_H

#include <stddef.h>

struct zap;

/* Reads the allow-list (one Z85 public key per line; lines starting with '#' are comments), binds
 * the handler in zctx and starts its thread.  Returns the handler or NULL
 * with a reason in err.  Must run before any CURVE socket binds. */
struct zap *zap_start(void *zctx, const char *allow_path, char *err, size_t errlen);

/* Joins the thread (call after zmq_ctx_shutdown, which wakes it) and frees
 * everything.  Sets *zp to NULL; NULL-safe. */
void zap_stop(struct zap **zp);

/* Keys in the allow-list. */
size_t zap_nkeys(const struct zap *z);

#endif
