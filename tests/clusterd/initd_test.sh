#!/usr/bin/env bash
# etc/init.d/clusterd against real daemons: a CLUSTER_HOME whose CList has two
# good clusters (east, west; each two nodesims on loopback, pinged by TCP
# connect to their --service-port) and one whose config does not parse (bad).
# Asserts: check names bad's file:line:col and fails; start starts east and
# west (pids alive, clusterctl answers) and skips bad with its message; a
# second start starts nothing; status lists all three (and a stale pid file);
# stop NAME stops one; a clusterd that exits during start-up is reported with
# its own message and leaves no pid file; stop stops all and leaves no pid
# file. Then start/restart/stop once more with the nohup launcher instead of
# start-stop-daemon. No root, no namespaces (~4 s).
#   initd_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
# shellcheck source=../support/loopback_cluster.sh
source "$src/tests/support/loopback_cluster.sh"
initd=$src/etc/init.d/clusterd

work=$(mktemp -d /tmp/clusterd-initd-XXXXXX)
home=$work/home
sims=()
cleanup() {
  local f p
  for f in "$home"/run/*.pid; do  # a failed run must not leave daemons behind
    if [[ -f $f ]]; then p=$(<"$f"); kill "$p" 2>/dev/null || true; fi
  done
  for p in "${sims[@]}" "${loopback_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
# clusterd processes of this CLUSTER_HOME, whoever started them.
daemons() { local p; for p in $(pgrep -f -- "--home $home\$"); do alive "$p" && echo "$p"; done | sort; }
pid_of() { cat "$home/run/$1.pid"; }
# A zombie is not alive: a daemon start-stop-daemon detached is reaped by pid 1, maybe late.
alive() { local st; st=$(ps -o stat= -p "${1:-0}" 2>/dev/null) && [[ $st != Z* ]]; }
# Runs the init script; its output in $out, its exit status in $rc.
initd() { set +e; out=$("$initd" "$@" 2>&1); rc=$?; set -e; printf '%s\n' "$out" | sed 's/^/    | /'; }
expect_rc() { [[ $rc == "$1" ]] || fail "'$2' exited $rc, expected $1"; }
expect_out() { grep -qE -- "$1" <<<"$out" || fail "'$2' did not print /$1/"; }

mkdir -p "$home/clusters" "$home/scripts/lib"
cp "$src"/scripts/*.chat "$home/scripts/"
cp "$src"/scripts/lib/*.chat "$home/scripts/lib/" 2>/dev/null || true

# Two nodes per good cluster, each on its own loopback address (the two nodes
# of a cluster may not share one) and the cluster's service port.
for cluster in east west; do loopback_cluster "$cluster"; done
# bad: a duration given as an integer, reported at clusters/bad.toml:9:12.
cat >"$home/clusters/bad.toml" <<'EOF'
script = "sparc-obp.chat"
[nodes.alpha]
console = "telnet://127.0.0.1:1"
address = "127.0.0.10"
[nodes.beta]
console = "telnet://127.0.0.1:2"
address = "127.0.0.11"
[ping]
interval = 1
EOF
cat >"$home/CList" <<'EOF'
# name  config
east    clusters/east.toml
bad     clusters/bad.toml    # broken on purpose
west    clusters/west.toml
EOF
use_test_defaults
say "4 nodesims up; CList: east, bad, west"

say "check"
initd check
expect_rc 1 check
expect_out "bad: config check failed" check
expect_out "clusters/bad\.toml:9:12: error: ping\.interval: expected a duration" check
expect_out "east: config .* are good" check
expect_out "west: config .* are good" check

say "start"
initd start
expect_rc 1 "start (bad is skipped)"
expect_out "clusterd east: started \(pid [0-9]+\)" start
expect_out "clusterd west: started \(pid [0-9]+\)" start
expect_out "clusterd bad: config check failed, not started" start
expect_out "bad\.toml:9:12: error: ping\.interval" start
east=$(pid_of east) west=$(pid_of west)
{ alive "$east" && alive "$west"; } || fail "east ($east) or west ($west) is not alive"
[[ ! -e $home/run/bad.pid ]] || fail "bad has a pid file"
grep -q '^cluster *east' <<<"$("$bin/clusterctl" status east --home "$home")" || fail "clusterctl status east"
grep -q '^cluster *west' <<<"$("$bin/clusterctl" status west --home "$home")" || fail "clusterctl status west"
[[ $(daemons) == "$(printf '%s\n' "$east" "$west" | sort)" ]] || fail "clusterd processes: $(daemons | tr '\n' ' ')"

say "start again: nothing starts twice"
initd start
expect_rc 1 "start again"
expect_out "east: already running \(pid $east\)" "start again"
expect_out "west: already running \(pid $west\)" "start again"
initd start east
expect_rc 0 "start east"
[[ $(daemons | wc -l) == 2 && $(pid_of east) == "$east" && $(pid_of west) == "$west" ]] ||
  fail "a second start changed the daemons: $(daemons | tr '\n' ' ')"

say "status"
initd status
expect_rc 3 "status (bad is not running)"
expect_out "east: running \(pid $east\)" status
expect_out "west: running \(pid $west\)" status
expect_out "bad: not running$" status
initd status east
expect_rc 0 "status east"
echo 999999 >"$home/run/bad.pid"  # a clusterd that died without cleaning up
initd status bad
expect_rc 1 "status bad (stale pid file)"
expect_out "bad: not running, stale pid file .*run/bad\.pid \(pid 999999\)" "status bad"

say "stop east"
initd stop east
expect_rc 0 "stop east"
expect_out "east: stopped \(pid $east\)" "stop east"
! alive "$east" || fail "east ($east) still runs after stop east"
alive "$west" || fail "west ($west) died with east"
[[ ! -e $home/run/east.pid ]] || fail "run/east.pid is left"
initd status east
expect_rc 3 "status east after stop"
initd stop east
expect_rc 0 "stop east again (LSB: stopping a stopped service succeeds)"

say "a start-up failure (exit 2) is reported, and leaves no pid file"
mkdir "$home/run/east.sock"  # the control socket cannot be bound
initd start east
expect_rc 1 "start east with its socket path taken"
expect_out "east: exited during start-up" "start east (socket path taken)"
expect_out "    clusterd: east: .*run/east\.sock" "start east (clusterd's own message)"
[[ ! -e $home/run/east.pid ]] || fail "run/east.pid is left after a failed start"
rmdir "$home/run/east.sock"

say "stop"
initd stop
expect_rc 0 stop
expect_out "west: stopped \(pid $west\)" stop
expect_out "bad: not running \(removed a stale pid file" stop
[[ -z $(daemons) ]] || fail "clusterd still runs: $(daemons | tr '\n' ' ')"
[[ -z $(ls "$home/run"/*.pid 2>/dev/null) ]] || fail "pid files left: $(ls "$home/run")"

say "the nohup launcher (no start-stop-daemon)"
echo CLUSTERD_LAUNCHER=nohup >>"$work/default"
initd start west
expect_rc 0 "start west (nohup)"
west=$(pid_of west)
alive "$west" || fail "west is not alive"
"$bin/clusterctl" status west --home "$home" >/dev/null || fail "clusterctl status west (nohup)"
initd restart west
expect_rc 0 "restart west (nohup)"
{ [[ $(pid_of west) != "$west" ]] && alive "$(pid_of west)" && ! alive "$west"; } || fail "restart did not replace west"
# force-reload is a full restart too (docs/operator-manual.md, init.d).
west=$(pid_of west)
initd force-reload west
expect_rc 0 "force-reload west (nohup)"
{ [[ $(pid_of west) != "$west" ]] && alive "$(pid_of west)" && ! alive "$west"; } || fail "force-reload did not replace west"
initd stop
expect_rc 0 "stop (nohup)"
[[ -z $(daemons) && -z $(ls "$home/run"/*.pid 2>/dev/null) ]] || fail "left behind after stop (nohup)"

say "PASS: check, start (bad skipped), no double start, status, stop NAME, restart, force-reload, stop; both launchers"
