#!/usr/bin/env bash
# parley-stack.sh -- create, start and stop a whole Parley stack.
#
# One script serves `make run`, the test suite and the benchmarks, so all
# three start exactly the same processes.  Everything lives under one state
# folder, $PARLEY_VAR (default: <tree>/var):
#   parley.conf   config read by the API workers, ws-daemons and the
#                 forwarder (secret and CURVE keys inside, mode 600)
#   bus-keys.allow  CURVE public keys the forwarder admits
#   pg/           private PostgreSQL cluster (unless PARLEY_DATABASE_URL is set)
#   run/          pid files and sockets;  run/bus/ (mode 0750) the forwarder's
#                 ipc:// sockets;  log/  every log
#
# Commands: init | start | stop | run | status
#           pg-start | pg-stop | fwd-start | fwd-stop | fwd-kill
#           wsd-start | wsd-stop | wsd-kill [N] | lighttpd-restart
#           lighttpd-workers (pids of lighttpd's worker processes)
# Settings (environment): PARLEY_VAR, PARLEY_BUILD (build dir, default build),
#   PARLEY_HTTP_PORT (8080), PARLEY_WS_PORT (8081; daemon i listens on
#   PARLEY_WS_PORT + i - 1 unless PARLEY_WS_PORTS lists the ports),
#   PARLEY_WS_DAEMONS (1), PARLEY_PG_PORT (55432), PARLEY_FCGI_PROCS (4),
#   PARLEY_DATABASE_URL (use this PostgreSQL instead of a private cluster),
#   PARLEY_SEED (1: create the demo users), PARLEY_WSD_WRAPPER (e.g. valgrind),
#   PARLEY_HTTP_MAX_FDS (lighttpd's descriptors; default: the open-file
#   hard limit, at most 1,000,000, per lighttpd process),
#   PARLEY_HTTP_WORKERS (lighttpd processes sharing the port; default: one
#   per core, at least 2 under a small open-file limit), PARLEY_WS_UNIX (1: lighttpd reaches the
#   daemons over unix sockets run/ws/wsd-N.sock, in a 0750 folder, instead
#   of their TCP ports; docs/ws-daemon.md).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${PARLEY_VAR:-$ROOT/var}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
BUILD=${PARLEY_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
HTTP_PORT=${PARLEY_HTTP_PORT:-8080}
WS_PORT=${PARLEY_WS_PORT:-8081}
WS_DAEMONS=${PARLEY_WS_DAEMONS:-1}
if [ -n "${PARLEY_WS_PORTS:-}" ]; then
    read -r -a WS_PORTS <<< "${PARLEY_WS_PORTS//,/ }"
    WS_DAEMONS=${#WS_PORTS[@]}
else
    WS_PORTS=()
    for ((i = 0; i < WS_DAEMONS; i++)); do WS_PORTS+=($((WS_PORT + i))); done
fi
WS_PORT=${WS_PORTS[0]}
WS_UNIX=${PARLEY_WS_UNIX:-0}
WS_SOCKDIR="$VAR/run/ws"
BUS="$VAR/run/bus"
PG_PORT=${PARLEY_PG_PORT:-55432}
FCGI_PROCS=${PARLEY_FCGI_PROCS:-4}
CONF="$VAR/parley.conf"
PGDIR="$VAR/pg"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

log() { printf 'parley: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# PostgreSQL refuses to run as root: as root, run its tools as `postgres`.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

conf_get() { sed -n "s/^$1[[:space:]]*=[[:space:]]*//p" "$CONF" | tail -n 1; }

write_conf() {
    [ -f "$CONF" ] && return 0
    local secret dbpw dburl
    secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    dbpw=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    if [ -n "${PARLEY_DATABASE_URL:-}" ]; then
        dburl="$PARLEY_DATABASE_URL"
        touch "$VAR/external-db"
    else
        dburl="host=127.0.0.1 port=$PG_PORT user=parley dbname=parley password=$dbpw connect_timeout=3"
    fi
    umask 077
    cat > "$CONF" <<CONF
# Parley configuration, generated on first run.  Keys: docs/config.md.
# Environment variables PARLEY_<KEY> override these.
database_url = $dburl
jwt_secret = $secret
token_ttl = 86400
allow_register = 1
ws_iface = 127.0.0.1
ws_port = $WS_PORT
log_level = info
CONF
    echo "$dbpw" > "$VAR/pg.pw"
    umask 022
    log "wrote $CONF (new random JWT secret)"
}

# The event bus: the forwarder's sockets are ipc:// in run/bus (0750: only
# this user's group can reach them), CURVE on top with new keys: one pair
# for the forwarder, one for this host's API workers, daemons and tap.
# Added to an older parley.conf too.
write_bus_conf() {
    grep -q '^zmq_fanout' "$CONF" && return 0
    [ -x "$BUILD/bin/parley-forwarder" ] || die "$BUILD/bin/parley-forwarder not built (run: make)"
    local fwd host
    fwd=$("$BUILD/bin/parley-forwarder" --keygen)
    host=$("$BUILD/bin/parley-forwarder" --keygen)
    umask 077
    sed -n 's/^public = //p' <<< "$host" > "$VAR/bus-keys.allow"
    cat >> "$CONF" <<CONF
# The event bus (docs/architecture.md): forwarder sockets, CURVE keys.
zmq_events = ipc://$BUS/in
zmq_fanout = ipc://$BUS/out
zmq_tap = ipc://$BUS/tap
forwarder_in = ipc://$BUS/in
forwarder_out = ipc://$BUS/out
forwarder_tap = ipc://$BUS/tap
forwarder_curve_secret = $(sed -n 's/^secret = //p' <<< "$fwd")
forwarder_allow = $VAR/bus-keys.allow
forwarder_metrics = $VAR/run/forwarder.prom
zmq_curve_server = $(sed -n 's/^public = //p' <<< "$fwd")
zmq_curve_public = $(sed -n 's/^public = //p' <<< "$host")
zmq_curve_secret = $(sed -n 's/^secret = //p' <<< "$host")
CONF
    umask 022
    log "wrote the event bus settings and new CURVE keys to $CONF"
}

# The API workers' publisher slots (fcgi-api/pubslot.h): a worker started in
# place of a killed one continues its event numbering, so the daemons see
# the events it lost.  Added to an older parley.conf too.
write_pub_conf() {
    mkdir -p "$VAR/run/api-pub" && chmod 0700 "$VAR/run/api-pub"
    grep -q '^pub_state_dir' "$CONF" && return 0
    echo "pub_state_dir = $VAR/run/api-pub" >> "$CONF"
}

# A state folder made with PARLEY_DATABASE_URL remembers it: no private cluster.
private_pg() { [ ! -f "$VAR/external-db" ]; }

pg_running() { [ -f "$PGDIR/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; }

pg_init() {
    [ -f "$PGDIR/data/PG_VERSION" ] && return 0
    [ -n "$PGBIN" ] || die "PostgreSQL server binaries not found (run: make deps)"
    mkdir -p "$PGDIR/data" "$PGDIR/sock"
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres:postgres "$PGDIR"
        runuser -u postgres -- test -x "$PGDIR" ||
            die "user postgres cannot reach $PGDIR (a parent folder is private); set PARLEY_VAR to a folder under /tmp or /srv"
    fi
    chmod 700 "$PGDIR/data"
    local pwfile="$PGDIR/pwfile"
    cp "$VAR/pg.pw" "$pwfile"; [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U parley --pwfile="$pwfile" \
        --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        --no-sync > "$VAR/log/initdb.log" 2>&1 || { cat "$VAR/log/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
    # Only Parley's role, with its password, over loopback or the socket
    # folder, which only the server's user may enter (other local users
    # could otherwise try every role there).
    cat > "$PGDIR/data/pg_hba.conf" <<'HBA'
local all parley              scram-sha-256
host  all parley 127.0.0.1/32 scram-sha-256
host  all parley ::1/128      scram-sha-256
HBA
    chmod 700 "$PGDIR/sock"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDIR/data/pg_hba.conf"
    # Other hosts (make test-cluster, docs/scale.md): Parley's role with its
    # password from this network too.
    if [ -n "${PARLEY_PG_HBA_NET:-}" ]; then
        echo "host all parley $PARLEY_PG_HBA_NET scram-sha-256" >> "$PGDIR/data/pg_hba.conf"
    fi
    log "created PostgreSQL cluster in $PGDIR"
}

pg_start() {
    private_pg || return 0
    pg_init
    pg_running && return 0
    port_free "$PG_PORT" PostgreSQL PARLEY_PG_PORT
    # Gentle on a small machine; fsync stays on: this is where the data lives.
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 \
        -o "-c listen_addresses=${PARLEY_PG_LISTEN:-127.0.0.1} -p $PG_PORT -k $PGDIR/sock -c max_connections=200 -c shared_buffers=128MB" \
        start >/dev/null || { tail -n 20 "$PGDIR/server.log" >&2; die "PostgreSQL did not start"; }
    # The password travels in the environment, not on a command line.
    if ! PGPASSWORD=$(cat "$VAR/pg.pw") as_pg "$PGBIN/psql" -h "$PGDIR/sock" -p "$PG_PORT" -U parley -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='parley'" | grep -q 1; then
        PGPASSWORD=$(cat "$VAR/pg.pw") as_pg "$PGBIN/createdb" -h "$PGDIR/sock" -p "$PG_PORT" -U parley parley
    fi
}

pg_stop() {
    private_pg || return 0
    pg_running || return 0
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null || true
}

migrate() {
    PARLEY_CONFIG="$CONF" "$ROOT/scripts/parley-migrate.sh" "$ROOT/sql"
    if [ "${PARLEY_SEED:-1}" = 1 ]; then
        psql "$(conf_get database_url)" -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/seed.sql" >/dev/null
    fi
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$(cat "$1")/status" 2>/dev/null; }

# Refuses to start on a port something else holds: waiting for "the port to
# open" would otherwise mistake that program for ours.
port_free() {   # port_free PORT NAME SETTING
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        die "port $1 ($2) is already in use by another program; free it or set $3"
    fi
}

fwd_start() {
    pid_alive "$VAR/run/forwarder.pid" && return 0
    [ -x "$BUILD/bin/parley-forwarder" ] || die "$BUILD/bin/parley-forwarder not built (run: make)"
    mkdir -p "$BUS" && chmod 0750 "$BUS"
    rm -f "$BUS/in" "$BUS/out" "$BUS/tap"
    PARLEY_CONFIG="$CONF" nohup "$BUILD/bin/parley-forwarder" \
        >> "$VAR/log/forwarder.log" 2>&1 < /dev/null &
    echo $! > "$VAR/run/forwarder.pid"
    for _ in $(seq 200); do
        if conf_get forwarder_in | grep -q '^ipc://'; then
            [ -S "$BUS/in" ] && [ -S "$BUS/out" ] && [ -S "$BUS/tap" ] && return 0
        else   # tcp:// binds: its log says when they are done
            tail -n 3 "$VAR/log/forwarder.log" 2>/dev/null | grep -q 'allowed public keys' && return 0
        fi
        pid_alive "$VAR/run/forwarder.pid" || break
        sleep 0.05
    done
    tail -n 5 "$VAR/log/forwarder.log" >&2
    die "the forwarder did not start (see $VAR/log/forwarder.log)"
}

# Daemon 1 keeps the names wsd.pid / ws-daemon.log; daemon i: wsd-i.*.
wsd_pidfile() { if [ "$1" = 1 ]; then echo "$VAR/run/wsd.pid"; else echo "$VAR/run/wsd-$1.pid"; fi; }
wsd_logfile() { if [ "$1" = 1 ]; then echo "$VAR/log/ws-daemon.log"; else echo "$VAR/log/ws-daemon-$1.log"; fi; }

# The daemons count WebSockets per client address (ws_max_conns_per_addr,
# 256 by default).  This front listens on loopback only, so every browser
# arrives from 127.0.0.1 and that cap would be the whole site's: 256
# browsers.  Unless the environment or parley.conf says otherwise, the
# cap is then the front's own capacity.  A front on a public address
# keeps the configured cap.
wsd_addr_cap() {
    local v=${PARLEY_WS_MAX_CONNS_PER_ADDR:-$(conf_get ws_max_conns_per_addr)}
    if [ -z "$v" ]; then
        case "${PARLEY_HTTP_BIND:-127.0.0.1}" in
            127.*|localhost|::1) http_capacity; v=$HTTP_CAPACITY ;;
        esac
    fi
    echo "${v:-256}"
}

wsd_start_one() {   # wsd_start_one N: launches daemon N (0: was running)
    local n=$1 port=${WS_PORTS[$(($1 - 1))]} pidf
    pidf=$(wsd_pidfile "$n")
    pid_alive "$pidf" && return 1
    [ -x "$BUILD/bin/parley-wsd" ] || die "$BUILD/bin/parley-wsd not built (run: make)"
    local sock=""
    if [ "$WS_UNIX" = 1 ]; then
        mkdir -p "$WS_SOCKDIR" && chmod 0750 "$WS_SOCKDIR"
        sock="$WS_SOCKDIR/wsd-$n.sock"
    else
        port_free "$port" "ws-daemon $n" PARLEY_WS_PORT
    fi
    # shellcheck disable=SC2086
    PARLEY_CONFIG="$CONF" PARLEY_WS_PORT="$port" PARLEY_WS_SOCKET="$sock" \
        PARLEY_WS_MAX_CONNS_PER_ADDR="$(wsd_addr_cap)" \
        nohup ${PARLEY_WSD_WRAPPER:-} "$BUILD/bin/parley-wsd" \
        >> "$(wsd_logfile "$n")" 2>&1 < /dev/null &
    echo $! > "$pidf"
    return 0
}

# All daemons start together, then we wait for each port: a restart takes
# as long as the slowest daemon, not the sum.
wsd_start() {
    local started=()
    for ((i = 1; i <= WS_DAEMONS; i++)); do wsd_start_one "$i" && started+=("$i"); done
    for i in "${started[@]}"; do
        if [ "$WS_UNIX" = 1 ]; then wait_sock "$WS_SOCKDIR/wsd-$i.sock" "ws-daemon $i"
        else wait_port "${WS_PORTS[$((i - 1))]}" "ws-daemon $i"; fi
    done
    return 0
}

wsd_stop_all() {   # wsd_stop_all SIGNAL
    local f
    for f in "$VAR"/run/wsd.pid "$VAR"/run/wsd-*.pid; do
        [ -f "$f" ] && stop_pidfile "$f" "$1"
    done
    return 0
}

stop_pidfile() {   # stop_pidfile FILE SIGNAL
    local f=$1 sig=${2:-TERM} pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f" 2>/dev/null) || return 0   # another stopper may have removed it
    if kill -0 "$pid" 2>/dev/null; then
        kill -"$sig" "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            pid_alive "$f" || break
            sleep 0.05
        done
        pid_alive "$f" && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

wait_sock() {   # wait_sock PATH NAME
    for _ in $(seq 200); do
        [ -S "$1" ] && return 0
        sleep 0.05
    done
    die "$2 did not create $1 (see $VAR/log/)"
}

wait_port() {   # wait_port PORT NAME
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    die "$2 did not open port $1 (see $VAR/log/)"
}

# lighttpd's budget.  Each browser WebSocket holds two descriptors of the
# lighttpd process that accepted it (browser side, daemon side).  A process
# stops accepting once its open descriptors pass 9/10 of server.max-fds
# (lighttpd's high-water mark), so one process holds
#   per_worker = (max_fds * 9 / 10 - 100) / 2
# tunnels (100 left for listeners, logs and FastCGI sockets): 8,950 at
# 20,000 descriptors.  The open-file limit is per process, so N worker
# processes (server.max-worker: forked after setup, sharing the listening
# socket, each with its own descriptors) hold N times as many.
# PARLEY_HTTP_WORKERS default: one per core (at most 8), and at least 2 while
# one process holds fewer than 16,000 tunnels (an open-file limit below
# ~36,000, as here), so a limit of 20,000 still seats well over 10,000 browsers.
http_capacity() {
    local hard cores
    hard=$(ulimit -Hn)
    [ "$hard" = unlimited ] && hard=1000000
    HTTP_MAX_FDS=${PARLEY_HTTP_MAX_FDS:-$hard}
    [ "$HTTP_MAX_FDS" -gt "$hard" ] && HTTP_MAX_FDS=$hard
    [ "$HTTP_MAX_FDS" -ge 1024 ] || die "lighttpd needs at least 1024 descriptors (open-file limit: $hard)"
    HTTP_MAX_CONNS=$(( (HTTP_MAX_FDS * 9 / 10 - 100) / 2 ))
    # lighttpd keeps server.max-connections in 16 bits.
    [ "$HTTP_MAX_CONNS" -gt 65535 ] && HTTP_MAX_CONNS=65535
    if [ -n "${PARLEY_HTTP_WORKERS:-}" ]; then
        HTTP_WORKERS=$PARLEY_HTTP_WORKERS
    else
        cores=$(nproc 2>/dev/null || echo 1)
        HTTP_WORKERS=$(( cores < 8 ? cores : 8 ))
        if [ "$HTTP_MAX_CONNS" -lt 16000 ] && [ "$HTTP_WORKERS" -lt 2 ]; then HTTP_WORKERS=2; fi
    fi
    [[ "$HTTP_WORKERS" =~ ^[1-9][0-9]?$ ]] || die "PARLEY_HTTP_WORKERS must be 1..99 (got '$HTTP_WORKERS')"
    HTTP_CAPACITY=$(( HTTP_WORKERS * HTTP_MAX_CONNS ))
}

ws_backends_conf() {
    {
        echo "# written by scripts/parley-stack.sh: the ws-daemons /ws is balanced over"
        printf 'var.parley_ws_backends = ( '
        local sep="" p i=0
        for p in "${WS_PORTS[@]}"; do
            i=$((i + 1))
            if [ "$WS_UNIX" = 1 ]; then
                printf '%s( "host" => "%s" )' "$sep" "$WS_SOCKDIR/wsd-$i.sock"
            else
                printf '%s( "host" => "127.0.0.1", "port" => %s )' "$sep" "$p"
            fi
            sep=", "
        done
        printf ' )\n'
    } > "$VAR/run/ws-backends.conf"
}

lighttpd_env() {
    http_capacity
    export PARLEY_ROOT="$ROOT" PARLEY_VAR="$VAR" PARLEY_CONFIG="$CONF"
    export PARLEY_HTTP_BIND=${PARLEY_HTTP_BIND:-127.0.0.1} PARLEY_HTTP_PORT="$HTTP_PORT"
    export PARLEY_API_BIN="$BUILD/bin/parley-api.fcgi" PARLEY_FCGI_PROCS="$FCGI_PROCS"
    export PARLEY_HTTP_MAX_FDS="$HTTP_MAX_FDS" PARLEY_HTTP_MAX_CONNS="$HTTP_MAX_CONNS"
    # lighttpd reads 1 as "no workers": the same single process.
    export PARLEY_HTTP_WORKERS="$HTTP_WORKERS"
    ws_backends_conf
}

lighttpd_start() {
    pid_alive "$VAR/run/lighttpd.pid" && return 0
    [ -x "$BUILD/bin/parley-api.fcgi" ] || die "$BUILD/bin/parley-api.fcgi not built (run: make)"
    port_free "$HTTP_PORT" lighttpd PARLEY_HTTP_PORT
    lighttpd_env
    lighttpd -tt -f "$ROOT/lighttpd.conf" || die "lighttpd.conf does not check"
    # In a session of its own: with workers, lighttpd's parent stops them
    # with kill(0, SIGTERM), which would otherwise also hit whoever started
    # us (make run's shell, the test runner).  setsid execs in place here
    # (a background job is no group leader), so $! is lighttpd's pid.
    nohup setsid lighttpd -D -f "$ROOT/lighttpd.conf" >> "$VAR/log/lighttpd.out" 2>&1 < /dev/null &
    echo $! > "$VAR/run/lighttpd.pid"
    wait_port "$HTTP_PORT" lighttpd
    log "lighttpd capacity: $HTTP_CAPACITY browser WebSockets ($HTTP_WORKERS process(es) x $HTTP_MAX_CONNS)"
    [ "$HTTP_WORKERS" -gt 1 ] || return 0
    # The port opens before the workers are forked: wait for all of them.
    local pid n=0
    pid=$(cat "$VAR/run/lighttpd.pid")
    for _ in $(seq 200); do
        n=$(lighttpd_workers "$pid" | wc -l)
        [ "$n" -ge "$HTTP_WORKERS" ] && return 0
        sleep 0.05
    done
    lighttpd_stop
    die "lighttpd started $n of $HTTP_WORKERS workers (see $VAR/log/lighttpd-error.log)"
}

# lighttpd_workers PID: the worker processes of lighttpd PID (its children
# that are lighttpd too; the FastCGI workers are its children as well).
lighttpd_workers() {
    pgrep -P "$1" -x lighttpd || true
}

# Stops lighttpd and everything left in its session (workers, FastCGI
# workers), also when the parent had to be killed before it could stop them.
lighttpd_stop() {
    local pid
    pid=$(cat "$VAR/run/lighttpd.pid" 2>/dev/null) || return 0
    stop_pidfile "$VAR/run/lighttpd.pid" TERM
    [ -n "$pid" ] || return 0
    for _ in $(seq 40); do
        pgrep -s "$pid" >/dev/null 2>&1 || return 0
        sleep 0.05
    done
    pkill -KILL -s "$pid" 2>/dev/null || true
    return 0
}

init() {
    mkdir -p "$VAR/log" "$VAR/run"
    write_conf
    write_bus_conf
    write_pub_conf
    pg_start
    migrate
}

start() {
    init
    # PARLEY_FORWARDER=0: this host uses another host's forwarder (its
    # parley.conf names it), as in docs/scale.md.
    [ "${PARLEY_FORWARDER:-1}" = 0 ] || fwd_start
    wsd_start
    lighttpd_start
}

stop() {
    lighttpd_stop
    wsd_stop_all TERM
    stop_pidfile "$VAR/run/forwarder.pid" TERM
    pg_stop
}

status() {
    pid_alive "$VAR/run/lighttpd.pid" && echo "lighttpd: running" || echo "lighttpd: stopped"
    pid_alive "$VAR/run/forwarder.pid" && echo "forwarder: running" || echo "forwarder: stopped"
    for ((i = 1; i <= WS_DAEMONS; i++)); do
        pid_alive "$(wsd_pidfile "$i")" && echo "ws-daemon $i: running" || echo "ws-daemon $i: stopped"
    done
    if private_pg; then pg_running && echo "postgresql: running" || echo "postgresql: stopped"; fi
}

run() {
    # A half-started stack (say, port 8080 taken) is stopped again.
    ( start ) || { stop; exit 1; }
    trap 'echo; log "stopping"; stop; exit 0' INT TERM
    http_capacity
    local where="port(s) ${WS_PORTS[*]}"
    [ "$WS_UNIX" = 1 ] && where="unix socket(s) in $WS_SOCKDIR"
    cat <<MSG

  Parley is running:  http://127.0.0.1:$HTTP_PORT
  ($WS_DAEMONS ws-daemon(s) on $where behind /ws; logs in $VAR/log/)
  Capacity: lighttpd holds $HTTP_CAPACITY browser WebSockets: $HTTP_WORKERS process(es) x $HTTP_MAX_CONNS
  ($HTTP_MAX_FDS descriptors each, 2 per browser, accepting up to 9/10 of them);
  raise the open-file limit (ulimit -Hn) or PARLEY_HTTP_WORKERS for more.
  Seeded users: user1 / password123, user2 / password123, admin / admin123
  Ctrl-C (or 'make stop' from another shell) stops everything.

MSG
    while pid_alive "$VAR/run/lighttpd.pid"; do sleep 1; done
    log "lighttpd exited; stopping"
    stop
}

cmd=${1:-run}
case "$cmd" in
    init) init ;;
    start) start ;;
    stop) stop ;;
    run) run ;;
    status) status ;;
    pg-start) pg_start ;;
    pg-stop) pg_stop ;;
    fwd-start) fwd_start ;;
    fwd-stop) stop_pidfile "$VAR/run/forwarder.pid" TERM ;;
    fwd-kill) stop_pidfile "$VAR/run/forwarder.pid" KILL ;;
    wsd-start) wsd_start ;;
    wsd-stop) wsd_stop_all TERM ;;
    wsd-kill) if [ -n "${2:-}" ]; then stop_pidfile "$(wsd_pidfile "$2")" KILL; else wsd_stop_all KILL; fi ;;
    lighttpd-restart) lighttpd_stop; lighttpd_start ;;
    lighttpd-workers) lighttpd_workers "$(cat "$VAR/run/lighttpd.pid")" ;;
    *) die "unknown command $cmd" ;;
esac
