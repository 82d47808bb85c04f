/* db.c -- lazy connection, lazy prepared statements, reconnect (db.h). */
#include "db.h"

#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct db {
    char *conninfo;
    long timeout_ms;
    PGconn *conn;
    long long next_try_ms;               /* no reconnect before this */
    const struct db_stmt *prepared[DB_MAX_STMTS];
    int nprepared;
    char err[512];
    char sqlstate[6];
};

static long long db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void db_set_error(struct db *db, const char *what, const char *detail)
{
    size_t n;
    snprintf(db->err, sizeof db->err, "%s: %s", what, detail ? detail : "unknown error");
    n = strlen(db->err);
    while (n && (db->err[n - 1] == '\n' || db->err[n - 1] == ' '))
        db->err[--n] = '\0';
}

struct db *db_new(const char *conninfo, long statement_timeout_ms)
{
    struct db *db = xcalloc(1, sizeof *db);
    db->conninfo = xstrdup(conninfo);
    db->timeout_ms = statement_timeout_ms;
    return db;
}

static void db_disconnect(struct db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    db->nprepared = 0;
}

void db_destroy(struct db **dbp)
{
    struct db *db = *dbp;
    if (!db)
        return;
    db_disconnect(db);
    free(db->conninfo);
    free(db);
    *dbp = NULL;
}

static int db_connect(struct db *db)
{
    char sql[128];
    PGresult *r;
    long long now = db_now_ms();

    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    db_disconnect(db);
    if (now < db->next_try_ms) {
        db_set_error(db, "database unavailable", "waiting before reconnecting");
        return -1;
    }
    db->conn = PQconnectdb(db->conninfo);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        db_set_error(db, "connect", PQerrorMessage(db->conn));
        db_disconnect(db);
        db->next_try_ms = now + DB_RETRY_MS;
        return -1;
    }
    /* A stuck query must not hold a worker (and its request) forever.
     * Every statement here is a keyed lookup whose generic plan is as good
     * as a custom one, so skip re-planning on each execution (it cost as
     * much as running the chat-list query). */
    snprintf(sql, sizeof sql,
             "SET statement_timeout = %ld; SET plan_cache_mode = force_generic_plan",
             db->timeout_ms);
    r = PQexec(db->conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        db_set_error(db, "set timeout", PQerrorMessage(db->conn));
        PQclear(r);
        db_disconnect(db);
        return -1;
    }
    PQclear(r);
    return 0;
}

static int db_is_prepared(const struct db *db, const struct db_stmt *st)
{
    for (int i = 0; i < db->nprepared; i++)
        if (db->prepared[i] == st)
            return 1;
    return 0;
}

/* After a failure: keep the connection only if it is still healthy. */
static enum db_status db_after_failure(struct db *db, PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
    db_set_error(db, what, PQerrorMessage(db->conn));
    PQclear(r);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        db_disconnect(db);
        return DB_DOWN;
    }
    return DB_FAILED;
}

/* One attempt at running st; see db_run. */
static enum db_status db_try(struct db *db, const struct db_stmt *st,
                             const char *const *params, PGresult **res)
{
    PGresult *r;
    ExecStatusType s;

    if (db_connect(db) < 0)
        return DB_DOWN;
    if (!db_is_prepared(db, st)) {
        if (db->nprepared >= DB_MAX_STMTS) {
            db_set_error(db, st->name, "too many prepared statements");
            return DB_FAILED;
        }
        r = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            return db_after_failure(db, r, st->name);
        PQclear(r);
        db->prepared[db->nprepared++] = st;
    }
    r = PQexecPrepared(db->conn, st->name, st->nparams, params, NULL, NULL, 0);
    s = PQresultStatus(r);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
        return db_after_failure(db, r, st->name);
    *res = r;
    return DB_OK;
}

enum db_status db_run(struct db *db, const struct db_stmt *st,
                      const char *const *params, PGresult **res)
{
    int had_conn = db->conn != NULL;
    enum db_status s;

    *res = NULL;
    db->sqlstate[0] = '\0';
    s = db_try(db, st, params, res);
    /* A connection that looked fine but died while idle (server restart)
     * fails on first use without the statement having run: reconnect at
     * once and try again, so the request after a restart succeeds. */
    if (s == DB_DOWN && had_conn) {
        db->next_try_ms = 0;
        s = db_try(db, st, params, res);
    }
    return s;
}

const char *db_error(const struct db *db)
{
    return db->err;
}

const char *db_sqlstate(const struct db *db)
{
    return db->sqlstate;
}

int db_ping(struct db *db)
{
    static const struct db_stmt ping = { "db_ping", "SELECT 1", 0 };
    PGresult *r;
    if (db_run(db, &ping, NULL, &r) != DB_OK)
        return 0;
    PQclear(r);
    return 1;
}
