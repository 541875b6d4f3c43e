#!/usr/bin/env bash
# Scenario linux_panic (issue 12): alpha runs Debian on SPARC (nodesim --os
# linux) and panics. What it stands for (docs/nodesim.md, "Linux"; the texts
# and their sources in sim/console_text.h):
#  - the panic: Linux kernel/panic.c prints "Kernel panic - not syncing: …",
#    on SPARC "Press Stop-A (L1-A) from sun keyboard or send break" / "twice on
#    console to return to the boot prom", then "---[ end Kernel panic … ]---",
#    and spins (panic=0): no dump, no reboot, the network gone, the disk
#    released (sparc64 transcript:
#    https://lore.kernel.org/sparclinux/03957ee5ee562b70f7e3278d0ce95b2f52cbc721.camel@physik.fu-berlin.de/);
#  - the BREAK: on a sunhv console (--linux-break sysrq) uart_handle_break()
#    (include/linux/serial_core.h) swallows the first BREAK and only arms the
#    magic SysRq key for SYSRQ_TIMEOUT (5 s); the second BREAK with nothing
#    typed between reaches sun_do_break() (arch/sparc/kernel/setup_64.c):
#    "\n", "Type 'go' to resume", ok (Documentation/admin-guide/sysrq.rst:
#    "Sending BREAK twice is interpreted as a normal BREAK").
# The stock script must see the panic line (linux_panic), fence with TWO
# BREAKs (fence, then fence_again after $break_again = 1 s), reach ok, set and
# read back auto-boot? false (a confirmed fence, not a presumed one), boot beta
# once and take over. alpha's ledger: the first BREAK sysrq-armed, the second
# halted, no character eaten as a SysRq key in between. Ledger clean.
#   linux_panic.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
ALPHA_OPTS="--os linux --linux-break sysrq"
scenario_setup  # wait_alpha_running: a Linux boot ends in RUNNING too (getty "alpha login: ")
[[ $(node_field alpha booted-os) == linux ]] || fail "alpha did not boot Linux: $(sim alpha status)"
alpha_mark=$(ledger_mark alpha)

# The wall-clock time (epoch seconds) of the Nth timeline line matching EREGEX.
tl_time() {  # EREGEX [N]
  local l
  l=$(grep -E -- "$1" "$timeline_log" | sed -n "${2:-1}p")
  [[ -n $l ]] || return 1
  date -d "${l%% *}" +%s.%N
}

inject "panic on alpha (Linux: Kernel panic - not syncing, then it spins)"
t_inj=$(date +%s.%N)
sim alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the panic"
sleep 1
show_timeline

expect_timeline 'state panic_seen <- active linux_panic matched "Kernel panic - not syncing' "the Linux panic line was not seen as a panic"
expect_timeline 'state fence <- after [$]panic_confirm' "the fence did not follow the panic line"
expect_timeline 'alarm critical "fencing alpha: panic on alpha: Kernel panic - not syncing' "no critical alarm naming the panic"
timeline_has 'state confirm <-' && fail "the failover went through ping loss, not the panic line"
timeline_has 'console silent' && fail "an alarm or reason says 'console silent': $(grep 'console silent' "$timeline_log")"
expect_timeline 'state fence_again <- after [$]break_again' "no second BREAK (fence_again)"
n=$(timeline_count 'BREAK alpha ')
[[ $n == 2 ]] || fail "expected 2 BREAKs to alpha in the timeline, found $n"
gap=$(awk -v a="$(tl_time 'BREAK alpha ' 1)" -v b="$(tl_time 'BREAK alpha ' 2)" 'BEGIN { printf "%.3f", b - a }')
say "second BREAK ${gap}s after the first"
awk -v g="$gap" 'BEGIN { exit !(g >= 0.9 && g < 5.0) }' || fail "second BREAK ${gap}s after the first: not \$break_again (1 s) and within SYSRQ_TIMEOUT (5 s)"
expect_timeline 'state lock_active <- active obp_prompt' "the second BREAK did not bring alpha to ok"
expect_timeline 'send alpha "setenv auto-boot\? false\\r"' "no setenv auto-boot? false"
expect_timeline 'state boot_standby <- active autoboot_false' "auto-boot? false not read back"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
expect_journal_count 0 'how=presumed' "no presumed fence"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
expect_journal_count 1 'takeover active=beta' "takeover"
[[ $(ledger_count beta '"ev":"command","line":"boot shared"') == 1 ]] || fail "beta's ledger: not exactly one 'boot shared' typed"

# alpha's ledger: the first BREAK only armed SysRq, the second halted the panicked kernel.
breaks=$(ledger_since alpha "$alpha_mark" | grep '"ev":"break"' || true)
say "alpha's BREAKs: $(tr '\n' ' ' <<<"$breaks")"
[[ $(grep -c . <<<"$breaks") == 2 ]] || fail "alpha's ledger: expected 2 BREAKs, found: $breaks"
sed -n 1p <<<"$breaks" | grep -q '"via":"telnet-brk","effect":"sysrq-armed","in":"PANIC"' ||
  fail "alpha's ledger: the first BREAK was not sysrq-armed in PANIC: $(sed -n 1p <<<"$breaks")"
sed -n 2p <<<"$breaks" | grep -q '"via":"telnet-brk","effect":"halted","in":"PANIC"' ||
  fail "alpha's ledger: the second BREAK did not halt the panicked node: $(sed -n 2p <<<"$breaks")"
[[ $(ledger_count alpha '"ev":"sysrq"' "$alpha_mark") == 0 ]] || fail "a character was eaten as a SysRq key: $(ledger_since alpha "$alpha_mark" | grep '"ev":"sysrq"')"

expect_node_state alpha OK "alpha must be held at ok"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta RUNNING
[[ $(status_field active) == beta ]] || fail "beta is not active: $(ctl status demo)"
clusterd_alive || fail "clusterd died"
check_ledger
pass "Linux panic -> two BREAKs (${gap}s apart: sysrq-armed, then ok), fence read back, one boot, takeover"
