/* keepalive.c -- the timing wheel of keepalive.h. */
#include "keepalive.h"

#include "xmem.h"

#include <stdlib.h>
#include <time.h>

struct ka_wheel {
    lws_sorted_usec_list_t sul;   /* the one lws timer: every second */
    struct lws_context *ctx;
    struct lws_dll2_owner *slot;  /* nslots lists of links, by due second */
    unsigned nslots;
    uint32_t done;                /* last second visited */
    ka_visit_fn visit;
    void *arg;
};

static void ka_tick(lws_sorted_usec_list_t *sul);

uint32_t ka_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)ts.tv_sec;
}

struct ka_wheel *ka_new(struct lws_context *ctx, unsigned horizon_secs, ka_visit_fn visit,
                        void *arg)
{
    struct ka_wheel *k = xcalloc(1, sizeof *k);

    /* One slot more than the horizon: a link scheduled now + horizon never
     * lands in the slot being visited. */
    k->nslots = horizon_secs + 2;
    k->slot = xcalloc(k->nslots, sizeof *k->slot);
    k->ctx = ctx;
    k->visit = visit;
    k->arg = arg;
    k->done = ka_now();
    lws_sul_schedule(ctx, 0, &k->sul, ka_tick, LWS_US_PER_SEC);
    return k;
}

void ka_destroy(struct ka_wheel **kp)
{
    struct ka_wheel *k = kp ? *kp : NULL;

    if (!k)
        return;
    /* The links belong to their connections; only detach them. */
    for (unsigned i = 0; i < k->nslots; i++) {
        lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1, lws_dll2_get_head(&k->slot[i])) {
            lws_dll2_remove(d);
        } lws_end_foreach_dll_safe(d, d1);
    }
    free(k->slot);
    free(k);
    *kp = NULL;
}

void ka_stop(struct ka_wheel *k)
{
    if (k)
        lws_sul_cancel(&k->sul);
}

void ka_schedule(struct ka_wheel *k, struct lws_dll2 *link, uint32_t due)
{
    uint32_t now = ka_now();

    if ((int32_t)(due - now) < 1)
        due = now + 1;
    else if (due - now > k->nslots - 2)
        due = now + (k->nslots - 2);
    ka_remove(link);
    lws_dll2_add_tail(link, &k->slot[due % k->nslots]);
}

void ka_remove(struct lws_dll2 *link)
{
    if (link->owner)
        lws_dll2_remove(link);
}

/* Visits every second from the last one done up to now (a loop that was
 * late catches up), then sleeps a second. */
static void ka_tick(lws_sorted_usec_list_t *sul)
{
    struct ka_wheel *k = lws_container_of(sul, struct ka_wheel, sul);
    uint32_t now = ka_now();

    /* Past a whole turn every slot is due anyway. */
    if (now - k->done > k->nslots)
        k->done = now - k->nslots;
    while ((int32_t)(now - k->done) > 0) {
        struct lws_dll2_owner *o;

        k->done++;
        o = &k->slot[k->done % k->nslots];
        /* The visitor re-schedules each link into another slot (at least
         * one second ahead), so the walk ends. */
        lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1, lws_dll2_get_head(o)) {
            lws_dll2_remove(d);
            k->visit(d, k->arg);
        } lws_end_foreach_dll_safe(d, d1);
    }
    lws_sul_schedule(k->ctx, 0, &k->sul, ka_tick, LWS_US_PER_SEC);
}
