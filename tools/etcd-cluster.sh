#!/usr/bin/env bash
# tools/etcd-cluster.sh — a 3-member etcd cluster for the fleet's tests and demo
# (docs/fleet.md). Members m1..m3 listen on ADDR, client ports BASE+1..3 and
# peer ports BASE+11..13; data in DIR/m1..m3, logs in DIR/m1.log..., pids in
# DIR/m1.pid....
#
#   etcd-cluster.sh start DIR ADDR BASE     start all three and wait until writes work
#   etcd-cluster.sh start-member DIR ADDR BASE N   start member N again (same data)
#   etcd-cluster.sh stop DIR                SIGTERM every member, wait
#   etcd-cluster.sh kill DIR N              SIGKILL member N
#   etcd-cluster.sh leader DIR ADDR BASE    print the leader's member number
#   etcd-cluster.sh endpoints ADDR BASE     print the client URLs, comma-separated
#
# Run it inside a namespace (ip netns exec) to keep every address there.
# Election timeout 1000 ms, heartbeat 100 ms (etcd's defaults): a killed
# leader is replaced in about a second.
set -euo pipefail

die() { echo "etcd-cluster.sh: $*" >&2; exit 2; }
endpoints() { echo "http://$1:$(($2 + 1)),http://$1:$(($2 + 2)),http://$1:$(($2 + 3))"; }

start_member() {
  local dir=$1 addr=$2 base=$3 i=$4 initial=""
  for j in 1 2 3; do initial+="${initial:+,}m$j=http://$addr:$((base + 10 + j))"; done
  local state=new
  [[ -d $dir/m$i/member ]] && state=existing
  etcd --name "m$i" --data-dir "$dir/m$i" \
    --listen-client-urls "http://$addr:$((base + i))" --advertise-client-urls "http://$addr:$((base + i))" \
    --listen-peer-urls "http://$addr:$((base + 10 + i))" \
    --initial-advertise-peer-urls "http://$addr:$((base + 10 + i))" \
    --initial-cluster "$initial" --initial-cluster-state "$state" \
    --initial-cluster-token "clusterd-fleet-test" --quota-backend-bytes $((256 << 20)) \
    >>"$dir/m$i.log" 2>&1 &
  echo $! >"$dir/m$i.pid"
}

wait_writable() {  # DIR ADDR BASE: a put through any member within 20 s
  local end=$(($(date +%s) + 20))
  until curl -sf -m 1 -X POST "http://$2:$(($3 + 1))/v3/kv/put" -d '{"key":"cHJvYmU=","value":"eQ=="}' >/dev/null 2>&1 ||
        curl -sf -m 1 -X POST "http://$2:$(($3 + 2))/v3/kv/put" -d '{"key":"cHJvYmU=","value":"eQ=="}' >/dev/null 2>&1; do
    (($(date +%s) < end)) || die "etcd in $1 not writable within 20 s (see $1/m*.log)"
    sleep 0.1
  done
}

case ${1:-} in
  start)
    (($# == 4)) || die "usage: start DIR ADDR BASE"
    command -v etcd >/dev/null || die "etcd is not installed (tools/install-deps.sh installs etcd-server)"
    mkdir -p "$2"
    for i in 1 2 3; do start_member "$2" "$3" "$4" "$i"; done
    wait_writable "$2" "$3" "$4"
    ;;
  start-member)
    (($# == 5)) || die "usage: start-member DIR ADDR BASE N"
    start_member "$2" "$3" "$4" "$5"
    ;;
  stop)
    for f in "$2"/m*.pid; do
      if [[ -f $f ]]; then kill "$(cat "$f")" 2>/dev/null || true; fi
    done
    for f in "$2"/m*.pid; do
      [[ -f $f ]] || continue
      for _ in $(seq 100); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    ;;
  kill)
    kill -9 "$(cat "$2/m$3.pid")" 2>/dev/null || true
    ;;
  leader)
    (($# == 4)) || die "usage: leader DIR ADDR BASE"
    for i in 1 2 3; do
      s=$(curl -sf -m 1 -X POST "http://$3:$(($4 + i))/v3/maintenance/status" -d '{}' 2>/dev/null) || continue
      m=$(sed -n 's/.*"header":{[^}]*"member_id":"\([0-9]*\)".*/\1/p' <<<"$s")
      l=$(sed -n 's/.*"leader":"\([0-9]*\)".*/\1/p' <<<"$s")
      if [[ -n $m && $m == "$l" ]]; then echo "$i"; exit 0; fi
    done
    exit 1
    ;;
  endpoints)
    endpoints "$2" "$3"
    ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown command '${1:-}' (see --help)" ;;
esac
