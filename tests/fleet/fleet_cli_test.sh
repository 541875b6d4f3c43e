#!/usr/bin/env bash
# The fleet's command lines: clusterd-fleet's usage and its refusals, clusterd's
# --fleet options, and clusterctl fleet without etcd (exit codes and messages).
#   fleet_cli_test.sh BIN_DIR
set -euo pipefail
bin=$(cd "${1:?bin dir}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
check() {  # NAME WANT_STATUS WANT_TEXT CMD...
  local name=$1 want=$2 text=$3 st=0 out; shift 3
  out=$("$@" 2>&1) || st=$?
  if [[ $st != "$want" ]] || ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL $name: status $st (want $want), output:"; printf '  %s\n' "$out"; fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}
dead=http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

check agent-help 0 "--no-rebalance" "$bin/clusterd-fleet" --help
check agent-no-host 64 "--host NAME is required" "$bin/clusterd-fleet" --etcd "$dead"
check agent-no-etcd 64 "--etcd URL[,URL...] is required" "$bin/clusterd-fleet" --host h1
check agent-ttl-low 64 "--ttl takes seconds, 8 to 3600" "$bin/clusterd-fleet" --host h1 --etcd "$dead" --ttl 7
check agent-ttl-junk 64 "--ttl takes seconds" "$bin/clusterd-fleet" --host h1 --etcd "$dead" --ttl 10s
check agent-weight 64 "--weight takes a number > 0" "$bin/clusterd-fleet" --host h1 --etcd "$dead" --weight 0
check agent-unknown 64 "unknown argument '--frob'" "$bin/clusterd-fleet" --frob x
check agent-missing-value 64 "--home needs a value" "$bin/clusterd-fleet" --host h1 --home
check clusterd-fleet-token 64 "--fleet needs --fleet-token and --fleet-lease" \
  "$bin/clusterd" --cluster x --fleet /nonexistent
check clusterd-fleet-token-number 64 "--fleet-token takes a positive number" \
  "$bin/clusterd" --cluster x --fleet /nonexistent --fleet-token -3 --fleet-lease 1
check ctl-fleet-help 0 "clusterctl fleet move CLUSTER HOST" "$bin/clusterctl" fleet --help
check ctl-fleet-no-endpoints 64 "no --etcd and no host file" "$bin/clusterctl" fleet --home "$work"
check ctl-fleet-etcd-down 2 "etcd unavailable" "$bin/clusterctl" fleet --home "$work" --etcd "$dead"
check ctl-fleet-move-args 64 "move needs CLUSTER HOST" "$bin/clusterctl" fleet --etcd "$dead" move c1
check ctl-fleet-move-name 64 "CLUSTER and HOST are names" "$bin/clusterctl" fleet --etcd "$dead" move c1 "h/1"
check ctl-fleet-unknown 64 "unknown fleet command 'frob'" "$bin/clusterctl" fleet --etcd "$dead" frob
((fails == 0)) || { echo "$fails failed"; exit 1; }
