# shellcheck shell=bash
# crashtest/scenarios/lib.sh — the shared setup of the end-to-end scenarios
# (primary_panic.sh, scenario_*.sh). Sourced, never run:
#
#   set -euo pipefail
#   source "$(dirname "$0")/lib.sh"
#   scenario_enter "$@"     # BIN_DIR SOURCE_DIR: re-runs the script inside a private
#                           # test network (tools/testnet.sh, root), then sets up $work
#   start_nodes             # nodesim alpha (telnet, auto-boot true) and beta (pty, auto-boot false)
#   start_ser2net           # beta's console behind the real ser2net (alternate break)
#   write_config            # CList + clusters/demo.toml, checked with clusterd --check
#   wait_alpha_running
#   start_clusterd          # and wait until it watches alpha with ping up
#   ... inject, wait_for, assert ...
#   check_ledger            # nodesim check: no split-brain, no write after a fence
#   pass "what was shown"
#
# Knobs (set before the call that uses them):
#   TESTNET_NODES   nodes of the test network (default "alpha beta"; add e.g. "ref"
#                   for a reference address that is not a cluster node)
#   ALPHA_SER2NET=1 alpha's console through its own ser2net (start_alpha_ser2net),
#                   chained to nodesim's telnet port with the RFC 2217 connector, so
#                   the console path can be killed without touching beta's
#   NODE_OPTS       extra options for both nodesims; ALPHA_OPTS, BETA_OPTS for one
#   PING_EXTRA, PARAMS_EXTRA, CONFIG_EXTRA   extra TOML lines in [ping], [params], at the end
#   NODE_ALPHA_EXTRA, NODE_BETA_EXTRA   extra TOML lines in [nodes.alpha], [nodes.beta]
#                   (power methods: sparc_power_lib.sh)
#   BOOT_TIMEOUT    the script's boot_timeout (default 30s)
#   KILL_AFTER_RECORD=KIND   start_clusterd preloads crashtest's kill switch
#                   ($bin/../lib/clusterd/crashtest-kill-switch.so): clusterd gets
#                   SIGKILL right after it syncs a journal record of KIND
#   KEEP=1          keep $work after the run
# Set by crashtest (crashtest/crashtest_main.cc), all optional:
#   EVIDENCE_DIR    on every way out, copy the evidence there (timeline, journal,
#                   transcripts, ledgers, nodesim check) and write `verdict`
#                   ("pass TEXT" / "fail TEXT") and `injections` ("EPOCH.NS TEXT"
#                   per `inject`) for the report and its figures
#   CRASHTEST_LOAD=1      significant activity: both consoles flooding at line
#                         speed, and a CPU hog (stress-ng) when installed
#   CRASHTEST_TIMINGS=realistic   minutes-long boots and production timeouts;
#                         every wait_for bound is scaled to match (slow: not for CI)
#   CRASHTEST_SEED  the seed of any randomness in a scenario (default 1)
#   CRASHTEST_OFFSET_MS   a delay before the first `inject` (a lab's timing offset)
#
# Set by scenario_enter: $bin, $src, $work, $home, $scenario_dir (this folder,
# absolute: the Python helpers beside the scenarios, *.py), $seed.
# Helpers: say, fail, pass, wait_for, ctl (clusterctl), sim (nodesim ctl),
# node_state, expect_node_state, status_field, ledger, ledger_count, ledger_mark,
# ledger_since, journal_count, expect_journal_count, timeline_has, timeline_count,
# expect_timeline, stop_clusterd, watching, check_ledger, expect_nothing_sent, write_sshd_config,
# setup_both_running.

[[ -n ${BASH_VERSION:-} ]] || { echo "lib.sh: needs bash" >&2; exit 2; }

scenario_enter() {  # BIN_DIR SOURCE_DIR [--inside]
  bin=$1 src=$2
  if [[ ${3:-} != --inside ]]; then
    local id="s$(( $$ % 10000000 ))"
    # shellcheck disable=SC2086  # TESTNET_NODES: node names, split into words on purpose
    exec "$src/tools/testnet.sh" run "$id" ${TESTNET_NODES:-alpha beta} -- bash "$0" "$bin" "$src" --inside
  fi
  bin=$(cd "$bin" && pwd) src=$(cd "$src" && pwd)
  scenario=$(basename "$0" .sh)
  # shellcheck disable=SC2034  # for the scenarios: their Python helpers (*.py) are here
  scenario_dir=$(cd "$(dirname "$0")" && pwd)
  work=$(mktemp -d "/tmp/clusterd-${scenario}-XXXXXX")
  home=$work/home
  timeline_log=$home/Logs/demo.log
  journal_file=$home/state/demo.journal
  pids=()
  cd_pid=""
  alpha_s2n_pid=""
  t0=$(date +%s.%N)
  trap scenario_cleanup EXIT
  trap 'exit 130' INT TERM HUP  # so the EXIT trap cleans up after a Ctrl-C or kill too
  export NODESIM_DIR=$work/sim
  seed=${CRASHTEST_SEED:-1}
  RANDOM=$seed
  if [[ -n ${EVIDENCE_DIR:-} ]]; then mkdir -p "$EVIDENCE_DIR"; : >"$EVIDENCE_DIR/injections"; fi
  wait_scale=1
  if [[ ${CRASHTEST_TIMINGS:-ci} == realistic ]]; then wait_scale=8; fi
  if [[ ${CRASHTEST_LOAD:-} == 1 ]]; then
    NODE_OPTS="${NODE_OPTS:-} --flood 11520"
    if command -v stress-ng >/dev/null; then
      stress-ng --cpu 1 --cpu-load 70 --timeout 3600s --quiet >/dev/null 2>&1 &
      load_pid=$!
    fi
  fi
  mkdir -p "$NODESIM_DIR" "$home/clusters" "$home/scripts/lib"
  cp "$src"/scripts/*.chat "$home/scripts/"
  cp "$src"/scripts/lib/*.chat "$home/scripts/lib/"
  # crashtest --script FILE: the script under test in place of the stock one.
  if [[ -n ${CRASHTEST_SCRIPT:-} ]]; then cp "$CRASHTEST_SCRIPT" "$home/scripts/sparc-obp.chat"; fi
}

# Everything a report needs to show what happened, copied before $work goes.
save_evidence() {
  [[ -n ${EVIDENCE_DIR:-} ]] || return 0
  local d=$EVIDENCE_DIR
  mkdir -p "$d/logs"
  cp -p "$home"/Logs/* "$d/logs/" 2>/dev/null || true
  cp -p "$journal_file" "$d/journal" 2>/dev/null || true
  cp -p "$NODESIM_DIR"/*.ledger "$d/" 2>/dev/null || true
  if [[ -s $work/check-ledger.out ]]; then
    cp -p "$work/check-ledger.out" "$d/nodesim-check"
  elif ls "$NODESIM_DIR"/*.ledger >/dev/null 2>&1; then  # ended before its own check: the ground truth anyway
    "$bin/nodesim" check ${clusterd_since_ns:+--since "$clusterd_since_ns"} "$NODESIM_DIR"/*.ledger >"$d/nodesim-check" 2>&1 || true
  fi
  cp -p "$work/clusterd.out" "$d/clusterd.out" 2>/dev/null || true
  [[ -s $d/verdict ]] || echo "fail ended before a verdict (exit status $1)" >"$d/verdict"
}

scenario_cleanup() {
  local rc=$? i
  [[ -n ${load_pid:-} ]] && kill "$load_pid" 2>/dev/null
  save_evidence "$rc"
  # clusterd first: the watcher goes before the nodes it watches; then the
  # rest newest first.
  [[ -n $cd_pid ]] && kill "$cd_pid" 2>/dev/null
  [[ -n $alpha_s2n_pid ]] && kill "$alpha_s2n_pid" 2>/dev/null
  for (( i = ${#pids[@]} - 1; i >= 0; i-- )); do kill "${pids[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${KEEP:-} ]]; then echo "kept: $work"; else rm -rf "$work"; fi
  return $rc
}

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[%6ss] %s\n' "$(since "$t0")" "$*"; }
fail() {
  say "FAIL ($scenario): $*"
  # Where: the scenario line that asserted (through wait_for/expect_* helpers).
  local i where=""
  for (( i = 1; i < ${#BASH_SOURCE[@]}; i++ )); do
    if [[ ${BASH_SOURCE[i]} != *lib.sh ]]; then where="$(basename "${BASH_SOURCE[i]}"):${BASH_LINENO[i-1]}"; break; fi
  done
  [[ -n ${EVIDENCE_DIR:-} ]] && echo "fail $* (at $where)" >"$EVIDENCE_DIR/verdict"
  echo "--- clusterd timeline (last 50 lines of Logs/demo.log)"
  tail -50 "$timeline_log" 2>/dev/null | sed 's/^/  /'
  echo "--- journal"
  sed 's/^/  /' "$journal_file" 2>/dev/null
  echo "--- nodes"
  sim alpha status 2>&1 | sed 's/^/  /'
  sim beta status 2>&1 | sed 's/^/  /'
  exit 1
}
pass() {
  say "PASS ($scenario, $(since "$t0")s): $*"
  if [[ -n ${EVIDENCE_DIR:-} ]]; then echo "pass $*" >"$EVIDENCE_DIR/verdict"; fi
}
# The moment a fault is injected: the report's figures count from here.
# CRASHTEST_OFFSET_MS (crashtest --random, --offset) delays the first fault of
# the run, so that a lab meets clusterd at other points of its ping and probe
# cycles; the injection is stamped after the delay. Unset: no delay.
inject() {  # TEXT
  if [[ -n ${CRASHTEST_OFFSET_MS:-} && -z ${offset_done:-} ]]; then
    offset_done=1
    [[ $CRASHTEST_OFFSET_MS =~ ^[0-9]+$ ]] || fail "CRASHTEST_OFFSET_MS is not milliseconds: '$CRASHTEST_OFFSET_MS'"
    local ms=$((10#$CRASHTEST_OFFSET_MS))
    say "timing offset: ${ms} ms before the first fault"
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  fi
  say "injecting: $*"
  if [[ -n ${EVIDENCE_DIR:-} ]]; then echo "$(date +%s.%N) $*" >>"$EVIDENCE_DIR/injections"; fi
}

wait_for() {  # SECONDS DESCRIPTION CMD...
  local limit=$(( $1 * ${wait_scale:-1} )) what=$2; shift 2
  local end=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < end )) || fail "no $what within ${limit}s"
    sleep 0.2
  done
}

ctl() { "$bin/clusterctl" "$@" --home "$home"; }
sim() { "$bin/nodesim" ctl "$@"; }
node_state() { sim "$1" status | sed -n 's/.* state=\([A-Z_]*\).*/\1/p'; }
node_field() { sim "$1" status | sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p"; }  # NODE KEY
expect_node_state() {  # NODE STATE [WHY]
  local s; s=$(node_state "$1")
  [[ $s == "$2" ]] || fail "${3:-$1 should be $2}: $1 is $s ($(sim "$1" status))"
}
status_field() { ctl status demo | sed -n "s/^$1 *\\([^ ]*\\).*/\\1/p"; }  # active | standby | state | failovers

# --- the nodes -----------------------------------------------------------------
start_nodes() {
  # Scaled timings: seconds, not minutes.
  local common=(--t-boot 4s --t-mount 2s --t-panic 30s --write-interval 100ms)
  if [[ ${CRASHTEST_TIMINGS:-ci} == realistic ]]; then
    common=(--t-boot 60s --t-mount 40s --t-panic 45s --write-interval 100ms)
  fi
  local alpha_console=(--telnet 127.0.0.1:0)
  # shellcheck disable=SC2086  # NODE_OPTS, ALPHA_OPTS, BETA_OPTS: options, split into words on purpose
  "$bin/nodesim" run --name alpha "${alpha_console[@]}" --auto-boot true --netns "$CDT_ALPHA_NS" --netif "$CDT_ALPHA_IF" \
    --ready-file "$work/alpha.ready" "${common[@]}" ${NODE_OPTS:-} ${ALPHA_OPTS:-} >"$work/alpha.out" 2>&1 &
  pids+=($!)
  # shellcheck disable=SC2086  # NODE_OPTS, ALPHA_OPTS, BETA_OPTS: options, split into words on purpose
  "$bin/nodesim" run --name beta --pty "$NODESIM_DIR/beta.pty" --telnet 127.0.0.1:0 --auto-boot false --netns "$CDT_BETA_NS" --netif "$CDT_BETA_IF" \
    --ready-file "$work/beta.ready" "${common[@]}" ${NODE_OPTS:-} ${BETA_OPTS:-} >"$work/beta.out" 2>&1 &
  pids+=($!)
  wait_for 10 "nodesim ready files" test -s "$work/alpha.ready" -a -s "$work/beta.ready"
  pa=$(sed -n 's/.*telnet=\([0-9]*\).*/\1/p' "$work/alpha.ready")
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# beta's console through the real terminal server, as on a real site.
start_ser2net() {
  ps=$(free_port)
  cat >"$work/ser2net.yaml" <<EOF
%YAML 1.1
---
connection: &beta
    accepter: telnet(rfc2217),tcp,127.0.0.1,$ps
    enable: on
    options:
      kickolduser: true
    connector: serialdev,$NODESIM_DIR/beta.pty,115200n81,local
EOF
  ser2net -n -d -u -c "$work/ser2net.yaml" -P "$work/ser2net.pid" >"$work/ser2net.out" 2>&1 &
  pids+=($!)
  wait_for 5 "ser2net listening" sh -c "ss -ltn | grep -q ':$ps '"
  if [[ -n ${ALPHA_SER2NET:-} ]]; then
    pas=$(free_port)
    start_alpha_ser2net
    alpha_console_uri="telnet://127.0.0.1:$pas?rfc2217=1"
  else
    alpha_console_uri="telnet://127.0.0.1:$pa"
  fi
  say "nodesim alpha on telnet :$pa${pas:+ (via its own ser2net :$pas)} ($CDT_ALPHA_ADDR); beta on a pty behind ser2net :$ps ($CDT_BETA_ADDR)"
}

# alpha's own terminal server: ser2net's RFC 2217 connector chained to nodesim's
# telnet port (IAC BRK and SET-CONTROL pass). Restartable: kill_alpha_ser2net.
start_alpha_ser2net() {
  cat >"$work/ser2net-alpha.yaml" <<EOF
%YAML 1.1
---
connection: &alpha
    accepter: telnet(rfc2217),tcp,127.0.0.1,$pas
    enable: on
    options:
      kickolduser: true
    connector: telnet(rfc2217),tcp,127.0.0.1,$pa
EOF
  ser2net -n -d -u -c "$work/ser2net-alpha.yaml" -P "$work/ser2net-alpha.pid" >>"$work/ser2net-alpha.out" 2>&1 &
  alpha_s2n_pid=$!
  wait_for 5 "alpha's ser2net listening" sh -c "ss -ltn | grep -q ':$pas '"
}
kill_alpha_ser2net() {  # [SIGNAL]
  kill -"${1:-KILL}" "$alpha_s2n_pid" 2>/dev/null || true
  wait "$alpha_s2n_pid" 2>/dev/null || true
  alpha_s2n_pid=""
}

# --- clusterd ------------------------------------------------------------------
write_config() {
  local ping_interval=250ms confirm_timeout=3s break_timeout=5s reply_timeout=3s boot_timeout=30s
  local network_loss_holdoff=2s
  if [[ ${CRASHTEST_TIMINGS:-ci} == realistic ]]; then  # the stock script's own defaults
    ping_interval=1s confirm_timeout=20s break_timeout=30s reply_timeout=10s boot_timeout=10m
    network_loss_holdoff=10s
  fi
  cat >"$home/CList" <<EOF
# name  config
demo    clusters/demo.toml
EOF
  cat >"$home/clusters/demo.toml" <<EOF
script = "sparc-obp.chat"
[nodes.alpha]
console = "$alpha_console_uri"
address = "$CDT_ALPHA_ADDR"
role = "active"
${NODE_ALPHA_EXTRA:-}
[nodes.beta]
console = "telnet://127.0.0.1:$ps?rfc2217=1&break=%5Cr~%5Cx02"
address = "$CDT_BETA_ADDR"
role = "standby"
${NODE_BETA_EXTRA:-}
[ping]
interval = "$ping_interval"
misses = 3
${PING_EXTRA:-}
[params]
confirm_timeout = "$confirm_timeout"
break_timeout = "$break_timeout"
reply_timeout = "$reply_timeout"
network_loss_holdoff = "$network_loss_holdoff"
boot_timeout = "${BOOT_TIMEOUT:-$boot_timeout}"
${PARAMS_EXTRA:-}
${CONFIG_EXTRA:-}
EOF
  "$bin/clusterd" --cluster demo --home "$home" --check >"$work/check.out" 2>&1 ||
    { cat "$work/check.out"; fail "clusterd --check refused the config"; }
}

wait_alpha_running() {
  wait_for 20 "login prompt on alpha" sh -c "'$bin/nodesim' ctl alpha status | grep -q 'state=RUNNING'"
  say "alpha is RUNNING (it booted from the shared disk); beta waits at ok"
}

# Start clusterd and wait until it watches the active node with ping up.
start_clusterd() {
  # The ledgers' clock (CLOCK_MONOTONIC) at clusterd's first start: check_ledger
  # does not count an overlap that began before it (the cluster was split
  # before clusterd ran: both_up_at_start).
  [[ -n ${clusterd_since_ns:-} ]] || clusterd_since_ns=$(python3 -c 'import time; print(time.monotonic_ns())')
  local preload=()
  if [[ -n ${KILL_AFTER_RECORD:-} ]]; then
    local switch=$bin/../lib/clusterd/crashtest-kill-switch.so
    [[ -f $switch ]] || fail "$switch is missing (built and installed with crashtest)"
    preload=(env "LD_PRELOAD=$switch" "CRASHTEST_KILL_AFTER=$KILL_AFTER_RECORD")
  fi
  "${preload[@]}" "$bin/clusterd" --cluster demo --home "$home" >>"$work/clusterd.out" 2>&1 &
  cd_pid=$!
  wait_for 10 "clusterd control socket" ctl status demo
  wait_for 15 "ping up on the active node" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q 'ping up'"
}
stop_clusterd() {  # [SIGNAL] (default TERM)
  [[ -n $cd_pid ]] || return 0
  kill -"${1:-TERM}" "$cd_pid" 2>/dev/null || true
  wait "$cd_pid" 2>/dev/null || true
  cd_pid=""
}
# alpha active with its console and ping up, beta standby with its console up.
watching() {
  local s; s=$(ctl status demo 2>/dev/null) || return 1
  grep -q '^active *alpha *(console up, ping up' <<<"$s" && grep -q '^standby *beta *(console up)' <<<"$s"
}
clusterd_alive() { [[ -n $cd_pid ]] && kill -0 "$cd_pid" 2>/dev/null; }

# --- the evidence -------------------------------------------------------------------
ledger() { echo "$NODESIM_DIR/$1.ledger"; }
ledger_count() {  # NODE EREGEX [FROM_LINE]: matching ledger lines (from line FROM_LINE+1)
  tail -n +"$(( ${3:-0} + 1 ))" "$(ledger "$1")" | grep -cE -- "$2" || true
}
ledger_mark() { wc -l <"$(ledger "$1")"; }  # NODE: for ledger_since / ledger_count
ledger_since() { tail -n +"$(( $2 + 1 ))" "$(ledger "$1")"; }  # NODE MARK

journal_count() { grep -cE -- "$1" "$journal_file" 2>/dev/null || true; }
expect_journal_count() {  # N EREGEX WHAT
  local n; n=$(journal_count "$2")
  [[ $n == "$1" ]] || fail "$3: expected $1 journal record(s) /$2/, found $n"
}
timeline_has() { grep -qE -- "$1" "$timeline_log"; }
timeline_count() { grep -cE -- "$1" "$timeline_log" || true; }
expect_timeline() {  # EREGEX WHAT
  timeline_has "$1" || fail "$2: nothing like /$1/ in the timeline"
}
# shellcheck disable=SC2120  # optional argument
show_timeline() {  # [EREGEX]: the interesting lines, indented
  echo "--- timeline"
  grep -E -- "${1:-state |BREAK|send |fenced|takeover|alarm|ping|console|resum|operator}" "$timeline_log" |
    sed 's/^[0-9T:-]*\.[0-9]*Z /  | /'
}

# A network-only loss of alpha under on_network_loss = takeover: ping lost,
# confirmed on the console (alpha at login), held for the hold-off, fenced
# through the console with a critical alarm, one boot of beta, takeover.
expect_network_loss_takeover() {
  expect_timeline 'ping alpha down' "ping loss not detected"
  expect_timeline 'state network_loss_hold <- active solaris_login' "no console confirmation (alpha at login)"
  expect_timeline 'state fence <- after [$]network_loss_holdoff' "the fence did not follow the hold-off (ping still down)"
  expect_timeline 'alarm critical "fencing alpha: ping lost, console alive' "no critical alarm naming 'ping lost, console alive'"
  expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
  expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
  expect_journal_count 1 'takeover active=beta' "takeover"
}

# Nothing reached either node since the ledger marks: no BREAK, typed line or
# state change in the ledgers; no byte ('>') or BREAK ('!') in clusterd's
# transcripts; no send or BREAK in the timeline.   ALPHA_MARK BETA_MARK WHEN
expect_nothing_sent() {
  local n mark moved wrote
  for n in alpha beta; do
    mark=$([[ $n == alpha ]] && echo "$1" || echo "$2")
    moved=$(ledger_since "$n" "$mark" | grep -E '"ev":"(break|command|state|nvram|lease_acquire|lease_release)"' || true)
    [[ -z $moved ]] || fail "$n's ledger changed $3: $moved"
    wrote=$(grep -E '^[0-9T:.-]+Z [>!]' "$home/Logs/demo.$n.console" || true)
    [[ -z $wrote ]] || fail "clusterd wrote to $n's console: $wrote"
  done
  (( $(timeline_count 'Z (send|BREAK) ') == 0 )) || fail "the timeline shows a send or a BREAK: $(grep -E 'Z (send|BREAK) ' "$timeline_log")"
}

# A private sshd's config (console scenarios): key authentication only, on
# 127.0.0.1:PORT (SSHD_LISTEN=ADDR: another address, e.g. a node's inside its
# namespace). Sessions run $SHELL -c CMD; Debian's bash sources ~/.bashrc
# when SSH_CLIENT is set unless SHLVL says it is nested: SetEnv keeps the
# machine's rc files out.   FILE PORT HOST_KEY DIR [EXTRA_LINES]
write_sshd_config() {
  cat >"$1" <<EOF
Port $2
ListenAddress ${SSHD_LISTEN:-127.0.0.1}
HostKey $3
PidFile $4/sshd.pid
AuthorizedKeysFile $4/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
SetEnv SHLVL=1
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
${5:-}
EOF
}

# The ground truth: never two holders of the shared disk, no write after a fence.
# --fence-is-clusterd: only BREAKs clusterd sent are fences (a BREAK injected
# through the control socket, `via":"control"`, is dropped from a copy of the
# ledgers first; scenario_accidental_break resumes such a node on purpose).
# shellcheck disable=SC2120  # optional argument
check_ledger() {
  local files=("$(ledger alpha)" "$(ledger beta)")
  if [[ ${1:-} == --fence-is-clusterd ]]; then
    local n
    for n in alpha beta; do
      grep -vE '"ev":"break","via":"control"' "$(ledger $n)" >"$work/$n.fences.ledger" || true
    done
    files=("$work/alpha.fences.ledger" "$work/beta.fences.ledger")
  fi
  "$bin/nodesim" check ${clusterd_since_ns:+--since "$clusterd_since_ns"} "${files[@]}" >"$work/check-ledger.out" 2>&1 ||
    { sed 's/^/  /' "$work/check-ledger.out"; fail "nodesim check: split-brain or a write after the fence"; }
  sed 's/^/  /' "$work/check-ledger.out"
}

# The standard start: network, nodes, terminal server, config, alpha up, clusterd watching.
# Both nodes running from the shared disk before clusterd starts (beta booted
# by itself: auto-boot? true), the standby probed every 3 s; clusterd not
# started. both_up_at_start, standby_at_shell.
setup_both_running() {
  BETA_OPTS="--auto-boot true ${BETA_OPTS:-}"
  PARAMS_EXTRA='probe_interval = "3s"'
  start_nodes
  start_ser2net
  write_config
  wait_alpha_running
  wait_for 20 "beta RUNNING too" sh -c "'$bin/nodesim' ctl beta status | grep -q 'state=RUNNING'"
}

scenario_setup() {
  start_nodes
  start_ser2net
  write_config
  wait_alpha_running
  start_clusterd
  say "clusterd watches: $(ctl status demo | sed -n 's/^active *//p')"
}
