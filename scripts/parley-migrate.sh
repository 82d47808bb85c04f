#!/usr/bin/env bash
# parley-migrate.sh -- apply pending SQL migrations, in order, once each.
#
#   parley-migrate.sh [SQL_DIR]
# The database comes from PARLEY_DATABASE_URL, else from database_url in the
# file named by PARLEY_CONFIG.  Migrations are SQL_DIR/NNN_name.sql; each runs
# in its own transaction and is recorded in schema_migrations.  A database
# whose schema is newer than the newest file here is refused: an old binary
# must never run against a schema it does not know.
set -euo pipefail
SQL_DIR=${1:-$(cd "$(dirname "$0")/.." && pwd)/sql}

url=${PARLEY_DATABASE_URL:-}
if [ -z "$url" ] && [ -n "${PARLEY_CONFIG:-}" ]; then
    url=$(sed -n 's/^database_url[[:space:]]*=[[:space:]]*//p' "$PARLEY_CONFIG" | tail -n 1)
fi
[ -n "$url" ] || { echo "parley-migrate: set PARLEY_DATABASE_URL or PARLEY_CONFIG" >&2; exit 2; }

# The password goes to psql through the environment, never on its command
# line (which every local user can read in ps).
case "$url" in
    *password=*)
        pw=$(printf '%s\n' "$url" | sed -n "s/.*password=\('[^']*'\|[^ ]*\).*/\1/p")
        pw=${pw#\'}; pw=${pw%\'}
        export PGPASSWORD="$pw"
        url=$(printf '%s\n' "$url" | sed "s/password=\('[^']*'\|[^ ]*\)//")
        ;;
    postgres://*:*@* | postgresql://*:*@*)
        rest=${url#*://}; cred=${rest%%@*}
        export PGPASSWORD="${cred#*:}"
        url="${url%%://*}://${cred%%:*}@${rest#*@}"
        ;;
esac

q() { psql "$url" -X -q -tA -v ON_ERROR_STOP=1 "$@"; }

q -c "CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())" 2>&1 | grep -v 'already exists' >&2 || true

current=$(q -c "SELECT coalesce(max(version), 0) FROM schema_migrations")
newest=0
for f in "$SQL_DIR"/[0-9][0-9][0-9]_*.sql; do
    v=$((10#$(basename "$f" | cut -c1-3)))
    [ "$v" -gt "$newest" ] && newest=$v
done
if [ "$current" -gt "$newest" ]; then
    echo "parley-migrate: database schema is version $current, newer than this release knows ($newest); refusing" >&2
    exit 3
fi

# Every file whose version is not recorded runs, not only those above the
# newest recorded: branches developed side by side each add a migration,
# and a database that already has the higher-numbered one must still get
# the other (they are written to be independent of each other's order).
have=" $(q -c "SELECT version FROM schema_migrations" | tr '\n' ' ') "
applied=0
for f in "$SQL_DIR"/[0-9][0-9][0-9]_*.sql; do
    name=$(basename "$f" .sql)
    [[ $name =~ ^[0-9]{3}_[a-z0-9_]+$ ]] || { echo "parley-migrate: bad file name $f" >&2; exit 2; }
    v=$((10#${name:0:3}))
    case "$have" in *" $v "*) continue ;; esac
    q --single-transaction -f "$f" \
      -c "INSERT INTO schema_migrations(version, name) VALUES ($v, '$name')"
    echo "parley-migrate: applied $name" >&2
    applied=$((applied + 1))
done
[ "$applied" -eq 0 ] && echo "parley-migrate: schema up to date (version $current)" >&2
exit 0
