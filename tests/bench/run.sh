#!/usr/bin/env bash
# run.sh -- `make bench`: Parley's benchmarks, each figure next to a baseline
# measured in the same run on the same machine.  docs/bench.md explains them.
#
# Starts its own stack (scripts/parley-stack.sh) in a temporary folder on
# free ports, seeds it through the public API, runs the steps, prints a
# table, writes tests/bench/last-results.json and stops everything.
#
# Settings (environment):
#   PARLEY_BUILD         build folder (default build)
#   BENCH_STEPS          which steps to run (default "1 2 3 4 5 6 7 8 9"; 5: idle
#                        WebSockets through lighttpd, 6: the event bus,
#                        tests/bench/bus.sh, one daemon and two; 7: file
#                        downloads, 8: presence, 9: search
#                        and the cost of mentions + a reply; 6-9 need no seeding;
#                        10, not in the default: idle browsers across namespace
#                        hosts, tests/cluster/bench.sh = make bench-cluster, root)
#   BENCH_FRONT_CONNS    idle WebSockets through lighttpd for step 5 (15000)
#   BENCH_PRESENCE_USERS / _RATE / _SECS   step 8 (10000 users, 100 changes/s, 10 s)
#   BENCH_FILE_SECS      seconds per download run in step 7 (default 5)
#   BENCH_FILE_ROUNDS    interleaved API/static run pairs in step 7 (default 3)
#   BENCH_SEARCH_MESSAGES  messages seeded for step 9's search (default 1000000)
#   BENCH_ONLY=chats     step 1 runs only its chat-list figures (GET /api/chats at
#                        16, 64 and 1 connections, then with 100,000 messages of
#                        history); with BENCH_USERS=201 the seeding takes ~1 min
#   BENCH_DURATION       seconds per wrk / pgbench run (default 10)
#   BENCH_CONNS          idle WebSockets for step 3 (default 19000)
#   BENCH_CONN_PROCS     client processes holding them (default 4)
#   BENCH_USERS          users to register (default 1001)
#   BENCH_FANOUT_MEMBERS members of the fan-out group (default 1000)
#   BENCH_FANOUT_POSTS   posts timed in step 4 (default 20)
#   BENCH_E2E_RATES      rate steps for step 2 (default "500 1000 ... 5000"),
#                        until p99 > BENCH_E2E_P99_MS (250) or a frame is lost
#   BENCH_E2E_SECS       seconds per rate step (default 5)
#   BENCH_E2E_PAIRS      senders (wrk connections) and receivers on /ws (64)
#   PARLEY_FCGI_PROCS    FastCGI workers (default: the stack script's, 4)
#   BENCH_KEEP_VAR=1     keep the state folder (logs) after the run
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BENCH=$ROOT/tests/bench
export PARLEY_BUILD=${PARLEY_BUILD:-build}
STEPS=${BENCH_STEPS:-1 2 3 4 5 6 7 8 9}
DUR=${BENCH_DURATION:-10}
PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
has_step() { case " $STEPS " in *" $1 "*) return 0 ;; esac; return 1; }

command -v node >/dev/null || die "node is needed"
command -v wrk >/dev/null || die "wrk is needed"
[ -x "$PGBENCH" ] || die "pgbench is needed"
[ -d tests/node_modules/ws ] || scripts/install-deps.sh --node >&2 || die "node modules missing"
[ -x "$PARLEY_BUILD/bin/parley-api.fcgi" ] || die "$PARLEY_BUILD/bin/parley-api.fcgi not built (run: make)"
export NODE_PATH=$ROOT/tests/node_modules

# --- the stack --------------------------------------------------------------
# /tmp, not a private home folder: user postgres must reach the cluster.
VAR=$(mktemp -d /tmp/parley-bench-XXXXXX) || die "mktemp failed"
chmod 755 "$VAR"
export PARLEY_VAR=$VAR BENCH_OUT=$VAR/bench
mkdir -p "$BENCH_OUT"
read -r PARLEY_HTTP_PORT PARLEY_WS_PORT PARLEY_EVENTS_PORT PARLEY_TAP_PORT PARLEY_PG_PORT < <(
    node -e 'const {freePort}=require("./tests/lib/stack.js");
             (async()=>{const s=new Set();while(s.size<5)s.add(await freePort());console.log([...s].join(" "))})()')
export PARLEY_HTTP_PORT PARLEY_WS_PORT PARLEY_EVENTS_PORT PARLEY_TAP_PORT PARLEY_PG_PORT
export PARLEY_SEED=0
# The per-user sending limit (token bucket, default 10/s) would turn most
# benchmark posts into 429s: raise it far above any rate reached here.  The
# bucket is still checked on every post, so its cost is measured.
export PARLEY_SEND_RATE=${PARLEY_SEND_RATE:-1000000} PARLEY_SEND_BURST=${PARLEY_SEND_BURST:-1000000}
# The load generator is thousands of users behind one address: lift the
# per-address and per-user abuse limits (docs/config.md) for it.
export PARLEY_REGISTER_BURST=${PARLEY_REGISTER_BURST:-1000000} PARLEY_CHATS_BURST=${PARLEY_CHATS_BURST:-1000000}
export PARLEY_WS_MAX_CONNS_PER_ADDR=${PARLEY_WS_MAX_CONNS_PER_ADDR:-1000000}
export BENCH_E2E_PAIRS=${BENCH_E2E_PAIRS:-64} BENCH_E2E_CONNS=${BENCH_E2E_CONNS:-${BENCH_E2E_PAIRS:-64}}
export BENCH_URL=http://127.0.0.1:$PARLEY_HTTP_PORT BENCH_WS_URL=ws://127.0.0.1:$PARLEY_WS_PORT/ws

cleanup() {
    local rc=$?
    scripts/parley-stack.sh stop >/dev/null 2>&1
    if [ "${BENCH_KEEP_VAR:-0}" = 1 ]; then say "state kept in $VAR"; else rm -rf "$VAR"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s)
say "stack in $VAR (http $PARLEY_HTTP_PORT, ws $PARLEY_WS_PORT, pg $PARLEY_PG_PORT)"
# Without a working ws-daemon, step 1 still runs (PostgreSQL + lighttpd).
if ! scripts/parley-stack.sh start >"$VAR/stack-start.log" 2>&1; then
    say "stack start failed: $(tail -n 2 "$VAR/stack-start.log" | tr '\n' ' ')"
    say "retrying without the ws-daemon (steps 2-4 will be skipped)"
    scripts/parley-stack.sh wsd-stop >/dev/null 2>&1
    scripts/parley-stack.sh lighttpd-restart >>"$VAR/stack-start.log" 2>&1 ||
        { cat "$VAR/stack-start.log" >&2; die "stack did not start"; }
fi
WSD_OK=0
if [ -f "$VAR/run/wsd.pid" ] && kill -0 "$(cat "$VAR/run/wsd.pid")" 2>/dev/null; then WSD_OK=1; fi
DBURL=$(sed -n 's/^database_url[[:space:]]*=[[:space:]]*//p' "$VAR/parley.conf" | tail -n 1)

# --- seed ----------------------------------------------------------------------
if has_step 1 || has_step 2 || has_step 3 || has_step 4; then
    say "seeding through the API (registration is argon2id-bound: ~1-2 min for 1000 users)"
    timeout 300 node "$BENCH/seed.js" || die "seeding failed"
fi

# --- step 1: HTTP API vs pgbench ----------------------------------------------
# measured TAG CMD...: runs CMD, recording this stack's CPU by component,
# CMD's own CPU (the load generator) and everyone else's, in cpu-TAG.json.
measured() {
    local tag=$1 rc; shift
    node "$BENCH/cpu.js" snap "$BENCH_OUT/cpu0.json"
    # time's report goes to the .time file; CMD's own stderr stays on ours.
    { TIMEFORMAT='%U %S'; time "$@" 2>&3; } 3>&2 2> "$BENCH_OUT/$tag.time"; rc=$?
    node "$BENCH/cpu.js" snap "$BENCH_OUT/cpu1.json"
    node "$BENCH/cpu.js" diff "$BENCH_OUT/cpu0.json" "$BENCH_OUT/cpu1.json" "$BENCH_OUT/cpu-$tag.json" "$BENCH_OUT/$tag.time"
    return $rc
}

wrk_run() {   # wrk_run NAME CONNS LUA PATH [THREADS [SECS]]
    local name=$1 conns=$2 lua=$3 p=$4 threads=${5:-2} dur=${6:-$DUR}
    local tag="$name-$conns"
    say "wrk $name: $conns connections, ${dur}s"
    BENCH_RESULT="$BENCH_OUT/wrk-$tag.json" BENCH_TARGETS="$BENCH_OUT/post-targets.txt" \
    BENCH_TOKEN_FILE="$BENCH_OUT/heavy-token.txt" \
        measured "$tag" timeout $((dur + 30)) wrk -t"$threads" -c"$conns" -d"${dur}s" --timeout 5s --latency \
        -s "$BENCH/$lua" "$BENCH_URL$p" > "$BENCH_OUT/wrk-$tag.txt" 2>&1 ||
        say "wrk $name $conns failed: $(tail -n 3 "$BENCH_OUT/wrk-$tag.txt")"
}

pgbench_run() {   # pgbench_run CONNS
    local conns=$1
    say "pgbench insert: $conns clients, ${DUR}s"
    measured "pgbench-$conns" timeout $((DUR + 30)) "$PGBENCH" -n -M prepared -c "$conns" -j 2 -T "$DUR" \
        -f "$BENCH/insert.sql" "$DBURL" > "$BENCH_OUT/pgbench-$conns.txt" 2>&1 ||
        say "pgbench $conns failed: $(tail -n 3 "$BENCH_OUT/pgbench-$conns.txt")"
}

ONLY=${BENCH_ONLY:-}
if has_step 1 && [ "$ONLY" != chats ]; then
    psql "$DBURL" -q -v ON_ERROR_STOP=1 -c "
        SET client_min_messages = warning;
        DROP TABLE IF EXISTS bench_scratch;
        CREATE TABLE bench_scratch (
            id bigserial PRIMARY KEY, chat_id bigint NOT NULL, sender_id bigint NOT NULL,
            content text, client_id text, created_at timestamptz NOT NULL DEFAULT now(),
            seq bigint NOT NULL);
        CREATE INDEX ON bench_scratch (chat_id, id);" || die "cannot create the scratch table"
    for c in 16 64; do
        pgbench_run "$c"
        wrk_run post "$c" post.lua "/api/chats/0/messages"
    done
    psql "$DBURL" -q -c "DROP TABLE IF EXISTS bench_scratch" || true
    # The write function alone, over the same chats as the POST figure.
    pairs=$(cut -d' ' -f1 "$BENCH_OUT/post-targets.txt" | paste -sd, -)
    psql "$DBURL" -q -v ON_ERROR_STOP=1 -c "
        DROP TABLE IF EXISTS bench_post_pairs;
        CREATE TABLE bench_post_pairs AS
            SELECT row_number() OVER (ORDER BY chat_id) AS k, chat_id, min(user_id) AS user_id
              FROM chat_members WHERE chat_id = ANY ('{$pairs}'::bigint[]) GROUP BY chat_id;
        CREATE UNIQUE INDEX ON bench_post_pairs (k);" || die "cannot create bench_post_pairs"
    npairs=$(psql "$DBURL" -Atc "SELECT count(*) FROM bench_post_pairs")
    say "pgbench parley_post: 16 clients, ${DUR}s"
    # With the API's own session setting (fcgi-api/db.c): generic plans.
    PGOPTIONS="-c plan_cache_mode=force_generic_plan" \
    measured "pgbench-postfn-16" timeout $((DUR + 30)) "$PGBENCH" -n -M prepared -c 16 -j 2 -T "$DUR" \
        -D npairs="$npairs" -f "$BENCH/post-fn.sql" "$DBURL" > "$BENCH_OUT/pgbench-postfn-16.txt" 2>&1 ||
        say "pgbench parley_post failed: $(tail -n 3 "$BENCH_OUT/pgbench-postfn-16.txt")"
    # Beside it, where the post's time goes: the same posts' rows written by
    # one plain statement (the floor of one transaction a post), the
    # function eight calls to a transaction (what a commit costs a post),
    # and four posts' rows a statement (8 clients on 4 pairs each: what a
    # set-based post could cost), as NAME:SCRIPT:CLIENTS:N.  The eight-call
    # script is post-fn.sql's statement eight times between BEGIN and
    # COMMIT, one pair a transaction (one chat and one sender: clients queue
    # on each other's locks but cannot deadlock); pgbench has no loop.
    { grep '^\\set' "$BENCH/post-fn.sql"; echo 'BEGIN;'
      for _ in 1 2 3 4 5 6 7 8; do sed -n '/^SELECT/,$p' "$BENCH/post-fn.sql"; done
      echo 'COMMIT;'; } > "$BENCH_OUT/post-fn8.sql"
    runs="floor:$BENCH/post-floor.sql:16:1 fn8:$BENCH_OUT/post-fn8.sql:16:1"
    [ "$npairs" -ge 32 ] && runs="$runs floor4:$BENCH/post-floor.sql:8:4"
    for v in $runs; do
        IFS=: read -r name script clients n <<< "$v"
        say "pgbench ${script##*/} (n=$n): $clients clients, ${DUR}s"
        PGOPTIONS="-c plan_cache_mode=force_generic_plan" \
        measured "pgbench-post$name-$clients" timeout $((DUR + 30)) "$PGBENCH" -n -M prepared -c "$clients" -j 2 -T "$DUR" \
            -D npairs="$npairs" -D n="$n" -f "$script" "$DBURL" > "$BENCH_OUT/pgbench-post$name-$clients.txt" 2>&1 ||
            say "pgbench ${script##*/} failed: $(tail -n 3 "$BENCH_OUT/pgbench-post$name-$clients.txt")"
    done
    psql "$DBURL" -q -c "DROP TABLE IF EXISTS bench_post_pairs" || true
    # The same function posting to the fan-out group: the database's share
    # of a fan-out (every member's counts and total), one client.
    group=$(node -e 'console.log(require(process.argv[1]).group.chat)' "$BENCH_OUT/seed.json")
    say "pgbench parley_post to the fan-out group: 1 client, ${DUR}s"
    PGOPTIONS="-c plan_cache_mode=force_generic_plan" \
    measured "pgbench-postgroup-1" timeout $((DUR + 30)) "$PGBENCH" -n -M prepared -c 1 -T "$DUR" \
        -D group="$group" -f "$BENCH/post-group.sql" "$DBURL" > "$BENCH_OUT/pgbench-postgroup-1.txt" 2>&1 ||
        say "pgbench parley_post to the group failed: $(tail -n 3 "$BENCH_OUT/pgbench-postgroup-1.txt")"
fi
if has_step 1; then
    for c in 16 64; do
        wrk_run chats "$c" get.lua "/api/chats"
        [ "$ONLY" = chats ] || wrk_run health "$c" get.lua "/api/health"
    done
    # One connection: the service time of one request, without queueing.
    [ "$ONLY" = chats ] || wrk_run post 1 post.lua "/api/chats/0/messages" 1 5
    wrk_run chats 1 get.lua "/api/chats" 1 5
    [ "$ONLY" = chats ] || wrk_run health 1 get.lua "/api/health" 1 5
    # The same chat list once the heavy user's chats hold 100,000 messages.
    heavy=$(node -e 'console.log(require(process.argv[1]).heavy.id)' "$BENCH_OUT/seed.json")
    say "giving the heavy user's chats 100,000 messages of history"
    psql "$DBURL" -q -v ON_ERROR_STOP=1 -v heavy="$heavy" -f "$BENCH/history.sql" \
        > "$BENCH_OUT/history.txt" 2>&1 || say "history seeding failed: $(tail -n 3 "$BENCH_OUT/history.txt")"
    wrk_run chatshist 16 get.lua "/api/chats"
    # The list's two statements (fcgi-api/chatview.c) as the API runs them:
    # prepared, generic plans.
    psql "$DBURL" -Aq -v heavy="$heavy" -f "$BENCH/chats-explain.sql" \
        > "$BENCH_OUT/chats-explain.txt" 2>&1 || true
fi

# --- steps 2-4: need the ws-daemon ------------------------------------------------
if [ "$WSD_OK" = 1 ]; then
    WSD_PID=$(cat "$VAR/run/wsd.pid")
    export WSD_PID
    # Step 3 first: the daemon's "before" RSS is then that of a daemon that
    # has never held a connection.
    if has_step 3; then measured idle timeout 240 node "$BENCH/idle.js" || say "step 3 failed"; fi
    # Step 2 accounts its own CPU per rate step (wrk, receiver, stack).
    if has_step 2; then
        BENCH_E2E_WS_URL=ws://127.0.0.1:$PARLEY_HTTP_PORT/ws timeout 600 node "$BENCH/e2e.js" || say "step 2 failed"
    fi
    # Step 4 through the front (lighttpd /ws), the page's path.
    if has_step 4; then
        BENCH_WS_URL=ws://127.0.0.1:$PARLEY_HTTP_PORT/ws measured fanout timeout 180 node "$BENCH/fanout.js" || say "step 4 failed"
    fi
    # Step 5: idle browsers through the front (lighttpd /ws, the page's
    # path): memory per connection of lighttpd, beside step 3's daemon figure.
    if has_step 5; then
        say "step 5: ${BENCH_FRONT_CONNS:-15000} idle WebSockets through lighttpd /ws"
        # Every lighttpd process (the parent and its PARLEY_HTTP_WORKERS
        # workers) and every daemon: memory per connection of each kind.
        lt=$(cat "$VAR/run/lighttpd.pid")
        lpids=$(echo "$lt" $(pgrep -P "$lt" -x lighttpd) | tr ' ' ',')
        BENCH_WS_URL=ws://127.0.0.1:$PARLEY_HTTP_PORT/ws WSD_PID=$lpids \
            BENCH_RSS_KINDS="lighttpd=$lpids;wsd=$(cat "$VAR"/run/wsd*.pid | paste -sd, -)" \
            BENCH_CONNS=${BENCH_FRONT_CONNS:-15000} BENCH_IDLE_TAG=idle-front \
            measured idle-front timeout 420 node "$BENCH/idle.js" || say "step 5 failed"
    fi
else
    say "ws-daemon is not running: steps 2-4 skipped (see $VAR/log/ws-daemon.log)"
fi

# --- step 6: the event bus (its own stacks, one and two daemons) -------------------
if has_step 6; then
    say "step 6: the event bus (forwarder + 1 and 2 daemons)"
    ( unset PARLEY_VAR; timeout 400 "$BENCH/bus.sh" ) | tee "$BENCH_OUT/bus.txt" >&2 || say "step 6 failed"
fi

# --- step 7: 10 MiB downloads, X-Sendfile vs static ---------------------------
if has_step 7; then timeout 180 node "$BENCH/files.js" || say "step 7 failed"; fi

# --- step 8: presence, 10,000 users, 100 changes a second ----------------------
if has_step 8 && [ "$WSD_OK" = 1 ]; then timeout 300 node "$BENCH/presence.js" || say "step 8 failed"; fi

# --- step 9: search over a large set, and the cost of mentions + a reply ----------
# Seeds its own rows straight into PostgreSQL; prints its own lines.
if has_step 9; then
    measured search timeout 3600 node "$BENCH/search.js" | tee "$BENCH_OUT/search.txt" || say "step 9 failed"
fi

# --- step 10: idle browsers across namespace hosts (root; its own cluster) ---------
# Each host's front (lighttpd /ws) holds its share; BENCH_CLUSTER_CONNS (50000).
if has_step 10; then
    say "step 10: ${BENCH_CLUSTER_CONNS:-50000} idle WebSockets across namespace hosts"
    ( unset PARLEY_VAR; BENCH_OUT=$BENCH_OUT timeout 1000 "$ROOT/tests/cluster/bench.sh" ) |
        tee "$BENCH_OUT/cluster.txt" >&2 || say "step 10 failed"
fi

# --- report -----------------------------------------------------------------------
T1=$(date +%s)
BENCH_ELAPSED=$((T1 - T0)) BENCH_WSD_OK=$WSD_OK BENCH_STEPS="$STEPS" \
    node "$BENCH/report.js" "$BENCH/last-results.json"
