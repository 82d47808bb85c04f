/* registry.h -- which connections belong to which user.
 *
 * A hash table from user id to the list of that user's live connections, so
 * every tab of a user gets every event.  The per-connection link
 * (struct registry_conn) is embedded in the caller's per-connection state:
 * adding and removing a connection allocate nothing but the user entry and
 * are O(1).  Pure logic, no I/O, so it is unit-tested on its own. */
#ifndef WSD_REGISTRY_H
#define WSD_REGISTRY_H

#include <stddef.h>

struct registry;
struct registry_user;

/* Embedded in the owner's per-connection struct; zero it before use. */
struct registry_conn {
    struct registry_conn *prev, *next;  /* the user's connections */
    struct registry_user *user;         /* NULL while not registered */
};

/* Returns a new empty registry, released with registry_destroy(). */
struct registry *registry_new(void);

/* Frees the table and every user entry (the embedded connection links
 * belong to their owners and are only unlinked).  Sets *rp to NULL;
 * NULL-safe. */
void registry_destroy(struct registry **rp);

/* Adds `c` (not yet registered) under `user_id`.  Returns the user's
 * connection count including `c`, or -1 without adding when the user
 * already holds `max_per_user` connections. */
int registry_add(struct registry *r, long long user_id,
                 struct registry_conn *c, size_t max_per_user);

/* Unlinks `c`; the user entry is freed with its last connection.  Returns
 * the user's remaining connection count.  A no-op returning 0 when `c` is
 * not registered, so it is safe to call twice. */
size_t registry_remove(struct registry *r, struct registry_conn *c);

/* The first of the user's connections (follow ->next), or NULL.  Borrowed:
 * valid until that connection is removed. */
struct registry_conn *registry_find(const struct registry *r, long long user_id);

/* The user id `c` is registered under, or 0 when it is not registered. */
long long registry_conn_user(const struct registry_conn *c);

/* Connections held by one user (0 if none). */
size_t registry_user_conns(const struct registry *r, long long user_id);

/* Calls fn(c, arg) for every registered connection.  fn must not add or
 * remove connections. */
void registry_each(const struct registry *r,
                   void (*fn)(struct registry_conn *c, void *arg), void *arg);

/* Connections per client address (a numeric IP, shorter than
 * REGISTRY_ADDR_MAX; longer strings are cut).  registry_addr_add counts one
 * more and returns the new count, or -1 without counting when `addr`
 * already holds max_per_addr.  registry_addr_remove uncounts one (a no-op
 * for an address not counted). */
#define REGISTRY_ADDR_MAX 48
int registry_addr_add(struct registry *r, const char *addr, size_t max_per_addr);
void registry_addr_remove(struct registry *r, const char *addr);
size_t registry_addr_conns(const struct registry *r, const char *addr);

/* Revoked sessions, so that a token whose session ended cannot open a new
 * socket on this daemon until it expires anyway.  The daemon learns them
 * from session_revoked events; each entry is kept until `until` (Unix
 * seconds: the latest `exp` a token of that session can carry).
 * registry_revoke_session: session `sid` of user_id (0: the user's tokens
 * without a session id).  registry_revoke_all: every token of user_id
 * issued before `before_iat`, except session `keep` (-1: none).
 * registry_is_revoked: 1 if a token (user_id, sid, iat) is refused at
 * `now`; expired entries are dropped as they are met. */
void registry_revoke_session(struct registry *r, long long user_id, long long sid,
                             long long until);
void registry_revoke_all(struct registry *r, long long user_id, long long before_iat,
                         long long keep, long long until);
int registry_is_revoked(struct registry *r, long long user_id, long long sid, long long iat,
                        long long now);

/* Totals over the whole table. */
size_t registry_nconns(const struct registry *r);
size_t registry_nusers(const struct registry *r);

#endif
