#!/usr/bin/env bash
# Scenario standby_boot_panic (issue 12): the standby panics on its way up from
# the shared disk. What it stands for (docs/nodesim.md, "What the console
# prints", boot panic; the texts and their sources in sim/console_text.h):
# Solaris that cannot mount its root prints, after "SunOS Release …" and
# before "Hostname:", "Cannot mount root on … fstype ufs" and
# "\n\rpanic[cpu0]/thread=140a000: vfs_mountroot: cannot mount root", two
# traceback frames, "skipping system dump - no dump device configured", then
# "rebooting..." and the reset; with auto-boot? false it ends at ok (a
# published Solaris 9 SPARC console:
# https://github.com/squarism/squarism.github.io/blob/master/_posts/2004-12-13-solaris-904-and-veritas-kernel-panic.markdown;
# panicsys() in illumos usr/src/uts/common/os/panic.c for the LF-CR).
# nodesim's boot-panic once: the next boot from the disk panics so, before
# T_mount (beta never holds the disk), and the one after boots.
# alpha (Solaris) panics; the stock script fences it (confirmed) and boots
# beta, which panics while booting: the script must see that panic at once
# (boot_standby -> boot_crashed on solaris_panic, warning "beta failed to boot
# (beta panicked while booting: …); one more try once it is back at ok"), well
# before boot_timeout, wait for beta's ok after its reset and boot it once
# more (boot_again): it boots and takes over. Exactly two `boot shared` in
# beta's ledger, one takeover, ledger clean. Prints how long after the boot
# panic line the retry boot was sent.
#   standby_boot_panic.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup
alpha_mark=$(ledger_mark alpha)
beta_mark=$(ledger_mark beta)

# The wall-clock time (epoch seconds) of the Nth timeline line matching EREGEX.
tl_time() {  # EREGEX [N]
  local l
  l=$(grep -E -- "$1" "$timeline_log" | sed -n "${2:-1}p")
  [[ -n $l ]] || return 1
  date -d "${l%% *}" +%s.%N
}
# The ledger time (CLOCK_MONOTONIC ns) of the Nth record of NODE since MARK matching EREGEX.
ledger_t() {  # NODE MARK EREGEX [N]
  ledger_since "$1" "$2" | grep -E -- "$3" | sed -n "${4:-1}p" | sed -n 's/^{"t_ns":\([0-9]*\),.*/\1/p'
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }  # NS_FROM NS_TO

sim beta boot-panic once >/dev/null
[[ $(node_field beta boot-panic) == once ]] || fail "beta's next boot is not set to panic: $(sim beta status)"
inject "panic on alpha (beta's next boot panics in vfs_mountroot)"
t_inj=$(date +%s.%N)
sim alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the panic"
sleep 1
show_timeline

# alpha fenced through its console.
expect_timeline 'state panic_seen <- active solaris_panic' "alpha's panic not seen"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
expect_journal_count 0 'how=presumed' "no presumed fence"
# beta's first boot: the panic while booting, seen as such.
expect_timeline 'state boot_crashed <- standby solaris_panic matched "panic\[cpu0\]/thread=140a000: vfs_mountroot: cannot mount root' \
  "beta's boot panic was not seen (boot_crashed on solaris_panic)"
expect_timeline 'alarm warning "beta failed to boot \(beta panicked while booting: panic\[cpu0\]/thread=140a000: vfs_mountroot: cannot mount root\); one more try once it is back at ok"' \
  "no warning naming beta's boot panic"
expect_timeline 'state boot_again <- standby obp_prompt' "beta was not booted again at its ok"
timeline_has 'no login prompt within' && fail "the boot panic was taken for a slow boot (boot_timeout): $(grep 'no login prompt within' "$timeline_log")"
timeline_has 'state boot_retry <-' && fail "boot_retry: the panic went unseen"
timeline_has 'state boot_failed <-' && fail "boot_failed after the retry"
n=$(timeline_count 'send beta "boot shared\\r"')
[[ $n == 2 ]] || fail "expected 2 'boot shared' sent to beta in the timeline, found $n"
expect_journal_count 1 'takeover active=beta' "one takeover"
expect_journal_count 1 'boot-sent attempt=2 node=beta state=boot_again' "the retry not journaled as attempt 2"
expect_journal_count 2 'boot-sent' "not exactly two boot-sent records"

# beta's ledger: two boots, the first one's panic, no disk held before the second.
boots=$(ledger_count beta '"ev":"command","line":"boot shared"' "$beta_mark")
[[ $boots == 2 ]] || fail "beta's ledger: expected 2 'boot shared' (the panicked one and the retry), found $boots"
t_boot1=$(ledger_t beta "$beta_mark" '"ev":"command","line":"boot shared"' 1)
t_panic=$(ledger_t beta "$beta_mark" '"ev":"state","from":"BOOTING","to":"PANIC","why":"boot panic"')
t_ok=$(ledger_t beta "$beta_mark" '"ev":"state","from":"POST","to":"OK"')
t_boot2=$(ledger_t beta "$beta_mark" '"ev":"command","line":"boot shared"' 2)
[[ -n $t_panic ]] || fail "beta's ledger: no boot panic: $(ledger_since beta "$beta_mark" | grep '"ev":"state"')"
[[ -n $t_ok ]] || fail "beta's ledger: not back at ok after its boot panic"
[[ $(ledger_count beta '"ev":"lease_acquire"' "$beta_mark") == 1 ]] || fail "beta's ledger: not exactly one mount (the second boot's)"
(( t_boot1 < t_panic && t_panic < t_ok && t_ok < t_boot2 )) || fail "beta's ledger out of order: boot $t_boot1, panic $t_panic, ok $t_ok, boot $t_boot2"
lease1=$(ledger_t beta "$beta_mark" '"ev":"lease_acquire"')
(( lease1 > t_boot2 )) || fail "beta took the disk before its second boot"

# How fast: the panic seen against boot_timeout; the retry after the panic line.
boot_timeout=30
[[ ${CRASHTEST_TIMINGS:-ci} == realistic ]] && boot_timeout=600
t_sent1=$(tl_time 'send beta "boot shared\\r"' 1)
t_crashed=$(tl_time 'state boot_crashed <- ')
t_sent2=$(tl_time 'send beta "boot shared\\r"' 2)
seen=$(awk -v a="$t_sent1" -v b="$t_crashed" 'BEGIN { printf "%.3f", b - a }')
boot_to_panic=$(secs "$t_boot1" "$t_panic")
panic_to_retry=$(secs "$t_panic" "$t_boot2")
panic_to_ok=$(secs "$t_panic" "$t_ok")
retry_timeline=$(awk -v a="$t_crashed" -v b="$t_sent2" 'BEGIN { printf "%.3f", b - a }')
say "boot panic ${boot_to_panic}s into beta's first boot; boot_crashed ${seen}s after that boot was sent (boot_timeout ${boot_timeout}s)"
say "retry boot sent ${panic_to_retry}s after the boot panic line (beta's ledger; back at ok ${panic_to_ok}s after it; timeline: ${retry_timeline}s from boot_crashed to the second boot shared)"
awk -v s="$seen" -v p="$boot_to_panic" 'BEGIN { exit !(s < p + 2.0) }' ||
  fail "the boot panic was seen ${seen}s after the boot, ${boot_to_panic}s of which before the panic: not at once"
awk -v s="$seen" -v t="$boot_timeout" 'BEGIN { exit !(s < t / 2) }' || fail "boot_crashed ${seen}s after the boot: not well before boot_timeout (${boot_timeout}s)"
awk -v r="$panic_to_retry" -v o="$panic_to_ok" 'BEGIN { exit !(r >= o && r < o + 2.0) }' ||
  fail "the retry boot was sent ${panic_to_retry}s after the panic, beta at ok ${panic_to_ok}s after it: not at its ok"

[[ $(ledger_count alpha '"ev":"command","line":"(boot|go)' "$alpha_mark") == 0 ]] || fail "alpha was booted or resumed"
expect_node_state alpha OK "alpha must stay at ok (fenced)"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta RUNNING
[[ $(status_field active) == beta ]] || fail "beta is not active: $(ctl status demo)"
clusterd_alive || fail "clusterd died"
check_ledger
pass "alpha fenced; beta's boot panic seen ${seen}s after its boot (boot_timeout ${boot_timeout}s), retry boot ${panic_to_retry}s after the panic line at its ok; two boots, one takeover"
