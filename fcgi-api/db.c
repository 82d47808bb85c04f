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
    long search_slots;      /* parley.search_slots of each connection */
    PGconn *conn;
    long long next_try_ms;               /* no reconnect before this */
    const struct db_stmt *prepared[DB_MAX_STMTS];
    int nprepared;
    char err[512];
    char sqlstate[6];
    /* The guard (db.h): its statement, copied params and state. */
    const struct db_stmt *guard;
    char guard_buf[DB_GUARD_MAX_PARAMS][DB_GUARD_PARAM_BYTES];
    const char *guard_params[DB_GUARD_MAX_PARAMS];
    enum db_guard_state guard_state;
    int guard_refused;
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

struct db *db_new(const char *conninfo, long statement_timeout_ms, long search_slots)
{
    struct db *db = xcalloc(1, sizeof *db);
    db->conninfo = xstrdup(conninfo);
    db->timeout_ms = statement_timeout_ms;
    db->search_slots = search_slots;
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

/* A database host that drops packets (down, firewalled, mid-failover)
 * would hold the request in connect() for the kernel's TCP retries, some
 * two minutes.  Seconds, unless the conninfo sets its own connect_timeout:
 * it is expanded after this default (expand_dbname), so it wins. */
#define DB_CONNECT_TIMEOUT "3"
static const char *const db_connect_keys[] = { "connect_timeout", "dbname", NULL };

static int db_connect(struct db *db)
{
    const char *const vals[] = { DB_CONNECT_TIMEOUT, db->conninfo, NULL };
    char sql[192];
    PGresult *r;
    long long now = db_now_ms();

    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    db_disconnect(db);
    if (now < db->next_try_ms) {
        db_set_error(db, "database unavailable", "waiting before reconnecting");
        return -1;
    }
    db->conn = PQconnectdbParams(db_connect_keys, vals, 1);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        db_set_error(db, "connect", PQerrorMessage(db->conn));
        db_disconnect(db);
        /* From the failure, not the attempt: a connect that timed out
         * took seconds, and the next request must not wait them again. */
        db->next_try_ms = db_now_ms() + DB_RETRY_MS;
        return -1;
    }
    /* A stuck query must not hold a worker (and its request) forever.
     * Every statement here is a keyed lookup whose generic plan is as good
     * as a custom one, so skip re-planning on each execution (it cost as
     * much as running the chat-list query).  parley.search_slots: how many
     * searches run at once (sql/013_search_cost.sql). */
    snprintf(sql, sizeof sql,
             "SET statement_timeout = %ld; SET plan_cache_mode = force_generic_plan; "
             "SET parley.search_slots = %ld",
             db->timeout_ms, db->search_slots);
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

/* Prepares st on this connection unless it is already. */
static enum db_status db_prepare(struct db *db, const struct db_stmt *st)
{
    PGresult *r;

    if (db_is_prepared(db, st))
        return DB_OK;
    if (db->nprepared >= DB_MAX_STMTS) {
        db_set_error(db, st->name, "too many prepared statements");
        return DB_FAILED;
    }
    r = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return db_after_failure(db, r, st->name);
    PQclear(r);
    db->prepared[db->nprepared++] = st;
    return DB_OK;
}

/* Sends the k statements sts[] in one pipeline with one Sync, so they share
 * one implicit transaction and one round trip.  Expected results, in order:
 * one per statement (its result, or PGRES_PIPELINE_ABORTED after an earlier
 * one failed), each followed by NULL, then PGRES_PIPELINE_SYNC.  A broken
 * connection ends the loop early.  On DB_OK got[0..k-1] hold the results,
 * which the caller checks and PQclears; otherwise all are NULL. */
static enum db_status db_try_pipeline(struct db *db, int k, const struct db_stmt *const *sts,
                                      const char *const *const *params, PGresult **got)
{
    PGresult *r;
    int q = 0, nulls = 0, synced = 0;

    for (int i = 0; i < k; i++)
        got[i] = NULL;
    if (!PQenterPipelineMode(db->conn)) {
        db_set_error(db, "pipeline", PQerrorMessage(db->conn));
        return DB_FAILED;
    }
    for (int i = 0; i < k; i++) {
        if (!PQsendQueryPrepared(db->conn, sts[i]->name, sts[i]->nparams, params[i], NULL,
                                 NULL, 0)) {
            db_set_error(db, "pipeline send", PQerrorMessage(db->conn));
            db_disconnect(db);
            return DB_DOWN;
        }
    }
    if (!PQpipelineSync(db->conn)) {
        db_set_error(db, "pipeline send", PQerrorMessage(db->conn));
        db_disconnect(db);
        return DB_DOWN;
    }
    while (!synced && nulls < k + 2) {
        r = PQgetResult(db->conn);
        if (!r) {
            /* NULL ends one query's results; on a dead connection it is
             * all libpq has left to give. */
            nulls++;
            if (PQstatus(db->conn) != CONNECTION_OK)
                break;
            if (q < k && got[q])
                q++;
            continue;
        }
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            synced = 1;
            PQclear(r);
        } else if (q < k && !got[q]) {
            got[q] = r;
        } else {
            PQclear(r);
        }
    }
    if (!synced || !PQexitPipelineMode(db->conn)) {
        for (int i = 0; i < k; i++) {
            PQclear(got[i]);
            got[i] = NULL;
        }
        db_set_error(db, "pipeline", PQerrorMessage(db->conn));
        db_disconnect(db);
        return DB_DOWN;
    }
    return DB_OK;
}

static int db_result_ok(const PGresult *r)
{
    ExecStatusType s = PQresultStatus(r);
    return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
}

/* One attempt at running sts[0..n-1], behind the guard when one is pending
 * (db.h), as one pipeline when there is more than one statement in all. */
static enum db_status db_try_many(struct db *db, int n, const struct db_stmt *const *sts,
                                  const char *const *const *params, PGresult **res)
{
    const struct db_stmt *pipe_sts[DB_PIPE_MAX + 1];
    const char *const *pipe_params[DB_PIPE_MAX + 1];
    PGresult *got[DB_PIPE_MAX + 1];
    int k = 0, guarded = 0, failed = -1;
    enum db_status ps;

    if (db_connect(db) < 0)
        return DB_DOWN;
    if (db->guard_state == DB_GUARD_PENDING && !(n == 1 && sts[0] == db->guard)) {
        if ((ps = db_prepare(db, db->guard)) != DB_OK)
            return ps;
        pipe_sts[k] = db->guard;
        pipe_params[k++] = db->guard_params;
        guarded = 1;
    }
    for (int i = 0; i < n; i++) {
        if ((ps = db_prepare(db, sts[i])) != DB_OK)
            return ps;
        pipe_sts[k] = sts[i];
        pipe_params[k++] = params[i];
    }
    if (k == 1) {
        got[0] = PQexecPrepared(db->conn, sts[0]->name, sts[0]->nparams, params[0], NULL, NULL, 0);
    } else if ((ps = db_try_pipeline(db, k, pipe_sts, pipe_params, got)) != DB_OK) {
        return ps;
    }
    for (int i = 0; i < k && failed < 0; i++)
        if (!db_result_ok(got[i]))
            failed = i;
    if (failed >= 0) {
        for (int i = 0; i < k; i++)
            if (i != failed)
                PQclear(got[i]);
        ps = db_after_failure(db, got[failed], pipe_sts[failed]->name);
        if (guarded && failed == 0) {
            db->guard_state = DB_GUARD_FAILED;
            db->guard_refused = strcmp(db->sqlstate, DB_GUARD_REFUSED) == 0;
        } else if (guarded) {
            db->guard_state = DB_GUARD_PASSED;   /* it ran; a later statement failed */
        }
        return ps;
    }
    if (guarded) {
        PQclear(got[0]);
        db->guard_state = DB_GUARD_PASSED;
    }
    for (int i = 0; i < n; i++)
        res[i] = got[guarded + i];
    return DB_OK;
}

enum db_status db_run_many(struct db *db, int n, const struct db_stmt *const *sts,
                           const char *const *const *params, PGresult **res)
{
    int had_conn = db->conn != NULL;
    enum db_status s;

    for (int i = 0; i < n; i++)
        res[i] = NULL;
    if (n < 1 || n > DB_PIPE_MAX) {
        db_set_error(db, "pipeline", "statement count out of range");
        return DB_FAILED;
    }
    if (db->guard_state == DB_GUARD_FAILED) {
        /* Nothing runs for a request whose guard failed. */
        db_set_error(db, sts[0]->name, "refused: the guard statement failed");
        snprintf(db->sqlstate, sizeof db->sqlstate, "%s", db->guard_refused ? DB_GUARD_REFUSED : "");
        return DB_FAILED;
    }
    db->sqlstate[0] = '\0';
    s = db_try_many(db, n, sts, params, res);
    /* A connection that looked fine but died while idle (server restart)
     * fails on first use without the statement having run: reconnect at
     * once and try again, so the request after a restart succeeds. */
    if (s == DB_DOWN && had_conn) {
        db->next_try_ms = 0;
        s = db_try_many(db, n, sts, params, res);
    }
    return s;
}

enum db_status db_run(struct db *db, const struct db_stmt *st,
                      const char *const *params, PGresult **res)
{
    return db_run_many(db, 1, &st, &params, res);
}

void db_guard(struct db *db, const struct db_stmt *st, const char *const *params)
{
    db->guard = st;
    for (int i = 0; i < st->nparams && i < DB_GUARD_MAX_PARAMS; i++) {
        if (params[i]) {
            snprintf(db->guard_buf[i], sizeof db->guard_buf[i], "%s", params[i]);
            db->guard_params[i] = db->guard_buf[i];
        } else {
            db->guard_params[i] = NULL;
        }
    }
    db->guard_state = DB_GUARD_PENDING;
    db->guard_refused = 0;
}

enum db_status db_guard_settle(struct db *db)
{
    PGresult *r = NULL;
    enum db_status s;

    if (db->guard_state != DB_GUARD_PENDING)
        return db->guard_state == DB_GUARD_FAILED ? DB_FAILED : DB_OK;
    /* The guard as an ordinary statement: db_try_many does not pipeline a
     * statement with itself. */
    s = db_run(db, db->guard, db->guard_params, &r);
    PQclear(r);
    if (s == DB_OK) {
        db->guard_state = DB_GUARD_PASSED;
    } else if (s == DB_FAILED) {
        db->guard_state = DB_GUARD_FAILED;
        db->guard_refused = strcmp(db->sqlstate, DB_GUARD_REFUSED) == 0;
    }
    return s;
}

enum db_guard_state db_guard_state(const struct db *db)
{
    return db->guard_state;
}

int db_guard_refused(const struct db *db)
{
    return db->guard_state == DB_GUARD_FAILED && db->guard_refused;
}

void db_guard_clear(struct db *db)
{
    db->guard = NULL;
    db->guard_state = DB_GUARD_NONE;
    db->guard_refused = 0;
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
