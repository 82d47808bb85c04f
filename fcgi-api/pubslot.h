/* pubslot.h -- a worker's publisher id and sequence number kept in a file,
 * so that the worker lighttpd starts in place of a killed one goes on
 * numbering where the dead one stopped.
 *
 * Why: a worker answers a post after it queued the post's event in its
 * ZeroMQ socket, but libzmq writes the event out on its own I/O thread a
 * moment later.  A worker killed in that moment loses the event, and since
 * it was the last of its publisher's sequence, no daemon sees a gap.  With
 * a slot the number was stored before the event was queued; the successor
 * adopts the slot and its first envelope (notify.c sends one at once)
 * carries the next number, so every daemon sees the gap and tells its
 * clients to resync (docs/ws-daemon.md, "Delivery promise").
 *
 * One file a live worker, "<pid>.pub" in the folder pub_state_dir
 * (docs/config.md), mapped shared: a store into it is in the page cache at
 * once and outlives the process.  A file whose process is gone (its pid
 * dead, or reused: the start time differs) is adopted by rename(), which
 * exactly one of several starting workers wins. */
#ifndef PL_PUBSLOT_H
#define PL_PUBSLOT_H

#include <stddef.h>
#include <stdint.h>

struct pubslot;

/* Adopts a dead worker's slot in dir, or creates a new one with a random
 * publisher id (*adopted tells which).  Returns NULL with a reason in err
 * when dir cannot be used.  Release with pubslot_close (the file stays for
 * the next worker). */
struct pubslot *pubslot_open(const char *dir, int *adopted, char *err, size_t errlen);
void pubslot_close(struct pubslot **sp);

uint64_t pubslot_pub(const struct pubslot *s);
/* The next sequence number, stored before it is returned. */
uint64_t pubslot_next(struct pubslot *s);

#endif
