#!/bin/bash
# tools/testnet.sh — the test network for a simulated cluster (docs/nodesim.md).
#
#   testnet.sh up ID NODE...           make namespaces cdt-ID-mon and cdt-ID-NODE, one veth each
#   testnet.sh down ID                 kill what runs inside them, delete links and namespaces
#   testnet.sh exec ID CMD...          run CMD inside the monitor namespace
#   testnet.sh run ID NODE... -- CMD...  up, CMD in the monitor namespace, down on exit/failure/kill
#   testnet.sh env ID                  print the CDT_* variables (addresses, names) for sourcing
#   testnet.sh hosts ID N              add N monitoring hosts cdt-ID-h1..hN (a fleet, docs/fleet.md)
#   testnet.sh wan ID A B [RATE]       a WAN link between sites A and B (BCP, docs/bcp.md):
#                                      198.18.250.1 in cdt-ID-A, .2 in cdt-ID-B, tbf RATE (8mbit)
#   testnet.sh wan-rate ID RATE        change the WAN's rate (both directions)
#   testnet.sh wan-cut ID on|off       cut the WAN link / mend it
#   testnet.sh mgmt ID NODE            a site's own link to the monitor, apart from the node's
#                                      (BCP lease keepers, docs/bcp.md): 198.18.(240+i).2 in
#                                      cdt-ID-NODE, .1 in the monitor namespace; up whatever the
#                                      node's OS does
#   testnet.sh mgmt-cut ID NODE on|off cut that link / mend it
#   testnet.sh gc                      down every cdt-* network whose owner process is gone
#   testnet.sh check                   can this machine make namespaces? (exit 0 yes, 3 no)
#
# ID: 1-8 letters/digits (veth names must fit in 15 bytes). Node i (1-based)
# is 198.18.i.2/30 inside cdt-ID-NODE on veth cdtIDn<i>; the monitor side is
# 198.18.i.1/30 on cdtIDm<i> inside cdt-ID-mon. Both ends of every veth are in
# namespaces made here, and the monitor namespace has no route out, so no
# test packet can reach the machine's real interface; an `unreachable
# 198.18.0.0/15` route in the root namespace guards against mistakes there.
# clusterd, nodesim, ser2net, sshd and the SMTP sink run in the monitor
# namespace (its loopback is theirs alone).
#
# Without permission for `ip netns add`, `run --fallback` runs CMD directly with
# CDT_NETNS=0: nodes are then reached by TCP connect on 127.0.0.1 (nodesim
# --service-port) and there is no ICMP fault injection. CDT_NO_NETNS=1 forces
# this path (for its test).
#
# A fleet (`hosts`): host k is 198.18.(200+k).2/30 inside cdt-ID-hk, its
# other end 198.18.(200+k).1 in the monitor namespace, which then forwards:
# the monitor namespace is the hosts' LAN, where nodesim's telnet ports and
# etcd listen (on 198.18.1.1, the first node link's address). What a host
# sends on to a node is masqueraded to the monitor's address on that node's
# /30, so a node needs no route back (its link goes down and up with its OS).
# At most 50 hosts; node networks must then stay below 200.
set -u

STATE=/run/cdt-testnet
die() { echo "testnet.sh: $*" >&2; exit 2; }
valid_id() { [[ "$1" =~ ^[a-z0-9]{1,8}$ ]] || die "ID must be 1-8 lowercase letters/digits, got '$1'"; }

check() {
  local probe="cdt-probe-$$"
  if [ -n "${CDT_NO_NETNS:-}" ]; then   # tests of the fallback path
    echo "testnet.sh: 'ip netns add' is refused here (CDT_NO_NETNS is set); use 'run --fallback' (loopback, TCP-connect probe only)" >&2
    return 3
  fi
  if ! ip netns add "$probe" 2>/tmp/cdt-probe-$$.err; then
    echo "testnet.sh: 'ip netns add' is refused here ($(cat /tmp/cdt-probe-$$.err)); use 'run --fallback' (loopback, TCP-connect probe only)" >&2
    rm -f /tmp/cdt-probe-$$.err
    return 3
  fi
  ip netns del "$probe"
  rm -f /tmp/cdt-probe-$$.err
  return 0
}

# The root guard is shared by every network (tests make them concurrently):
# installed by the first, removed by the last, both under $STATE/lock.
with_lock() { ( flock 9 && "$@" ) 9>"$STATE/lock"; }
guard_route() {
  # Installed once and left while any cdt network exists (see down).
  [ -n "$(ip route show type unreachable 198.18.0.0/15)" ] ||
    ip route add unreachable 198.18.0.0/15 metric 4000
}
unguard_route() {
  if ! ip netns list | grep -q '^cdt-' && ! ls "$STATE"/*.owner >/dev/null 2>&1; then
    ip route del unreachable 198.18.0.0/15 metric 4000 2>/dev/null
  fi
  return 0
}

up() {
  local id=$1; shift
  valid_id "$id"
  [ $# -ge 1 ] || die "up needs at least one NODE"
  [ $# -le 200 ] || die "at most 200 nodes"
  local mon="cdt-$id-mon"
  ip netns list | grep -q "^$mon\b" && die "network $id exists (testnet.sh down $id)"
  mkdir -p "$STATE"
  echo "${CDT_OWNER:-$PPID}" > "$STATE/$id.owner"
  : > "$STATE/$id.nodes"
  with_lock guard_route || return 1
  ip netns add "$mon" || return 1
  ip -n "$mon" link set lo up
  local i=0 node
  for node in "$@"; do
    i=$((i + 1))
    [[ "$node" =~ ^[a-z0-9]{1,12}$ ]] || { echo "bad node name '$node'" >&2; return 1; }
    local ns="cdt-$id-$node" m="cdt${id}m$i" n="cdt${id}n$i"
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
    # Both ends are born inside their namespaces: never in the root one.
    ip link add "$m" netns "$mon" type veth peer name "$n" netns "$ns" || return 1
    ip -n "$mon" addr add "198.18.$i.1/30" dev "$m"
    ip -n "$mon" link set "$m" up
    ip -n "$ns" addr add "198.18.$i.2/30" dev "$n"
    ip -n "$ns" link set "$n" up
    ip netns exec "$ns" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
    echo "$node $i $ns $n 198.18.$i.2 $m 198.18.$i.1" >> "$STATE/$id.nodes"
  done
  # Inside the monitor namespace, anything not on a node's /30 fails at once.
  ip -n "$mon" route add unreachable 198.18.0.0/15 metric 4000
  ip netns exec "$mon" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
}

down() {
  local id=$1
  valid_id "$id"
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep "^cdt-$id-"); do
    # Processes left inside (a background ser2net, a stuck ping) go first.
    local pids=()
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
    (( ${#pids[@]} )) && kill -TERM "${pids[@]}" 2>/dev/null
  done
  sleep 0.1
  for ns in $(ip netns list | awk '{print $1}' | grep "^cdt-$id-"); do
    local pids=()
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
    (( ${#pids[@]} )) && kill -KILL "${pids[@]}" 2>/dev/null
  done
  # `ip netns del` is asynchronous: delete the veths first so that a new
  # network with the same ID never meets a leftover link.
  if ip netns list | grep -q "^cdt-$id-mon\b"; then
    local l
    # 2>/dev/null: a veth whose peer's namespace is already gone makes ip
    # print "Peer netns reference is invalid"; the link is still listed.
    for l in $(ip -n "cdt-$id-mon" -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^cdt${id}m"); do
      ip -n "cdt-$id-mon" link del "$l" 2>/dev/null
    done
  fi
  for ns in $(ip netns list | awk '{print $1}' | grep "^cdt-$id-"); do
    ip netns del "$ns"
  done
  # The root guard goes with the last cdt network.
  rm -f "$STATE/$id.owner" "$STATE/$id.nodes" "$STATE/$id.wan"
  mkdir -p "$STATE"
  with_lock unguard_route
  return 0
}

hosts() {
  local id=$1 n=$2 k
  valid_id "$id"
  if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > 50)); then die "hosts takes 1-50, got '$n'"; fi
  local mon="cdt-$id-mon"
  ip netns list | grep -q "^$mon\b" || die "no network $id (testnet.sh up $id NODE... first)"
  ip netns exec "$mon" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$mon" nft -f - <<NFT || return 1
table ip cdtfleet {
  chain post { type nat hook postrouting priority 100; oifname "cdt${id}m*" masquerade; }
}
NFT
  for ((k = 1; k <= n; k++)); do
    local ns="cdt-$id-h$k" m="cdt${id}mh$k" h="cdt${id}h$k"
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
    ip link add "$m" netns "$mon" type veth peer name "$h" netns "$ns" || return 1
    ip -n "$mon" addr add "198.18.$((200 + k)).1/30" dev "$m"
    ip -n "$mon" link set "$m" up
    ip -n "$ns" addr add "198.18.$((200 + k)).2/30" dev "$h"
    ip -n "$ns" link set "$h" up
    ip -n "$ns" route add 198.18.0.0/15 via "198.18.$((200 + k)).1"
    ip netns exec "$ns" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
  done
}

# BCP: the link between the two sites. Only the sites' namespaces see it;
# tbf limits each direction (netem is not in this kernel: a delay is a
# user-space relay, tests/support/wan_relay.py).
wan() {
  local id=$1 a=$2 b=$3 rate=${4:-8mbit}
  valid_id "$id"
  local na="cdt-$id-$a" nb="cdt-$id-$b" wa="cdt${id}wa" wb="cdt${id}wb"
  ip netns list | grep -q "^$na\b" || die "no namespace $na (testnet.sh up $id $a $b first)"
  ip netns list | grep -q "^$nb\b" || die "no namespace $nb"
  ip link add "$wa" netns "$na" type veth peer name "$wb" netns "$nb" || return 1
  ip -n "$na" addr add 198.18.250.1/30 dev "$wa"
  ip -n "$nb" addr add 198.18.250.2/30 dev "$wb"
  ip -n "$na" link set "$wa" up
  ip -n "$nb" link set "$wb" up
  echo "$a $b $na $wa $nb $wb" > "$STATE/$id.wan"
  wan_rate "$id" "$rate"
}
wan_info() { [ -f "$STATE/$1.wan" ] || die "no WAN link in network $1 (testnet.sh wan $1 A B)"; cat "$STATE/$1.wan"; }
wan_rate() {
  local id=$1 rate=$2 na wa nb wb
  read -r _ _ na wa nb wb < <(wan_info "$id")
  [[ $rate =~ ^[0-9]+(kbit|mbit|gbit)$ ]] || die "RATE like 8mbit or 512kbit, got '$rate'"
  ip -n "$na" link show "$wa" >/dev/null 2>&1 || die "WAN link $wa is gone"
  # A slow link gets a small bucket (one MTU and a bit), or the first 32 KB
  # would pass at once.
  local burst=32kb
  [[ $rate == *kbit ]] && burst=2kb
  tc -n "$na" qdisc replace dev "$wa" root tbf rate "$rate" burst "$burst" latency 400ms || return 1
  tc -n "$nb" qdisc replace dev "$wb" root tbf rate "$rate" burst "$burst" latency 400ms || return 1
}
wan_cut() {
  local id=$1 how=$2 na wa nb wb
  read -r _ _ na wa nb wb < <(wan_info "$id")
  case $how in
    on) ip -n "$na" link set "$wa" down; ip -n "$nb" link set "$wb" down ;;
    off) ip -n "$na" link set "$wa" up; ip -n "$nb" link set "$wb" up ;;
    *) die "wan-cut ID on|off, got '$how'" ;;
  esac
}

# BCP: a site's management link, which the node's OS does not take down (a
# site's own host, where its lease keeper and sshd run).
node_line() {  # ID NODE: its line in the nodes file
  local l
  l=$(awk -v n="$2" '$1 == n' "$STATE/$1.nodes" 2>/dev/null)
  [ -n "$l" ] || die "no node $2 in network $1"
  echo "$l"
}
mgmt() {
  local id=$1 node=$2 i ns
  read -r _ i ns _ < <(node_line "$id" "$node")
  (( i <= 15 )) || die "mgmt: only the first 15 nodes of a network"
  local m="cdt${id}g$i" s="cdt${id}s$i"
  ip link add "$m" netns "cdt-$id-mon" type veth peer name "$s" netns "$ns" || return 1
  ip -n "cdt-$id-mon" addr add "198.18.$((240 + i)).1/30" dev "$m"
  ip -n "$ns" addr add "198.18.$((240 + i)).2/30" dev "$s"
  ip -n "cdt-$id-mon" link set "$m" up
  ip -n "$ns" link set "$s" up
}
mgmt_cut() {
  local id=$1 node=$2 how=$3 i ns
  read -r _ i ns _ < <(node_line "$id" "$node")
  case $how in
    on) ip -n "cdt-$id-mon" link set "cdt${id}g$i" down ;;
    off) ip -n "cdt-$id-mon" link set "cdt${id}g$i" up ;;
    *) die "mgmt-cut ID NODE on|off, got '$how'" ;;
  esac
}

print_env() {
  local id=$1
  [ -f "$STATE/$id.nodes" ] || die "no network $id"
  echo "CDT_NETNS=1"
  echo "CDT_MON_NS=cdt-$id-mon"
  local node i ns nif naddr mif up
  while read -r node i ns nif naddr mif _; do
    up=$(echo "$node" | tr '[:lower:]' '[:upper:]')
    echo "CDT_${up}_NS=$ns"
    echo "CDT_${up}_IF=$nif"
    echo "CDT_${up}_ADDR=$naddr"
    echo "CDT_${up}_MON_IF=$mif"
  done < "$STATE/$id.nodes"
}

gc() {
  local f id owner
  for f in "$STATE"/*.owner; do
    [ -e "$f" ] || continue
    id=$(basename "$f" .owner)
    owner=$(cat "$f")
    kill -0 "$owner" 2>/dev/null || { echo "testnet.sh: removing network $id (owner $owner is gone)"; down "$id"; }
  done
}

run() {
  local id=$1; shift
  valid_id "$id"
  local fallback=0 nodes=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    if [ "$1" = "--fallback" ]; then fallback=1; else nodes+=("$1"); fi
    shift
  done
  [ "${1:-}" = "--" ] || die "run ID NODE... -- CMD..."
  shift
  [ $# -ge 1 ] || die "run needs a CMD after --"
  if ! check 2>/tmp/cdt-check-$$.err; then
    if [ $fallback = 1 ]; then
      echo "testnet.sh: no namespaces here; running on loopback (CDT_NETNS=0)" >&2
      rm -f /tmp/cdt-check-$$.err
      CDT_NETNS=0 "$@"
      return $?
    fi
    cat /tmp/cdt-check-$$.err >&2
    rm -f /tmp/cdt-check-$$.err
    return 3
  fi
  rm -f /tmp/cdt-check-$$.err
  # Cleanup on every way out: normal exit, failure, Ctrl-C, kill (TERM/HUP).
  RUN_ID=$id
  trap 'down "$RUN_ID"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  CDT_OWNER=$$ up "$id" "${nodes[@]}" || { echo "testnet.sh: up failed" >&2; return 1; }
  local envs=()
  mapfile -t envs < <(print_env "$id")
  # Not exec: the trap must outlive CMD. CMD runs in the background so that
  # a TERM to this script is handled at once, not after CMD ends.
  env "${envs[@]}" ip netns exec "cdt-$id-mon" "$@" &
  local child=$!
  wait $child
  return $?
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) [ $# -ge 2 ] || die "up ID NODE..."; up "$@" || { down "$1"; exit 1; } ;;
  down) [ $# -eq 1 ] || die "down ID"; down "$1" ;;
  exec) [ $# -ge 2 ] || die "exec ID CMD..."; id=$1; shift; ip netns exec "cdt-$id-mon" "$@" ;;
  env) [ $# -eq 1 ] || die "env ID"; print_env "$1" ;;
  hosts) [ $# -eq 2 ] || die "hosts ID N"; hosts "$1" "$2" ;;
  wan) (( $# >= 3 && $# <= 4 )) || die "wan ID A B [RATE]"; wan "$@" ;;
  wan-rate) [ $# -eq 2 ] || die "wan-rate ID RATE"; wan_rate "$1" "$2" ;;
  wan-cut) [ $# -eq 2 ] || die "wan-cut ID on|off"; wan_cut "$1" "$2" ;;
  mgmt) [ $# -eq 2 ] || die "mgmt ID NODE"; mgmt "$1" "$2" ;;
  mgmt-cut) [ $# -eq 3 ] || die "mgmt-cut ID NODE on|off"; mgmt_cut "$1" "$2" "$3" ;;
  run) [ $# -ge 1 ] || die "run ID NODE... -- CMD..."; run "$@"; exit $? ;;
  gc) gc ;;
  check) check; exit $? ;;
  -h|--help|help|"") awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; [ -n "$cmd" ] ;;
  *) die "unknown command '$cmd' (testnet.sh --help)" ;;
esac
