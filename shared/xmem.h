/* xmem.h -- allocation wrappers that abort on out-of-memory.
 *
 * Parley treats OOM as fatal (as redis and lighttpd do): callers never carry
 * NULL branches for allocations that cannot fail in practice.  Every pointer
 * returned here is owned by the caller and released with free(). */
#ifndef PL_XMEM_H
#define PL_XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
