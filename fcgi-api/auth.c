/* auth.c -- credentials in, HS256 access tokens out (spec §2).
 *
 * Login accepts JSON or form-urlencoded bodies.  An unknown username costs
 * the same argon2id verify as a wrong password (pwhash_burn), so response
 * time does not reveal which usernames exist. */
#include "auth.h"

#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "pwhash.h"
#include "render.h"
#include "reply.h"
#include "validate.h"
#include "xmem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_PW_MIN 8
#define AUTH_PW_MAX 256

static const struct db_stmt st_user_by_name = {
    "auth_user_by_name",
    "SELECT id, username, password_hash FROM users WHERE lower(username) = lower($1)", 1
};
static const struct db_stmt st_user_by_id = {
    "auth_user_by_id", "SELECT id, username FROM users WHERE id = $1", 1
};
static const struct db_stmt st_login_wait = {
    "auth_login_wait", "SELECT parley_login_wait($1, $2, $3, $4, $5)", 5
};
static const struct db_stmt st_login_failed = {
    "auth_login_failed", "SELECT parley_login_failed($1, $2, $3)", 3
};
static const struct db_stmt st_login_ok = {
    "auth_login_ok", "SELECT parley_login_ok($1)", 1
};
static const struct db_stmt st_register = {
    "auth_register",
    "INSERT INTO users (username, password_hash) VALUES ($1, $2) "
    "ON CONFLICT DO NOTHING RETURNING id", 2
};

int auth_check(struct app *app, struct req *req, struct resp *resp)
{
    const char *h = req->authorization;
    enum jwt_status st;

    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
        http_header(resp, "WWW-Authenticate", "Bearer");
        http_error(resp, 401, "missing_token", "an Authorization: Bearer token is required");
        return -1;
    }
    h += 7;
    st = jwt_verify(h, strlen(h), app->cfg.jwt_secret, strlen(app->cfg.jwt_secret),
                    req->now, &req->user);
    if (st != JWT_OK) {
        http_header(resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        http_error(resp, 401, st == JWT_EXPIRED ? "token_expired" : "invalid_token", "%s",
                   jwt_status_str(st));
        return -1;
    }
    return 0;
}

/* The login/register answer: token, type, lifetime and the user. */
static void auth_token_reply(struct app *app, struct req *req, struct resp *resp,
                             int status, long long id, const char *username)
{
    struct jwt_claims c;
    json_object *o = json_object_new_object();
    char *tok;

    memset(&c, 0, sizeof c);
    c.sub = id;
    snprintf(c.username, sizeof c.username, "%s", username);
    c.iat = req->now;
    c.exp = req->now + app->cfg.token_ttl;
    tok = jwt_sign(&c, app->cfg.jwt_secret, strlen(app->cfg.jwt_secret));
    jsonx_add(o, "access_token", json_object_new_string(tok));
    jsonx_add(o, "token_type", json_object_new_string("bearer"));
    jsonx_add(o, "expires_in", json_object_new_int64(app->cfg.token_ttl));
    jsonx_add(o, "user", render_user(id, username));
    free(tok);
    http_json(resp, status, o);
}

/* Reads username and password from a JSON or form body into the buffers.
 * Returns 0, or -1 with resp set. */
static int auth_read_credentials(const struct req *req, struct resp *resp,
                                 char *user, size_t ulen, char *pw, size_t pwlen)
{
    if (http_content_type_is(req, "application/x-www-form-urlencoded")) {
        if (http_form_get(req->body, req->body_len, "username", user, ulen) != 1 ||
            http_form_get(req->body, req->body_len, "password", pw, pwlen) != 1) {
            http_error(resp, 400, "invalid_field", "username and password are required");
            return -1;
        }
    } else {
        const char *u, *p;
        size_t un, pn;
        json_object *body = http_json_body(req, resp);
        if (!body)
            return -1;
        if (jsonx_get_string(body, "username", &u, &un) != 1 ||
            jsonx_get_string(body, "password", &p, &pn) != 1) {
            json_object_put(body);
            http_error(resp, 400, "invalid_field",
                       "username and password are required strings");
            return -1;
        }
        /* A "\u0000" escape decodes to a NUL that would silently cut the
         * value short in every C string use below: refuse it. */
        if (memchr(u, '\0', un) || memchr(p, '\0', pn)) {
            json_object_put(body);
            http_error(resp, 400, "invalid_field", "username and password must not contain NUL");
            return -1;
        }
        if (un >= ulen || pn >= pwlen) {
            json_object_put(body);
            http_error(resp, 400, "invalid_field", "username or password is too long");
            return -1;
        }
        memcpy(user, u, un + 1);
        memcpy(pw, p, pn + 1);
        json_object_put(body);
    }
    if (!validate_utf8(pw, strlen(pw)) || !validate_utf8(user, strlen(user))) {
        http_error(resp, 400, "invalid_field", "username and password must be UTF-8 text");
        return -1;
    }
    return 0;
}

/* Runs one of the login-limit statements; returns its integer answer or
 * -1 when the database failed (resp set). */
static long long auth_limit(struct app *app, struct resp *resp, const struct db_stmt *stmt,
                            const char *user, const char *addr)
{
    char um[ID_BUF], am[ID_BUF], win[ID_BUF];
    const char *params[5];
    PGresult *r = NULL;
    enum db_status st;
    long long v;

    params[0] = user;
    if (stmt == &st_login_wait) {
        params[1] = addr;
        params[2] = render_id(um, app->cfg.login_user_max);
        params[3] = render_id(am, app->cfg.login_addr_max);
        params[4] = render_id(win, app->cfg.login_window_secs);
    } else if (stmt == &st_login_failed) {
        params[1] = addr;
        params[2] = render_id(win, app->cfg.login_window_secs);
    }
    st = db_run(app->db, stmt, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    v = render_int64(r, 0, 0);
    PQclear(r);
    return v;
}

void auth_login(struct app *app, struct req *req, struct resp *resp)
{
    char user[64], pw[AUTH_PW_MAX + 1], wait_s[ID_BUF];
    const char *params[1], *addr = req->remote_addr ? req->remote_addr : "unknown";
    PGresult *r = NULL;
    enum db_status st;
    long long wait;

    if (auth_read_credentials(req, resp, user, sizeof user, pw, sizeof pw) < 0)
        return;
    /* Limits first, so a guessing run costs no hashing. */
    wait = auth_limit(app, resp, &st_login_wait, user, addr);
    if (wait < 0)
        goto out;
    if (wait > 0) {
        http_header(resp, "Retry-After", render_id(wait_s, wait));
        http_error(resp, 429, "too_many_attempts",
                   "too many failed logins; try again in %lld s", wait);
        goto out;
    }
    if (!validate_username(user, strlen(user))) {
        pwhash_burn(pw, strlen(pw));
        goto bad;
    }
    params[0] = user;
    st = db_run(app->db, &st_user_by_name, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (PQntuples(r) != 1) {
        pwhash_burn(pw, strlen(pw));
        goto bad;
    }
    if (!pwhash_verify(PQgetvalue(r, 0, 2), pw, strlen(pw)))
        goto bad;
    if (auth_limit(app, resp, &st_login_ok, user, addr) < 0)
        goto out;
    auth_token_reply(app, req, resp, 200, render_int64(r, 0, 0), PQgetvalue(r, 0, 1));
    log_info("user %s logged in from %s", PQgetvalue(r, 0, 1), addr);
    goto out;
bad:
    if (auth_limit(app, resp, &st_login_failed, user, addr) < 0)
        goto out;
    /* Only a well-formed name goes into the log: no control characters. */
    log_info("failed login for %s from %s",
             validate_username(user, strlen(user)) ? user : "(malformed name)", addr);
    http_error(resp, 401, "invalid_credentials", "wrong username or password");
out:
    PQclear(r);
    sodium_memzero(pw, sizeof pw);
}

void auth_register(struct app *app, struct req *req, struct resp *resp)
{
    char user[64], pw[AUTH_PW_MAX + 1], hash[PWHASH_STR_LEN];
    const char *params[2];
    PGresult *r = NULL;
    enum db_status st;
    size_t pwn;

    if (!app->cfg.allow_register) {
        http_error(resp, 403, "registration_disabled", "sign-up is switched off on this server");
        return;
    }
    if (auth_read_credentials(req, resp, user, sizeof user, pw, sizeof pw) < 0)
        return;
    if (!validate_username(user, strlen(user))) {
        http_error(resp, 400, "invalid_username",
                   "username must be 3-32 characters of A-Z a-z 0-9 _ . -");
        goto out;
    }
    pwn = strlen(pw);
    if (pwn < AUTH_PW_MIN || pwn > AUTH_PW_MAX) {
        http_error(resp, 400, "invalid_password", "password must be %d-%d bytes long",
                   AUTH_PW_MIN, AUTH_PW_MAX);
        goto out;
    }
    if (pwhash_hash(pw, pwn, hash) < 0) {
        log_error("password hashing failed (out of memory?)");
        http_error(resp, 503, "busy", "server busy; try again");
        goto out;
    }
    params[0] = user;
    params[1] = hash;
    st = db_run(app->db, &st_register, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (PQntuples(r) != 1) {
        http_error(resp, 409, "username_taken", "that username is taken");
        goto out;
    }
    auth_token_reply(app, req, resp, 201, render_int64(r, 0, 0), user);
    log_info("user %s registered", user);
out:
    PQclear(r);
    sodium_memzero(pw, sizeof pw);
}

void auth_me(struct app *app, struct req *req, struct resp *resp)
{
    char id[ID_BUF];
    const char *params[1] = { render_id(id, req->user.sub) };
    PGresult *r = NULL;
    enum db_status st = db_run(app->db, &st_user_by_id, params, &r);

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    if (PQntuples(r) != 1)
        http_error(resp, 401, "invalid_token", "the token's user no longer exists");
    else
        http_json(resp, 200, render_user(render_int64(r, 0, 0), PQgetvalue(r, 0, 1)));
    PQclear(r);
}

void auth_health(struct app *app, struct req *req, struct resp *resp)
{
    json_object *o;
    (void)req;
    if (!db_ping(app->db)) {
        http_header(resp, "Retry-After", "1");
        http_error(resp, 503, "database_unavailable", "the database is not answering");
        return;
    }
    o = json_object_new_object();
    jsonx_add(o, "status", json_object_new_string("ok"));
    http_json(resp, 200, o);
}
