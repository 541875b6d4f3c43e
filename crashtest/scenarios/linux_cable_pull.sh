#!/usr/bin/env bash
# Scenario linux_cable_pull (issue 12): alpha runs Debian on SPARC (nodesim
# --os linux) and its network cable is pulled; the node and its console live
# on. What it stands for (docs/nodesim.md, "Linux"; the texts and their
# sources in sim/console_text.h):
#  - the console of a running Linux is agetty's: Enter at "alpha login: "
#    (no "console" in it, unlike Solaris) gets the prompt again (the getty
#    lines of a Debian on a Sun Fire V240:
#    https://github.com/stevecrozz/lithostech.com/blob/master/_posts/2008-09-24-debian-on-a-sunfire-v240.markdown);
#  - the BREAK: on a sunhv console (--linux-break sysrq) uart_handle_break()
#    (include/linux/serial_core.h) swallows the first BREAK and only arms the
#    magic SysRq key for SYSRQ_TIMEOUT (5 s); the second BREAK with nothing
#    typed between reaches sun_do_break() (arch/sparc/kernel/setup_64.c) and
#    the PROM's ok (Documentation/admin-guide/sysrq.rst: "Sending BREAK twice
#    is interpreted as a normal BREAK").
# The stock script: ping lost -> confirm; the CR gets the getty prompt
# (linux_login) -> network_loss_hold; after $network_loss_holdoff the fence
# with two BREAKs (fence, fence_again 1 s later), ok, auto-boot? false read
# back (confirmed), one boot of beta, takeover. Never "console silent": the
# console answered. After cable-plug alpha stays at ok. alpha's ledger: the
# first BREAK sysrq-armed, the second halted the running kernel. Ledger clean.
#   linux_cable_pull.sh BIN_DIR SOURCE_DIR
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

inject "cable-pull on alpha (Linux; console stays up)"
t_inj=$(date +%s.%N)
sim alpha cable-pull >/dev/null
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the cable pull"
sleep 1
show_timeline

expect_timeline 'ping alpha down' "ping loss not detected"
expect_timeline 'state confirm <- ping.down' "no console confirmation asked"
expect_timeline 'state network_loss_hold <- active linux_login matched "alpha login: "' "the getty prompt was not heard as life (linux_login)"
expect_timeline 'state fence <- after [$]network_loss_holdoff' "the fence did not follow the hold-off (ping still down)"
expect_timeline 'alarm critical "fencing alpha: ping lost, console alive \(alpha answers at login\)' "no critical alarm naming 'ping lost, console alive'"
timeline_has 'console silent' && fail "an alarm or reason says 'console silent': $(grep 'console silent' "$timeline_log")"
timeline_has 'presum' && fail "something was presumed: $(grep 'presum' "$timeline_log")"
expect_timeline 'state fence_again <- after [$]break_again' "no second BREAK (fence_again)"
n=$(timeline_count 'BREAK alpha ')
[[ $n == 2 ]] || fail "expected 2 BREAKs to alpha in the timeline, found $n"
gap=$(awk -v a="$(tl_time 'BREAK alpha ' 1)" -v b="$(tl_time 'BREAK alpha ' 2)" 'BEGIN { printf "%.3f", b - a }')
say "second BREAK ${gap}s after the first"
awk -v g="$gap" 'BEGIN { exit !(g >= 0.9 && g < 5.0) }' || fail "second BREAK ${gap}s after the first: not \$break_again (1 s) and within SYSRQ_TIMEOUT (5 s)"
expect_timeline 'state lock_active <- active obp_prompt' "the second BREAK did not bring alpha to ok"
expect_timeline 'state boot_standby <- active autoboot_false' "auto-boot? false not read back"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
expect_journal_count 0 'how=presumed' "no presumed fence"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
expect_journal_count 1 'takeover active=beta' "takeover"
[[ $(ledger_count beta '"ev":"command","line":"boot shared"') == 1 ]] || fail "beta's ledger: not exactly one 'boot shared' typed"

# alpha's ledger: the first BREAK only armed SysRq, the second halted the running kernel.
breaks=$(ledger_since alpha "$alpha_mark" | grep '"ev":"break"' || true)
say "alpha's BREAKs: $(tr '\n' ' ' <<<"$breaks")"
[[ $(grep -c . <<<"$breaks") == 2 ]] || fail "alpha's ledger: expected 2 BREAKs, found: $breaks"
sed -n 1p <<<"$breaks" | grep -q '"via":"telnet-brk","effect":"sysrq-armed","in":"RUNNING"' ||
  fail "alpha's ledger: the first BREAK was not sysrq-armed in RUNNING: $(sed -n 1p <<<"$breaks")"
sed -n 2p <<<"$breaks" | grep -q '"via":"telnet-brk","effect":"halted","in":"RUNNING"' ||
  fail "alpha's ledger: the second BREAK did not halt the running node: $(sed -n 2p <<<"$breaks")"
[[ $(ledger_count alpha '"ev":"sysrq"' "$alpha_mark") == 0 ]] || fail "a character was eaten as a SysRq key: $(ledger_since alpha "$alpha_mark" | grep '"ev":"sysrq"')"

say "healing: cable-plug on alpha; it must stay at ok"
sim alpha cable-plug >/dev/null
sleep 2
expect_node_state alpha OK "alpha came back up after the cable returned"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
[[ $(ledger_count alpha '"ev":"command","line":"(boot|go)' "$alpha_mark") == 0 ]] || fail "alpha was booted or resumed"
expect_node_state beta RUNNING
[[ $(status_field active) == beta ]] || fail "beta is no longer active: $(ctl status demo)"
expect_journal_count 1 'takeover active=beta' "still one takeover"
clusterd_alive || fail "clusterd died"
check_ledger
pass "Linux, cable pulled -> getty answered, hold-off, two BREAKs (${gap}s apart: sysrq-armed, then ok), fence read back, one boot, takeover; alpha stays at ok after the heal"
