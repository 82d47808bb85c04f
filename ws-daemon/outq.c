/* outq.c -- refcounted frames and lazily allocated per-connection rings
 * (see outq.h).
 *
 * The ring starts at 4 slots and doubles; the byte cap, not the slot count,
 * bounds it.  Frames are read-only apart from the headroom, which lws_write
 * overwrites with the WebSocket header each time: writes happen one at a
 * time on the service thread, so sharing the headroom is safe. */
#include "outq.h"

#include "xmem.h"

#include <stdlib.h>
#include <string.h>

#define OUTQ_MIN_SLOTS 4

static void outq_grow(struct outq *q);

struct outq_frame *outq_frame_wrap(unsigned char *buf, size_t headroom,
                                   size_t len)
{
    struct outq_frame *f = xmalloc(sizeof *f);
    f->refs = 1;
    f->len = (uint32_t)len;
    f->headroom = headroom;
    f->buf = buf;
    return f;
}

struct outq_frame *outq_frame_text(const char *text, size_t len,
                                   size_t headroom)
{
    unsigned char *buf = xmalloc(headroom + len + 1);
    memcpy(buf + headroom, text, len);
    buf[headroom + len] = '\0';
    return outq_frame_wrap(buf, headroom, len);
}

unsigned char *outq_frame_data(struct outq_frame *f)
{
    return f->buf + f->headroom;
}

struct outq_frame *outq_frame_ref(struct outq_frame *f)
{
    f->refs++;
    return f;
}

void outq_frame_unref(struct outq_frame **fp)
{
    struct outq_frame *f = fp ? *fp : NULL;
    if (!f)
        return;
    *fp = NULL;
    if (--f->refs == 0) {
        free(f->buf);
        free(f);
    }
}

static void outq_grow(struct outq *q)
{
    uint32_t ncap = q->cap ? q->cap * 2 : OUTQ_MIN_SLOTS;
    struct outq_frame **ns = xmalloc(ncap * sizeof *ns);

    /* Unroll the ring so head is 0 again. */
    for (uint32_t i = 0; i < q->count; i++)
        ns[i] = q->slot[(q->head + i) % q->cap];
    free(q->slot);
    q->slot = ns;
    q->head = 0;
    q->cap = ncap;
}

int outq_push(struct outq *q, struct outq_frame *f, size_t max_bytes)
{
    if (q->count && q->bytes + f->len > max_bytes)
        return -1;
    if (q->count == q->cap)
        outq_grow(q);
    q->slot[(q->head + q->count) % q->cap] = outq_frame_ref(f);
    q->count++;
    q->bytes += f->len;
    return 0;
}

struct outq_frame *outq_pop(struct outq *q)
{
    struct outq_frame *f;

    if (!q->count)
        return NULL;
    f = q->slot[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    q->bytes -= f->len;
    if (!q->count) {
        /* Idle connections keep no slot array. */
        free(q->slot);
        q->slot = NULL;
        q->head = q->cap = 0;
    }
    return f;
}

size_t outq_clear(struct outq *q)
{
    size_t n = q->count;
    for (uint32_t i = 0; i < q->count; i++)
        outq_frame_unref(&q->slot[(q->head + i) % q->cap]);
    free(q->slot);
    memset(q, 0, sizeof *q);
    return n;
}
