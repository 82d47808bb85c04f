#!/usr/bin/env bash
# tests/install/run.sh -- `make install` into an existing lighttpd site,
# checked end to end.  Needs root (it starts lighttpd as root so that it
# drops to www-data, runs the API workers, ws-daemon and the forwarder as
# `parley`, PostgreSQL as `postgres`).
#
#  A. staged: `make install DESTDIR=<tmp>/stage` with the default prefixes:
#     the layout, modes, baked-in paths; a re-install keeps an edited config;
#     `make uninstall DESTDIR=...` leaves only the two config files.
#  B. live: `make install PREFIX=<tmp>/usr SYSCONFDIR=<tmp>/etc ...` (no
#     DESTDIR, so the system step runs: user parley, www-data NOT in group
#     parley, upload folder), then a FRESH lighttpd whose site config sets
#     only the basics and an "existing site" page and includes the installed
#     conf-available/50-parley.conf; the installed API workers as user
#     parley on a socket made the way parley-api.socket makes it
#     (socket-unit.py stands in for systemd), parley-wsd as user parley;
#     a fresh PostgreSQL cluster migrated by the installed parley-migrate.
#     Register, post, receive over /ws, all through that lighttpd; the site's
#     page is still served; processes run as the intended users; www-data
#     cannot read parley.conf; only lighttpd's group can connect to the API
#     socket; restarting the workers loses no request.  Then the page at
#     the root instead of /chat, then `make uninstall`.
# Everything is torn down at the end.  Ends "install: N passed, M failed".
#   PARLEY_BUILD   build folder whose binaries are installed (default build)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${PARLEY_BUILD:-build}
START=$(date +%s)

passed=0; failed=0
ok()   { passed=$((passed + 1)); echo "ok   $*"; }
bad()  { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; return 1; fi; }
finish() { echo "install: $passed passed, $failed failed ($(( $(date +%s) - START )) s)"; [ "$failed" -eq 0 ]; exit $?; }

if [ "$(id -u)" != 0 ]; then bad "needs root"; finish; fi
for tool in lighttpd runuser setpriv adduser curl node psql; do
    command -v "$tool" >/dev/null || { bad "missing tool $tool"; finish; }
done
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] || { bad "PostgreSQL server binaries not found"; finish; }

T=$(mktemp -d /tmp/parley-install.XXXXXX)
chmod 755 "$T"           # www-data, parley and postgres must reach below it
LT_PID=""; WSD_PID=""; FWD_PID=""; API_PID=""; PG_DATA="$T/pg/data"
CREATED_USER=0; WAS_IN_GROUP=0

stop_pid() {   # stop_pid PID: TERM, wait up to 5 s, then KILL
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
}

teardown() {
    stop_pid "$LT_PID"; LT_PID=""
    stop_pid "$WSD_PID"; WSD_PID=""
    stop_pid "$FWD_PID"; FWD_PID=""
    stop_pid "$API_PID"; API_PID=""
    if [ -f "$PG_DATA/postmaster.pid" ]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
    # Undo only what this test did to the machine's users.
    # (An older install put www-data in group parley; make install takes it
    # out.  Put back what this machine had.)
    [ "$WAS_IN_GROUP" = 1 ] && [ "$CREATED_USER" = 0 ] && adduser --quiet www-data parley >/dev/null 2>&1
    [ "$CREATED_USER" = 1 ] && { deluser --quiet --system parley >/dev/null 2>&1; delgroup --quiet --system parley >/dev/null 2>&1; }
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap teardown EXIT
trap 'exit 1' INT TERM

# Ports below the ephemeral range (32768+), which other processes here churn.
free_ports() {
    node -e '
      const net = require("net"); const want = +process.argv[1]; const got = [];
      (function next() {
        if (got.length === want) { console.log(got.join(" ")); return; }
        const p = 20000 + Math.floor(Math.random() * 12000);
        if (got.includes(p)) return next();
        const s = net.createServer(); s.once("error", next);
        s.listen(p, "127.0.0.1", () => { got.push(p); s.close(next); });
      })();' "$1"
}
read -r HTTP_PORT WS_PORT EV_PORT TAP_PORT PG_PORT <<<"$(free_ports 5)"
H="http://127.0.0.1:$HTTP_PORT"

wait_port() {
    for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
    return 1
}

# ---------------------------------------------------------------------------
echo "== A. staged install (DESTDIR, default prefixes)"
S="$T/stage"
make -s --no-print-directory BUILD="$BUILD" install DESTDIR="$S" > "$T/stage-install.log" 2>&1
check "make install DESTDIR= succeeds" test $? -eq 0
for f in usr/local/lib/parley/parley-api.fcgi usr/local/lib/parley/parley-api-pool usr/local/lib/parley/parley-wsd usr/local/lib/parley/parley-forwarder \
         usr/local/bin/parley-tap usr/local/bin/parley-migrate; do
    check "installed executable /$f" test -x "$S/$f"
done
for f in usr/local/share/parley/www/index.html usr/local/share/parley/www/errors/api-413.html \
         usr/local/share/parley/sql/001_schema.sql usr/local/share/doc/parley/deploy.md \
         etc/parley/parley.conf.example etc/parley/lighttpd-site.conf \
         etc/lighttpd/conf-available/50-parley.conf \
         usr/local/lib/systemd/system/parley-wsd.service usr/local/lib/systemd/system/parley-migrate.service \
         usr/local/lib/systemd/system/parley-api.socket usr/local/lib/systemd/system/parley-api.service \
         usr/local/lib/systemd/system/lighttpd.service.d/parley.conf; do
    check "installed /$f" test -f "$S/$f"
done
check "no demo seed installed (known passwords)" test ! -e "$S/usr/local/share/parley/sql/seed.sql"
check "DESTDIR install touched no system user" grep -vq 'created system user' "$T/stage-install.log"
check "parley.conf written, mode 640" test "$(stat -c %a "$S/etc/parley/parley.conf" 2>/dev/null)" = 640
check "parley.conf has a generated 64-hex jwt_secret" grep -Eq '^jwt_secret = [0-9a-f]{64}$' "$S/etc/parley/parley.conf"
check "parley.conf has no CHANGE_ME left" bash -c "! grep -q '^[^#]*CHANGE_ME' '$S/etc/parley/parley.conf'"
check "parley-migrate has the installed sql folder baked in" \
    grep -qx 'SQL_DIR=${1:-/usr/local/share/parley/sql}' "$S/usr/local/bin/parley-migrate"
check "snippet: Debian depends line" grep -q '^# -\*- depends: setenv, rewrite, fastcgi, proxy, deflate -\*-$' "$S/etc/lighttpd/conf-available/50-parley.conf"
check "snippet: lighttpd spawns no workers (empty bin-path)" grep -qx 'var.parley_api_bin    = ""' "$S/etc/lighttpd/conf-available/50-parley.conf"
check "snippet: the API socket of parley-api.socket" grep -qx 'var.parley_socket_dir = "/run/parley-api"' "$S/etc/lighttpd/conf-available/50-parley.conf"
check "unit: parley-api.socket listens where the snippet connects, root:www-data 0660" \
    bash -c "u='$S/usr/local/lib/systemd/system/parley-api.socket'; grep -qx 'ListenStream=/run/parley-api/parley-api.sock' \$u && grep -qx 'SocketGroup=www-data' \$u && grep -qx 'SocketMode=0660' \$u"
check "unit: parley-api.service runs the pool as parley on the socket" \
    bash -c "u='$S/usr/local/lib/systemd/system/parley-api.service'; grep -qx 'ExecStart=/usr/local/lib/parley/parley-api-pool' \$u && grep -qx 'User=parley' \$u && grep -qx 'StandardInput=socket' \$u && grep -qx 'ReadWritePaths=/var/lib/parley/uploads' \$u"
check "snippet: the routes of deploy/lighttpd/50-parley.conf, verbatim" \
    bash -c "tail -n $(wc -l < deploy/lighttpd/50-parley.conf) '$S/etc/lighttpd/conf-available/50-parley.conf' | cmp -s - deploy/lighttpd/50-parley.conf"
check "unit: ExecStart is the installed parley-wsd" grep -qx 'ExecStart=/usr/local/lib/parley/parley-wsd' "$S/usr/local/lib/systemd/system/parley-wsd.service"
# parley.conf and bus-keys.allow are left out: their CURVE keys are Z85,
# whose alphabet has '@' (a key like "…@QX@…" failed this check at random).
check "units: no @TOKEN@ left" bash -c "! grep -rq --exclude=parley.conf --exclude=bus-keys.allow '@[A-Z]*@' '$S/usr/local/lib/systemd' '$S/etc'"
# An upgrade keeps the operator's config.
echo "# operator edit" >> "$S/etc/parley/parley.conf"
echo "# operator edit" >> "$S/etc/parley/lighttpd-site.conf"
sum_before=$(md5sum "$S/etc/parley/parley.conf" "$S/etc/parley/lighttpd-site.conf")
make -s --no-print-directory BUILD="$BUILD" install DESTDIR="$S" > "$T/stage-install2.log" 2>&1
check "re-install (upgrade) succeeds" test $? -eq 0
check "re-install keeps parley.conf and lighttpd-site.conf" \
    test "$sum_before" = "$(md5sum "$S/etc/parley/parley.conf" "$S/etc/parley/lighttpd-site.conf")"
# An older lighttpd-site.conf set var.parley_fcgi_procs, which the snippet
# now sets itself (lighttpd refuses a variable set twice): an upgrade
# comments it out.
cp "$S/etc/parley/lighttpd-site.conf" "$T/site-new.conf"
echo 'var.parley_fcgi_procs = 4' >> "$S/etc/parley/lighttpd-site.conf"
make -s --no-print-directory BUILD="$BUILD" install DESTDIR="$S" > "$T/stage-install3.log" 2>&1
check "upgrade comments out an old var.parley_fcgi_procs" \
    bash -c "grep -q '^# unused since .*var.parley_fcgi_procs = 4' '$S/etc/parley/lighttpd-site.conf' && ! grep -q '^var.parley_fcgi_procs' '$S/etc/parley/lighttpd-site.conf'"
cp "$T/site-new.conf" "$S/etc/parley/lighttpd-site.conf"
make -s --no-print-directory BUILD="$BUILD" uninstall DESTDIR="$S" > "$T/stage-uninstall.log" 2>&1
check "make uninstall DESTDIR= succeeds" test $? -eq 0
left=$(cd "$S" && find . -type f | sort | tr '\n' ' ')
check "uninstall leaves only the config (left: $left)" \
    test "$left" = "./etc/parley/bus-keys.allow ./etc/parley/lighttpd-site.conf ./etc/parley/parley.conf "

# ---------------------------------------------------------------------------
echo "== B. live install into an existing lighttpd site"
getent passwd parley >/dev/null || CREATED_USER=1
id -nG www-data | tr ' ' '\n' | grep -qx parley && WAS_IN_GROUP=1
P="$T/usr"; E="$T/etc"
INST=(BUILD="$BUILD" PREFIX="$P" SYSCONFDIR="$E" LOCALSTATEDIR="$T/var" PARLEY_PAGE_PREFIX=/chat)
# An upload folder as an older release left it (www-data:parley 750, the
# workers were www-data): the install hands it to parley:www-data.
OLDUP="$T/var/lib/parley/uploads"
mkdir -p "$OLDUP/ab" && echo "an old upload" > "$OLDUP/ab/abold"
chown -R www-data:parley "$OLDUP" && chmod 750 "$OLDUP" "$OLDUP/ab" && chmod 640 "$OLDUP/ab/abold"
make -s --no-print-directory "${INST[@]}" install > "$T/install.log" 2>&1
check "make install (with the system step) succeeds" test $? -eq 0 || cat "$T/install.log"
check "user parley exists, a system user" bash -c '[ "$(id -u parley)" -lt 1000 ]'
check "www-data is not in group parley" bash -c "! id -nG www-data | tr ' ' '\n' | grep -qx parley"
check "parley.conf is 640 root:parley" test "$(stat -c '%a %U:%G' "$E/parley/parley.conf")" = "640 root:parley"
check "www-data cannot read parley.conf (runuser -u www-data -- cat fails)" bash -c "! runuser -u www-data -- cat '$E/parley/parley.conf'"
check "parley can read parley.conf" runuser -u parley -- test -r "$E/parley/parley.conf"
check "nobody else can read parley.conf" runuser -u nobody -- test ! -r "$E/parley/parley.conf"
UP="$T/var/lib/parley/uploads"
check "upload folder is parley:www-data 2750" test "$(stat -c '%a %U:%G' "$UP")" = "2750 parley:www-data"
check "an older release's upload folder is handed over (dirs 2750, files 640 parley:www-data)" \
    test "$(stat -c '%a %U:%G' "$UP/ab") $(stat -c '%a %U:%G' "$UP/ab/abold")" = "2750 parley:www-data 640 parley:www-data"
if command -v systemd-analyze >/dev/null; then
    U="$P/lib/systemd/system"
    out=$(systemd-analyze verify "$U/parley-api.socket" "$U/parley-api.service" "$U/parley-wsd.service" "$U/parley-migrate.service" "$U/parley-forwarder.service" 2>&1 |
          grep -v -e 'lighttpd.service' -e 'postgresql.service' -e 'Failed to .* bus' -e 'not running' -e '^$')
    if [ -z "$out" ]; then ok "systemd-analyze verify: all five units clean"; else bad "systemd-analyze verify: $out"; fi
fi

# Debian's own lighttpd.conf (a copy) + `lighty-enable-mod parley` (a copy
# pointed at that folder): the depends line enables the modules and the
# whole thing checks clean.
if [ -x /usr/sbin/lighty-enable-mod ] && [ -f /etc/lighttpd/lighttpd.conf ]; then
    DL="$T/debian-lighttpd"
    mkdir -p "$DL" && cp -a /etc/lighttpd/. "$DL/"
    rm -f "$DL/conf-enabled/50-parley.conf"
    cp "$E/lighttpd/conf-available/50-parley.conf" "$DL/conf-available/"
    sed "s|^my \$confdir = .*|my \$confdir = \"$DL/\";|" /usr/sbin/lighty-enable-mod > "$T/lighty-enable-mod"
    chmod 755 "$T/lighty-enable-mod"
    sed -i "s|/etc/lighttpd/conf-enabled|$DL/conf-enabled|" "$DL/lighttpd.conf"
    "$T/lighty-enable-mod" parley > "$T/lighty-enable-mod.out" 2>&1
    check "lighty-enable-mod parley (Debian's config): enables it and its depends" \
        bash -c "[ -L '$DL/conf-enabled/50-parley.conf' ] && for m in fastcgi proxy setenv rewrite deflate; do ls '$DL'/conf-enabled/*-\$m.conf >/dev/null || exit 1; done"
    out=$(lighttpd -tt -f "$DL/lighttpd.conf" 2>&1); rc=$?
    check "Debian's lighttpd.conf with parley enabled checks clean${out:+: $out}" test "$rc" = 0 -a -z "$out"
fi

# The operator's part: ports (free ones here) and the database.
CONF="$E/parley/parley.conf"
DBPW=$(sed -n 's/^database_url = .*password=\([0-9a-f]*\).*/\1/p' "$CONF")
sed -i -e "s|^database_url = .*|database_url = host=127.0.0.1 port=$PG_PORT user=parley dbname=parley password=$DBPW connect_timeout=3|" \
       -e '/^# operator settings for the test/,$d' "$CONF"
cat >> "$CONF" <<CONF
# operator settings for the test
zmq_events = ipc://$T/bus/in
zmq_fanout = ipc://$T/bus/out
zmq_tap = ipc://$T/bus/tap
forwarder_in = ipc://$T/bus/in
forwarder_out = ipc://$T/bus/out
forwarder_tap = ipc://$T/bus/tap
ws_port = $WS_PORT
CONF
# What RuntimeDirectory= in parley-forwarder.service makes: 0750 parley.
mkdir -p "$T/bus" && chown parley:parley "$T/bus" && chmod 0750 "$T/bus"
sed -i "s/\"port\" => 8081/\"port\" => $WS_PORT/" \
    "$E/parley/lighttpd-site.conf"

# A fresh PostgreSQL cluster (the role and database docs/deploy.md creates).
mkdir -p "$T/pg/data" "$T/pg/sock" && chown -R postgres:postgres "$T/pg" && chmod 700 "$T/pg/data"
echo "$DBPW" > "$T/pg/pw" && chown postgres "$T/pg/pw"
runuser -u postgres -- "$PGBIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 --no-sync > "$T/pg/initdb.log" 2>&1
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$T/pg/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $T/pg/sock" start > /dev/null 2>&1
check "PostgreSQL cluster started" test -f "$PG_DATA/postmaster.pid"
runuser -u postgres -- psql -h "$T/pg/sock" -p "$PG_PORT" -U postgres -X -q -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE parley LOGIN PASSWORD '$DBPW'" -c "CREATE DATABASE parley OWNER parley" > "$T/pg/create.log" 2>&1
check "database role and database created" test $? -eq 0

# Migrations: by the installed parley-migrate, as parley-migrate.service runs it.
migrate() { runuser -u parley -- env PARLEY_CONFIG="$CONF" "$P/bin/parley-migrate" 2>&1; }
q() { psql "host=127.0.0.1 port=$PG_PORT user=parley dbname=parley password=$DBPW" -X -q -tA -c "$1"; }
# An upgrade: first the schema as it was before 014 (the chat-list card),
# with chats and messages in it; then the installed migrations must add
# only 014 and fill every chat's card to equal message_v.
G0=$(mktemp -d "$T/sqlold.XXXXXX"); cp "$P/share/parley/sql/"*.sql "$G0/"; rm "$G0/014_chat_last.sql"
chmod -R a+rX "$G0"
out=$(runuser -u parley -- env PARLEY_CONFIG="$CONF" "$P/bin/parley-migrate" "$G0" 2>&1); rc=$?
check "installed parley-migrate applies the schema before 014 (as user parley)" bash -c "[ $rc = 0 ] && grep -q 'applied 001_schema' <<<'$out'"
rm -rf "$G0"
q "INSERT INTO users (username, password_hash) VALUES ('up_a', 'x'), ('up_b', 'x'), ('up_c', 'x');
   SELECT parley_direct_chat(a.id, o.id) FROM users a, users o
    WHERE a.username = 'up_a' AND o.username IN ('up_b', 'up_c');
   SELECT parley_post(cm.chat_id, b.id, 'hello', NULL, 1e6, 1e6, NULL, '{}', '{}')
     FROM users b JOIN chat_members cm ON cm.user_id = b.id WHERE b.username = 'up_b';
   SELECT parley_post(cm.chat_id, b.id, 'a reply', NULL, 1e6, 1e6, (SELECT min(id) FROM messages), '{}', '{}')
     FROM users b JOIN chat_members cm ON cm.user_id = b.id WHERE b.username = 'up_b';
   SELECT parley_react((SELECT max(id) FROM messages), a.id, 'x', true, 20) FROM users a WHERE a.username = 'up_a';" >/dev/null
out=$(migrate); rc=$?
check "parley-migrate upgrades it: applies 014 alone" \
    bash -c "[ $rc = 0 ] && grep -q 'applied 014_chat_last' <<<'$out' && [ \"\$(grep -c applied <<<'$out')\" = 1 ]"
card=$(q "SELECT count(c.lm_id), count(*) FILTER (WHERE
            (c.lm_id, c.lm_chat_id, c.lm_sender_id, c.lm_sender_username, c.lm_content,
             c.lm_created_at, c.lm_edited_at, c.lm_deleted, c.lm_client_id, c.lm_seq,
             c.lm_mentions, c.lm_reply_to, c.lm_reactions, c.lm_system) IS DISTINCT FROM
            (v.id, v.chat_id, v.sender_id, v.sender_username, v.content, v.created_at,
             v.edited_at, v.deleted, v.client_id, v.seq, v.mentions, v.reply_to,
             v.reactions, v.system))
          FROM chats c LEFT JOIN message_v v ON v.id = c.last_message_id")
check "014 filled the existing chats' cards, equal to message_v (cards|stale: 1|0)" test "$card" = "1|0"
out=$(migrate); rc=$?
check "parley-migrate again: up to date" bash -c "[ $rc = 0 ] && grep -q 'schema up to date' <<<'$out'"
q "INSERT INTO schema_migrations(version, name) VALUES (999, '999_future')" >/dev/null
migrate >/dev/null; rc=$?
check "parley-migrate refuses a newer schema (exit 3)" test "$rc" = 3
q "DELETE FROM schema_migrations WHERE version = 999" >/dev/null
# A migration numbered below the newest applied one (two branches merged,
# each with its own) is still applied: 010 is a number no release uses.
G=$(mktemp -d "$T/sqlgap.XXXXXX"); cp "$P/share/parley/sql/"*.sql "$G/"
echo "CREATE TABLE gap_check (x int);" > "$G/010_gap_check.sql"; chmod -R a+rX "$G"
out=$(runuser -u parley -- env PARLEY_CONFIG="$CONF" "$P/bin/parley-migrate" "$G" 2>&1); rc=$?
check "parley-migrate applies a missing migration below the newest applied" \
    bash -c "[ $rc = 0 ] && grep -q 'applied 010_gap_check' <<<'$out' && [ \"\$(grep -c applied <<<'$out')\" = 1 ]"
q "DROP TABLE gap_check" >/dev/null; q "DELETE FROM schema_migrations WHERE version = 10" >/dev/null; rm -rf "$G"

# The forwarder and ws-daemon as parley, the way their units run them.
mkdir -p "$T/log"
check "make install wrote CURVE keys and the allow-list" \
    bash -c "grep -q '^zmq_curve_secret = .\{40\}\$' '$CONF' && grep -q '^forwarder_curve_secret = .\{40\}\$' '$CONF' && [ \$(wc -l < '$E/parley/bus-keys.allow') = 1 ]"
setpriv --reuid=parley --regid=parley --init-groups --inh-caps=-all \
    env PARLEY_CONFIG="$CONF" "$P/lib/parley/parley-forwarder" > "$T/log/forwarder.log" 2>&1 < /dev/null &
FWD_PID=$!
fwd_up() { for _ in $(seq 100); do [ -S "$T/bus/in" ] && [ -S "$T/bus/out" ] && return 0; sleep 0.05; done; return 1; }
check "installed parley-forwarder binds its ipc sockets (CURVE, as parley)" fwd_up || tail -n 20 "$T/log/forwarder.log"
setpriv --reuid=parley --regid=parley --init-groups --inh-caps=-all \
    env PARLEY_CONFIG="$CONF" "$P/lib/parley/parley-wsd" > "$T/log/ws-daemon.log" 2>&1 < /dev/null &
WSD_PID=$!
check "installed parley-wsd listens" wait_port "$WS_PORT" || tail -n 20 "$T/log/ws-daemon.log"

# The API workers as parley-api.socket + parley-api.service run them: the
# socket root:www-data 0660 in a root-owned folder, the installed pool as
# parley with the socket as its stdin (socket-unit.py plays systemd).
API_SOCK="$T/var/run/parley-api/parley-api.sock"
mkdir -p "$(dirname "$API_SOCK")" && chmod 755 "$(dirname "$API_SOCK")"
/usr/bin/python3 tests/install/socket-unit.py "$API_SOCK" root www-data 0660 parley -- \
    env PARLEY_CONFIG="$CONF" PARLEY_UPLOAD_DIR="$UP" PARLEY_API_WORKERS=2 "$P/lib/parley/parley-api-pool" \
    > "$T/log/api.out" 2> "$T/log/api.log" < /dev/null &
API_PID=$!
api_workers() { ps -o pid=,user=,args= --ppid "$(pgrep -P "$API_PID" -f parley-api-pool | head -n 1)" 2>/dev/null | awk '/parley-api\.fcgi/ {print $1 ":" $2}' | sort | tr '\n' ' '; }
api_up() { for _ in $(seq 100); do [ -S "$API_SOCK" ] && [ "$(api_workers | wc -w)" = 2 ] && grep -q 'ready' "$T/log/api.log" && return 0; sleep 0.05; done; return 1; }
check "installed API pool: 2 workers on the socket" api_up || tail -n 20 "$T/log/api.log"
check "API socket is root:www-data 0660" test "$(stat -c '%a %U:%G' "$API_SOCK")" = "660 root:www-data"
# sock_open_for USER SOCKET: can USER connect to the Unix socket?
sock_open_for() { runuser -u "$1" -- /usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$2" 2>/dev/null; }
can_connect() { sock_open_for "$1" "$API_SOCK"; }
check "www-data can connect to the API socket" can_connect www-data
cannot_connect() { ! can_connect "$1"; }
check "parley (the workers' user) cannot connect to it" cannot_connect parley
check "nobody cannot connect to it (no FastCGI from other local users)" cannot_connect nobody
check "nobody cannot connect to the event bus (forge events, read the tap)" \
    bash -c "$(declare -f sock_open_for); [ -S '$T/bus/in' ] && [ -S '$T/bus/tap' ] && ! sock_open_for nobody '$T/bus/in' && ! sock_open_for nobody '$T/bus/tap'"

# The existing site: basics only, its own page, then the installed snippet.
# Modules: what Debian's lighttpd.conf loads plus the snippet's "depends".
mkdir -p "$T/site/html/about" "$T/var/log/lighttpd" "$T/site/uploads"
echo '<!doctype html><title>existing site</title><p>existing site home</p>' > "$T/site/html/index.html"
echo '<!doctype html><title>about</title><p>existing site about page</p>' > "$T/site/html/about/index.html"
chown www-data:www-data "$T/var/log/lighttpd" "$T/site/uploads"
cat > "$T/site/lighttpd.conf" <<SITE
server.modules = ( "mod_indexfile", "mod_access", "mod_alias", "mod_redirect",
                   "mod_setenv", "mod_fastcgi", "mod_proxy", "mod_rewrite", "mod_deflate" )
server.document-root = "$T/site/html"
server.bind          = "127.0.0.1"
server.port          = $HTTP_PORT
server.username      = "www-data"
server.groupname     = "www-data"
server.errorlog      = "$T/var/log/lighttpd/error.log"
server.upload-dirs   = ( "$T/site/uploads" )
index-file.names     = ( "index.html" )
mimetype.assign      = ( ".html" => "text/html", ".js" => "text/javascript",
                         ".css" => "text/css", ".svg" => "image/svg+xml" )
include "$E/lighttpd/conf-available/50-parley.conf"
SITE
lighttpd_start() {
    lighttpd -tt -f "$T/site/lighttpd.conf" > "$T/log/lighttpd-check.log" 2>&1 || return 1
    # A session of its own, as systemd gives a service: with
    # server.max-worker (lighttpd-site.conf) the parent stops its workers by
    # signalling its whole process group.
    setsid lighttpd -D -f "$T/site/lighttpd.conf" >> "$T/log/lighttpd.out" 2>&1 < /dev/null &
    LT_PID=$!
    wait_port "$HTTP_PORT"
}
check "fresh lighttpd with the installed snippet starts (drops to www-data)" lighttpd_start ||
    { cat "$T/log/lighttpd-check.log"; tail -n 20 "$T/var/log/lighttpd/error.log"; }

body() { curl -s -m 20 --max-time 5 "$@"; }
hdrs() { curl -s -m 20 --max-time 5 -o /dev/null -D - "$@"; }
check "existing site page still served at /" bash -c "curl -s -m 20 '$H/' | grep -q 'existing site home'"
check "existing site page /about/ still served" bash -c "curl -s -m 20 '$H/about/' | grep -q 'existing site about page'"
check "existing site gets no Parley headers" bash -c "! curl -s -m 20 -D - -o /dev/null '$H/' | grep -qi content-security-policy"
check "Parley page at /chat/" bash -c "curl -s -m 20 '$H/chat/' | grep -q 'data-testid=\"login-username\"'"
check "Parley page route /chat/chats/7" bash -c "curl -s -m 20 '$H/chat/chats/7' | grep -q 'data-testid=\"login-username\"'"
check "/chat redirects to /chat/" bash -c "curl -s -m 20 -D - -o /dev/null '$H/chat' | grep -qi '^location: .*/chat/'"
check "Parley page has CSP and nosniff" bash -c "h=\$(curl -s -m 20 -D - -o /dev/null '$H/chat/'); grep -qi \"content-security-policy: default-src 'self'\" <<<\"\$h\" && grep -qi 'x-content-type-options: nosniff' <<<\"\$h\""
check "page asset /chat/js/app.js" bash -c "curl -s -m 20 -D - -o /dev/null '$H/chat/js/app.js' | grep -qi '^content-type: text/javascript'"
check "versioned page asset under /chat/v/: a year's cache, gzip" bash -c "u=\$(curl -s -m 20 '$H/chat/' | sed -n 's/.*src=\"\\(\\/chat\\/v\\/[^\"]*app.js\\)\".*/\\1/p'); [ -n \"\$u\" ] && h=\$(curl -s -m 20 -H 'Accept-Encoding: gzip' -D - -o /dev/null \"$H\$u\") && grep -qi 'cache-control: public, max-age=31536000, immutable' <<<\"\$h\" && grep -qi 'content-encoding: gzip' <<<\"\$h\""
check "unknown page URL /chat/nope: HTML 404" bash -c "[ \"\$(curl -s -m 20 -o /dev/null -w '%{http_code} %{content_type}' '$H/chat/nope')\" = '404 text/html' ]"
check "/api/health 200 through FastCGI" bash -c "curl -s -m 20 '$H/api/health' | grep -q '\"status\":\"ok\"'"
check "/api unknown route: 404 JSON" bash -c "[ \"\$(curl -s -m 20 -o /dev/null -w '%{http_code} %{content_type}' '$H/api/nope')\" = '404 application/json' ]"
check "/api body over 64 KiB: 413 JSON from lighttpd" bash -c "head -c 70000 /dev/zero | curl -s -m 20 -X POST -H 'Content-Type: application/json' --data-binary @- -w ' %{http_code} %{content_type}' '$H/api/auth/login' | tr -d '\\n' | grep -q 'payload_too_large.* 413 application/json'"

echo "-- node tests/install/ws-check.js"
node tests/install/ws-check.js "$H" > "$T/ws-check.out" 2>&1
while read -r line; do
    case "$line" in ok\ *) ok "${line#ok }" ;; FAIL\ *) bad "${line#FAIL }" ;; *) echo "     $line" ;; esac
done < "$T/ws-check.out"

echo "-- node tests/install/page-check.js (headless Chromium, page under /chat)"
node tests/install/page-check.js "$H" /chat > "$T/page-check.out" 2>&1
while read -r line; do
    case "$line" in ok\ *) ok "${line#ok }" ;; FAIL\ *) bad "${line#FAIL }" ;; *) echo "     $line" ;; esac
done < "$T/page-check.out"

# Who runs what.
lt_user=$(ps -o user= -p "$LT_PID" | tr -d ' ')
check "lighttpd runs as www-data (is $lt_user)" test "$lt_user" = www-data
lt_workers=$(pgrep -P "$LT_PID" -x lighttpd | wc -l)
check "lighttpd runs the 2 worker processes of lighttpd-site.conf (server.max-worker; has $lt_workers)" test "$lt_workers" = 2
lt_kids=$(ps -o pid=,args= --ppid "$LT_PID" | awk '/parley-api\.fcgi/ {print $1}' | tr '\n' ' ')
check "lighttpd spawned no FastCGI workers (${lt_kids:-none})" test -z "$lt_kids"
workers=$(api_workers)
n_parley=$(tr ' ' '\n' <<<"$workers" | grep -c ':parley$')
check "2 API workers run as parley, not www-data ($workers)" test "$(wc -w <<<"$workers") $n_parley" = "2 2"
fwd_user=$(ps -o user= -p "$FWD_PID" | tr -d ' ')
check "parley-forwarder runs as parley (is $fwd_user)" test "$fwd_user" = parley
up_files=$(find "$UP" -path '*/.tmp' -prune -o -type f -print | wc -l)
up_other=$(find "$UP" -path '*/.tmp' -prune -o -type f ! \( -user parley -group www-data -perm 640 \) -print)
check "uploaded files ($up_files): parley:www-data 640, read by lighttpd only${up_other:+: $up_other}" \
    test "$up_files" -ge 1 -a -z "$up_other"
check "nobody can list or read the upload folder" \
    bash -c "! runuser -u nobody -- ls '$UP' >/dev/null 2>&1 && ! runuser -u nobody -- cat '$UP/ab/abold' >/dev/null 2>&1"

# Restarting the workers (systemctl restart parley-api) under load: the
# socket stays open, each old worker finishes its request, new requests wait
# in the backlog for the new workers.  No request may fail.
echo "-- node tests/install/restart-check.js (restart the API workers under load)"
node tests/install/restart-check.js "$H" "$API_PID" > "$T/restart-check.out" 2>&1
while read -r line; do
    case "$line" in ok\ *) ok "${line#ok }" ;; FAIL\ *) bad "${line#FAIL }" ;; *) echo "     $line" ;; esac
done < "$T/restart-check.out"
api_up
after=$(api_workers)
check "the restart replaced both workers (before: $workers, after: $after)" \
    test "$after" != "$workers" -a "$(grep -c '^started' "$T/log/api.out")" = 2
wsd_user=$(ps -o user= -p "$WSD_PID" | tr -d ' ')
check "parley-wsd runs as parley (is $wsd_user)" test "$wsd_user" = parley

# The other mount: the page at the root of the site.  Only the page's own
# URLs are taken; the rest of the site stays.
sed -i 's|^var.parley_page_prefix = .*|var.parley_page_prefix = ""|' "$E/parley/lighttpd-site.conf"
stop_pid "$LT_PID"; LT_PID=""
check "lighttpd restarts with the page at /" lighttpd_start
check "page at / (root mount)" bash -c "curl -s -m 20 '$H/' | grep -q 'data-testid=\"login-username\"'"
check "page route /chats/3 (root mount)" bash -c "curl -s -m 20 '$H/chats/3' | grep -q 'data-testid=\"login-username\"'"
check "existing site /about/ still served (root mount)" bash -c "curl -s -m 20 '$H/about/' | grep -q 'existing site about page'"
check "/api/health (root mount)" bash -c "curl -s -m 20 '$H/api/health' | grep -q '\"status\":\"ok\"'"

# lighttpd's error log goes through parley-log-redact (lighttpd-site.conf):
# with the daemon gone, lighttpd logs /ws's query, and the token in it must
# come out blanked.
stop_pid "$WSD_PID"; WSD_PID=""
ws_code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' --max-time 5 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    "$H/ws?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2VjcmV0LXNpZ25hdHVyZQ")
sleep 0.5
check "with no daemon, /ws answers 503 (got $ws_code)" test "$ws_code" = 503
check "lighttpd's error log has the /ws request with its token blanked" \
    grep -q '/ws?token=\[redacted\]' "$T/var/log/lighttpd/error.log"
check "no access token in lighttpd's error log" \
    bash -c "! grep -q 'c2VjcmV0LXNpZ25hdHVyZQ' '$T/var/log/lighttpd/error.log'"

# Upgrade in place, then uninstall.
sum_before=$(md5sum "$CONF")
make -s --no-print-directory "${INST[@]}" install > "$T/install2.log" 2>&1
check "re-install over a live install keeps parley.conf" test "$sum_before" = "$(md5sum "$CONF")"
stop_pid "$LT_PID"; LT_PID=""
stop_pid "$WSD_PID"; WSD_PID=""
stop_pid "$FWD_PID"; FWD_PID=""
stop_pid "$API_PID"; API_PID=""
check "stopping the API removes its socket (RemoveOnStop=yes)" test ! -e "$API_SOCK"
make -s --no-print-directory "${INST[@]}" uninstall > "$T/uninstall.log" 2>&1
check "make uninstall succeeds" test $? -eq 0
left=$( (cd "$T" && find usr etc -type f 2>/dev/null) | sort | tr '\n' ' ')
check "uninstall removed everything but the config (left: $left)" \
    test "$left" = "etc/parley/bus-keys.allow etc/parley/lighttpd-site.conf etc/parley/parley.conf "
check "uninstall kept the data (database still answers)" bash -c "[ \"\$(psql 'host=127.0.0.1 port=$PG_PORT user=parley dbname=parley password=$DBPW' -X -tA -c 'SELECT count(*) > 0 FROM users')\" = t ]"

if [ "$failed" -gt 0 ]; then
    echo "-- logs"; tail -n 15 "$T/var/log/lighttpd/error.log" "$T/log/ws-daemon.log" "$T/log/api.log" 2>/dev/null
fi
teardown; trap - EXIT
finish
