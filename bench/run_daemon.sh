#!/usr/bin/env bash
# bench/run_daemon.sh — the whole daemon (clusterd) against simulated nodes, no namespaces.
#
#   bench/run_daemon.sh idle  [SECONDS=60]          one cluster, idle consoles: CPU, RSS, PSS
#   bench/run_daemon.sh react [N=20]                 N fresh clusters, one panic each: panic → BREAK
#   bench/run_daemon.sh fleet [N=50] [SECONDS=30] [PANICS=5]
#                                                    N clusters at once, active consoles at
#                                                    FLOOD B/s: CPU, memory, then PANICS panics
#
# Each cluster: nodesim alpha (telnet on 127.0.0.1, auto-boot, RUNNING) and nodesim beta
# (telnet, at ok), one clusterd with scripts/sparc-obp.chat, ping method "tcp" to 127.0.0.2 /
# 127.0.0.3 port 9 (refused = alive, so ping never fails on loopback), interval 1s, misses 3.
# Everything on loopback; every process started here is killed by PID at exit (also on
# failure or ^C). Results: $OUT/daemon-MODE-STAMP/ (summary.txt + raw files).
#
# Env: BIN (clusterd, clusterctl, nodesim; default /tmp/cdbench-bin, a copy of build/bin),
#      OUT (default bench/results), FLOOD (fleet, B/s on the active console, default 96 =
#      10 % of 9600 baud), LINE_BPS (default 960), BATCH (fleet start batch, default 25),
#      KEEP=1 keeps the work directory.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
BIN=${BIN:-/tmp/cdbench-bin}
OUT=${OUT:-$here/results}
FLOOD=${FLOOD:-96}
LINE_BPS=${LINE_BPS:-960}
BATCH=${BATCH:-25}
mode=${1:-idle}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
res=$OUT/daemon-$mode-$stamp
mkdir -p "$res"
work=$(mktemp -d /tmp/cdbench-XXXXXX)
home=$work/home
mkdir -p "$home/clusters" "$home/scripts/lib"
cp "$src"/scripts/*.chat "$home/scripts/"
cp "$src"/scripts/lib/*.chat "$home/scripts/lib/"
: >"$home/CList"
cd_pids=$work/clusterd.pids sim_pids=$work/nodesim.pids
: >"$cd_pids"; : >"$sim_pids"

cleanup() {
  local rc=$? p
  [[ -n ${nap_pid:-} ]] && kill "$nap_pid" 2>/dev/null
  # clusterd first (the watcher before the nodes), then the nodesims; by PID only.
  while read -r p _; do kill "$p" 2>/dev/null; done <"$cd_pids"
  while read -r p _; do kill "$p" 2>/dev/null; done <"$sim_pids"
  sleep 0.5
  while read -r p _; do kill -9 "$p" 2>/dev/null; done < <(cat "$cd_pids" "$sim_pids")
  wait 2>/dev/null
  if [[ -n ${KEEP:-} ]]; then echo "kept: $work"; else rm -rf "$work"; fi
  return $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$res/summary.txt"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# A long sleep the INT/TERM trap can interrupt (bash runs traps only after a foreground child).
nap_pid=""
nap() { sleep "$1" & nap_pid=$!; wait $nap_pid; nap_pid=""; }

{
  echo "# run_daemon.sh $*  ($(date -u +%FT%TZ))"
  echo "# host: $(nproc) cpu, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
  echo "# binaries: $(cd "$BIN" && sha256sum clusterd nodesim | awk '{printf "%s %.16s… ", $2, $1}')"
  echo "# source HEAD: $(git -C "$src" log -1 --format='%h %cI' 2>/dev/null)"
  echo "# loadavg at start: $(loadavg)"
} >>"$res/summary.txt"

# start_cluster NAME FLOOD_BPS: nodesims started, config written (clusterd not yet).
start_cluster() {
  local name=$1 flood=$2 d=$work/$1
  mkdir -p "$d"
  local common=(--telnet 127.0.0.1:0 --t-post 200ms --t-boot 1s --t-mount 500ms --t-panic 30s
                --write-interval 0s --line-bps "$LINE_BPS" --disk "$d/shared.img")
  NODESIM_DIR=$d "$BIN/nodesim" run --name alpha --auto-boot true --flood "$flood" "${common[@]}" \
    --ready-file "$d/alpha.ready" >"$d/alpha.out" 2>&1 &
  echo "$! $name/alpha" >>"$sim_pids"
  NODESIM_DIR=$d "$BIN/nodesim" run --name beta --auto-boot false "${common[@]}" \
    --ready-file "$d/beta.ready" >"$d/beta.out" 2>&1 &
  echo "$! $name/beta" >>"$sim_pids"
}

# config_cluster NAME: after the ready files exist.
config_cluster() {
  local name=$1 d=$work/$1 pa pb
  pa=$(sed -n 's/.*telnet=\([0-9]*\).*/\1/p' "$d/alpha.ready")
  pb=$(sed -n 's/.*telnet=\([0-9]*\).*/\1/p' "$d/beta.ready")
  cat >"$home/clusters/$name.toml" <<EOF
script = "sparc-obp.chat"
[nodes.alpha]
console = "telnet://127.0.0.1:$pa"
address = "127.0.0.2"
role = "active"
[nodes.beta]
console = "telnet://127.0.0.1:$pb"
address = "127.0.0.3"
role = "standby"
[ping]
interval = "1s"
misses = 3
method = "tcp"
tcp_port = 9
EOF
  echo "$name clusters/$name.toml" >>"$home/CList"
}

start_clusterd() {
  local name=$1
  "$BIN/clusterd" --cluster "$name" --home "$home" >"$work/$name/clusterd.out" 2>&1 &
  echo "$! $name" >>"$cd_pids"
}

wait_ready() {  # NAME... : ready files, up to 20 s
  local n end=$(( $(date +%s) + 20 ))
  for n in "$@"; do
    until [[ -s $work/$n/alpha.ready && -s $work/$n/beta.ready ]]; do
      (( $(date +%s) < end )) || { log "FAIL: $n: nodesim not ready"; return 1; }
      sleep 0.05
    done
  done
}

alpha_running() { NODESIM_DIR=$work/$1 "$BIN/nodesim" ctl alpha status 2>/dev/null | grep -q 'state=RUNNING'; }
watching() {  # NAME: clusterd answers and has ping up on the active
  "$BIN/clusterctl" status "$1" --home "$home" 2>/dev/null | grep -q 'ping up'
}
wait_watching() {  # NAME LIMIT_S
  local end=$(( $(date +%s) + $2 ))
  until alpha_running "$1" && watching "$1"; do
    (( $(date +%s) < end )) || { log "FAIL: $1: clusterd not watching within $2 s"; return 1; }
    sleep 0.1
  done
}

# panic_one NAME: inject a panic, wait for the BREAK in alpha's ledger (10 s).
panic_one() {
  local name=$1 d=$work/$1 end
  NODESIM_DIR=$d "$BIN/nodesim" ctl alpha panic >/dev/null || { log "FAIL: $name: panic refused"; return 1; }
  end=$(( $(date +%s) + 10 ))
  until grep -q '"ev":"break"' "$d/alpha.ledger" 2>/dev/null; do
    (( $(date +%s) < end )) || { log "FAIL: $name: no BREAK within 10 s"; return 1; }
    sleep 0.05
  done
  cp "$d/alpha.ledger" "$res/$name-alpha.ledger"
  sleep 0.2   # let clusterd flush its timeline line
  cp "$home/Logs/$name.log" "$res/$name-clusterd.log" 2>/dev/null
  python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(time.CLOCK_MONOTONIC))' \
    >"$res/$name-offset_ns"
  python3 "$here/split_react.py" "$(cat "$res/$name-offset_ns")" "$res/$name-alpha.ledger" \
    "$res/$name-clusterd.log" >"$res/$name-split.txt" 2>&1
}

clusterd_pidfile() { awk -v n="$1" '$2 == n' "$cd_pids" >"$work/one.pids"; echo "$work/one.pids"; }

case $mode in
idle)
  secs=${2:-60}
  start_cluster c1 0
  wait_ready c1 || exit 1
  config_cluster c1
  "$BIN/clusterd" --cluster c1 --home "$home" --check >"$res/check.out" 2>&1 || { cat "$res/check.out"; exit 1; }
  until alpha_running c1; do sleep 0.1; done
  start_clusterd c1
  wait_watching c1 20 || exit 1
  log "c1 watching; settling 10 s"
  nap 10
  pf=$(clusterd_pidfile c1)
  python3 "$here/proc_sample.py" mem "$pf" >"$res/mem-before.json"
  python3 "$here/proc_sample.py" snap "$pf" >"$work/a.json"
  python3 "$here/proc_sample.py" snap "$sim_pids" >"$work/sa.json"
  log "measuring $secs s, loadavg $(loadavg)"
  nap "$secs"
  python3 "$here/proc_sample.py" snap "$pf" >"$work/b.json"
  python3 "$here/proc_sample.py" snap "$sim_pids" >"$work/sb.json"
  python3 "$here/proc_sample.py" mem "$pf" >"$res/mem-after.json"
  python3 "$here/proc_sample.py" cpu "$work/a.json" "$work/b.json" >"$res/cpu-clusterd.json"
  python3 "$here/proc_sample.py" cpu "$work/sa.json" "$work/sb.json" >"$res/cpu-nodesim.json"
  log "clusterd cpu: $(cat "$res/cpu-clusterd.json")"
  log "nodesims cpu: $(cat "$res/cpu-nodesim.json")"
  log "clusterd mem before: $(cat "$res/mem-before.json")"
  log "clusterd mem after:  $(cat "$res/mem-after.json")"
  "$BIN/clusterctl" status c1 --home "$home" >"$res/status.txt" 2>&1
  cp "$home/Logs/c1.log" "$res/" 2>/dev/null
  ;;
react)
  n=${2:-20}
  for i in $(seq 1 "$n"); do
    name=r$i
    start_cluster "$name" 0
    wait_ready "$name" || continue
    config_cluster "$name"
    until alpha_running "$name"; do sleep 0.1; done
    start_clusterd "$name"
    wait_watching "$name" 20 || continue
    sleep 2   # let the consoles settle (telnet negotiation, first probe)
    la=$(loadavg)
    panic_one "$name" && log "$name: $(python3 "$here/ledger_react.py" "$res/$name-alpha.ledger" | tail -1 | sed 's/^react file=[^ ]* //') $(cat "$res/$name-split.txt") loadavg $la"
    # stop this cluster (by PID) before the next one
    for f in "$cd_pids" "$sim_pids"; do
      awk -v n="$name" '$2 == n || index($2, n "/") == 1 {print $1}' "$f" | while read -r p; do kill "$p" 2>/dev/null; done
    done
    sleep 0.3
  done
  python3 "$here/ledger_react.py" --stats "$res"/r*-alpha.ledger | tail -1 | tee -a "$res/summary.txt"
  ;;
fleet)
  n=${2:-50} secs=${3:-30} panics=${4:-5}
  names=()
  for i in $(seq 1 "$n"); do names+=("$(printf 'f%04d' "$i")"); done
  t_start=$(date +%s)
  for (( b = 0; b < n; b += BATCH )); do
    batch=("${names[@]:b:BATCH}")
    for name in "${batch[@]}"; do start_cluster "$name" "$FLOOD"; done
    wait_ready "${batch[@]}" || exit 1
    for name in "${batch[@]}"; do config_cluster "$name"; done
    for name in "${batch[@]}"; do until alpha_running "$name"; do sleep 0.1; done; done
    for name in "${batch[@]}"; do start_clusterd "$name"; done
    sleep 0.5
  done
  log "started $n clusters in $(( $(date +%s) - t_start )) s; loadavg $(loadavg)"
  bad=0
  for name in "${names[@]}"; do wait_watching "$name" 60 || bad=$((bad + 1)); done
  log "watching: $(( n - bad )) / $n clusters (ping up on the active); loadavg $(loadavg)"
  log "settling 15 s"
  nap 15
  python3 "$here/proc_sample.py" snap "$cd_pids" >"$work/a.json"
  python3 "$here/proc_sample.py" snap "$sim_pids" >"$work/sa.json"
  log "measuring $secs s, loadavg $(loadavg)"
  nap "$secs"
  python3 "$here/proc_sample.py" snap "$cd_pids" >"$work/b.json"
  python3 "$here/proc_sample.py" snap "$sim_pids" >"$work/sb.json"
  python3 "$here/proc_sample.py" cpu "$work/a.json" "$work/b.json" >"$res/cpu-clusterd.json"
  python3 "$here/proc_sample.py" cpu "$work/sa.json" "$work/sb.json" >"$res/cpu-nodesim.json"
  python3 "$here/proc_sample.py" mem "$cd_pids" >"$res/mem-clusterd.json"
  python3 "$here/proc_sample.py" mem "$sim_pids" >"$res/mem-nodesim.json"
  log "clusterd cpu: $(cat "$res/cpu-clusterd.json")"
  log "nodesims cpu: $(cat "$res/cpu-nodesim.json")"
  log "clusterd mem: $(cat "$res/mem-clusterd.json")"
  log "nodesims mem: $(cat "$res/mem-nodesim.json")"
  # check the load really flows: bytes clusterd saw is not exposed; the alpha console has a client
  # panics into clusters spread over the fleet, one at a time, the rest keep running
  step=$(( n / panics )); (( step >= 1 )) || step=1
  for (( k = 0; k < panics && k * step < n; k++ )); do
    name=${names[k * step]}
    la=$(loadavg)
    panic_one "$name" && log "$name: $(python3 "$here/ledger_react.py" "$res/$name-alpha.ledger" | tail -1 | sed 's/^react file=[^ ]* //') $(cat "$res/$name-split.txt") loadavg $la"
    sleep 1
  done
  python3 "$here/ledger_react.py" --stats "$res"/f*-alpha.ledger | tail -1 | tee -a "$res/summary.txt"
  alive=0; while read -r p _; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done <"$cd_pids"
  log "clusterd processes alive at the end: $alive / $n; loadavg $(loadavg)"
  ;;
*)
  sed -n '2,20p' "$0"; exit 2 ;;
esac
log "done; results in $res"
