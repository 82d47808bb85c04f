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
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export PARLEY_BUILD=${PARLEY_BUILD:-build}
N=${BENCH_BUS_N:-50000}
TAP=$ROOT/$PARLEY_BUILD/bin/parley-tap

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k {print $2}'; }

run_one() {   # run_one DAEMONS
    local daemons=$1 var ports hz fwd pids=() t0 t1 f0 f1 d0=() d1=() base=()
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
      for (let i = 1; i <= n; i++) out.push(JSON.stringify({ v: 1, type: "new_message", seq: i,
        event: { type: "new_message", seq: i, chat_id: 7, message: { id: i, chat_id: 7, sender_id: 2,
          sender_username: "alice", content: body, created_at: "2026-11-30T21:00:00.000Z", client_id: null } },
        recipients: [{ user_id: 999999, unread_count: 1, total_unread: 1 }, { user_id: 2 }] }));
      process.stdout.write(out.join("\n") + "\n");' "$N" "$body" > "$var/envelopes"
    local bytes; bytes=$(( $(wc -c < "$var/envelopes") / N ))
    sleep 1
    f0=$(cpu_ticks "$fwd")
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
    t1=$(date +%s.%N)
    unset waited
    f1=$(cpu_ticks "$fwd")
    local wsd_us=0 gaps=0 took=""
    for ((i = 0; i < daemons; i++)); do
        d1+=("$(cpu_ticks "${pids[$i]}")")
        wsd_us=$(awk -v a="${d0[$i]}" -v b="${d1[$i]}" -v hz="$hz" -v n="$N" -v s="$wsd_us" 'BEGIN{printf "%s%.1f", (s=="0"?"":s"/"), (b-a)/hz*1e6/n}')
        gaps=$((gaps + $(metric "${ports[$((2 + i))]}" parley_bus_gaps_total)))
        took="$took$(( $(metric "${ports[$((2 + i))]}" parley_events_in_total) - base[i] )) "
    done
    awk -v n="$N" -v t0="$t0" -v t1="$t1" -v f0="$f0" -v f1="$f1" -v hz="$hz" -v d="$daemons" \
        -v w="$wsd_us" -v g="$gaps" -v b="$bytes" -v took="$took" 'BEGIN {
        printf "bus: daemons=%d envelopes=%d bytes_each=%d wall_s=%.2f env_per_s=%.0f fwd_cpu_us=%.1f wsd_cpu_us=%s taken=%sgaps=%d\n",
            d, n, b, t1 - t0, n / (t1 - t0), (f1 - f0) / hz * 1e6 / n, w, took, g }'
    scripts/parley-stack.sh stop >/dev/null 2>&1
    [ -n "${BENCH_KEEP_VAR:-}" ] || rm -rf "$var"
}

run_one 1
run_one 2
