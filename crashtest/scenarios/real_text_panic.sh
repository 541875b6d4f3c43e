#!/usr/bin/env bash
# Scenario real_text_panic (issue 12): a Solaris panic as the wire really
# carries it. The illumos kernel prints its panic line as
# "\n\rpanic[cpu%d]/thread=%p: " (usr/src/uts/common/os/panic.c, panicsys());
# through the console's onlcr that is "\r\n\rpanic[cpu0]/…": the line starts
# after a CR, not after the LF. nodesim prints that sequence byte for byte
# (sim/console_text.h). The stock script must see it as a panic at once, not
# fall back to ping loss seconds later: BREAK within 1 s of the panic line
# (panic_confirm is 500 ms: no prompt followed, so not a quote), the fence
# read back, one boot, takeover, ledger clean.
#   real_text_panic.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup

inject "panic on alpha (the illumos LF-CR panic line)"
sim alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
show_timeline

# The bytes on the wire: the panic record starts with the CR the kernel put there.
transcript=$home/Logs/demo.alpha.console
panic_rec=$(grep -m1 -E '< (\\r\\n)*\\rpanic\[cpu[0-9]+\]/thread=' "$transcript") ||
  fail "alpha's transcript has no panic line starting after a CR: $(grep -m1 panic "$transcript")"
expect_timeline 'state panic_seen <- active solaris_panic matched "panic\[cpu0\]/thread=' "the panic line was not matched as a panic"
expect_timeline 'state fence <- after [$]panic_confirm' "the fence did not follow the panic line"
timeline_has 'ping lost' && fail "the failover was started by ping loss, not by the panic line"
# Fenced within 1 s of the panic line.
t_line=$(date -d "${panic_rec%% *}" +%s.%N)
brk=$(grep -m1 'BREAK alpha' "$timeline_log") || fail "no BREAK to alpha"
t_break=$(date -d "${brk%% *}" +%s.%N)
delay=$(awk -v a="$t_line" -v b="$t_break" 'BEGIN { printf "%.3f", b - a }')
say "BREAK ${delay}s after the panic line"
awk -v d="$delay" 'BEGIN { exit !(d >= 0 && d < 1.0) }' || fail "BREAK ${delay}s after the panic line, not within 1 s"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced and read back"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
expect_journal_count 1 'takeover active=beta' "takeover"
sleep 1
expect_node_state alpha OK "alpha must be held at ok"
check_ledger
pass "the real LF-CR panic line fenced ${delay}s after it, read back, one boot, takeover"
