# shellcheck shell=bash
# Sourced by the tests that run real clusterd daemons without namespaces (no
# root): two nodesim nodes of one cluster on loopback addresses, pinged by TCP
# connect to their shared --service-port, and the cluster's TOML file.
#
#   loopback_cluster CLUSTER [EXTRA_NODESIM_ARGS_FOR_ALPHA...]
#
# Also the helpers these tests share: say (with the seconds since sourcing),
# fail, wait_for SECONDS DESCRIPTION CMD..., free_port, use_test_defaults.
#
# Needs from the caller: $bin (nodesim), $work, $home. Nodes get
# 127.0.0.N addresses, N counting up across calls from $loopback_n (default
# 1); their pids are appended to loopback_pids (the caller's cleanup kills
# them). alpha boots (auto-boot true), beta waits at ok. Writes
# $home/clusters/CLUSTER.toml (stock script, TCP ping); nodesim's files go
# to $work/sim-CLUSTER.
loopback_pids=()
loopback_n=${loopback_n:-1}

t0=$(date +%s.%N)
say() { printf '[%5ss] %s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" "$*"; }
fail() { say "FAIL: $*"; exit 1; }
wait_for() {  # SECONDS DESCRIPTION CMD...
  local end=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < end )) || fail "no $what within the time"
    sleep 0.1
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The settings file etc/init.d/clusterd reads instead of /etc/default/clusterd:
# this $home and these binaries; CLUSTER_HOME is unset so only it counts.
use_test_defaults() {
  printf '%s\n' "CLUSTER_HOME=${home:?}" "CLUSTERD_BIN=${bin:?}/clusterd" "CLUSTERCTL_BIN=$bin/clusterctl" \
    "CLUSTERD_STOP_TIMEOUT=10" >"${work:?}/default"
  export CLUSTERD_DEFAULTS=$work/default
  unset CLUSTER_HOME
}

loopback_cluster() {
  local cluster=$1; shift
  local sport node tport conf=() extra=()
  sport=$(free_port)
  mkdir -p "$work/sim-$cluster"
  for node in alpha beta; do
    loopback_n=$((loopback_n + 1))
    extra=()
    [[ $node == alpha ]] && extra=("$@")
    NODESIM_DIR=$work/sim-$cluster "$bin/nodesim" run --name "$node" --telnet 127.0.0.1:0 \
      --service-port "$sport" --service-addr "127.0.0.$loopback_n" \
      --auto-boot "$([[ $node == alpha ]] && echo true || echo false)" "${extra[@]}" \
      --ready-file "$work/sim-$cluster/$node.ready" >"$work/sim-$cluster/$node.out" 2>&1 &
    loopback_pids+=($!)
    wait_for 10 "nodesim $cluster/$node ready file" test -s "$work/sim-$cluster/$node.ready"
    tport=$(sed -n 's/.*telnet=\([0-9]*\).*/\1/p' "$work/sim-$cluster/$node.ready")
    conf+=("[nodes.$node]" "console = \"telnet://127.0.0.1:$tport\"" "address = \"127.0.0.$loopback_n\"")
  done
  printf '%s\n' 'script = "sparc-obp.chat"' "${conf[@]}" '[ping]' 'method = "tcp"' "tcp_port = $sport" \
    >"$home/clusters/$cluster.toml"
}
