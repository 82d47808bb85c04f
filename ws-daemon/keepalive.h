/* keepalive.h -- when each WebSocket is next looked at: a timing wheel of
 * one-second slots.
 *
 * Why not libwebsockets' own validity timers (retry_and_idle_policy): lws
 * 4.1 keeps every connection's ping/hangup timer in one time-sorted linked
 * list and inserts by walking it from the head, so every ping sent and
 * every pong received costs a walk over all connections.  With 7,000
 * connections in one daemon that walk (lws_dll2_add_sorted) was 81 % of the
 * daemon's CPU, pongs waited unread in socket buffers until the hangup
 * fired, and the daemon dropped thousands of healthy sockets with 1006
 * (docs/bench.md, step 10).  Here adding, moving and visiting a connection
 * is O(1), and one lws timer ticks once a second for the whole wheel. */
#ifndef KEEPALIVE_H
#define KEEPALIVE_H

#include <libwebsockets.h>
#include <stdint.h>

struct ka_wheel;

/* visit(link, arg) runs for each link whose second has come; it must put
 * the link back with ka_schedule (or leave it detached).  horizon_secs is
 * the longest delay ka_schedule will be asked for. */
typedef void (*ka_visit_fn)(struct lws_dll2 *link, void *arg);

struct ka_wheel *ka_new(struct lws_context *ctx, unsigned horizon_secs, ka_visit_fn visit,
                        void *arg);
/* Stops the tick: before lws_context_destroy (which owns the timer list);
 * ka_destroy after it (closing connections still take their links off). */
void ka_stop(struct ka_wheel *k);
void ka_destroy(struct ka_wheel **kp);
/* (Re)places link in the slot of second `due` (monotonic seconds, clamped
 * to between now + 1 and now + horizon). */
void ka_schedule(struct ka_wheel *k, struct lws_dll2 *link, uint32_t due);
/* Takes link off the wheel; harmless on a detached link. */
void ka_remove(struct lws_dll2 *link);
/* Monotonic seconds, the wheel's clock. */
uint32_t ka_now(void);

#endif
