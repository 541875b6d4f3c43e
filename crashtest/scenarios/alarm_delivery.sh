#!/usr/bin/env bash
# Scenario alarm_delivery (issue 6's "done when"): a failover's critical alarm
# reaches a real SMTP server (aiosmtpd on loopback inside the test network)
# within 2 s of the decision, with a Subject naming cluster and severity; the
# takeover notice follows, and a `resolved` notice once the script rests again. The decision time is the timeline's stamp of the
# `alarm critical` line; the arrival time is the mail file's mtime.
#   alarm_delivery.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"

ip link set lo up 2>/dev/null || true
smtp_port=$(free_port)
mkdir -p "$work/maildir"
/usr/bin/python3 "$src/tests/alarm/smtp_sink.py" --port "$smtp_port" --maildir "$work/maildir" >"$work/smtp.log" 2>&1 &
pids+=($!)
wait_for 10 "the SMTP sink" sh -c "ss -ltn | grep -q ':$smtp_port '"
CONFIG_EXTRA="[alarms]
email = [\"oncall@test.invalid\"]
smtp = \"smtp://127.0.0.1:$smtp_port\"
from = \"clusterd@test.invalid\"
timeout = \"5s\""
scenario_setup

inject "panic on alpha"
sim alpha panic >/dev/null
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
wait_for 10 "two mails (critical, then the takeover notice)" sh -c "[ \$(ls '$work/maildir/new' | wc -l) -ge 2 ]"

critical=$(grep -l -i 'critical' "$work"/maildir/new/* | sed -n 1p)
[[ -n $critical ]] || fail "no critical alarm mail"
grep -qi '^Subject:.*demo.*critical\|^Subject:.*critical.*demo' "$critical" || fail "Subject does not name cluster and severity: $(grep -i '^Subject' "$critical")"
grep -q 'fencing alpha' "$critical" || fail "the mail does not say what happened"
decided=$(grep -m1 'alarm critical "fencing alpha' "$timeline_log" | cut -d' ' -f1)
t_dec=$(date -d "$decided" +%s.%N)
t_mail=$(stat -c %.9Y "$critical")
delay=$(awk -v a="$t_dec" -v b="$t_mail" 'BEGIN { printf "%.3f", b - a }')
say "critical alarm delivered ${delay}s after the decision"
awk -v d="$delay" 'BEGIN { exit !(d >= 0 && d < 2.0) }' || fail "the critical alarm took ${delay}s (limit 2 s)"
# The fence condition ends when the script is back in `watch`: one resolved notice.
wait_for 10 "a resolved notice for the fence condition" sh -c "grep -qil 'resolved' '$work'/maildir/new/*"
grep -q 'delivered' <<<"$("$bin/clusterctl" alarms demo --home "$home")" || fail "clusterctl alarms does not show a delivered alarm: $("$bin/clusterctl" alarms demo --home "$home")"
check_ledger
pass "the failover's critical alarm reached the SMTP sink ${delay}s after the decision"
