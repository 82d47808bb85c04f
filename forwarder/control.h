/* control.h -- the forwarder's steering thread: signals and STATISTICS.
 *
 * zmq_proxy_steerable() owns the main thread.  This thread holds the other
 * end of its control socket: every second it asks for STATISTICS and
 * rewrites the Prometheus text file; on SIGINT/SIGTERM it sends TERMINATE.
 * (The signals are blocked in every thread and taken here with
 * sigtimedwait, so no handler runs inside libzmq.) */
#ifndef FWD_CONTROL_H
#define FWD_CONTROL_H

#include <stddef.h>

struct control;

/* Connects to the proxy's control endpoint and starts the thread.
 * metrics_path may be "" (no file).  Returns NULL with a reason in err. */
struct control *control_start(void *zctx, const char *endpoint, const char *metrics_path,
                              char *err, size_t errlen);

/* Joins the thread (it ends after sending TERMINATE, or when the context
 * shuts down) and frees it.  NULL-safe; sets *cp to NULL. */
void control_stop(struct control **cp);

#endif
