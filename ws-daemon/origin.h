/* origin.h -- the allow-list of browser Origins for WebSocket upgrades.
 *
 * Built once from the ws_origins setting (comma-separated, e.g.
 * "http://chat.example.com,https://chat.example.com").  An empty list allows
 * every origin: the default deployment serves the page and proxies /ws from
 * the same lighttpd origin.  Pure logic, no I/O. */
#ifndef WSD_ORIGIN_H
#define WSD_ORIGIN_H

#include <stddef.h>

struct origin_list;

/* Parses `spec`; blanks around items and empty items are ignored.  Returns
 * a list the caller releases with origin_list_destroy(); never NULL. */
struct origin_list *origin_list_new(const char *spec);

/* Frees the list and sets *lp to NULL; NULL-safe. */
void origin_list_destroy(struct origin_list **lp);

/* Number of entries (0 = every origin allowed). */
size_t origin_list_count(const struct origin_list *l);

/* 1 if an upgrade carrying Origin `origin` (NULL = no header) may proceed:
 * the list is empty, the header is absent (non-browser clients), or it
 * matches an entry (ASCII case-insensitive).  Otherwise 0. */
int origin_allowed(const struct origin_list *l, const char *origin);

#endif
