/* fuzz_router.c -- libFuzzer target: route matching and query strings.
 *
 * Input: line 1 is the method, line 2 the path, the rest the query string
 * (as main.c's parse_request leaves them: C strings, the path cut to 255
 * bytes).  router.c is included whole so router_match is reachable, and
 * every handler it names is a stub here that only records which route
 * matched and, for the routes that read the query, parses it with
 * http_form_get into buffers of the sizes the real handlers use (messages.c
 * 32 for before/after/limit, users.c 128 for q, sync.c 32 for since).  No
 * database code links.
 *
 * Properties: a matched route's path really is that route (ids are 1..2^53);
 * no match means a JSON 404 or a 405 with an Allow header; a parameter found
 * decodes to a NUL-terminated string that fits its buffer. */
#include "../../fcgi-api/router.c"

#include "fuzz.h"
#include "http.h"

static const char *fuzz_hit;    /* the handler router_dispatch ran */
static const char *const fuzz_names[] = { "before", "after", "limit", "since", "q" };

static void fuzz_query(const struct req *req, const char *name, size_t cap)
{
    char out[128];
    int f;

    memset(out, 0x5a, sizeof out);
    f = http_form_get(req->query, strlen(req->query), name, out, cap);
    FUZZ_CHECK(f >= -1 && f <= 1);
    if (f == 1) {
        FUZZ_CHECK(memchr(out, '\0', cap) != NULL);
        if (strcmp(name, "q") != 0) {
            long long v;
            if (validate_id(out, strlen(out), &v) == 0)
                FUZZ_CHECK(v >= 1 && v <= (1LL << 53));
        }
    }
}

#define FUZZ_STUB(fn, ...)                                                    \
    void fn(struct app *app, struct req *req, struct resp *resp)              \
    {                                                                         \
        static const char *const qs[] = { __VA_ARGS__ };                      \
        (void)app;                                                            \
        (void)resp;                                                           \
        fuzz_hit = #fn;                                                       \
        for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++)                 \
            if (qs[k])                                                        \
                fuzz_query(req, qs[k], strcmp(qs[k], "q") == 0 ? 128 : 32);   \
    }

FUZZ_STUB(auth_login, NULL)
FUZZ_STUB(auth_register, NULL)
FUZZ_STUB(auth_health, NULL)
FUZZ_STUB(auth_me, NULL)
FUZZ_STUB(users_search, "q")
FUZZ_STUB(chats_list, NULL)
FUZZ_STUB(chats_create, NULL)
FUZZ_STUB(chats_get, NULL)
FUZZ_STUB(messages_list, "before", "after", "limit")
FUZZ_STUB(messages_post, NULL)
FUZZ_STUB(messages_read, NULL)
FUZZ_STUB(messages_typing, NULL)
FUZZ_STUB(messages_edit, NULL)
FUZZ_STUB(messages_delete, NULL)
FUZZ_STUB(sync_get, "since")
FUZZ_STUB(mute_put, NULL)
FUZZ_STUB(uploads_post, NULL)
FUZZ_STUB(uploads_get, NULL)
FUZZ_STUB(presence_get, NULL)
FUZZ_STUB(presence_post, NULL)
FUZZ_STUB(search_get, "q", "chat_id", "before", "limit")
FUZZ_STUB(reactions_put, NULL)
FUZZ_STUB(reactions_delete, NULL)
FUZZ_STUB(members_add, NULL)
FUZZ_STUB(members_remove, NULL)
FUZZ_STUB(members_rename, NULL)
FUZZ_STUB(sessions_logout, NULL)
FUZZ_STUB(sessions_logout_all, NULL)
FUZZ_STUB(auth_password, NULL)
FUZZ_STUB(sessions_list, NULL)
FUZZ_STUB(sessions_delete, NULL)
FUZZ_STUB(admin_users, "after", "limit")
FUZZ_STUB(admin_deactivate, NULL)
FUZZ_STUB(admin_reactivate, NULL)
FUZZ_STUB(admin_password, NULL)

/* The real check verifies a JWT; here a missing header is the refusal. */
int auth_check(struct app *app, struct req *req, struct resp *resp)
{
    (void)app;
    if (!req->authorization) {
        http_error(resp, 401, "missing_token", "stub");
        return -1;
    }
    return 0;
}

int auth_token(struct app *app, struct req *req, struct resp *resp)
{
    return auth_check(app, req, resp);
}

/* The deferred session check needs the database: nothing to do here. */
void sessions_guard(struct app *app, const struct req *req)
{
    (void)app;
    (void)req;
}

void db_guard_clear(struct db *db)
{
    (void)db;
}

void sessions_settle(struct app *app, struct resp *resp)
{
    (void)app;
    (void)resp;
}

/* Splits off one line of data[*off..size) as a fresh C string. */
static char *fuzz_line(const uint8_t *data, size_t size, size_t *off)
{
    const uint8_t *s = data + *off;
    size_t left = size - *off;
    const uint8_t *nl = memchr(s, '\n', left);
    size_t n = nl ? (size_t)(nl - s) : left;

    *off += nl ? n + 1 : n;
    return fuzz_cstr(s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app app;
    struct req req;
    struct resp resp;
    size_t off = 0, n;
    char *method, *path, *query;

    memset(&app, 0, sizeof app);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    resp.status = 500;
    method = fuzz_line(data, size, &off);
    path = fuzz_line(data, size, &off);
    query = fuzz_cstr(data + off, size - off);

    /* '!' in front of the method: a request without Authorization. */
    req.method = method[0] == '!' ? method + 1 : method;
    req.authorization = method[0] == '!' ? NULL : "Bearer x";
    n = strlen(path);
    if (n >= sizeof req.path)
        n = sizeof req.path - 1;
    memcpy(req.path, path, n);
    req.path[n] = '\0';
    req.query = query;
    req.body = "";

    fuzz_hit = NULL;
    router_dispatch(&app, &req, &resp);
    if (fuzz_hit) {
        const struct route *r = NULL;
        long long ids[REQ_MAX_IDS];
        char word[REQ_MAX_WORD];
        for (size_t i = 0; i < NROUTES; i++)
            if (strcmp(routes[i].method, req.method) == 0 &&
                router_match(routes[i].pattern, req.path, ids, word)) {
                r = &routes[i];
                break;
            }
        FUZZ_CHECK(r != NULL);
        FUZZ_CHECK(strncmp(req.path, "/api/", 5) == 0);
        n = 0;
        for (const char *c = r->pattern; *c; c++)
            if (*c == '#') {
                FUZZ_CHECK(req.ids[n] >= 1 && req.ids[n] <= (1LL << 53));
                n++;
            } else if (*c == '*') {
                FUZZ_CHECK(req.word[0] != '\0' && strchr(req.word, '/') == NULL);
            }
    } else {
        FUZZ_CHECK(resp.status == 401 || resp.status == 404 || resp.status == 405);
        FUZZ_CHECK(resp.body != NULL);
        if (resp.status == 405)
            FUZZ_CHECK(strncmp(resp.headers, "Allow: ", 7) == 0);
    }

    /* Every parameter name the API knows, whatever the route. */
    for (size_t i = 0; i < sizeof fuzz_names / sizeof fuzz_names[0]; i++) {
        fuzz_query(&req, fuzz_names[i], strcmp(fuzz_names[i], "q") == 0 ? 128 : 32);
        fuzz_query(&req, fuzz_names[i], 1);
    }

    json_object_put(resp.body);
    free(method);
    free(path);
    free(query);
    return 0;
}
