# tests/cluster/netns.sh -- the namespace "hosts" of make test-cluster and
# make bench-cluster, sourced by tests/cluster/run.sh and bench.sh.
#
# The caller sets P (a prefix of its own, e.g. "pc<pid>-"), NSS (host names)
# and IP (an associative array name -> address in one /24), and calls
# netns_up: one namespace per name, each with a veth pair into a bridge in
# namespace <P>sw, nothing on the machine's own network.  netns_down kills
# whatever still runs inside them and deletes them.

in_ns() { local n=$1; shift; ip netns exec "$P$n" "$@"; }

netns_up() {
    local sw="${P}sw" n i=0
    ip netns add "$sw" && ip -n "$sw" link add br0 type bridge && ip -n "$sw" link set br0 up &&
        ip -n "$sw" link set lo up || return 1
    for n in "${NSS[@]}"; do
        i=$((i + 1))
        # veth names are at most 15 bytes: v<pid-ish><index>.
        local v="v${P//[^0-9]/}x$i"
        ip netns add "$P$n" &&
        ip link add "$v" type veth peer name eth0 netns "$P$n" &&
        ip link set "$v" netns "$sw" &&
        ip -n "$sw" link set "$v" master br0 up &&
        ip -n "$P$n" addr add "${IP[$n]}/24" dev eth0 &&
        ip -n "$P$n" link set eth0 up &&
        ip -n "$P$n" link set lo up || return 1
    done
}

netns_down() {
    local n pid
    for n in "${NSS[@]}" sw; do
        for pid in $(ip netns pids "$P$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    done
    for n in "${NSS[@]}" sw; do ip netns del "$P$n" 2>/dev/null; done
    return 0
}

# Bus keys: a new CURVE pair, and one field ("public"/"secret") of a pair.
keygen() { "$BUILD/bin/parley-forwarder" --keygen; }
key() { sed -n "s/^$1 = //p" <<< "$2"; }

# A web host's state folder and parley.conf: the shared database and JWT
# secret, the forwarder's TCP sockets with CURVE, the host's own key pair.
# Uses the caller's T, DBURL, JWT, IP, FWD and HKEY.
host_conf() {   # host_conf NAME
    local h=$1
    mkdir -p "$T/$h/log" "$T/$h/run"
    touch "$T/$h/external-db"
    umask 077
    cat > "$T/$h/parley.conf" <<CONF
database_url = $DBURL
jwt_secret = $JWT
ws_iface = 127.0.0.1
ws_port = 8081
zmq_events = tcp://${IP[db]}:5560
zmq_fanout = tcp://${IP[db]}:5561
zmq_tap = tcp://${IP[db]}:5562
zmq_curve_server = $(key public "$FWD")
zmq_curve_public = $(key public "${HKEY[$h]}")
zmq_curve_secret = $(key secret "${HKEY[$h]}")
CONF
    umask 022
}
