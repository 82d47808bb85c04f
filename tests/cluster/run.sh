#!/usr/bin/env bash
# tests/cluster/run.sh -- `make test-cluster`: Parley on several "hosts" made
# of network namespaces on this machine (needs root), all over TCP + CURVE.
#
#   <P>db   10.77.0.1   PostgreSQL + parley-forwarder (tcp :5560 in, :5561 out, :5562 tap)
#   <P>h1   10.77.0.11  lighttpd + API workers + ws-daemon   (:8080, daemon :8081)
#   <P>h2   10.77.0.12  the same
#   <P>h3   10.77.0.13  the same
#   <P>bad  10.77.0.14  a ws-daemon and a tap whose CURVE key is NOT allowed
#   <P>cl   10.77.0.100 the test driver (tests/cluster/check.js)
# joined by veth pairs to a bridge inside <P>sw; nothing touches the
# machine's own network.  <P> is "pc<pid>-".  Everything is torn down at
# exit, also on failure or Ctrl-C.  Ends "cluster: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/cluster/netns.sh
BUILD=${PARLEY_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
[ "$(id -u)" = 0 ] || { echo "cluster: needs root (network namespaces)"; echo "cluster: 0 passed, 1 failed"; exit 1; }
for b in parley-forwarder parley-wsd parley-api.fcgi parley-tap; do
    [ -x "$BUILD/bin/$b" ] || { echo "cluster: $BUILD/bin/$b not built (run: make)"; exit 1; }
done

P="pc$$-"
NET=10.77.0
T=$(mktemp -d /tmp/parley-cluster-XXXXXX); chmod 755 "$T"
NSS=(db h1 h2 h3 bad cl)
declare -A IP=([db]=$NET.1 [h1]=$NET.11 [h2]=$NET.12 [h3]=$NET.13 [bad]=$NET.14 [cl]=$NET.100)
export PARLEY_BUILD=$BUILD PARLEY_SEED=0 PARLEY_FCGI_PROCS=2
export PARLEY_SEND_RATE=100000 PARLEY_SEND_BURST=100000

log() { printf 'cluster: %s\n' "$*" >&2; }

teardown() {
    local rc=$?
    set +e
    for h in h1 h2 h3; do
        [ -d "$T/$h" ] && PARLEY_VAR="$T/$h" in_ns "$h" scripts/parley-stack.sh stop >/dev/null 2>&1
    done
    for f in "$T"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
    [ -d "$T/db" ] && PARLEY_VAR="$T/db" in_ns db scripts/parley-stack.sh stop >/dev/null 2>&1
    # Anything still inside one of our namespaces dies with it.
    netns_down
    [ -n "${PARLEY_KEEP_VAR:-}" ] && log "kept $T" || rm -rf "$T"
    exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

# --- the network ------------------------------------------------------------------
netns_up || { log "cannot create network namespaces"; exit 1; }

# --- keys -------------------------------------------------------------------------
FWD=$(keygen)
: > "$T/allow"
declare -A HKEY
for h in h1 h2 h3 bad; do
    HKEY[$h]=$(keygen)
    [ "$h" = bad ] || key public "${HKEY[$h]}" >> "$T/allow"
done

# --- db host: PostgreSQL + forwarder ------------------------------------------------
mkdir -p "$T/db"
JWT=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export PARLEY_JWT_SECRET=$JWT
PARLEY_VAR="$T/db" PARLEY_PG_PORT=5432 PARLEY_PG_LISTEN="${IP[db]},127.0.0.1" PARLEY_PG_HBA_NET="$NET.0/24" \
    PARLEY_HTTP_PORT=8080 PARLEY_FORWARDER=0 in_ns db scripts/parley-stack.sh init > "$T/db-init.log" 2>&1 ||
    { cat "$T/db-init.log"; log "database host failed"; exit 1; }
DBPW=$(cat "$T/db/pg.pw")
DBURL="host=${IP[db]} port=5432 user=parley dbname=parley password=$DBPW connect_timeout=3"
cat >> "$T/db/parley.conf" <<CONF
forwarder_in = tcp://${IP[db]}:5560
forwarder_out = tcp://${IP[db]}:5561
forwarder_tap = tcp://${IP[db]}:5562
forwarder_curve_secret = $(key secret "$FWD")
forwarder_allow = $T/allow
forwarder_metrics = $T/db/run/forwarder.prom
CONF
PARLEY_VAR="$T/db" in_ns db scripts/parley-stack.sh fwd-start || { cat "$T/db/log/forwarder.log"; exit 1; }

# --- the hosts --------------------------------------------------------------------
for h in h1 h2 h3; do
    host_conf "$h"
    PARLEY_VAR="$T/$h" PARLEY_FORWARDER=0 PARLEY_HTTP_BIND=0.0.0.0 PARLEY_HTTP_PORT=8080 PARLEY_WS_PORT=8081 \
        in_ns "$h" scripts/parley-stack.sh start > "$T/$h-start.log" 2>&1 ||
        { cat "$T/$h-start.log"; tail -n 20 "$T/$h"/log/*.log; log "host $h failed"; exit 1; }
done
# The stranger: a daemon (with a client the driver connects) and nothing else.
host_conf bad
sed -i 's/^ws_iface = .*/ws_iface = 0.0.0.0/' "$T/bad/parley.conf"
PARLEY_CONFIG="$T/bad/parley.conf" in_ns bad "$BUILD/bin/parley-wsd" > "$T/bad/log/ws-daemon.log" 2>&1 &
echo $! > "$T/bad-wsd.pid"

cat > "$T/ctl.sh" <<CTL
#!/usr/bin/env bash
# Used by check.js: kill/start parts of the cluster.
set -e
cd "$ROOT"
export PARLEY_BUILD=$BUILD PARLEY_SEED=0 PARLEY_FCGI_PROCS=2 PARLEY_JWT_SECRET=$JWT
case "\$1" in
  fwd-kill)  PARLEY_VAR=$T/db ip netns exec ${P}db scripts/parley-stack.sh fwd-kill ;;
  fwd-start) PARLEY_VAR=$T/db ip netns exec ${P}db scripts/parley-stack.sh fwd-start ;;
  wsd-kill)  PARLEY_VAR=$T/\$2 PARLEY_WS_PORT=8081 ip netns exec ${P}\$2 scripts/parley-stack.sh wsd-kill ;;
  wsd-start) PARLEY_VAR=$T/\$2 PARLEY_WS_PORT=8081 ip netns exec ${P}\$2 scripts/parley-stack.sh wsd-start ;;
  bad-send)  PARLEY_CONFIG=$T/bad/parley.conf ip netns exec ${P}bad $BUILD/bin/parley-tap --send - ;;
  bad-tap)   PARLEY_CONFIG=$T/bad/parley.conf ip netns exec ${P}bad $BUILD/bin/parley-tap --timeout \$2 ;;
  good-tap)  PARLEY_CONFIG=$T/h1/parley.conf ip netns exec ${P}h1 $BUILD/bin/parley-tap --timeout \$2 ;;
esac
CTL
chmod 755 "$T/ctl.sh"

log "up: db ${IP[db]}, hosts ${IP[h1]} ${IP[h2]} ${IP[h3]}, stranger ${IP[bad]} ($(($(date +%s) - $(stat -c %Y "$T"))) s)"
export NODE_PATH=$ROOT/tests/node_modules
CLUSTER_CTL="$T/ctl.sh" CLUSTER_H1=http://${IP[h1]}:8080 CLUSTER_H2=http://${IP[h2]}:8080 CLUSTER_H3=http://${IP[h3]}:8080 \
    CLUSTER_BAD_WS=ws://${IP[bad]}:8081/ws CLUSTER_FWD_LOG="$T/db/log/forwarder.log" \
    in_ns cl node "$ROOT/tests/cluster/check.js"
rc=$?
for f in "$T"/db/log/forwarder.log "$T"/h*/log/ws-daemon.log; do
    if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$f"; then log "sanitizer report in $f"; rc=1; fi
done
exit $rc
