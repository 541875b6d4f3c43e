#!/usr/bin/env bash
# chatc as a user meets it: exit statuses, messages, every command's --help.
# usage: chatc_cli_test.sh PATH/TO/chatc   (run from the source tree's top)
set -u
chatc=$1
source "$(dirname "$0")/../support/cli_test_lib.sh"
expect_status help 0 "$chatc" --help
expect_text help out "usage: chatc COMMAND"
expect_status stock-clean 0 "$chatc" check --strict scripts/sparc-obp.chat
expect_text stock-clean err "1 file checked: 0 errors, 0 warnings"
expect_status stock-clean-x86 0 "$chatc" check --strict scripts/x86-bmc.chat
expect_text stock-clean-x86 err "1 file checked: 0 errors, 0 warnings"

# A typo in a target state: file:line:col, the line, a caret; exit 1.
printf 'initial state watch {\n    on ping.down -> fense\n}\nstate fence { after 1s -> watch }\n' > "$tmp/typo.chat"
expect_status typo 1 "$chatc" check "$tmp/typo.chat"
expect_text typo err "typo.chat:2:21: error: unknown state 'fense'; did you mean 'fence'?"
expect_text typo err "    on ping.down -> fense"

# takeover reachable without `mark fenced active`.
printf 'initial state watch { on ping.down -> boot }\nstate boot { on standby "login: " { takeover } -> watch\n after 10m -> watch }\n' > "$tmp/unsafe.chat"
expect_status unsafe 1 "$chatc" check "$tmp/unsafe.chat"
expect_text unsafe err "unsafe.chat:2:37: error: takeover reachable without 'mark fenced active' first (path: watch -> boot)"

# --json for editors; gcc format for quickfix; --strict fails on warnings.
expect_status json 1 "$chatc" check --json "$tmp/typo.chat"
expect_text json out '"line": 2, "col": 21, "severity": "error"'
expect_status gcc 1 "$chatc" check --format=gcc "$tmp/typo.chat"
expect_text gcc err "typo.chat:2:21: error: unknown state 'fense'"
printf 'initial state a { on ping.down -> b }\nstate b { on active "x" -> a }\n' > "$tmp/warn.chat"
expect_status warn-ok 0 "$chatc" check "$tmp/warn.chat"
expect_status warn-strict 1 "$chatc" check --strict "$tmp/warn.chat"
# check FILE...: every file, one summary.
expect_status two-files 1 "$chatc" check scripts/sparc-obp.chat "$tmp/typo.chat"
expect_text two-files err "2 files checked: 1 error"

# Missing files and bad usage: one clear line, exit 2.
expect_status missing 2 "$chatc" check "$tmp/nope.chat"
expect_text missing err "nope.chat: No such file or directory"
expect_status no-command 2 "$chatc"
expect_status bad-option 2 "$chatc" check --frobnicate x.chat
expect_text bad-option err "chatc: unknown option '--frobnicate'"
expect_status bad-param 1 "$chatc" check --param boot_timeout=soon scripts/sparc-obp.chat
expect_text bad-param err "param 'boot_timeout' is a duration; 'soon' is not"

# dot: a digraph with the initial state double-bordered.
expect_status dot 0 "$chatc" dot scripts/sparc-obp.chat
expect_text dot out '"watch" [label="watch\n(active linux_oops)\n(active sp_prompt)", peripheries=2'
expect_text dot out '"watch" -> "confirm" [label="ping.down"];'

# replay: the golden case through the command line, and its errors.
g=tests/chat/golden
expect_status replay 0 "$chatc" replay scripts/sparc-obp.chat --console active=$g/primary_panic.alpha.console \
  --console standby=$g/primary_panic.beta.console --events $g/primary_panic.events
if diff -u "$g/primary_panic.expected" "$tmp/out" >/dev/null; then passes=$((passes + 1)); else
  echo "FAIL replay-golden: chatc replay differs from $g/primary_panic.expected"; diff -u "$g/primary_panic.expected" "$tmp/out"; fails=$((fails + 1)); fi
expect_status replay-json 0 "$chatc" replay scripts/sparc-obp.chat --json --console active=$g/primary_panic.alpha.console
expect_text replay-json out '{"t": 13.000, "kind": "state", "text": "fence'
printf '+1.0 < ok\n+2.0 x bad\n' > "$tmp/bad.console"
expect_status replay-bad-log 1 "$chatc" replay scripts/sparc-obp.chat --console active="$tmp/bad.console"
expect_text replay-bad-log err "bad.console:2: bad direction 'x' (expected < > ! or *)"
printf '+1s ping.dwn\n' > "$tmp/bad.events"
expect_status replay-bad-events 1 "$chatc" replay scripts/sparc-obp.chat --events "$tmp/bad.events"
expect_text replay-bad-events err "bad.events:1: unknown event 'ping.dwn'"
# --names, and the default from the transcripts' file names (cluster.node.console).
cat > "$tmp/names.chat" <<'CHAT'
initial state a { on ping.down { log "$active/$standby" } }
CHAT
printf '+1s ping.down\n' > "$tmp/one.events"
expect_status replay-names 0 "$chatc" replay "$tmp/names.chat" --events "$tmp/one.events" --names red,blue
expect_text replay-names out 'log      "red/blue"'
printf '+0 < x\n' > "$tmp/prod.gold.console"; printf '+0 < y\n' > "$tmp/prod.lead.console"
expect_status replay-names-files 0 "$chatc" replay "$tmp/names.chat" --events "$tmp/one.events" \
  --console active="$tmp/prod.gold.console" --console standby="$tmp/prod.lead.console"
expect_text replay-names-files out 'log      "gold/lead"'
expect_status replay-names-default 0 "$chatc" replay "$tmp/names.chat" --events "$tmp/one.events"
expect_text replay-names-default out 'log      "alpha/beta"'
# --unconfirmed-fence wait: the runtime refuses a presumed fence, as
# [policy] unconfirmed_fence = "wait" does in the daemon.
cat > "$tmp/presume.chat" <<'CHAT'
initial state a { on ping.down -> f }
state f { break active
  after 30s { mark fenced active presumed } -> ok
  on fence.refused -> no }
state ok {}
state no {}
CHAT
printf '+10s ping.down\n+60s end\n' > "$tmp/down.events"
printf '+0 < hello\n' > "$tmp/quiet.console"
expect_status replay-presume-takeover 0 "$chatc" replay "$tmp/presume.chat" --events "$tmp/down.events" \
  --console active="$tmp/quiet.console"
expect_text replay-presume-takeover out 'state    ok'
expect_status replay-presume-wait 0 "$chatc" replay "$tmp/presume.chat" --events "$tmp/down.events" \
  --console active="$tmp/quiet.console" --unconfirmed-fence wait
expect_text replay-presume-wait out '(unconfirmed_fence = wait)'
expect_text replay-presume-wait out 'state    no'
# --window: what is kept of a line between reads. A 20-byte pattern whose
# bytes come one read at a time never matches in a 16-byte window (the line
# lost its beginning); the default window (4096) sees it. The value may
# follow '='.
printf 'initial state a { on active "0123456789abcdefghij" -> b }\nstate b {}\n' > "$tmp/long.chat"
for c in 0 1 2 3 4 5 6 7 8 9 a b c d e f g h i j; do printf '+1 < %s\n' "$c"; done > "$tmp/long.console"
expect_status replay-window-default 0 "$chatc" replay "$tmp/long.chat" --console active="$tmp/long.console"
expect_text replay-window-default out 'state    b'
expect_status replay-window-small 0 "$chatc" replay "$tmp/long.chat" --console active="$tmp/long.console" --window=16
if grep -qF 'state    b' "$tmp/out"; then
  echo "FAIL replay-window-small: a 20-byte pattern matched in a 16-byte window"; fails=$((fails + 1))
else passes=$((passes + 1)); fi
# --param on replay: the override reaches the script.
cat > "$tmp/param.chat" <<'CHAT'
param who = "x"
initial state a { on ping.down { log "who=$who" } }
CHAT
expect_status replay-param 0 "$chatc" replay "$tmp/param.chat" --events="$tmp/one.events" --param who=ops
expect_text replay-param out 'log      "who=ops"'
expect_status replay-no-input 2 "$chatc" replay scripts/sparc-obp.chat

# replay of a Logs/NAME.sh transcript: its bytes on channel sh, "* exit N" as sh.exit N.
# shellcheck disable=SC2016 # the $1 is the chat script's, not the shell's
printf 'initial state watch {\n    on ping.down { exec "check" } -> checking\n}\nstate checking {\n    on sh /disk (\\w+) ok/ { log "disk $1" }\n    on sh.exit 3 -> watch\n    after 1m -> watch\n}\n' > "$tmp/sh.chat"
printf '# clusterd transcript v1 cluster=prod channel=sh\n+1.000 * start [check]\n+1.500 < disk c1t0 ok\\n\n+2.000 * exit 3\n' > "$tmp/prod.sh"
printf '+1s ping.down\n+5s end\n' > "$tmp/sh.events"
expect_status replay-sh 0 "$chatc" replay "$tmp/sh.chat" --console sh="$tmp/prod.sh" --events "$tmp/sh.events"
expect_text replay-sh out 'log      "disk c1t0"'
expect_text replay-sh out 'event    sh.exit 3'
expect_text replay-sh out 'state    watch  <- sh.exit 3'
expect_status replay-bad-role 2 "$chatc" replay "$tmp/sh.chat" --console shell="$tmp/prod.sh"
expect_text replay-bad-role err "--console role must be active, standby or sh, not 'shell'"

# power standby on is the standby's boot: a fence first.
printf 'initial state watch { on ping.down -> up }\nstate up { power standby on\n after 10m -> watch }\n' > "$tmp/power-unsafe.chat"
expect_status power-unsafe 1 "$chatc" check "$tmp/power-unsafe.chat"
expect_text power-unsafe err "power-unsafe.chat:2:12: error: boot reachable without 'mark fenced active' first"
printf 'initial state watch { on ping.down -> off }\nstate off { power active off\n on power.off active { mark fenced active by power } -> up\n on fence.refused -> watch\n after 10m -> watch }\nstate up { power standby on\n on power.on standby { takeover } -> watch\n after 10m -> watch }\n' > "$tmp/power-ok.chat"
expect_status power-ok 0 "$chatc" check --strict "$tmp/power-ok.chat"
printf 'initial state watch { on ping.down { mark fenced active by pwr } -> watch }\n' > "$tmp/by-typo.chat"
expect_status by-typo 1 "$chatc" check "$tmp/by-typo.chat"
expect_text by-typo err "expected 'power' or 'lease' after 'by' (mark fenced CH by power|lease)"
# A fence by lease may be refused: the state must say what then.
printf 'initial state watch { on lease.expired { mark fenced active by lease } -> up }\nstate up { boot standby "boot\\r"\n after 10m -> watch }\n' > "$tmp/lease-no-refused.chat"
expect_status lease-no-refused 1 "$chatc" check --strict "$tmp/lease-no-refused.chat"
expect_text lease-no-refused err "fences by lease"
expect_status replay-missing-log 2 "$chatc" replay scripts/sparc-obp.chat --console active="$tmp/none.console"

finish "chatc cli"
