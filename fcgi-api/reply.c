/* reply.c -- shared error answers (see reply.h). */
#include "reply.h"

#include "http.h"
#include "log.h"

#include <string.h>

void reply_db_error(struct app *app, struct resp *resp, enum db_status st)
{
    if (db_guard_refused(app->db)) {
        /* Not a failure: the session check that rode along said no. */
        reply_session_ended(resp);
        return;
    }
    if (st == DB_DOWN) {
        log_warn("database unavailable: %s", db_error(app->db));
        http_header(resp, "Retry-After", "1");
        http_error(resp, 503, "database_unavailable",
                   "the database is not answering; try again shortly");
        return;
    }
    if (strcmp(db_sqlstate(app->db), "57014") == 0) {
        /* statement_timeout (db_timeout_ms): the database is there but
         * busy, e.g. searches queued for a slot (sql/013_search_cost.sql).
         * Transient: say so, as for a database that is away. */
        log_warn("query timed out: %s", db_error(app->db));
        http_header(resp, "Retry-After", "1");
        http_error(resp, 503, "busy", "the database is busy; try again shortly");
        return;
    }
    log_error("query failed: %s", db_error(app->db));
    http_error(resp, 500, "internal_error", "internal error");
}

void reply_no_chat(struct resp *resp)
{
    http_error(resp, 404, "not_found", "no such chat");
}

void reply_group_too_large(struct app *app, struct resp *resp)
{
    http_error(resp, 422, "group_too_large", "a group has at most %ld members",
               app->cfg.group_max_members);
}

void reply_session_ended(struct resp *resp)
{
    http_header(resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    http_error(resp, 401, "session_ended", "this session has ended; log in again");
}
