/* test_wsd_outq.c -- ws-daemon's refcounted per-connection frame queue,
 * and the frame sharing it is built for (event_frame per recipient).
 *
 * Includes outq.c itself (pure logic, no lws). */
#include "../../ws-daemon/outq.c"

#include "event.h"
#include "testhelp.h"

#include <string.h>

#define HEAD 16   /* stands in for LWS_PRE */

static int payload_is(struct outq_frame *f, const char *s)
{
    return f && f->len == strlen(s) && memcmp(outq_frame_data(f), s, f->len) == 0;
}

int main(void)
{
    struct outq q = { 0 }, q2 = { 0 };
    struct outq_frame *a = outq_frame_text("aaaa", 4, HEAD);
    struct outq_frame *b = outq_frame_text("bbbbbbbb", 8, HEAD);
    struct outq_frame *f;
    int ok;

    test_cond("new frame has one ref and headroom", a->refs == 1 && a->headroom == HEAD &&
                                                        payload_is(a, "aaaa"));
    test_cond("idle queue owns no slot array", q.slot == NULL && q.cap == 0);
    test_cond("push a", outq_push(&q, a, 100) == 0 && a->refs == 2 && q.bytes == 4);
    test_cond("slot array allocated lazily", q.slot != NULL && q.cap == 4);
    test_cond("same frame into a second queue (shared)", outq_push(&q2, a, 100) == 0 &&
                                                             a->refs == 3);
    test_cond("push b", outq_push(&q, b, 100) == 0 && q.count == 2 && q.bytes == 12);
    f = outq_pop(&q);
    test_cond("pop gives oldest first", f == a && q.bytes == 8);
    outq_frame_unref(&f);
    test_cond("unref sets NULL and drops one ref", f == NULL && a->refs == 2);
    f = outq_pop(&q);
    test_cond("then b", f == b && q.count == 0 && q.bytes == 0);
    outq_frame_unref(&f);
    test_cond("drained queue frees its slots", q.slot == NULL && q.cap == 0);
    test_cond("pop on empty is NULL", outq_pop(&q) == NULL);

    /* The byte cap: refused when non-empty and it would pass the cap. */
    test_cond("first frame always fits, even over the cap", outq_push(&q, b, 4) == 0);
    test_cond("second over the cap refused", outq_push(&q, a, 4) == -1 && q.count == 1 &&
                                                 q.bytes == 8 && a->refs == 2);
    test_cond("exactly at the cap accepted", outq_push(&q, a, 12) == 0 && q.bytes == 12);
    test_cond("clear drops all and reports count", outq_clear(&q) == 2 && q.count == 0 &&
                                                       q.bytes == 0 && q.slot == NULL);
    test_cond("clear released the queue refs", a->refs == 2 && b->refs == 1);

    /* Wrap-around and growth keep FIFO order: compare with a model. */
    {
        struct outq_frame *model[64];
        size_t mh = 0, mt = 0;
        ok = 1;
        for (int step = 0; step < 40; step++) {
            struct outq_frame *x = step % 3 ? a : b;
            outq_push(&q, x, 1 << 20);
            model[mt++] = x;
            if (step % 4 == 3) {   /* pop now and then so the ring wraps */
                f = outq_pop(&q);
                ok = ok && f == model[mh++];
                outq_frame_unref(&f);
            }
        }
        test_cond("grew past 4 slots", q.cap >= 32 && q.count == mt - mh);
        while ((f = outq_pop(&q)) != NULL) {
            ok = ok && f == model[mh++];
            outq_frame_unref(&f);
        }
        test_cond("FIFO order kept across wrap and growth", ok && mh == mt);
    }
    outq_clear(&q);
    outq_clear(&q2);
    test_cond("all queue refs returned", a->refs == 1 && b->refs == 1);
    outq_frame_unref(&a);
    outq_frame_unref(&b);
    outq_frame_unref(&a);
    test_cond("unref(NULL) is a no-op", a == NULL);

    /* Frames as the daemon builds them: event_frame output wrapped. */
    {
        static const char env_json[] =
            "{\"v\":1,\"type\":\"new_message\",\"seq\":5,"
            "\"event\":{\"type\":\"new_message\",\"seq\":5,\"chat_id\":3},"
            "\"recipients\":[{\"user_id\":2,\"unread_count\":1,\"total_unread\":4},"
            "{\"user_id\":1}]}";
        struct event_env env;
        char err[128];
        size_t len;
        struct outq_frame *f0, *f1;
        unsigned char *buf;

        test_cond("envelope decodes", event_decode(env_json, strlen(env_json), &env, err,
                                                   sizeof err) == 0);
        buf = event_frame(&env, 0, HEAD, &len);
        f0 = outq_frame_wrap(buf, HEAD, len);
        buf = event_frame(&env, 1, HEAD, &len);
        f1 = outq_frame_wrap(buf, HEAD, len);
        test_cond("recipient with unread gets the spliced fields",
                  payload_is(f0, "{\"type\":\"new_message\",\"seq\":5,\"chat_id\":3,"
                                 "\"unread_count\":1,\"total_unread\":4}"));
        test_cond("recipient without gets the bare event",
                  payload_is(f1, "{\"type\":\"new_message\",\"seq\":5,\"chat_id\":3}"));
        outq_push(&q, f0, 1 << 20);
        outq_push(&q2, f0, 1 << 20);
        outq_frame_unref(&f0);
        f = outq_pop(&q);
        test_cond("frame outlives its creator while queued", f && f->refs == 2 &&
                                                                 outq_frame_data(f)[0] == '{');
        outq_frame_unref(&f);
        outq_clear(&q2);
        outq_frame_unref(&f1);
        event_env_clear(&env);
    }
    return test_report();
}
