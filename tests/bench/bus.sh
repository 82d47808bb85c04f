#!/usr/bin/env bash
# bus.sh -- the event bus on one machine: what parley-forwarder passes, and
# what it costs the forwarder and each ws-daemon per envelope, with one
# daemon and with two (each beside the other, same run).
#
# Starts its own stack (forwarder + N daemons, CURVE over ipc:// as make run
# sets it up), injects BENCH_BUS_N envelopes of a typical size (a
# new_message for one user nobody holds, ~450 bytes) with parley-tap --send,
# and waits until every daemon has taken them in (parley_events_in_total).
# Prints one line per configuration:
#   bus: daemons=N envelopes=M wall_s=… env_per_s=… fwd_cpu_us=… wsd_cpu_us=… gaps=…
# cpu_us are CPU microseconds (user + system, from /proc) per envelope.
# A third run (BENCH_BUS_HELD, 64; 0 skips it) has that many users hold a
# WebSocket through lighttpd's /ws and addresses each envelope to one of
# them, so it also prints what delivery costs: frames received, and the
# daemon's and lighttpd's CPU per envelope (the daemon's share of an
# end-to-end message, without the API and PostgreSQL in front of it).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export PARLEY_BUILD=${PARLEY_BUILD:-build}
N=${BENCH_BUS_N:-50000}
TAP=$ROOT/$PARLEY_BUILD/bin/parley-tap

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# lighttpd's CPU: its own and its worker processes' (PARLEY_HTTP_WORKERS).
lighttpd_ticks() {
    local t w
    t=$(cpu_ticks "$1")
    for w in $(pgrep -P "$1" -x lighttpd); do t=$((t + $(cpu_ticks "$w"))); done
    echo "$t"
}
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k {print $2}'; }

run_one() {   # run_one DAEMONS [HELD]
    local daemons=$1 held=${2:-0} var ports hz fwd pids=() t0 t1 f0 f1 d0=() d1=() base=() rpid="" l0 l1
    var=$(mktemp -d /tmp/parley-bus-XXXXXX); chmod 755 "$var"
    read -r -a ports < <(node -e 'const {freePort}=require("./tests/lib/stack.js");
        (async()=>{const s=new Set();while(s.size<5)s.add(await freePort());console.log([...s].join(" "))})()')
    local wsports
    wsports=$(IFS=,; echo "${ports[*]:2:$daemons}")
    export PARLEY_VAR=$var PARLEY_HTTP_PORT=${ports[0]} PARLEY_PG_PORT=${ports[1]} PARLEY_WS_PORTS=$wsports PARLEY_SEED=0
    scripts/parley-stack.sh start >/dev/null 2>&1 || { echo "bus: stack did not start" >&2; tail -5 "$var"/log/*.log >&2; return 1; }
    hz=$(getconf CLK_TCK)
    fwd=$(cat "$var/run/forwarder.pid")
    for ((i = 1; i <= daemons; i++)); do
        if [ "$i" = 1 ]; then pids+=("$(cat "$var/run/wsd.pid")"); else pids+=("$(cat "$var/run/wsd-$i.pid")"); fi
    done
    # The envelopes: a typical new_message for a user no daemon holds.
    local body
    body=$(printf 'x%.0s' $(seq 200))
    node -e '
      const n = Number(process.argv[1]), body = process.argv[2];
      const out = [];
      const held = Number(process.argv[3]);
      for (let i = 1; i <= n; i++) out.push(JSON.stringify({ v: 1, type: "new_message", seq: i,
        event: { type: "new_message", seq: i, chat_id: 7, message: { id: i, chat_id: 7, sender_id: 2,
          sender_username: "alice", content: body, created_at: "2026-11-30T21:00:00.000Z", client_id: null } },
        recipients: [{ user_id: held ? 1000 + (i % held) : 999999, unread_count: 1, total_unread: 1 }, { user_id: 2 }] }));
      process.stdout.write(out.join("\n") + "\n");' "$N" "$body" "$held" > "$var/envelopes"
    if [ "$held" -gt 0 ]; then
        # The receivers: users 1000.. through lighttpd /ws, tokens signed
        # with the stack's secret; they count new_message frames and print
        # the count when told (SIGUSR2) and on exit.
        local secret; secret=$(sed -n 's/^jwt_secret[[:space:]]*=[[:space:]]*//p' "$var/parley.conf" | tail -n 1)
        NODE_PATH=$ROOT/tests/node_modules SECRET=$secret HELD=$held URL=ws://127.0.0.1:${ports[0]}/ws node -e '
          const crypto = require("crypto"), WebSocket = require("ws");
          const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
          const now = Math.floor(Date.now() / 1000);
          let frames = 0, open = 0;
          for (let i = 0; i < Number(process.env.HELD); i++) {
            const h = b64({ alg: "HS256", typ: "JWT" }) + "." + b64({ sub: 1000 + i, username: "bus" + i, iat: now, exp: now + 3600 });
            const t = h + "." + crypto.createHmac("sha256", process.env.SECRET).update(h).digest("base64url");
            const ws = new WebSocket(process.env.URL + "?token=" + t, { perMessageDeflate: false });
            ws.on("message", (d) => { const s = d.toString(); if (s.startsWith("{\"type\":\"new_message\"")) frames++; else if (s.includes("\"connected\"") && ++open === Number(process.env.HELD)) console.log("open"); });
            ws.on("error", () => {});
          }
          process.on("SIGUSR2", () => console.log("frames " + frames));
          process.on("SIGTERM", () => { console.log("frames " + frames); process.exit(0); });
          setTimeout(() => process.exit(3), 300000).unref();' > "$var/receiver.out" 2>&1 &
        rpid=$!
        for _ in $(seq 200); do grep -q '^open' "$var/receiver.out" && break; sleep 0.05; done
    fi
    local bytes; bytes=$(( $(wc -c < "$var/envelopes") / N ))
    sleep 1
    f0=$(cpu_ticks "$fwd")
    l0=$(lighttpd_ticks "$(cat "$var/run/lighttpd.pid")")
    for ((i = 0; i < daemons; i++)); do
        d0+=("$(cpu_ticks "${pids[$i]}")")
        base+=("$(metric "${ports[$((2 + i))]}" parley_events_in_total)")
    done
    t0=$(date +%s.%N)
    PARLEY_CONFIG=$var/parley.conf "$TAP" --send "$var/envelopes" 2>/dev/null
    local deadline=$((SECONDS + 120)) done=0
    while [ $SECONDS -lt $deadline ]; do
        done=1
        for ((i = 0; i < daemons; i++)); do
            local got; got=$(metric "${ports[$((2 + i))]}" parley_events_in_total)
            [ $((got - base[i])) -ge "$N" ] || done=0
        done
        [ $done = 1 ] && break
        # Stop early when a daemon has been idle (envelopes dropped).
        sleep 0.05
        local fwdout; fwdout=$(awk '/^parley_forwarder_messages_total.socket="out",dir="sent"/ {print $2}' "$var/run/forwarder.prom" 2>/dev/null)
        [ -n "$fwdout" ] && [ "$fwdout" -ge "$N" ] && [ -z "${waited:-}" ] && { waited=1; deadline=$((SECONDS + 5)); }
    done
    if [ -n "$rpid" ]; then   # the frames trail the intake a little
        for _ in $(seq 200); do
            kill -USR2 "$rpid" 2>/dev/null; sleep 0.05
            [ "$(grep '^frames' "$var/receiver.out" | tail -n 1 | cut -d' ' -f2)" = "$N" ] && break
        done
    fi
    t1=$(date +%s.%N)
    unset waited
    f1=$(cpu_ticks "$fwd")
    l1=$(lighttpd_ticks "$(cat "$var/run/lighttpd.pid")")
    local delivered=""
    if [ -n "$rpid" ]; then
        kill -TERM "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null
        delivered=" held=$held frames=$(grep '^frames' "$var/receiver.out" | tail -n 1 | cut -d' ' -f2)"
        delivered="$delivered lighttpd_cpu_us=$(awk -v a="$l0" -v b="$l1" -v hz="$hz" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/hz*1e6/n}')"
    fi
    local wsd_us=0 gaps=0 took=""
    for ((i = 0; i < daemons; i++)); do
        d1+=("$(cpu_ticks "${pids[$i]}")")
        wsd_us=$(awk -v a="${d0[$i]}" -v b="${d1[$i]}" -v hz="$hz" -v n="$N" -v s="$wsd_us" 'BEGIN{printf "%s%.1f", (s=="0"?"":s"/"), (b-a)/hz*1e6/n}')
        gaps=$((gaps + $(metric "${ports[$((2 + i))]}" parley_bus_gaps_total)))
        took="$took$(( $(metric "${ports[$((2 + i))]}" parley_events_in_total) - base[i] )) "
    done
    awk -v n="$N" -v t0="$t0" -v t1="$t1" -v f0="$f0" -v f1="$f1" -v hz="$hz" -v d="$daemons" \
        -v w="$wsd_us" -v g="$gaps" -v b="$bytes" -v took="$took" -v dl="$delivered" 'BEGIN {
        printf "bus: daemons=%d envelopes=%d bytes_each=%d wall_s=%.2f env_per_s=%.0f fwd_cpu_us=%.1f wsd_cpu_us=%s taken=%sgaps=%d%s\n",
            d, n, b, t1 - t0, n / (t1 - t0), (f1 - f0) / hz * 1e6 / n, w, took, g, dl }'
    scripts/parley-stack.sh stop >/dev/null 2>&1
    [ -n "${BENCH_KEEP_VAR:-}" ] || rm -rf "$var"
}

run_one 1
run_one 2
[ "${BENCH_BUS_HELD:-64}" -gt 0 ] && run_one 1 "${BENCH_BUS_HELD:-64}"
exit 0
