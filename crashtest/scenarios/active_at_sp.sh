#!/usr/bin/env bash
# Scenario active_at_sp (issue 12): alpha's console was left at its service
# processor (ILOM "-> "; sim/console_text.h after the ILOM CLI manual), and
# its network cable is pulled. A CR reaches the SP, which answers; a BREAK
# would never reach the host. The console answering is not silence and not a
# fence: the stock script raises a critical alarm naming the service
# processor and does nothing to alpha; the runtime would refuse a presumption
# anyway (the SP answered the CR). No BREAK, no boot, no takeover. When the
# operator returns the console to the host and the cable goes back, clusterd
# is back in watch.
#   active_at_sp.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup

say "alpha's console parked at its ILOM"
sim alpha sp-park ilom >/dev/null
inject "cable-pull on alpha (console at the service processor)"
sim alpha cable-pull >/dev/null
wait_for 40 "the service-processor alarm" timeline_has 'alarm critical "ping lost; alpha.s console answers at its service processor'
sleep 3
show_timeline
timeline_has 'BREAK alpha' && fail "a BREAK was sent through the service processor"
timeline_has 'console silent' && fail "the SP's answer was called silence"
timeline_has 'fenced alpha' && fail "alpha was marked fenced"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
expect_node_state alpha RUNNING "alpha must keep running behind its SP"
expect_node_state beta OK "beta must stay at ok"

say "the operator returns the console to the host and plugs the cable back"
sim alpha sp-unpark >/dev/null
sim alpha cable-plug >/dev/null
wait_for 20 "back to watch" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^state *watch'"
[[ $(status_field active) == alpha ]] || fail "roles changed: $(ctl status demo)"
check_ledger
pass "console at the service processor: critical alarm naming it, nothing sent to the host, nothing presumed; back to watch when the host console returns"
