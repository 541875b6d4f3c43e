#!/usr/bin/env bash
# `clusterctl console` and `clusterctl ports` as an operator meets them: exit
# statuses, messages, escaped traffic. Real endpoints: commands under a pty
# (exec:), a refused TCP port, a bad URI.
# usage: clusterctl_console_test.sh PATH/TO/clusterctl
set -u
cc=$1
source "$(dirname "$0")/../support/cli_test_lib.sh"
expect_no_byte() {  # NAME FILE OCTAL
  if LC_ALL=C grep -q "$(printf '%b' "\\$3")" "$tmp/$2"; then
    echo "FAIL $1: byte \\$3 reached $2"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
}

expect_status help 0 "$cc" --help
expect_text help out "console URI"
expect_status console-help 0 "$cc" console --help
expect_status no-command 64 "$cc"
expect_status unknown-option 64 "$cc" console exec:cat --frobnicate
expect_status bad-timeout 64 "$cc" console exec:cat --timeout soon
expect_text bad-timeout err "--timeout 'soon' is not a duration"
expect_status bad-send 64 "$cc" console exec:cat --send 'a\q'
expect_status bad-pattern 64 "$cc" console exec:cat --expect '(('

# A URI with a mistake: exit 2, the part that is wrong named.
expect_status bad-uri 2 "$cc" console 'telnet://nts1:70x1'
expect_text bad-uri err "telnet://nts1:70x1: port '70x1' is not a number 1-65535"

# The prompt arrives: exit 0, traffic shown escaped, BREAK method said.
expect_status prompt 0 "$cc" console "exec:printf 'hello\\033[2J\\r\\n{0} ok '" --expect 'ok $' --timeout 5s
expect_text prompt out '< hello\e[2J\r\n'
expect_text prompt out '< {0} ok '
expect_text prompt err 'BREAK is delivered as: none: exec cannot send BREAK'
expect_text prompt err 'matched /ok $/'
expect_no_byte prompt out 033

# What we send reaches the node, and the escape BREAK goes out when asked.
expect_status send-break 0 "$cc" console 'exec:cat?break=~B' --break --send 'boot\r' --expect 'boot' --timeout 5s
expect_text send-break err 'BREAK sent: escape sequence "~B" written to the console'
expect_text send-break out '> boot\r'

# The pattern never comes: exit 1 after the timeout.
expect_status no-match 1 "$cc" console exec:cat --expect 'login: $' --timeout 500ms
expect_text no-match err "/login: \$/ did not arrive within 500ms"

# Nobody listens: exit 2 with the reason.
port=$(( (RANDOM % 20000) + 30000 ))
expect_status refused 2 "$cc" console "tcp://127.0.0.1:$port" --timeout 3s
expect_text refused err "lost (refused)"

# The transcript written with --log is the replayable format.
expect_status log 0 "$cc" console "exec:printf 'panic[cpu0]\\r\\n'" --expect panic --log "$tmp/t.console" -q
if grep -qE '^[0-9T:.-]+Z < panic\[cpu0\]\\r\\n$' "$tmp/t.console"; then passes=$((passes + 1)); else
  echo "FAIL log: no '<' record in:"; sed 's/^/  | /' "$tmp/t.console"; fails=$((fails + 1)); fi

# -q: no traffic on stdout, only the progress and the verdict (stderr).
expect_status quiet 0 "$cc" console "exec:printf 'hello\\r\\n'" --expect hello -q --timeout 5s
expect_text quiet err 'matched /hello/'
if grep -qF 'hello' "$tmp/out"; then
  echo "FAIL quiet: traffic shown with -q:"; sed 's/^/  | /' "$tmp/out"; fails=$((fails + 1))
else passes=$((passes + 1)); fi

# --send may be given several times: the texts go out in order.
expect_status send-twice 0 "$cc" console exec:cat --send 'one\r' --send 'two\r' --expect two --timeout 5s
sent=$(grep -o '> .*' "$tmp/out" | tr -d '\n')
if [[ $sent == *'one\r'*'two\r'* ]]; then passes=$((passes + 1)); else
  echo "FAIL send-twice: not 'one' then 'two':"; sed 's/^/  | /' "$tmp/out"; fails=$((fails + 1)); fi

expect_status ports 0 "$cc" ports

finish "clusterctl console"
