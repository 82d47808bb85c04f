/* test_wsd_origin.c -- ws-daemon's Origin allow-list and /metrics text.
 *
 * Includes origin.c and metrics.c themselves (pure logic, no lws). */
#include "../../ws-daemon/metrics.c"
#include "../../ws-daemon/origin.c"

#include "testhelp.h"

#include <string.h>

int main(void)
{
    struct origin_list *l = origin_list_new("");
    struct metrics m = { .events_in = 12, .events_bad = 1, .frames_out = 30,
                         .frames_dropped = 2, .slow_closes = 1, .auth_failures = 4 };
    struct metrics_gauges g = { .connections = 3, .users = 2, .queue_bytes = 99 };
    char buf[4096], tiny[64];
    static const char *const names[] = {
        "parley_ws_connections 3\n", "parley_ws_users 2\n", "parley_events_in_total 12\n",
        "parley_events_bad_total 1\n", "parley_frames_out_total 30\n",
        "parley_frames_dropped_total 2\n", "parley_ws_queue_bytes 99\n",
        "parley_ws_slow_closes_total 1\n", "parley_ws_auth_failures_total 4\n",
    };
    int n, ok;

    test_cond("empty list allows any origin", origin_list_count(l) == 0 &&
                                                  origin_allowed(l, "http://evil.example"));
    origin_list_destroy(&l);
    test_cond("destroy sets NULL", l == NULL);

    l = origin_list_new(" http://a.example:8080 ,, HTTPS://B.example,");
    test_cond("blanks and empty items skipped", origin_list_count(l) == 2);
    test_cond("listed origin allowed", origin_allowed(l, "http://a.example:8080"));
    test_cond("case-insensitive match", origin_allowed(l, "https://b.example"));
    test_cond("other port refused", !origin_allowed(l, "http://a.example:8081"));
    test_cond("prefix is not a match", !origin_allowed(l, "http://a.example"));
    test_cond("empty Origin value refused", !origin_allowed(l, ""));
    test_cond("no Origin header (non-browser) allowed", origin_allowed(l, NULL));
    origin_list_destroy(&l);
    origin_list_destroy(&l);

    n = metrics_render(&m, &g, buf, sizeof buf);
    test_cond("metrics render", n > 0 && (size_t)n == strlen(buf));
    ok = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(buf, names[i]))
            ok = 0;
    test_cond("every metric with its value", ok);
    test_cond("TYPE lines present", strstr(buf, "# TYPE parley_events_in_total counter\n") &&
                                        strstr(buf, "# TYPE parley_ws_connections gauge\n"));
    test_cond("too small a buffer is reported", metrics_render(&m, &g, tiny, sizeof tiny) == -1 &&
                                                    strlen(tiny) < sizeof tiny);
    return test_report();
}
