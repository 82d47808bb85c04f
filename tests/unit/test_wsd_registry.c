/* test_wsd_registry.c -- ws-daemon's user -> connections table.
 *
 * Includes registry.c itself (pure logic, no lws) so it links with the
 * shared objects only. */
#include "../../ws-daemon/registry.c"

#include "testhelp.h"

#include <stdlib.h>

#define NCONN 5000

/* Counts the list behind registry_find and checks its links both ways. */
static size_t walk(const struct registry *r, long long uid, int *links_ok)
{
    size_t n = 0;
    struct registry_conn *prev = NULL;
    *links_ok = 1;
    for (struct registry_conn *c = registry_find(r, uid); c; c = c->next) {
        if (c->prev != prev || registry_conn_user(c) != uid)
            *links_ok = 0;
        prev = c;
        n++;
    }
    return n;
}

int main(void)
{
    struct registry *r = registry_new();
    struct registry_conn a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
    struct registry_conn *many;
    int ok;

    test_cond("empty registry", registry_nconns(r) == 0 && registry_nusers(r) == 0 &&
                                    registry_find(r, 1) == NULL);
    test_cond("first connection of user 7 -> count 1", registry_add(r, 7, &a, 3) == 1);
    test_cond("second tab of user 7 -> count 2", registry_add(r, 7, &b, 3) == 2);
    test_cond("user 8 -> count 1", registry_add(r, 8, &c, 3) == 1);
    test_cond("totals 3 conns, 2 users", registry_nconns(r) == 3 && registry_nusers(r) == 2);
    test_cond("user 7 lists both tabs", walk(r, 7, &ok) == 2 && ok);
    test_cond("user 8 lists one", walk(r, 8, &ok) == 1 && ok);
    test_cond("conn knows its user", registry_conn_user(&a) == 7 && registry_conn_user(&c) == 8);
    test_cond("third tab of user 7 -> 3", registry_add(r, 7, &d, 3) == 3);
    {
        struct registry_conn e = { 0 };
        test_cond("fourth tab over cap 3 refused", registry_add(r, 7, &e, 3) == -1);
        test_cond("refused conn stays unregistered", registry_conn_user(&e) == 0);
    }
    test_cond("remove middle tab -> 2 left", registry_remove(r, &b) == 2);
    test_cond("list intact after middle removal", walk(r, 7, &ok) == 2 && ok);
    test_cond("remove is idempotent", registry_remove(r, &b) == 0 && registry_nconns(r) == 3);
    test_cond("remove head and tail", registry_remove(r, &d) == 1 && registry_remove(r, &a) == 0);
    test_cond("user 7 gone with its last conn",
              registry_find(r, 7) == NULL && registry_nusers(r) == 1 &&
                  registry_user_conns(r, 7) == 0);
    test_cond("re-add after removal", registry_add(r, 7, &a, 3) == 1 && registry_nusers(r) == 2);
    test_cond("max_per_user 0 refuses", registry_add(r, 9, &b, 0) == -1 && registry_nusers(r) == 2);

    /* Many users force several table doublings; every user must still be
     * found, and removal must leave nothing behind. */
    many = calloc(NCONN, sizeof *many);
    for (int i = 0; i < NCONN; i++)
        registry_add(r, 1000 + i / 2, &many[i], 2);
    test_cond("5000 conns / 2500 users after growth",
              registry_nconns(r) == NCONN + 2 && registry_nusers(r) == NCONN / 2 + 2);
    ok = 1;
    for (int u = 0; u < NCONN / 2; u++)
        if (registry_user_conns(r, 1000 + u) != 2)
            ok = 0;
    test_cond("every user found with 2 conns after growth", ok);
    test_cond("table grew past the minimum", r->bits > REGISTRY_MIN_BITS);
    for (int i = 0; i < NCONN; i += 2)
        registry_remove(r, &many[i]);
    test_cond("half removed", registry_nconns(r) == NCONN / 2 + 2 &&
                                  registry_nusers(r) == NCONN / 2 + 2);
    for (int i = 1; i < NCONN; i += 2)
        registry_remove(r, &many[i]);
    test_cond("all removed", registry_nconns(r) == 2 && registry_nusers(r) == 2);
    test_cond("large ids hash fine", registry_add(r, 0x7fffffffffffffffLL, &b, 1) == 1 &&
                                         registry_find(r, 0x7fffffffffffffffLL) == &b);

    /* Per-address counts: capped, independent per address, freed at 0. */
    test_cond("first socket of 10.0.0.1", registry_addr_add(r, "10.0.0.1", 2) == 1);
    test_cond("second socket of 10.0.0.1", registry_addr_add(r, "10.0.0.1", 2) == 2);
    test_cond("third refused at cap 2", registry_addr_add(r, "10.0.0.1", 2) == -1);
    test_cond("refusal counts nothing", registry_addr_conns(r, "10.0.0.1") == 2);
    test_cond("another address unaffected", registry_addr_add(r, "10.0.0.2", 2) == 1);
    registry_addr_remove(r, "10.0.0.1");
    test_cond("a close frees a place", registry_addr_add(r, "10.0.0.1", 2) == 2);
    registry_addr_remove(r, "10.0.0.1");
    registry_addr_remove(r, "10.0.0.1");
    registry_addr_remove(r, "10.0.0.1");   /* one too many: a no-op */
    test_cond("count back to 0", registry_addr_conns(r, "10.0.0.1") == 0);
    registry_addr_remove(r, "10.0.0.2");
    test_cond("cap 0 refuses", registry_addr_add(r, "::1", 0) == -1);
    registry_destroy(&r);
    test_cond("destroy sets NULL and unlinks", r == NULL && registry_conn_user(&a) == 0);
    registry_destroy(&r);
    test_cond("destroy(NULL) is a no-op", r == NULL);
    free(many);
    return test_report();
}
