#!/usr/bin/env bash
# Scenario console_garbage (crash-test-plan A7): while the cluster is healthy,
# both consoles spit random bytes (NULs, ESC and ANSI-like sequences, CR/LF
# storms: nodesim garbage) in bursts for several seconds. Console output is
# hostile input: nothing may come of it.
# Asserts: no transition out of watch, no BREAK, nothing typed on either node,
# no failover, both nodes unchanged; clusterd alive and answering; no raw
# control byte in the timeline (every console byte there is escaped).
#   console_garbage.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup
alpha_mark=$(ledger_mark alpha) beta_mark=$(ledger_mark beta)
t_mark=$(wc -l <"$timeline_log")

inject "random bytes on both consoles: 40 bursts of 2-8 KiB over ~8 s"
for i in $(seq 1 40); do
  sim alpha garbage $(( 2048 + RANDOM % 6144 )) >/dev/null
  sim beta garbage $(( 2048 + RANDOM % 6144 )) >/dev/null
  sleep 0.2
done
sleep 2
tail -n +"$((t_mark + 1))" "$timeline_log" | grep -E 'state |BREAK|send |alarm' | sed 's/^/  | /' || true
new=$(tail -n +"$((t_mark + 1))" "$timeline_log")
grep -qE 'state [a-z_]+ <-' <<<"$new" && fail "the garbage moved the script: $(grep -E 'state ' <<<"$new" | head -3)"
grep -q 'BREAK ' <<<"$new" && fail "a BREAK was sent"
grep -q '^[^ ]* send ' <<<"$new" && fail "something was sent to a node"
[[ $(status_field state) == watch ]] || fail "clusterd left watch: $(ctl status demo)"
[[ $(ledger_count alpha '"ev":"(command|break|state)"' "$alpha_mark") == 0 ]] || fail "alpha's ledger changed: $(ledger_since alpha "$alpha_mark" | head -3)"
[[ $(ledger_count beta '"ev":"(command|break|state)"' "$beta_mark") == 0 ]] || fail "beta's ledger changed: $(ledger_since beta "$beta_mark" | head -3)"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$timeline_log" && fail "a raw control byte in the timeline"
expect_node_state alpha RUNNING
expect_node_state beta OK
clusterd_alive || fail "clusterd died"
check_ledger
pass "garbage on both consoles: no transition, nothing sent, no failover; the timeline holds no raw control byte"
