#!/usr/bin/env bash
# front.sh -- idle authenticated WebSockets through the front (lighttpd /ws,
# the page's path) on a stack of its own started like `make run` starts one
# (lighttpd's PARLEY_HTTP_WORKERS worker processes, the ws-daemons behind it
# on unix sockets; PARLEY_WS_DAEMONS, default 1): memory per connection of
# each process kind (all lighttpd processes, all daemons).
#
# The users are inserted with SQL and their tokens signed with the stack's
# jwt_secret (HS256, the claims the API issues): registering hundreds of
# users through argon2id takes minutes on a loaded machine and is not what
# this measures.  Each token is a real, verifiable token of an existing user.
#   BENCH_FRONT_CONNS (15000), BENCH_CONN_PROCS (4: each process here is capped
#   at 20,000 descriptors), BENCH_CONNS_PER_USER (32, the daemons' limit).
# Every client connects from 127.0.0.1, so the daemons' per-address cap is
# lifted here (PARLEY_WS_MAX_CONNS_PER_ADDR) as in the other benchmarks.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export PARLEY_BUILD=${PARLEY_BUILD:-build}
N=${BENCH_FRONT_CONNS:-15000}
PER=${BENCH_CONNS_PER_USER:-32}
VAR=$(mktemp -d /tmp/parley-front-XXXXXX); chmod 755 "$VAR"
read -r HP PP W1 W2 < <(node -e 'const {freePort}=require("./tests/lib/stack.js");
    (async()=>{const s=new Set();while(s.size<4)s.add(await freePort());console.log([...s].join(" "))})()')
export PARLEY_VAR=$VAR PARLEY_HTTP_PORT=$HP PARLEY_PG_PORT=$PP PARLEY_SEED=0
export PARLEY_WS_UNIX=${PARLEY_WS_UNIX:-1} PARLEY_WS_DAEMONS=${PARLEY_WS_DAEMONS:-1} PARLEY_WS_PORT=$W1
export PARLEY_WS_MAX_CONNS_PER_ADDR=${PARLEY_WS_MAX_CONNS_PER_ADDR:-1000000}
: "$W2"   # (a second free port, unused with one daemon)
cleanup() { scripts/parley-stack.sh stop >/dev/null 2>&1; rm -rf "$VAR"; }
trap cleanup EXIT
scripts/parley-stack.sh start > "$VAR/start.log" 2>&1 || { cat "$VAR/start.log"; exit 1; }
DBURL=$(sed -n 's/^database_url[[:space:]]*=[[:space:]]*//p' "$VAR/parley.conf" | tail -n 1)
SECRET=$(sed -n 's/^jwt_secret[[:space:]]*=[[:space:]]*//p' "$VAR/parley.conf" | tail -n 1)
NUSERS=$(( (N + PER - 1) / PER ))
psql "$DBURL" -q -v ON_ERROR_STOP=1 -c "INSERT INTO users (username, password_hash)
    SELECT 'front_' || g, 'no-login' FROM generate_series(1, $NUSERS) g" || exit 1
mkdir -p "$VAR/bench"
psql "$DBURL" -tA -F ' ' -c "SELECT id, username FROM users WHERE username LIKE 'front\_%'" |
    SECRET=$SECRET node -e '
      const crypto = require("crypto"); const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      const users = lines.map((l) => { const [id, username] = l.split(" ");
        const h = b64({ alg: "HS256", typ: "JWT" }) + "." + b64({ sub: Number(id), username, iat: now, exp: now + 3600 });
        return { id: Number(id), username, token: h + "." + crypto.createHmac("sha256", process.env.SECRET).update(h).digest("base64url") }; });
      process.stdout.write(JSON.stringify({ users }));' > "$VAR/bench/seed.json"
LT=$(cat "$VAR/run/lighttpd.pid")
LPIDS=$(echo "$LT" $(pgrep -P "$LT" -x lighttpd) | tr ' ' ',')
WPIDS=$(cat "$VAR"/run/wsd*.pid | paste -sd, -)
grep -h 'Capacity\|capacity' "$VAR/start.log"
echo "front: lighttpd pids $LPIDS (parent first), daemons $WPIDS, $NUSERS users, $N connections through ws://127.0.0.1:$HP/ws"
NODE_PATH=$ROOT/tests/node_modules BENCH_OUT=$VAR/bench BENCH_WS_URL=ws://127.0.0.1:$HP/ws WSD_PID=$LPIDS \
    BENCH_RSS_KINDS="lighttpd=$LPIDS;wsd=$WPIDS" BENCH_METRICS_SOCKET=$(ls "$VAR"/run/ws/wsd-1.sock 2>/dev/null) BENCH_CONNS=$N BENCH_IDLE_TAG=idle-front timeout 420 node tests/bench/idle.js
rc=$?
for f in "$VAR"/run/ws/wsd-*.sock; do
    [ -S "$f" ] && echo "front: daemon $(basename "$f") holds $(curl -s --unix-socket "$f" http://x/metrics | awk '$1=="parley_ws_connections"{print $2}') now (after close)"
done
cat "$VAR/bench/idle-front.json" 2>/dev/null; echo
exit $rc
