/* origin.c -- Origin allow-list (see origin.h).
 *
 * Origins are compared whole (scheme://host[:port]) and case-insensitively,
 * as browsers serialise them in lower case but operators may not.  A missing
 * Origin header is allowed because only browsers send one and the check
 * exists to stop other sites' pages from using a visitor's token. */
#include "origin.h"

#include "xmem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct origin_list {
    char **item;
    size_t n;
};

struct origin_list *origin_list_new(const char *spec)
{
    struct origin_list *l = xcalloc(1, sizeof *l);
    const char *p = spec ? spec : "";

    while (*p) {
        const char *s = p, *e;
        while (*p && *p != ',')
            p++;
        e = p;
        if (*p == ',')
            p++;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e == s)
            continue;
        l->item = xrealloc(l->item, (l->n + 1) * sizeof *l->item);
        l->item[l->n++] = xstrndup(s, (size_t)(e - s));
    }
    return l;
}

void origin_list_destroy(struct origin_list **lp)
{
    struct origin_list *l = lp ? *lp : NULL;
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->item[i]);
    free(l->item);
    free(l);
    *lp = NULL;
}

size_t origin_list_count(const struct origin_list *l)
{
    return l->n;
}

int origin_allowed(const struct origin_list *l, const char *origin)
{
    if (l->n == 0 || origin == NULL)
        return 1;
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->item[i], origin) == 0)
            return 1;
    return 0;
}
