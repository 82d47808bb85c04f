/* auth.c -- credentials in, HS256 access tokens out; password changes.
 *
 * Login accepts JSON or form-urlencoded bodies.  An unknown username costs
 * the same argon2id verify as a wrong password (pwhash_burn), so response
 * time does not reveal which usernames exist. */
#include "auth.h"

#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "throttle.h"
#include "log.h"
#include "pwhash.h"
#include "render.h"
#include "reply.h"
#include "sessions.h"
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
    "SELECT id, username, password_hash, deactivated_at IS NOT NULL FROM users "
    " WHERE lower(username) = lower($1)", 1
};
static const struct db_stmt st_user_by_id = {
    "auth_user_by_id", "SELECT id, username FROM users WHERE id = $1", 1
};
static const struct db_stmt st_name_taken = {
    "auth_name_taken", "SELECT 1 FROM users WHERE lower(username) = lower($1)", 1
};
static const struct db_stmt st_register = {
    "auth_register",
    "INSERT INTO users (username, password_hash) VALUES ($1, $2) "
    "ON CONFLICT DO NOTHING RETURNING id", 2
};
static const struct db_stmt st_hash_by_id = {
    "auth_hash_by_id", "SELECT password_hash FROM users WHERE id = $1", 1
};
static const struct db_stmt st_set_hash = {
    "auth_set_hash", "UPDATE users SET password_hash = $2 WHERE id = $1", 2
};

int auth_token(struct app *app, struct req *req, struct resp *resp)
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

int auth_check(struct app *app, struct req *req, struct resp *resp)
{
    if (auth_token(app, req, resp) < 0)
        return -1;
    return sessions_check(app, req, resp) == 1 ? 0 : -1;
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

void auth_login(struct app *app, struct req *req, struct resp *resp)
{
    char user[64], pw[AUTH_PW_MAX + 1];
    const char *params[1], *addr = throttle_addr(req);
    PGresult *r = NULL;
    enum db_status st;

    if (auth_read_credentials(req, resp, user, sizeof user, pw, sizeof pw) < 0)
        return;
    /* Limits first, so a guessing run costs no hashing. */
    if (throttle_login_check(app, req, resp, user) < 0)
        goto out;
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
    if (throttle_login_ok(app, req, resp, user) < 0)
        goto out;
    /* Told only to someone who knows the password. */
    if (PQgetvalue(r, 0, 3)[0] == 't') {
        log_info("deactivated user %s refused login from %s", PQgetvalue(r, 0, 1), addr);
        http_error(resp, 403, "account_deactivated", "this account has been deactivated");
        goto out;
    }
    if (sessions_issue(app, req, resp, 200, render_int64(r, 0, 0), PQgetvalue(r, 0, 1),
                       NULL) < 0)
        goto out;
    log_info("user %s logged in from %s", PQgetvalue(r, 0, 1), addr);
    goto out;
bad:
    if (throttle_login_failed(app, req, resp, user) < 0)
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
    /* Everything cheap before the hash: a taken name costs one lookup, and
     * only a sign-up that will hash takes from the address's bucket. */
    params[0] = user;
    st = db_run(app->db, &st_name_taken, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (PQntuples(r) != 0) {
        http_error(resp, 409, "username_taken", "that username is taken");
        goto out;
    }
    PQclear(r);
    r = NULL;
    if (throttle_register(app, req, resp) < 0)
        goto out;
    if (pwhash_hash(pw, pwn, hash) < 0) {
        log_error("password hashing failed (out of memory?)");
        http_error(resp, 503, "busy", "server busy; try again");
        goto out;
    }
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
    if (sessions_issue(app, req, resp, 201, render_int64(r, 0, 0), user, NULL) < 0)
        goto out;
    log_info("user %s registered", user);
out:
    PQclear(r);
    sodium_memzero(pw, sizeof pw);
}

/* Copies the string field `key` of body into buf (NUL-free UTF-8 of 1 to
 * cap-1 bytes).  Returns 0, or -1 with resp set to 400. */
static int auth_body_password(json_object *body, const char *key, char *buf, size_t cap,
                              struct resp *resp)
{
    const char *v;
    size_t n;

    if (jsonx_get_string(body, key, &v, &n) != 1 || memchr(v, '\0', n) || n >= cap ||
        !validate_utf8(v, n)) {
        http_error(resp, 400, "invalid_field", "%s must be a string of at most %d bytes", key,
                   AUTH_PW_MAX);
        return -1;
    }
    memcpy(buf, v, n + 1);
    return 0;
}

int auth_set_password(struct app *app, struct resp *resp, long long user_id,
                      const char *pw)
{
    char hash[PWHASH_STR_LEN], uid[ID_BUF];
    const char *params[2] = { render_id(uid, user_id), hash };
    PGresult *r = NULL;
    enum db_status st;
    size_t n = strlen(pw);

    if (n < AUTH_PW_MIN || n > AUTH_PW_MAX) {
        http_error(resp, 400, "invalid_password", "password must be %d-%d bytes long",
                   AUTH_PW_MIN, AUTH_PW_MAX);
        return -1;
    }
    if (pwhash_hash(pw, n, hash) < 0) {
        log_error("password hashing failed (out of memory?)");
        http_error(resp, 503, "busy", "server busy; try again");
        return -1;
    }
    st = db_run(app->db, &st_set_hash, params, &r);
    PQclear(r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    return 0;
}

void auth_password(struct app *app, struct req *req, struct resp *resp)
{
    char cur[AUTH_PW_MAX + 1] = "", next[AUTH_PW_MAX + 1] = "", uid[ID_BUF];
    const char *params[1] = { render_id(uid, req->user.sub) };
    json_object *body = http_json_body(req, resp);
    PGresult *r = NULL;
    enum db_status st;
    long long sid;

    if (!body)
        return;
    if (auth_body_password(body, "current_password", cur, sizeof cur, resp) < 0 ||
        auth_body_password(body, "new_password", next, sizeof next, resp) < 0)
        goto out;
    /* A stolen token must not become a password oracle: the same throttle
     * as logins. */
    if (throttle_login_check(app, req, resp, req->user.username) < 0)
        goto out;
    st = db_run(app->db, &st_hash_by_id, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        goto out;
    }
    if (PQntuples(r) != 1 || !pwhash_verify(PQgetvalue(r, 0, 0), cur, strlen(cur))) {
        if (throttle_login_failed(app, req, resp, req->user.username) == 0)
            http_error(resp, 403, "wrong_password", "the current password is wrong");
        goto out;
    }
    if (auth_set_password(app, resp, req->user.sub, next) < 0)
        goto out;
    if (sessions_issue(app, req, resp, 200, req->user.sub, req->user.username, &sid) < 0 ||
        sessions_end_all(app, resp, req->user.sub, sid, "password_changed") < 0)
        goto out;
    log_info("user %s changed their password", req->user.username);
out:
    PQclear(r);
    json_object_put(body);
    sodium_memzero(cur, sizeof cur);
    sodium_memzero(next, sizeof next);
}

void auth_me(struct app *app, struct req *req, struct resp *resp)
{
    char id[ID_BUF];
    const char *params[1] = { render_id(id, req->user.sub) };
    PGresult *r = NULL;
    enum db_status st = db_run(app->db, &st_user_by_id, params, &r);
    json_object *u;

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    if (PQntuples(r) != 1) {
        http_error(resp, 401, "invalid_token", "the token's user no longer exists");
        goto out;
    }
    u = render_user(render_int64(r, 0, 0), PQgetvalue(r, 0, 1));
    jsonx_add(u, "is_admin", json_object_new_boolean(req->is_admin));
    http_json(resp, 200, u);
out:
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
