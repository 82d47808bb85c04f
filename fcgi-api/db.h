/* db.h -- the worker's one PostgreSQL connection.
 *
 * Each FastCGI worker handles one request at a time, so one connection per
 * process is enough.  Statements are declared next to the handler that owns
 * their SQL (a static struct db_stmt) and prepared lazily, once per
 * connection.  A lost connection is dropped and re-opened on a later request,
 * at most every DB_RETRY_MS, so a database that is down costs a request one
 * failed connect, not a hang; a connect gives up after 3 s (db.c) when the
 * host does not answer at all. */
#ifndef PL_DB_H
#define PL_DB_H

#include <libpq-fe.h>

#define DB_RETRY_MS 500
#define DB_MAX_STMTS 128

struct db;

struct db_stmt {
    const char *name;    /* unique per process */
    const char *sql;     /* $1..$n text parameters */
    int nparams;
};

enum db_status { DB_OK = 0, DB_DOWN, DB_FAILED };

/* Creates the handle; nothing is connected yet.  `conninfo` is copied.
 * Each connection gets `statement_timeout_ms` and `search_slots` (how many
 * searches may run at once in the database, parley_search_slot in
 * sql/013_search_cost.sql; 0 = no limit).  Destroy with db_destroy. */
struct db *db_new(const char *conninfo, long statement_timeout_ms, long search_slots);
void db_destroy(struct db **dbp);

/* Runs a statement with text params (NULL = SQL NULL).  On DB_OK *res holds
 * a result the caller PQclears; otherwise *res is NULL and db_error() tells
 * why (DB_DOWN: no connection; DB_FAILED: the statement failed). */
enum db_status db_run(struct db *db, const struct db_stmt *st,
                      const char *const *params, PGresult **res);

/* Runs sts[0..n-1] (1 <= n <= DB_PIPE_MAX, params[i] for each) in one
 * pipeline: one round trip and one implicit transaction (each statement
 * still takes its own snapshot).  On DB_OK res[i] hold
 * results the caller PQclears; otherwise all are NULL and db_error() names
 * the statement that failed.  db_run is the case n = 1. */
#define DB_PIPE_MAX 3
enum db_status db_run_many(struct db *db, int n, const struct db_stmt *const *sts,
                           const char *const *const *params, PGresult **res);

/* A guard is a statement that must succeed before the next one may run:
 * the session check, which otherwise costs a round trip and a transaction
 * of its own on every request.  db_guard() keeps it (params are copied);
 * the next db_run() sends both in one pipeline, so they run in one implicit
 * transaction: if the guard raises, the statement is skipped and nothing
 * is written.  A guard that raised DB_GUARD_REFUSED refuses every later
 * statement too, until db_guard_clear().  Routes that do no statement run
 * it alone with db_guard_settle(). */
#define DB_GUARD_REFUSED "PS401"     /* SQLSTATE the guard raises to refuse */
#define DB_GUARD_MAX_PARAMS 4
#define DB_GUARD_PARAM_BYTES 32      /* each param, NUL included */

enum db_guard_state { DB_GUARD_NONE = 0, DB_GUARD_PENDING, DB_GUARD_PASSED, DB_GUARD_FAILED };

void db_guard(struct db *db, const struct db_stmt *st, const char *const *params);

/* Runs a pending guard alone.  DB_OK also when no guard was pending or it
 * already ran; otherwise as db_run (a refusal is DB_FAILED with sqlstate
 * DB_GUARD_REFUSED). */
enum db_status db_guard_settle(struct db *db);

enum db_guard_state db_guard_state(const struct db *db);

/* The guard refused (SQLSTATE DB_GUARD_REFUSED): the caller's session is over. */
int db_guard_refused(const struct db *db);

/* Forgets the guard (each request starts without one). */
void db_guard_clear(struct db *db);

/* The last error text (borrowed, valid until the next call). */
const char *db_error(const struct db *db);

/* SQLSTATE of the last DB_FAILED, or "". */
const char *db_sqlstate(const struct db *db);

/* Returns 1 when the connection answers a trivial query. */
int db_ping(struct db *db);

#endif
