/* uploads.c -- receiving and authorising files (see uploads.h).
 *
 * Upload: body -> .tmp file (hashed, sniffed) -> row INSERTed -> file
 * renamed into place -> 201.  The row is committed before the rename so
 * that the sweep, which deletes files no row uses, can never delete a file
 * a fresh row needs (upstore_remove).  Each upload also sweeps: unclaimed
 * uploads older than UPLOADS_UNCLAIMED_SECS lose their row and, when no
 * other row shares the bytes, their file; .tmp files that old (left by a
 * killed worker) are deleted too.  Uploads are rare next to messages, so
 * this costs little and needs no timer process.
 *
 * Download: the caller must be a member of a chat where a non-deleted
 * message carries the upload (or be its uploader while it is unclaimed);
 * anyone else gets the same 404 as for an id that does not exist. */
#include "uploads.h"

#include "auth.h"
#include "db.h"
#include "fname.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "render.h"
#include "reply.h"
#include "upstore.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPLOADS_SWEEP_BATCH 100
#define UPLOADS_CT_MAX 100
/* Longest name accepted before cleaning (which cuts to FNAME_MAX bytes). */
#define UPLOADS_NAME_IN_MAX 2048
#define UPLOADS_COOKIE "parley_file_token"

static const struct db_stmt st_insert = {
    "uploads_insert",
    "INSERT INTO uploads (owner_id, sha256, name, size, content_type, width, height) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "RETURNING id, name, size, content_type, width, height", 7
};
static const struct db_stmt st_delete = {
    "uploads_delete", "DELETE FROM uploads WHERE id = $1", 1
};
static const struct db_stmt st_sweep = {
    "uploads_sweep", "SELECT parley_sweep_uploads($1, $2)", 2
};
static const struct db_stmt st_in_use = {
    "uploads_in_use", "SELECT parley_upload_in_use($1)", 1
};
static const struct db_stmt st_get = {
    "uploads_get",
    "SELECT u.sha256, u.name, u.content_type, u.width IS NOT NULL FROM uploads u "
    " WHERE u.id = $1 AND ((u.message_id IS NULL AND u.owner_id = $2) OR EXISTS ("
    "   SELECT 1 FROM messages m JOIN chat_members cm "
    "          ON cm.chat_id = m.chat_id AND cm.user_id = $2 "
    "    WHERE m.id = u.message_id AND m.deleted_at IS NULL))", 2
};

/* Percent-encodes s for a URL path segment or an RFC 5987 filename*. */
static void uploads_pct(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

json_object *uploads_render(const PGresult *r, int row, int col)
{
    char url[FNAME_MAX * 3 + 64], enc[FNAME_MAX * 3 + 1];
    json_object *u = json_object_new_object();
    long long id = render_int64(r, row, col);
    const char *name = PQgetvalue(r, row, col + 1);

    uploads_pct(name, enc, sizeof enc);
    snprintf(url, sizeof url, "/api/uploads/%lld/%s", id, enc);
    jsonx_add(u, "id", json_object_new_int64(id));
    jsonx_add(u, "name", json_object_new_string(name));
    jsonx_add(u, "size", json_object_new_int64(render_int64(r, row, col + 2)));
    jsonx_add(u, "content_type", json_object_new_string(PQgetvalue(r, row, col + 3)));
    if (!PQgetisnull(r, row, col + 4)) {
        jsonx_add(u, "width", json_object_new_int64(render_int64(r, row, col + 4)));
        jsonx_add(u, "height", json_object_new_int64(render_int64(r, row, col + 5)));
    }
    jsonx_add(u, "url", json_object_new_string(url));
    return u;
}

/* The type to record: the sniffed one for images; otherwise what the client
 * said, if it is a plain type/subtype that does not claim to be an image
 * (bytes decide that), else application/octet-stream. */
static void uploads_content_type(const struct req *req, const struct upstore_file *f,
                                 char out[UPLOADS_CT_MAX + 1])
{
    const char *ct = req->content_type;
    size_t n = 0;
    int slash = 0;

    if (f->is_image) {
        snprintf(out, UPLOADS_CT_MAX + 1, "%s", f->img.mime);
        return;
    }
    for (; ct && ct[n] && ct[n] != ';' && ct[n] != ' ' && n < UPLOADS_CT_MAX; n++) {
        unsigned char c = (unsigned char)ct[n];
        if (c == '/')
            slash++;
        else if (!isalnum(c) && !strchr("!#$&^_.+-", c))
            break;
        out[n] = (char)tolower(c);
    }
    out[n] = '\0';
    if (!ct || (ct[n] && ct[n] != ';' && ct[n] != ' ') || slash != 1 || out[0] == '/' ||
        out[n - 1] == '/' || strncmp(out, "image/", 6) == 0)
        snprintf(out, UPLOADS_CT_MAX + 1, "application/octet-stream");
}

static int uploads_still_used(void *ctx, const char *sha256)
{
    struct app *app = ctx;
    const char *params[1] = { sha256 };
    PGresult *r;
    int used = 1;      /* when in doubt, keep the file */

    if (db_run(app->db, &st_in_use, params, &r) == DB_OK) {
        used = PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
    }
    return used;
}

/* Removes expired unclaimed uploads and stale temporary files.  Failures
 * are logged and left for the next sweep. */
static void uploads_sweep(struct app *app)
{
    char age[ID_BUF], lim[ID_BUF];
    const char *params[2] = { render_id(age, UPLOADS_UNCLAIMED_SECS),
                              render_id(lim, UPLOADS_SWEEP_BATCH) };
    PGresult *r;
    int n;

    if (db_run(app->db, &st_sweep, params, &r) != DB_OK) {
        log_warn("upload sweep: %s", db_error(app->db));
        return;
    }
    for (int i = 0; i < PQntuples(r); i++)
        upstore_remove(app->cfg.upload_dir, PQgetvalue(r, i, 0), uploads_still_used, app);
    n = upstore_sweep_tmp(app->cfg.upload_dir, UPLOADS_UNCLAIMED_SECS);
    if (PQntuples(r) || n)
        log_info("upload sweep: %d expired files, %d stale temporary files removed",
                 PQntuples(r), n);
    PQclear(r);
}

/* Records f for the caller and moves it into place; 201 with the Upload. */
static void uploads_store(struct app *app, struct req *req, struct resp *resp,
                          struct upstore_file *f, const char *name)
{
    char uid[ID_BUF], size[ID_BUF], w[ID_BUF], h[ID_BUF], ct[UPLOADS_CT_MAX + 1];
    char err[256];
    const char *params[7];
    PGresult *r = NULL;
    enum db_status st;

    uploads_content_type(req, f, ct);
    params[0] = render_id(uid, req->user.sub);
    params[1] = f->sha256;
    params[2] = name;
    params[3] = render_id(size, f->size);
    params[4] = ct;
    params[5] = f->is_image ? render_id(w, f->img.width) : NULL;
    params[6] = f->is_image ? render_id(h, f->img.height) : NULL;
    st = db_run(app->db, &st_insert, params, &r);
    if (st != DB_OK) {
        upstore_discard(f);
        reply_db_error(app, resp, st);
        return;
    }
    if (upstore_commit(app->cfg.upload_dir, f, err, sizeof err) < 0) {
        const char *del[1] = { PQgetvalue(r, 0, 0) };
        PGresult *d = NULL;
        log_error("upload: %s", err);
        if (db_run(app->db, &st_delete, del, &d) != DB_OK)
            log_error("upload row %s left without a file: %s", del[0], db_error(app->db));
        PQclear(d);
        http_error(resp, 500, "internal_error", "the file could not be stored");
        PQclear(r);
        return;
    }
    http_json(resp, 201, uploads_render(r, 0, 0));
    PQclear(r);
}

void uploads_post(struct app *app, struct req *req, struct resp *resp)
{
    char raw[UPLOADS_NAME_IN_MAX + 1], name[FNAME_MAX + 1], err[256];
    struct upstore_file f;
    enum upstore_status us;
    int has;

    has = http_form_get(req->query, strlen(req->query), "name", raw, sizeof raw);
    if (has == 0) {
        http_error(resp, 400, "invalid_field", "the query parameter name (the file name) is required");
        return;
    }
    if (has < 0 || fname_clean(raw, strlen(raw), name) < 0) {
        http_error(resp, 400, "invalid_field",
                   "name must be UTF-8 text of at most %d bytes without NUL",
                   UPLOADS_NAME_IN_MAX);
        return;
    }
    if (!req->body_read) {           /* the router streams this route */
        http_error(resp, 500, "internal_error", "internal error");
        return;
    }
    us = upstore_receive(app->cfg.upload_dir, req->body_read, req->body_ctx,
                         req->content_length, app->cfg.upload_max_bytes, &f, err, sizeof err);
    switch (us) {
    case UPSTORE_OK:
        break;
    case UPSTORE_TOO_BIG:
        http_error(resp, 413, "payload_too_large", "the file is larger than %ld bytes",
                   app->cfg.upload_max_bytes);
        return;
    case UPSTORE_SHORT:
        http_error(resp, 400, "bad_request", "%s", err);
        return;
    default:
        log_error("upload: %s", err);
        http_error(resp, 500, "internal_error", "the file could not be stored");
        return;
    }
    uploads_store(app, req, resp, &f, name);
    uploads_sweep(app);
}

/* Browsers load files through <img src> and links, which send cookies but
 * no Authorization header: the page keeps a copy of its access token in a
 * cookie limited to /api/uploads (SameSite=Strict).  The header wins when
 * both are present. */
static int uploads_auth(struct app *app, struct req *req, struct resp *resp,
                        char *hdr, size_t hdrlen)
{
    const char *c = req->cookie, *v;
    size_t n, klen = strlen(UPLOADS_COOKIE);

    while (!req->authorization && c && *c) {
        while (*c == ' ' || *c == ';')
            c++;
        n = strcspn(c, ";");
        if (n > klen && strncmp(c, UPLOADS_COOKIE, klen) == 0 && c[klen] == '=') {
            v = c + klen + 1;
            if ((size_t)(c + n - v) + 8 < hdrlen) {
                snprintf(hdr, hdrlen, "Bearer %.*s", (int)(c + n - v), v);
                req->authorization = hdr;
            }
            break;
        }
        c += n;
    }
    return auth_check(app, req, resp);
}

void uploads_get(struct app *app, struct req *req, struct resp *resp)
{
    char hdr[4096], id[ID_BUF], uid[ID_BUF], path[UPSTORE_PATH_MAX];
    char enc[FNAME_MAX * 3 + 1], disp[FNAME_MAX * 3 + 64];
    const char *params[2];
    PGresult *r = NULL;
    enum db_status st;
    int image;

    if (uploads_auth(app, req, resp, hdr, sizeof hdr) < 0)
        return;
    params[0] = render_id(id, req->ids[0]);
    params[1] = render_id(uid, req->user.sub);
    st = db_run(app->db, &st_get, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        http_error(resp, 404, "not_found", "no such file");
        return;
    }
    image = PQgetvalue(r, 0, 3)[0] == 't';
    upstore_path(app->cfg.upload_dir, PQgetvalue(r, 0, 0), path);
    uploads_pct(PQgetvalue(r, 0, 1), enc, sizeof enc);
    /* Only recognised images are shown inline; anything else downloads,
     * typed as bytes, and sandboxed should a browser render it anyway.
     * "X-Content-Type-Options: nosniff" is added to every /api answer by
     * deploy/lighttpd/50-parley.conf (a second copy here would repeat it). */
    snprintf(disp, sizeof disp, "%s; filename*=UTF-8''%s", image ? "inline" : "attachment", enc);
    resp->status = 200;
    resp->sendfile = 1;
    http_header(resp, "X-Sendfile", path);
    http_header(resp, "Content-Type", image ? PQgetvalue(r, 0, 2) : "application/octet-stream");
    http_header(resp, "Content-Disposition", disp);
    http_header(resp, "Content-Security-Policy", "sandbox");
    /* The bytes never change, but access can (a message deleted, a member
     * removed): the browser may keep a copy but must ask each time;
     * lighttpd answers a matching ETag with 304. */
    http_header(resp, "Cache-Control", "private, no-cache");
    PQclear(r);
}
