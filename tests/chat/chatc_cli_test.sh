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
expect_status replay-no-input 2 "$chatc" replay scripts/sparc-obp.chat
expect_status replay-missing-log 2 "$chatc" replay scripts/sparc-obp.chat --console active="$tmp/none.console"

finish "chatc cli"
