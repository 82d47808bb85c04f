#!/usr/bin/env bash
# tests/cluster/bench.sh -- `make bench-cluster` (bench step 10): idle
# authenticated browsers across namespace hosts, each through its host's
# lighttpd /ws (the page's path, not the daemons' ports), each with its
# `connected` frame; memory per connection of every process kind.  Needs root.
#
#   <P>db   10.78.0.1    PostgreSQL + parley-forwarder (TCP + CURVE)
#   <P>hI   10.78.0.1I   lighttpd (PARLEY_HTTP_WORKERS processes) + API + ws-daemon
#   <P>cl   10.78.0.100  the load generator: BENCH_CLUSTER_PROCS node processes
#                        (each process here is capped at 20,000 descriptors),
#                        process k connecting to host k mod hosts
# The namespaces come from tests/cluster/netns.sh (as make test-cluster's).
# Users are inserted with SQL and their tokens signed with the cluster's
# jwt_secret (as tests/bench/front.sh does): real tokens of existing users,
# without minutes of argon2id.  Everything is torn down at exit.
#   BENCH_CLUSTER_CONNS (50000), BENCH_CLUSTER_HOSTS (3), BENCH_CLUSTER_PROCS
#   (12), BENCH_CONNS_PER_USER (32, the daemons' per-user limit),
#   BENCH_CLUSTER_PARTS ("e2e idle"): e2e = POST -> frame at
#   BENCH_CLUSTER_E2E_RATE (1000) messages/s for BENCH_E2E_SECS (10) with
#   sender and receivers on different hosts, then on one host (e2e_phase).
# Each host's front holds PARLEY_HTTP_WORKERS x 8,950 (17,900 with the
# default 2 here), and one (source, destination) address pair has ~28,000
# ephemeral ports, so 50,000 need three hosts.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/cluster/netns.sh
BUILD=${PARLEY_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
[ "$(id -u)" = 0 ] || { echo "bench-cluster: needs root (network namespaces)"; exit 1; }
for b in parley-forwarder parley-wsd parley-api.fcgi; do
    [ -x "$BUILD/bin/$b" ] || { echo "bench-cluster: $BUILD/bin/$b not built (run: make)"; exit 1; }
done
N=${BENCH_CLUSTER_CONNS:-50000}
NH=${BENCH_CLUSTER_HOSTS:-3}
PROCS=${BENCH_CLUSTER_PROCS:-12}
PER=${BENCH_CONNS_PER_USER:-32}

P="pb$$-"
NET=10.78.0
T=$(mktemp -d /tmp/parley-bcluster-XXXXXX); chmod 755 "$T"
declare -A IP=([db]=$NET.1 [cl]=$NET.100)
HOSTS=()
for ((i = 1; i <= NH; i++)); do HOSTS+=("h$i"); IP[h$i]=$NET.$((10 + i)); done
NSS=(db "${HOSTS[@]}" cl)
export PARLEY_BUILD=$BUILD PARLEY_SEED=0 PARLEY_FCGI_PROCS=2
# The e2e part sends 1,000 messages/s from 64 users: no per-user send limit.
export PARLEY_SEND_RATE=100000 PARLEY_SEND_BURST=100000
# The load generator is thousands of users behind one address.
export PARLEY_WS_MAX_CONNS_PER_ADDR=${PARLEY_WS_MAX_CONNS_PER_ADDR:-1000000}
# ws-child.js gives up after BENCH_CHILD_MAX_SECS (300): opening 50,000 on a
# loaded 2-core machine can take longer.
export BENCH_CHILD_MAX_SECS=${BENCH_CHILD_MAX_SECS:-900}

log() { printf 'bench-cluster: %s\n' "$*" >&2; }

teardown() {
    local rc=$?
    set +e
    [ -n "${PERF_PID:-}" ] && kill -INT "$PERF_PID" 2>/dev/null && wait "$PERF_PID" 2>/dev/null
    for h in "${HOSTS[@]}"; do
        [ -d "$T/$h" ] && PARLEY_VAR="$T/$h" in_ns "$h" scripts/parley-stack.sh stop >/dev/null 2>&1
    done
    [ -d "$T/db" ] && PARLEY_VAR="$T/db" in_ns db scripts/parley-stack.sh stop >/dev/null 2>&1
    netns_down
    [ -n "${PARLEY_KEEP_VAR:-}" ] && log "kept $T" || rm -rf "$T"
    exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

netns_up || { log "cannot create network namespaces"; exit 1; }

FWD=$(keygen)
: > "$T/allow"
declare -A HKEY
for h in "${HOSTS[@]}"; do HKEY[$h]=$(keygen); key public "${HKEY[$h]}" >> "$T/allow"; done

# --- db host: PostgreSQL + forwarder ----------------------------------------------
mkdir -p "$T/db"
JWT=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export PARLEY_JWT_SECRET=$JWT
PARLEY_VAR="$T/db" PARLEY_PG_PORT=5432 PARLEY_PG_LISTEN="${IP[db]},127.0.0.1" PARLEY_PG_HBA_NET="$NET.0/24" \
    PARLEY_HTTP_PORT=8080 PARLEY_FORWARDER=0 in_ns db scripts/parley-stack.sh init > "$T/db-init.log" 2>&1 ||
    { cat "$T/db-init.log"; log "database host failed"; exit 1; }
DBURL="host=${IP[db]} port=5432 user=parley dbname=parley password=$(cat "$T/db/pg.pw") connect_timeout=3"
cat >> "$T/db/parley.conf" <<CONF
forwarder_in = tcp://${IP[db]}:5560
forwarder_out = tcp://${IP[db]}:5561
forwarder_tap = tcp://${IP[db]}:5562
forwarder_curve_secret = $(key secret "$FWD")
forwarder_allow = $T/allow
forwarder_metrics = $T/db/run/forwarder.prom
CONF
PARLEY_VAR="$T/db" in_ns db scripts/parley-stack.sh fwd-start || { cat "$T/db/log/forwarder.log"; exit 1; }

# --- the web hosts: each as `make run` starts one, on the shared bus ----------------
for h in "${HOSTS[@]}"; do
    host_conf "$h"
    PARLEY_VAR="$T/$h" PARLEY_FORWARDER=0 PARLEY_HTTP_BIND=0.0.0.0 PARLEY_HTTP_PORT=8080 PARLEY_WS_UNIX=1 \
        in_ns "$h" scripts/parley-stack.sh start > "$T/$h-start.log" 2>&1 ||
        { cat "$T/$h-start.log"; log "host $h failed"; exit 1; }
    grep -h 'capacity' "$T/$h-start.log" | sed "s/^/  $h: /" >&2
done

# --- users and tokens ----------------------------------------------------------------
NUSERS=$(( (N + PER - 1) / PER ))
mkdir -p "$T/bench"
in_ns db psql "$DBURL" -q -v ON_ERROR_STOP=1 -c "INSERT INTO users (username, password_hash)
    SELECT 'bcl_' || g, 'no-login' FROM generate_series(1, $NUSERS) g" || exit 1
in_ns db psql "$DBURL" -tA -F ' ' -c "SELECT id, username FROM users WHERE username LIKE 'bcl\_%'" |
    SECRET=$JWT node -e '
      const crypto = require("crypto"); const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      const users = lines.map((l) => { const [id, username] = l.split(" ");
        const h = b64({ alg: "HS256", typ: "JWT" }) + "." + b64({ sub: Number(id), username, iat: now, exp: now + 3600 });
        return { id: Number(id), username, token: h + "." + crypto.createHmac("sha256", process.env.SECRET).update(h).digest("base64url") }; });
      process.stdout.write(JSON.stringify({ users }));' > "$T/bench/seed.json"

# BENCH_CLUSTER_PERF=DIR: `perf record -g` of the stack's own processes
# (every host's lighttpd, API workers and daemons, and the forwarder) during
# each e2e phase, reports by process kind in DIR (perf-<phase>.txt).
PERF_PID=
stack_pids() {
    local h lt
    cat "$T/db/run/forwarder.pid"
    for h in "${HOSTS[@]}"; do
        lt=$(cat "$T/$h/run/lighttpd.pid")
        echo "$lt"; pgrep -P "$lt"
        cat "$T/$h"/run/wsd*.pid
    done
}
perf_start() {
    [ -n "${BENCH_CLUSTER_PERF:-}" ] || return 0
    mkdir -p "$BENCH_CLUSTER_PERF"
    PERF_OUT=$BENCH_CLUSTER_PERF/perf-$1
    perf record -q -F 499 -g -o "$PERF_OUT.data" -p "$(stack_pids | paste -sd,)" 2>/dev/null &
    PERF_PID=$!
}
perf_stop() {
    [ -n "$PERF_PID" ] || return 0
    kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null; PERF_PID=
    perf report -i "$PERF_OUT.data" --no-children --sort comm,dso,sym --stdio -g none 2>/dev/null |
        grep -v '^#' | grep -v '^$' | head -80 > "$PERF_OUT.txt"
}

# --- POST -> frame across hosts at BENCH_CLUSTER_E2E_RATE (1000) messages/s -------------
# tests/bench/e2e.js (wrk paced sender + one receiving process), run in the
# client namespace twice back to back: sender on host 1 and receivers on
# host 2 (the event crosses the bus between hosts), then both on host 1.
# BENCH_E2E_PAIRS (64) direct chats of SQL-made users; CPU of every host's
# processes (cpu.js over all state folders) and of the generator.
e2e_phase() {
    local pairs=${BENCH_E2E_PAIRS:-64} rate=${BENCH_CLUSTER_E2E_RATE:-1000} run
    run=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
    in_ns db psql "$DBURL" -q -v ON_ERROR_STOP=1 -c "INSERT INTO users (username, password_hash)
        SELECT 'bce' || s || '_' || g, 'no-login' FROM generate_series(1, $pairs) g, unnest(ARRAY['a','b']) s" || return 1
    mkdir -p "$T/e2e"
    in_ns db psql "$DBURL" -tA -F ' ' -c "SELECT id, username FROM users WHERE username LIKE 'bce%' ORDER BY id" |
        SECRET=$JWT RUN=$run H1=http://${IP[h1]}:8080 in_ns cl node -e '
          const crypto = require("crypto"); const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
          const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
          const now = Math.floor(Date.now() / 1000);
          const by = {};
          for (const l of lines) { const [id, username] = l.split(" ");
            const h = b64({ alg: "HS256", typ: "JWT" }) + "." + b64({ sub: Number(id), username, iat: now, exp: now + 3600 });
            by[username] = { id: Number(id), username, token: h + "." + crypto.createHmac("sha256", process.env.SECRET).update(h).digest("base64url") }; }
          (async () => {
            const e2e = [];
            for (let g = 1; by["bcea_" + g]; g++) {
              const a = by["bcea_" + g], b = by["bceb_" + g];
              const r = await fetch(process.env.H1 + "/api/chats", { method: "POST",
                headers: { authorization: "Bearer " + a.token, "content-type": "application/json" }, body: JSON.stringify({ user_id: b.id }) });
              const j = await r.json();
              if (!j.id) throw new Error("chat: " + r.status + " " + JSON.stringify(j));
              e2e.push({ chat: j.id, a, b });
            }
            process.stdout.write(JSON.stringify({ run: process.env.RUN, e2e }));
          })().catch((e) => { console.error(e.message); process.exit(1); });' > "$T/e2e/seed.json" || return 1
    local vars="$T/db" h
    for h in "${HOSTS[@]}"; do vars="$vars:$T/$h"; done
    local where ws
    for where in cross one; do
        if [ "$where" = cross ]; then ws=ws://${IP[h2]}:8080/ws; else ws=ws://${IP[h1]}:8080/ws; fi
        mkdir -p "$T/e2e/$where" && cp "$T/e2e/seed.json" "$T/e2e/$where/"
        log "POST on h1 -> frame on ${ws} at $rate/s (${BENCH_E2E_SECS:-10} s, $pairs pairs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
        perf_start "$where"
        NODE_PATH=$ROOT/tests/node_modules PARLEY_VAR=$vars BENCH_OUT=$T/e2e/$where BENCH_URL=http://${IP[h1]}:8080 \
            BENCH_E2E_WS_URL=$ws BENCH_E2E_RATES="$rate" BENCH_E2E_SECS=${BENCH_E2E_SECS:-10} BENCH_E2E_CONNS=$pairs \
            BENCH_E2E_P99_MS=${BENCH_E2E_P99_MS:-20} \
            in_ns cl timeout 120 node tests/bench/e2e.js || log "e2e ($where) failed"
        perf_stop
        sleep 2
    done
    node -e '
      const fs = require("fs");
      for (const w of ["cross", "one"]) {
        let r; try { r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + w + "/e2e.json", "utf8")); } catch (e) { console.log(w + ": no result"); continue; }
        for (const s of r.steps)
          console.log(`e2e ${w === "cross" ? "sender h1, receivers h2" : "sender and receivers h1"} @${s.target_rate}/s: ${s.achieved_rate}/s created, ` +
            `POST->frame p50 ${s.e2e && s.e2e.p50_ms} p99 ${s.e2e && s.e2e.p99_ms} max ${s.e2e && s.e2e.max_ms} ms, lost ${s.lost}, dup ${s.duplicated}, ` +
            `refused ${s.refused}${s.ok ? " (goal met)" : ""}; CPU ms/msg ${JSON.stringify(s.cpu_ms_per_message)}; load ${s.load_avg_1m}`);
      }' "$T/e2e" | tee "$T/e2e/summary.txt" >&2
    [ -n "${BENCH_OUT:-}" ] && cp "$T/e2e/summary.txt" "$BENCH_OUT/cluster-e2e.txt" 2>/dev/null
    return 0
}
case " ${BENCH_CLUSTER_PARTS:-e2e idle} " in *" e2e "*) e2e_phase || log "the e2e part failed" ;; esac
case " ${BENCH_CLUSTER_PARTS:-e2e idle} " in *" idle "*) ;; *) exit 0 ;; esac

# --- the processes whose memory is measured ------------------------------------------
lpids=() wpids=() apids=()
for h in "${HOSTS[@]}"; do
    lt=$(cat "$T/$h/run/lighttpd.pid")
    lpids+=("$lt" $(pgrep -P "$lt" -x lighttpd))
    apids+=($(pgrep -P "$lt" -x parley-api.fcgi))
    wpids+=($(cat "$T/$h"/run/wsd*.pid))
done
join() { local IFS=,; echo "$*"; }
URLS=$(for h in "${HOSTS[@]}"; do printf 'ws://%s:8080/ws,' "${IP[$h]}"; done)
log "$NH hosts up ($(($(date +%s) - $(stat -c %Y "$T"))) s); $NUSERS users; $N connections from $PROCS processes in ${P}cl to ${URLS%,}"
uptime >&2
NODE_PATH=$ROOT/tests/node_modules BENCH_OUT=$T/bench BENCH_WS_URLS=${URLS%,} WSD_PID=$(join "${lpids[@]}") \
    BENCH_RSS_KINDS="lighttpd=$(join "${lpids[@]}");wsd=$(join "${wpids[@]}");api=$(join "${apids[@]}");forwarder=$(cat "$T/db/run/forwarder.pid")" \
    BENCH_CONNS=$N BENCH_CONN_PROCS=$PROCS BENCH_OPEN_TIMEOUT_MS=${BENCH_OPEN_TIMEOUT_MS:-600000} BENCH_IDLE_TAG=idle-cluster \
    BENCH_OPEN_CONCURRENCY=${BENCH_OPEN_CONCURRENCY:-16} BENCH_IDLE_HOLD_SECS=${BENCH_IDLE_HOLD_SECS:-60} \
    in_ns cl timeout 900 node tests/bench/idle.js
rc=$?
uptime >&2
cat "$T/bench/idle-cluster.json" 2>/dev/null; echo
[ -n "${BENCH_OUT:-}" ] && cp "$T/bench/idle-cluster.json" "$BENCH_OUT/" 2>/dev/null
exit $rc
