#!/usr/bin/env bash
# Scenario monitor_stall (crash-test-plan: the monitor itself freezes, e.g. a
# VM paused or a swap storm): clusterd is stopped with SIGSTOP for 4 s, many
# times its ping deadtime (3 x 250 ms), while both nodes stay healthy, then
# continued. When it wakes up every timer is late at once; probes sent before
# the stall have their answers waiting in the socket.
# Asserts: no false failover (no fence, no BREAK, no boot), ping up again,
# script back in watch within a few seconds; ledger clean.
#   monitor_stall.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup
alpha_mark=$(ledger_mark alpha)
stopped=""
trap 'if [[ -n $stopped ]]; then kill -CONT "$cd_pid" 2>/dev/null; fi; scenario_cleanup' EXIT

inject "clusterd stopped (SIGSTOP) for 4 s; the nodes stay healthy"
kill -STOP "$cd_pid"; stopped=1
sleep 4
kill -CONT "$cd_pid"; stopped=""
say "clusterd continued"
sleep 6
show_timeline
wait_for 10 "watch with ping up" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^state *watch'"
timeline_has 'BREAK alpha' && fail "a BREAK was sent to alpha after the monitor's own stall (false failover)"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
[[ $(ledger_count alpha '"ev":"(break|state)"' "$alpha_mark") == 0 ]] || fail "alpha's ledger changed: $(ledger_since alpha "$alpha_mark" | head -3)"
expect_node_state alpha RUNNING
expect_node_state beta OK
clusterd_alive || fail "clusterd died"
check_ledger
pass "monitor stalled 4 s: no false failover, back in watch"
