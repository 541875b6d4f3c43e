#!/usr/bin/env bash
# Scenario alarm_path_outage (crash-test-plan: alarm path outage): the mail
# server is down when the primary panics. The failover must not wait for it:
# the takeover comes as fast as with a working mail path; the critical alarm
# waits in the spool and is delivered once the server is back (first retry
# after retry_first = 2 s here), exactly once.
# Asserts: takeover within 10 s of the panic while SMTP is down; no mail then;
# after the server starts, the critical alarm arrives, one copy; ledger clean.
#   alarm_path_outage.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"

ip link set lo up 2>/dev/null || true
smtp_port=$(free_port)
mkdir -p "$work/maildir"
CONFIG_EXTRA="[alarms]
email = [\"oncall@test.invalid\"]
smtp = \"smtp://127.0.0.1:$smtp_port\"
from = \"clusterd@test.invalid\"
timeout = \"3s\"
retry_first = \"2s\"
retry_cap = \"4s\""
scenario_setup

inject "panic on alpha, the mail server down"
t_inj=$(date +%s.%N)
sim alpha panic >/dev/null
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
took=$(since "$t_inj")
say "beta took over ${took}s after the panic, with no mail server"
awk -v d="$took" 'BEGIN { exit !(d < 10) }' || fail "the takeover took ${took}s with the mail server down"
[[ -z $(ls "$work/maildir" 2>/dev/null) ]] || fail "mail arrived with the server down?"
grep -qiE 'pending|retry|queued' <<<"$("$bin/clusterctl" alarms demo --home "$home")" ||
  say "note: clusterctl alarms: $("$bin/clusterctl" alarms demo --home "$home" | head -5)"

say "mail server up"
/usr/bin/python3 "$src/tests/alarm/smtp_sink.py" --port "$smtp_port" --maildir "$work/maildir" >"$work/smtp.log" 2>&1 &
pids+=($!)
wait_for 20 "the critical alarm delivered from the spool" sh -c "grep -ql '^Subject: .*CRITICAL: fencing alpha' '$work'/maildir/new/* 2>/dev/null"
sleep 6
n=$(grep -l '^Subject: .*CRITICAL: fencing alpha' "$work"/maildir/new/* | wc -l)
[[ $n == 1 ]] || fail "the critical alarm arrived $n times"
check_ledger
pass "mail server down: takeover in ${took}s, the critical alarm delivered once after the server came back"
