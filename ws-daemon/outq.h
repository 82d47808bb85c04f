/* outq.h -- per-connection queue of shared, reference-counted frames.
 *
 * One event often goes to many sockets (every tab of every member), so a
 * frame is built once and each queue holds a reference to it.  A queue
 * costs nothing until something is queued: its slot array is allocated on
 * the first push and freed when it drains, because most connections are idle
 * most of the time.  The byte count per queue is what the daemon caps to cull
 * slow readers.  Pure logic, no I/O. */
#ifndef WSD_OUTQ_H
#define WSD_OUTQ_H

#include <stddef.h>
#include <stdint.h>

struct outq_frame {
    uint32_t refs;
    uint32_t len;             /* payload bytes */
    size_t headroom;          /* free bytes before the payload (LWS_PRE) */
    unsigned char *buf;       /* headroom + len + 1 bytes, owned */
};

struct outq {
    struct outq_frame **slot; /* ring of cap entries, NULL while empty */
    uint32_t head, count, cap;
    size_t bytes;             /* sum of queued payload lengths */
};

/* Wraps `buf` (malloc'd, `headroom` free bytes then `len` payload bytes),
 * taking ownership of it.  The frame starts with one reference, owned by
 * the caller. */
struct outq_frame *outq_frame_wrap(unsigned char *buf, size_t headroom,
                                   size_t len);

/* Copies text[0..len) into a new frame with `headroom` free bytes in front.
 * One reference, owned by the caller. */
struct outq_frame *outq_frame_text(const char *text, size_t len,
                                   size_t headroom);

/* The payload (writable: lws_write puts its header in the headroom). */
unsigned char *outq_frame_data(struct outq_frame *f);

/* Takes one more reference; returns f. */
struct outq_frame *outq_frame_ref(struct outq_frame *f);

/* Drops one reference, freeing the frame with the last; sets *fp to NULL.
 * NULL-safe. */
void outq_frame_unref(struct outq_frame **fp);

/* Appends f, taking a new reference of its own.  Refused (returns -1,
 * nothing changes) when the queue is not empty and would exceed
 * `max_bytes`; a single frame into an empty queue is always accepted so
 * that one large event cannot be refused forever.  Returns 0 on success. */
int outq_push(struct outq *q, struct outq_frame *f, size_t max_bytes);

/* Removes the oldest frame and hands its reference to the caller (who must
 * outq_frame_unref it), or returns NULL when empty. */
struct outq_frame *outq_pop(struct outq *q);

/* Drops every queued frame and frees the slot array; the queue stays
 * usable.  Returns how many frames were dropped. */
size_t outq_clear(struct outq *q);

#endif
