/* registry.c -- user id -> that user's connections (see registry.h).
 *
 * Separate chaining with power-of-two buckets, doubled when users outnumber
 * buckets so chains stay about one entry long.  Each user entry heads a
 * doubly linked list of intrusive connection links, which is what makes
 * removal O(1) from the connection alone: a closing socket never searches.
 * User ids are dense small integers from a database sequence, so the hash
 * multiplies by a 64-bit odd constant (Fibonacci hashing) and keeps the top
 * bits, which spreads consecutive ids over all buckets. */
#include "registry.h"

#include "xmem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRY_MIN_BITS 6
#define REGISTRY_ADDR_BUCKETS 1024   /* address chains; see registry_addr_slot */

struct registry_user {
    long long user_id;
    struct registry_user *hnext;  /* bucket chain */
    struct registry_conn *head;
    size_t nconns;
};

/* Connections per client address.  Separate from the users: a socket is
 * counted here from the upgrade, before any token is checked. */
struct registry_addr {
    struct registry_addr *next;
    size_t nconns;
    char addr[REGISTRY_ADDR_MAX];
};

/* One revocation: session sid (all == 0), or every token issued before
 * before_iat but session keep (all == 1). */
struct registry_revoked {
    struct registry_revoked *next;
    long long user_id, sid, before_iat, keep, until;
    int all;
};

struct registry {
    struct registry_user **buckets;
    unsigned bits;                /* nbuckets = 1 << bits */
    size_t nusers, nconns;
    struct registry_addr **addrs; /* REGISTRY_ADDR_BUCKETS chains */
    struct registry_revoked **revoked;   /* REGISTRY_ADDR_BUCKETS chains by user */
};

static size_t registry_slot(unsigned bits, long long user_id);
static void registry_grow(struct registry *r);
static struct registry_user *registry_lookup(const struct registry *r,
                                             long long user_id);
static struct registry_addr **registry_addr_slot(const struct registry *r, const char *addr);
static struct registry_revoked **registry_revoked_slot(const struct registry *r,
                                                       long long user_id);
static void registry_revoke_add(struct registry *r, long long user_id, int all, long long sid,
                                long long before_iat, long long keep, long long until);

static size_t registry_slot(unsigned bits, long long user_id)
{
    return (size_t)(((uint64_t)user_id * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

static void registry_grow(struct registry *r)
{
    unsigned nbits = r->bits + 1;
    size_t n = (size_t)1 << r->bits;
    struct registry_user **nb = xcalloc((size_t)1 << nbits, sizeof *nb);

    for (size_t i = 0; i < n; i++) {
        struct registry_user *u = r->buckets[i], *next;
        for (; u; u = next) {
            size_t s = registry_slot(nbits, u->user_id);
            next = u->hnext;
            u->hnext = nb[s];
            nb[s] = u;
        }
    }
    free(r->buckets);
    r->buckets = nb;
    r->bits = nbits;
}

static struct registry_user *registry_lookup(const struct registry *r,
                                             long long user_id)
{
    struct registry_user *u = r->buckets[registry_slot(r->bits, user_id)];
    while (u && u->user_id != user_id)
        u = u->hnext;
    return u;
}

struct registry *registry_new(void)
{
    struct registry *r = xcalloc(1, sizeof *r);
    r->bits = REGISTRY_MIN_BITS;
    r->buckets = xcalloc((size_t)1 << r->bits, sizeof *r->buckets);
    r->addrs = xcalloc(REGISTRY_ADDR_BUCKETS, sizeof *r->addrs);
    r->revoked = xcalloc(REGISTRY_ADDR_BUCKETS, sizeof *r->revoked);
    return r;
}

void registry_destroy(struct registry **rp)
{
    struct registry *r = rp ? *rp : NULL;
    if (!r)
        return;
    for (size_t i = 0; i < ((size_t)1 << r->bits); i++) {
        struct registry_user *u = r->buckets[i], *next;
        for (; u; u = next) {
            struct registry_conn *c = u->head, *cn;
            for (; c; c = cn) {
                cn = c->next;
                c->prev = c->next = NULL;
                c->user = NULL;
            }
            next = u->hnext;
            free(u);
        }
    }
    for (size_t i = 0; i < REGISTRY_ADDR_BUCKETS; i++) {
        struct registry_addr *a = r->addrs[i], *next;
        for (; a; a = next) {
            next = a->next;
            free(a);
        }
    }
    free(r->addrs);
    for (size_t i = 0; i < REGISTRY_ADDR_BUCKETS; i++) {
        struct registry_revoked *v = r->revoked[i], *next;
        for (; v; v = next) {
            next = v->next;
            free(v);
        }
    }
    free(r->revoked);
    free(r->buckets);
    free(r);
    *rp = NULL;
}

int registry_add(struct registry *r, long long user_id,
                 struct registry_conn *c, size_t max_per_user)
{
    struct registry_user *u = registry_lookup(r, user_id);

    if (u && u->nconns >= max_per_user)
        return -1;
    if (!u) {
        size_t s;
        if (max_per_user == 0)
            return -1;
        if (r->nusers >= ((size_t)1 << r->bits))
            registry_grow(r);
        s = registry_slot(r->bits, user_id);
        u = xcalloc(1, sizeof *u);
        u->user_id = user_id;
        u->hnext = r->buckets[s];
        r->buckets[s] = u;
        r->nusers++;
    }
    c->prev = NULL;
    c->next = u->head;
    if (u->head)
        u->head->prev = c;
    u->head = c;
    c->user = u;
    u->nconns++;
    r->nconns++;
    return (int)u->nconns;
}

size_t registry_remove(struct registry *r, struct registry_conn *c)
{
    struct registry_user *u = c->user;
    size_t left;

    if (!u)
        return 0;
    if (c->prev)
        c->prev->next = c->next;
    else
        u->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->user = NULL;
    u->nconns--;
    r->nconns--;
    left = u->nconns;
    if (left == 0) {
        /* Chains are about one entry long, so unlinking the user from its
         * bucket is O(1) in practice without a back pointer. */
        struct registry_user **pp = &r->buckets[registry_slot(r->bits, u->user_id)];
        while (*pp != u)
            pp = &(*pp)->hnext;
        *pp = u->hnext;
        free(u);
        r->nusers--;
    }
    return left;
}

struct registry_conn *registry_find(const struct registry *r, long long user_id)
{
    struct registry_user *u = registry_lookup(r, user_id);
    return u ? u->head : NULL;
}

long long registry_conn_user(const struct registry_conn *c)
{
    return c->user ? c->user->user_id : 0;
}

size_t registry_user_conns(const struct registry *r, long long user_id)
{
    struct registry_user *u = registry_lookup(r, user_id);
    return u ? u->nconns : 0;
}

size_t registry_nconns(const struct registry *r)
{
    return r->nconns;
}

size_t registry_nusers(const struct registry *r)
{
    return r->nusers;
}

void registry_each(const struct registry *r,
                   void (*fn)(struct registry_conn *c, void *arg), void *arg)
{
    size_t n = (size_t)1 << r->bits;

    for (size_t i = 0; i < n; i++)
        for (struct registry_user *u = r->buckets[i]; u; u = u->hnext)
            for (struct registry_conn *c = u->head; c; c = c->next)
                fn(c, arg);
}

/* The chain an address lives in (FNV-1a).  Fixed buckets: the number of
 * distinct addresses with open sockets is what the per-address cap keeps
 * meaningful, and a chain walk is a few string compares. */
static struct registry_addr **registry_addr_slot(const struct registry *r, const char *addr)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &r->addrs[h % REGISTRY_ADDR_BUCKETS];
}

int registry_addr_add(struct registry *r, const char *addr, size_t max_per_addr)
{
    struct registry_addr **slot = registry_addr_slot(r, addr), *a = *slot;

    while (a && strcmp(a->addr, addr) != 0)
        a = a->next;
    if (a && a->nconns >= max_per_addr)
        return -1;
    if (!a) {
        if (max_per_addr == 0)
            return -1;
        a = xcalloc(1, sizeof *a);
        snprintf(a->addr, sizeof a->addr, "%s", addr);
        a->next = *slot;
        *slot = a;
    }
    a->nconns++;
    return (int)a->nconns;
}

void registry_addr_remove(struct registry *r, const char *addr)
{
    struct registry_addr **pp = registry_addr_slot(r, addr), *a;

    while (*pp && strcmp((*pp)->addr, addr) != 0)
        pp = &(*pp)->next;
    a = *pp;
    if (!a)
        return;
    if (--a->nconns == 0) {
        *pp = a->next;
        free(a);
    }
}

size_t registry_addr_conns(const struct registry *r, const char *addr)
{
    const struct registry_addr *a = *registry_addr_slot(r, addr);
    while (a && strcmp(a->addr, addr) != 0)
        a = a->next;
    return a ? a->nconns : 0;
}

/* Revocations chain by user, with the same Fibonacci hash as the users. */
static struct registry_revoked **registry_revoked_slot(const struct registry *r,
                                                       long long user_id)
{
    return &r->revoked[registry_slot(32, user_id) % REGISTRY_ADDR_BUCKETS];
}

static void registry_revoke_add(struct registry *r, long long user_id, int all, long long sid,
                                long long before_iat, long long keep, long long until)
{
    struct registry_revoked **slot = registry_revoked_slot(r, user_id);
    struct registry_revoked *v = xcalloc(1, sizeof *v);

    v->user_id = user_id;
    v->all = all;
    v->sid = sid;
    v->before_iat = before_iat;
    v->keep = keep;
    v->until = until;
    v->next = *slot;
    *slot = v;
}

void registry_revoke_session(struct registry *r, long long user_id, long long sid,
                             long long until)
{
    registry_revoke_add(r, user_id, 0, sid, 0, 0, until);
}

void registry_revoke_all(struct registry *r, long long user_id, long long before_iat,
                         long long keep, long long until)
{
    registry_revoke_add(r, user_id, 1, 0, before_iat, keep, until);
}

int registry_is_revoked(struct registry *r, long long user_id, long long sid, long long iat,
                        long long now)
{
    struct registry_revoked **pp = registry_revoked_slot(r, user_id);

    while (*pp) {
        struct registry_revoked *v = *pp;
        if (v->until <= now) {
            *pp = v->next;
            free(v);
            continue;
        }
        if (v->user_id == user_id &&
            (v->all ? iat < v->before_iat && sid != v->keep : sid == v->sid))
            return 1;
        pp = &v->next;
    }
    return 0;
}
