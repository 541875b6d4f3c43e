#!/usr/bin/env bash
# Scenario ssh_identity (crash-test plan SEC-3 / anchor A14, ssh console
# identity): beta's console (the standby) is reached through ssh, as through a
# console server's ssh port: a private OpenSSH sshd in the monitor namespace,
# key authentication only, a ForceCommand that joins the session to beta's pty
# (socat). Its host key hk_good is pinned in the known_hosts file clusterd
# reads. alpha's console stays telnet, so the active's watch, ping and
# failover logic are untouched by the faults.
#   1. the server's host key is swapped (sshd restarted with hk_evil, same
#      port): clusterd's console drops, reconnects and must refuse: a loss with
#      reason host-key naming the offered (evil) fingerprint, and the runtime's
#      critical alarm "console of beta (standby) refused: host-key: ...; not
#      used until an operator fixes it", once however often the reconnect is
#      refused; status shows beta's console down; sshd never authenticated the
#      client (the client key is never offered to an unverified server).
#   2. hk_good comes back: the console is up again within the retry cap.
#   3. known_hosts is emptied and the session killed: refused again (the key
#      is "not in" known_hosts), a second critical alarm (the first was
#      cleared by the console coming up), again once.
# Throughout: no takeover, no failover step in the journal, nothing sent to
# either node (ledgers, transcripts), clusterd alive, ledger clean.
# Figures: T_alarm of both faults, from the injection to the alarm's timeline
# stamp. The URI sets retry_max=2s (default 30s) so that the refused console is
# retried, and the restored one found, within the scenario's time; a host-key
# refusal saturates the backoff, so fault 2 (injected while the backoff is
# still saturated from fault 1) is seen one retry_max after the injection.
#   ssh_identity.sh BIN_DIR SOURCE_DIR      (KEEP=1 keeps the work directory)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"

for tool in /usr/sbin/sshd ssh-keygen socat ss; do
  command -v "$tool" >/dev/null || fail "needs $tool (packages openssh-server, openssh-client, socat, iproute2)"
done
ip link set lo up 2>/dev/null || true
retry_max=2

# --- beta's console server: sshd ------------------------------------------------
start_nodes
sshp=$(free_port)
sd=$work/ssh
mkdir -p "$sd"
[[ -d /run/sshd ]] || mkdir -m 0755 /run/sshd  # sshd refuses to start without its privilege separation directory
for k in hk_good hk_evil client_key; do ssh-keygen -q -t ed25519 -N '' -C "ssh-identity-$k" -f "$sd/$k"; done
cut -d' ' -f1,2 "$sd/client_key.pub" >"$sd/authorized_keys"
known=$sd/known_hosts
echo "[127.0.0.1]:$sshp $(cut -d' ' -f1,2 "$sd/hk_good.pub")" >"$known"
fp() { ssh-keygen -l -E sha256 -f "$1" | awk '{ print $2 }'; }  # FILE.pub: SHA256:...
fp_good=$(fp "$sd/hk_good.pub") fp_evil=$(fp "$sd/hk_evil.pub")
[[ $fp_good == SHA256:* && $fp_evil == SHA256:* && $fp_good != "$fp_evil" ]] || fail "host key fingerprints: '$fp_good' '$fp_evil'"
cat >"$work/beta-console.sh" <<EOF
#!/bin/sh
exec socat STDIO,raw,echo=0 FILE:"$NODESIM_DIR/beta.pty",raw,echo=0
EOF
chmod 755 "$work/beta-console.sh"
for k in hk_good hk_evil; do
  write_sshd_config "$sd/sshd_$k.conf" "$sshp" "$sd/$k" "$sd" "ClientAliveInterval 0
ForceCommand $work/beta-console.sh"
  /usr/sbin/sshd -t -f "$sd/sshd_$k.conf" || fail "sshd -t refused the test config sshd_$k.conf"
done

listening() { grep -q ":$sshp " <<<"$(ss -ltn)"; }
not_listening() { ! listening; }
descendants() {  # PID: every process below it (sshd's per-connection children call setsid)
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do echo "$c"; descendants "$c"; done
}
sshd_pid="" sshd_idx="" sshd_run=0
start_sshd() {  # KEY: hk_good | hk_evil; each run logs to its own file
  sshd_run=$(( sshd_run + 1 ))
  sshd_log=$sd/sshd.$sshd_run.$1.log
  /usr/sbin/sshd -D -E "$sshd_log" -f "$sd/sshd_$1.conf" &
  sshd_pid=$!
  if [[ -z $sshd_idx ]]; then sshd_idx=${#pids[@]}; fi
  pids[sshd_idx]=$sshd_pid
  wait_for 5 "sshd ($1) listening on :$sshp" listening
}
kill_sessions() {  # the open console sessions (sshd children, socat), not the listener
  local d; mapfile -t d < <(descendants "$sshd_pid")
  (( ${#d[@]} == 0 )) || kill "${d[@]}" 2>/dev/null || true
}
kill_sshd() {  # listener and sessions (no wait_for: also called on the way out)
  [[ -n $sshd_pid ]] || return 0
  local d; mapfile -t d < <(descendants "$sshd_pid")
  kill "$sshd_pid" 2>/dev/null || true
  (( ${#d[@]} == 0 )) || kill "${d[@]}" 2>/dev/null || true
  wait "$sshd_pid" 2>/dev/null || true
  sshd_pid=""
}
stop_sshd() { kill_sshd; wait_for 5 "sshd's port :$sshp closed" not_listening; }
# The watcher goes first, then the console server (its sessions are in
# sessions of their own: lib.sh's cleanup would miss them).
on_exit() { local rc=$?; stop_clusterd TERM; kill_sshd; return $rc; }
trap 'on_exit; scenario_cleanup' EXIT
start_sshd hk_good

# --- the config: beta's console through ssh ---------------------------------------
alpha_console_uri="telnet://127.0.0.1:$pa" ps=$sshp  # write_config's placeholder for beta, replaced below
write_config
cfg=$home/clusters/demo.toml
beta_uri="ssh://root@127.0.0.1:$sshp?identity=$sd/client_key&known_hosts=$known&retry=200ms&retry_max=${retry_max}s&break=%5Cr~%5Cx02"
B="console = \"$beta_uri\"" awk '/^\[nodes\.beta\]/ { b = 1 } /^console = / && b && !done { print ENVIRON["B"]; done = 1; next } { print }' \
  "$cfg" >"$cfg.new"
mv "$cfg.new" "$cfg"
grep -qF "console = \"ssh://root@127.0.0.1:$sshp?" "$cfg" || fail "beta's ssh console is not in the config: $(cat "$cfg")"
"$bin/clusterd" --cluster demo --home "$home" --check >"$work/check.out" 2>&1 ||
  { cat "$work/check.out" "$cfg"; fail "clusterd --check refused the ssh console config"; }

wait_alpha_running
sleep 0.5
alpha_mark=$(ledger_mark alpha) beta_mark=$(ledger_mark beta)
beta_refused() { grep -q '^standby *beta *(console down)' <<<"$(ctl status demo 2>/dev/null)"; }
start_clusterd
wait_for 15 "both consoles up (beta's through ssh)" watching
grep -q 'Accepted publickey for root' "$sshd_log" || fail "positive control: sshd did not accept clusterd's key: $(tail -5 "$sshd_log")"
say "clusterd watches alpha (telnet), beta through ssh :$sshp with hk_good pinned ($fp_good)"

stamp_s() { date -d "$1" +%s.%N; }  # a timeline stamp (ISO 8601 UTC) in epoch seconds
alarm_re='alarm critical "console of beta \(standby\) refused: host-key: '
alarm_tail='; not used until an operator fixes it: no watch, no fence through this console"'
t_alarm_of() {  # NTH INJECTED_AT: seconds from the injection to the NTH critical alarm
  local line; line=$(grep -E -- "$alarm_re" "$timeline_log" | sed -n "$1p")
  awk -v a="$2" -v b="$(stamp_s "${line%% *}")" 'BEGIN { printf "%.2f", b - a }'
}
lost_count() { timeline_count 'console beta lost: host-key: '; }
lost_at_least() { (( $(lost_count) >= $1 )); }
timeline_has_F() { grep -qF -- "$1" "$timeline_log"; }  # fixed text (a fingerprint holds + and /)
alarms_are() { (( $(alarms_with "$2") == $1 )); }  # N TEXT
alarms_with() { grep -E -- "$alarm_re" "$timeline_log" | grep -cF -- "$1" || true; }  # TEXT: refused alarms holding it
# Refused again and again (retry_max apart): the alarm stays at N, the console down.
hold_refused() {  # N_ALARMS WHAT
  wait_for $(( 2 * retry_max + 4 )) "two more refused reconnects ($2)" lost_at_least $(( $(lost_count) + 2 ))
  (( $(timeline_count "$alarm_re") == $1 )) ||
    fail "$2: expected $1 critical 'refused' alarm(s) in all, found $(timeline_count "$alarm_re"): $(grep -E -- "$alarm_re" "$timeline_log")"
  beta_refused || fail "$2: status does not show beta's console down: $(ctl status demo)"
  [[ $(status_field active) == alpha && $(status_field failovers) == 0 ]] || fail "$2: roles changed: $(ctl status demo)"
}
ups_of_beta() { timeline_count 'console beta up$'; }

# --- fault 1: the server's host key changes --------------------------------------------
ups=$(ups_of_beta)
inject "beta's console server restarted with another host key (hk_evil, $fp_evil)"
t_inj1=$(date +%s.%N)
stop_sshd
start_sshd hk_evil
evil_log=$sshd_log
wait_for 10 "beta's console refused for its changed host key" \
  timeline_has_F "console beta lost: host-key: host key for 127.0.0.1 CHANGED: offered ssh-ed25519 $fp_evil, not the one in $known; refused"
wait_for 5 "the critical 'refused' alarm" alarms_are 1 "CHANGED: offered ssh-ed25519 $fp_evil"
grep -qF -- "$alarm_tail" <<<"$(grep -E -- "$alarm_re" "$timeline_log")" || fail "the alarm does not say the console is not used: $(grep -E -- "$alarm_re" "$timeline_log")"
t_alarm1=$(t_alarm_of 1 "$t_inj1")
say "refused: critical alarm ${t_alarm1}s after the key swap"
wait_for 5 "beta's console shown down" beta_refused
hold_refused 1 "changed host key"
[[ $(ups_of_beta) == "$ups" ]] || fail "beta's console came up with the changed host key: $(grep 'console beta up' "$timeline_log")"
no_auth_after() {  # LOG FROM_LINE WHAT: the client left before authentication (it never offered its key)
  local seen; seen=$(tail -n +"$(( $2 + 1 ))" "$1")
  (( $(grep -c 'Connection closed by 127.0.0.1 port [0-9]* \[preauth\]' <<<"$seen" || true) >= 2 )) ||
    fail "$3: sshd logged no refused (preauth) connections: $seen"
  ! grep -qE 'Accepted|Postponed|Failed|publickey|authenticating user' <<<"$seen" ||
    fail "$3: sshd saw an authentication attempt: $(grep -E 'Accepted|Postponed|Failed|publickey|authenticating user' <<<"$seen")"
}
no_auth_after "$evil_log" 0 "changed host key"
say "$(lost_count) refused reconnects, 1 critical alarm; sshd(hk_evil) saw no key offered"

# --- the operator's fix: the real key is back ------------------------------------------
say "restoring: beta's console server with hk_good again"
stop_sshd
start_sshd hk_good
wait_for $(( retry_max + 8 )) "beta's console up again with hk_good" watching
(( $(ups_of_beta) == ups + 1 )) || fail "expected one 'console beta up' after the restore, found $(( $(ups_of_beta) - ups ))"
wait_for 5 "the notice that beta's console is back" timeline_has 'alarm notice "console of standby beta is back"'
say "beta's console is up again ($(since "$t_inj1")s after fault 1)"

# --- fault 2: an empty known_hosts -----------------------------------------------------
ups=$(ups_of_beta)
inject "known_hosts emptied, beta's ssh session killed"
t_inj2=$(date +%s.%N)
good_log_mark=$(wc -l <"$sshd_log")
: >"$known"
kill_sessions
wait_for $(( retry_max + 8 )) "beta's console refused for an unknown host key" \
  timeline_has_F "console beta lost: host-key: host key for 127.0.0.1 is not in $known: offered ssh-ed25519 $fp_good; refused"
wait_for 5 "a second critical 'refused' alarm" alarms_are 1 "is not in $known: offered ssh-ed25519 $fp_good"
t_alarm2=$(t_alarm_of 2 "$t_inj2")
say "refused: second critical alarm ${t_alarm2}s after known_hosts was emptied"
wait_for 5 "beta's console shown down" beta_refused
hold_refused 2 "empty known_hosts"
[[ $(ups_of_beta) == "$ups" ]] || fail "beta's console came up with an empty known_hosts"
[[ ! -s $known ]] || fail "known_hosts was written (clusterd must never add a key): $(cat "$known")"
no_auth_after "$sshd_log" "$good_log_mark" "empty known_hosts"
say "$(lost_count) refused reconnects in all, 2 critical alarms; no key offered to the unverified server"
say "status: $(grep -E '^(state|active|standby)' <<<"$(ctl status demo)" | tr -s ' ' | paste -sd ';')"
alarms=$(ctl alarms demo)
(( $(grep -c 'refused: host-key' <<<"$alarms" || true) == 2 )) || fail "clusterctl alarms should list the two 'refused' alarms: $alarms"
sleep 0.5
show_timeline 'state |BREAK |send |alarm|console .* (up|lost)'

# --- nothing happened to the cluster ---------------------------------------------------
expect_nothing_sent "$alpha_mark" "$beta_mark" "after clusterd's start"
expect_node_state alpha RUNNING
expect_node_state beta OK
[[ $(status_field active) == alpha && $(status_field failovers) == 0 ]] || fail "roles changed: $(ctl status demo)"
[[ $(journal_count 'fence|boot|takeover') == 0 ]] || fail "the journal shows a failover step: $(grep -E 'fence|boot|takeover' "$journal_file")"
clusterd_alive || fail "clusterd died"
check_ledger
pass "ssh console identity: changed host key and empty known_hosts both refused (host-key, offered fingerprint named), beta's console down, one critical alarm each (T_alarm ${t_alarm1}s and ${t_alarm2}s), console back with the pinned key in between; no key offered to the wrong server, nothing sent, no takeover"
