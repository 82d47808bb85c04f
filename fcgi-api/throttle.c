/* throttle.c -- abuse limits in the database (see throttle.h).
 *
 * Failed logins are never counted per username alone: that is what let
 * anyone lock anyone out.  A (username, address) pair gets a few free
 * failures and then a delay that doubles with each further one, and an
 * address gets a ceiling over all names, so a guessing run from elsewhere
 * slows only itself while the owner logs in from their own address.
 * The rest are token buckets (parley_rate_take): one row per key, refilled
 * by elapsed time, so no background job is needed. */
#include "throttle.h"

#include "db.h"
#include "http.h"
#include "render.h"
#include "reply.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt st_throttle = {
    "throttle_login_throttle", "SELECT parley_login_throttle($1, $2, $3, $4, $5, $6)", 6
};
static const struct db_stmt st_failure = {
    "throttle_login_failure", "SELECT parley_login_failure($1, $2, $3)", 3
};
static const struct db_stmt st_success = {
    "throttle_login_success", "SELECT parley_login_success($1, $2)", 2
};
static const struct db_stmt st_take = {
    "throttle_rate_take", "SELECT parley_rate_take($1, $2, $3)", 3
};

static long long throttle_run(struct app *app, struct resp *resp, const struct db_stmt *stmt,
                            const char *const *params);
static int throttle_take(struct app *app, struct resp *resp, const char *key, double rate,
                       long burst, const char *code, const char *what);
static void throttle_refuse(struct resp *resp, long long wait, const char *code,
                          const char *what);

const char *throttle_addr(const struct req *req)
{
    return req->remote_addr && req->remote_addr[0] ? req->remote_addr : "unknown";
}

/* Runs a one-value statement.  Returns its integer (0 for void), or -1 with
 * resp set when the database failed. */
static long long throttle_run(struct app *app, struct resp *resp, const struct db_stmt *stmt,
                            const char *const *params)
{
    PGresult *r = NULL;
    enum db_status st = db_run(app->db, stmt, params, &r);
    long long v;

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    v = PQntuples(r) == 1 ? render_int64(r, 0, 0) : 0;
    PQclear(r);
    return v;
}

static void throttle_refuse(struct resp *resp, long long wait, const char *code,
                          const char *what)
{
    char s[ID_BUF];

    http_header(resp, "Retry-After", render_id(s, wait));
    http_error(resp, 429, code, "%s; try again in %lld s", what, wait);
}

int throttle_login_check(struct app *app, const struct req *req, struct resp *resp,
                       const char *username)
{
    char fr[ID_BUF], md[ID_BUF], am[ID_BUF], win[ID_BUF];
    const char *params[6] = {
        username, throttle_addr(req), render_id(fr, app->cfg.login_user_max),
        render_id(md, app->cfg.login_max_delay_secs), render_id(am, app->cfg.login_addr_max),
        render_id(win, app->cfg.login_window_secs),
    };
    long long wait = throttle_run(app, resp, &st_throttle, params);

    if (wait < 0)
        return -1;
    if (wait > 0) {
        throttle_refuse(resp, wait, "too_many_attempts", "too many failed logins");
        return -1;
    }
    return 0;
}

int throttle_login_failed(struct app *app, const struct req *req, struct resp *resp,
                        const char *username)
{
    char win[ID_BUF];
    const char *params[3] = { username, throttle_addr(req),
                              render_id(win, app->cfg.login_window_secs) };
    return throttle_run(app, resp, &st_failure, params) < 0 ? -1 : 0;
}

int throttle_login_ok(struct app *app, const struct req *req, struct resp *resp,
                    const char *username)
{
    const char *params[2] = { username, throttle_addr(req) };
    return throttle_run(app, resp, &st_success, params) < 0 ? -1 : 0;
}

/* Takes a token from bucket `key`.  0, or -1 with resp set (429 `code`). */
static int throttle_take(struct app *app, struct resp *resp, const char *key, double rate,
                       long burst, const char *code, const char *what)
{
    char r[32], b[ID_BUF];
    const char *params[3] = { key, r, render_id(b, burst) };
    long long wait;

    snprintf(r, sizeof r, "%.9f", rate);
    wait = throttle_run(app, resp, &st_take, params);
    if (wait < 0)
        return -1;
    if (wait > 0) {
        throttle_refuse(resp, wait, code, what);
        return -1;
    }
    return 0;
}

int throttle_register(struct app *app, const struct req *req, struct resp *resp)
{
    char key[128];

    snprintf(key, sizeof key, "register:%s", throttle_addr(req));
    return throttle_take(app, resp, key, (double)app->cfg.register_per_hour / 3600.0,
                       app->cfg.register_burst, "too_many_registrations",
                       "too many sign-ups from this address");
}

int throttle_chat_create(struct app *app, const struct req *req, struct resp *resp)
{
    char key[64];

    snprintf(key, sizeof key, "chat:%lld", req->user.sub);
    return throttle_take(app, resp, key, (double)app->cfg.chats_per_hour / 3600.0,
                       app->cfg.chats_burst, "too_many_chats", "too many chats created");
}

int throttle_typing(struct app *app, const struct req *req, struct resp *resp,
                  long long chat_id)
{
    char key[64];

    snprintf(key, sizeof key, "typing:%lld:%lld", req->user.sub, chat_id);
    return throttle_take(app, resp, key, 1.0 / (double)app->cfg.typing_interval_secs, 1,
                       "too_many_typing", "one typing notice per chat every few seconds");
}
