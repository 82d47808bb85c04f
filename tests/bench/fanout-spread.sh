#!/usr/bin/env bash
# fanout-spread.sh -- fan-out to a 1,000-member group whose members are
# connected through lighttpd's /ws and so spread over every daemon: time
# from the start of a POST until the LAST member's frame (and the first's,
# as the baseline), with one daemon and then with two, each on a fresh
# stack (tests/bench/fanout.js does the timing).
#
# Users are inserted with SQL and their tokens signed with the stack's
# secret (see front.sh for why); the group is created through the API.
#   BENCH_FANOUT_MEMBERS (1000), BENCH_FANOUT_POSTS (20),
#   BENCH_SPREAD_DAEMONS ("1 2": the daemon counts to run, one stack each),
#   PARLEY_WS_UNIX=1: lighttpd reaches the daemons over unix sockets,
#   BENCH_PERF=1: profile the daemons and lighttpd over the timed posts
#   (perf record -g) and print the top of `perf report`;
#   BENCH_FANOUT_READER (c, raw, ws) and BENCH_FANOUT_PROCS pick the
#   readers (fanout.js); PARLEY_BUILD another build folder (absolute path:
#   a before/after pair from two trees).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export PARLEY_BUILD=${PARLEY_BUILD:-build}
# Every member connects from 127.0.0.1: lift the per-address cap (256).
export PARLEY_WS_MAX_CONNS_PER_ADDR=${PARLEY_WS_MAX_CONNS_PER_ADDR:-1000000}
M=${BENCH_FANOUT_MEMBERS:-1000}

run_one() {   # run_one DAEMONS
    local daemons=$1 var hp pp w1 w2
    var=$(mktemp -d /tmp/parley-fan-XXXXXX); chmod 755 "$var"
    read -r hp pp w1 w2 < <(node -e 'const {freePort}=require("./tests/lib/stack.js");
        (async()=>{const s=new Set();while(s.size<4)s.add(await freePort());console.log([...s].join(" "))})()')
    local ports=$w1; [ "$daemons" = 2 ] && ports="$w1,$w2"
    (
    export PARLEY_VAR=$var PARLEY_HTTP_PORT=$hp PARLEY_PG_PORT=$pp PARLEY_SEED=0 PARLEY_WS_PORTS=$ports
    trap 'scripts/parley-stack.sh stop >/dev/null 2>&1; rm -rf "$var"' EXIT
    scripts/parley-stack.sh start > "$var/start.log" 2>&1 || { cat "$var/start.log"; exit 1; }
    DBURL=$(sed -n 's/^database_url[[:space:]]*=[[:space:]]*//p' "$var/parley.conf" | tail -n 1)
    SECRET=$(sed -n 's/^jwt_secret[[:space:]]*=[[:space:]]*//p' "$var/parley.conf" | tail -n 1)
    psql "$DBURL" -q -v ON_ERROR_STOP=1 -c "INSERT INTO users (username, password_hash)
        SELECT 'fan_' || g, 'no-login' FROM generate_series(0, $M) g" || exit 1
    mkdir -p "$var/bench"
    psql "$DBURL" -tA -F ' ' -c "SELECT id, username FROM users WHERE username LIKE 'fan\_%' ORDER BY id" |
        SECRET=$SECRET URL=http://127.0.0.1:$hp M=$M node -e '
          const crypto = require("crypto"); const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
          const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
          const now = Math.floor(Date.now() / 1000);
          const users = lines.map((l) => { const [id, username] = l.split(" ");
            const h = b64({ alg: "HS256", typ: "JWT" }) + "." + b64({ sub: Number(id), username, iat: now, exp: now + 3600 });
            return { id: Number(id), username, token: h + "." + crypto.createHmac("sha256", process.env.SECRET).update(h).digest("base64url") }; });
          const members = users.slice(1, 1 + Number(process.env.M));
          (async () => {
            const r = await fetch(process.env.URL + "/api/chats", { method: "POST",
              headers: { "content-type": "application/json", authorization: "Bearer " + members[0].token },
              body: JSON.stringify({ title: "fan-out", member_ids: members.slice(1).map((u) => u.id) }) });
            const j = await r.json();
            if (r.status !== 201) { console.error("group:", r.status, JSON.stringify(j)); process.exit(1); }
            process.stdout.write(JSON.stringify({ run: crypto.randomBytes(3).toString("hex"), users,
              fanoutMembers: members.length, group: { chat: j.id, members: j.members.length } }));
          })();' > "$var/bench/seed.json" || exit 1
    echo "fanout-spread: $daemons daemon(s) ($([ "${PARLEY_WS_UNIX:-0}" = 1 ] && echo unix || echo tcp) hop), $M members through ws://127.0.0.1:$hp/ws; load $(cut -d' ' -f1 /proc/loadavg)"
    local perf_pids=""
    if [ "${BENCH_PERF:-0}" = 1 ]; then
        perf_pids=$(cat "$var"/run/wsd*.pid "$var/run/lighttpd.pid" 2>/dev/null | paste -sd, -)
    fi
    BENCH_PERF_PIDS=$perf_pids NODE_PATH=$ROOT/tests/node_modules BENCH_OUT=$var/bench BENCH_URL=http://127.0.0.1:$hp \
        BENCH_WS_URL=ws://127.0.0.1:$hp/ws timeout 200 node tests/bench/fanout.js
    local i=0
    for p in ${ports//,/ }; do
        i=$((i + 1))
        if [ "${PARLEY_WS_UNIX:-0}" = 1 ]; then
            m=$(curl -s --unix-socket "$var/run/ws/wsd-$i.sock" http://localhost/metrics)
        else
            m=$(curl -s "http://127.0.0.1:$p/metrics")
        fi
        echo "fanout-spread: daemon $i frames out $(awk '$1=="parley_frames_out_total"{print $2}' <<< "$m")"
    done
    cat "$var/bench/fanout.json" 2>/dev/null; echo
    if [ -n "$perf_pids" ] && [ -f "$var/bench/perf.data" ]; then
        perf report -i "$var/bench/perf.data" --stdio --no-children -g none --percent-limit 0.7 --sort comm,dso,sym 2>/dev/null |
            grep -E '^ +[0-9]' | head -n "${BENCH_PERF_LINES:-40}"
    fi
    )
}
for d in ${BENCH_SPREAD_DAEMONS:-1 2}; do run_one "$d"; done
