#!/usr/bin/env bash
# Scenario x86_panic (scripts/x86-bmc.chat): the x86 kernel panic on alpha's
# SOL console ("Kernel panic - not syncing: …", the call trace, "---[ end
# Kernel panic …"; panic=0, it spins). No prompt follows within panic_confirm:
# alpha is powered off through its BMC and read back off (the fence), beta is
# powered on, boots over SOL to its login prompt, takeover. No BREAK is ever
# sent (it would only arm SysRq). Ledger clean.
#   x86_panic.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
scenario_enter "$@"
x86_setup
inject "kernel panic on alpha"
t_inj=$(date +%s.%N)
sim alpha panic >/dev/null
wait_for 45 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the panic"
show_timeline 'state |fenced|takeover|alarm|power'
expect_timeline 'state panic_seen <- active linux_panic matched "Kernel panic - not syncing: Attempted to kill init!' "the panic line was not seen"
expect_timeline 'state fence <- after .panic_confirm' "no fence after panic_confirm"
expect_journal_count 1 'fence-confirmed .*node=alpha' "alpha fenced"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one power-on of beta"
expect_journal_count 1 'takeover active=beta' "takeover"
expect_timeline 'fenced alpha \(by power: power_status read it back off\)' "no fence by power read back off"
expect_node_state beta RUNNING
expect_node_state alpha OFF
[[ $(ledger_count alpha '"ev":"break"') == 0 ]] || fail "a BREAK reached alpha: $(grep '"ev":"break"' "$(ledger alpha)")"
clusterd_alive || fail "clusterd died"
check_ledger
pass "x86 panic -> fenced by power (read back off), beta powered on, booted over SOL, takeover; no BREAK"
