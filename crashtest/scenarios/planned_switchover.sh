#!/usr/bin/env bash
# Scenario planned_switchover (issue 14: graceful planned switchover): the
# operator runs `clusterctl switchover` on a healthy cluster. The stock script
# asks alpha to shut down cleanly, as an administrator would, over ssh:
# `ssh -F CONFIG alpha 'shutdown -i0 -g0 -y'` with clusterd's own key, alpha's
# host key pinned (StrictHostKeyChecking yes, BatchMode yes). A real OpenSSH
# sshd listens on alpha's address inside alpha's network namespace; its
# authorized_keys entry forces node_ssh_command.sh, which accepts only the
# shutdown command and hands it to alpha's nodesim (control `shutdown`).
#   PLANNED_FAULT unset: alpha prints svc.startd's shutdown text, its service
#     stops writing, the shared disk is unmounted, "Program terminated", ok;
#     clusterd locks it (auto-boot? false, read back), boots beta once, takes
#     over. NO BREAK anywhere (ledgers, transcripts, timeline), no critical
#     alarm, 0 lost writes (every write alpha's ledger acknowledged is on the
#     shared disk, its last one before the unmount), overlap 0 ms.
#   PLANNED_FAULT=ssh_hang: the shutdown command hangs on alpha and never
#     starts the shutdown: after planned_stop_timeout (8 s here) the fence
#     BREAKs alpha (critical alarm naming the deadline), lock, one boot, one
#     takeover, overlap 0 ms.
#   PLANNED_FAULT=ssh_refused: alpha's sshd does not know clusterd's key: ssh
#     exits 255 at once, before any shutdown line: a warning alarm naming the
#     status, back to watch, nothing sent to either node, no takeover.
#   planned_switchover.sh BIN_DIR SOURCE_DIR      (KEEP=1 keeps the work directory)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
fault=${PLANNED_FAULT:-}
case $fault in "" | ssh_hang | ssh_refused) ;; *) fail "PLANNED_FAULT must be ssh_hang or ssh_refused, not '$fault'" ;; esac

for tool in /usr/sbin/sshd ssh ssh-keygen ss; do
  command -v "$tool" >/dev/null || fail "needs $tool (packages openssh-server, openssh-client, iproute2)"
done
stop_timeout=8

# --- alpha's sshd, in alpha's namespace ------------------------------------------
start_nodes
start_ser2net
sd=$work/ssh
mkdir -p "$sd"
[[ -d /run/sshd ]] || mkdir -m 0755 /run/sshd  # sshd refuses to start without its privilege separation directory
for k in hk_alpha client_key other_key; do ssh-keygen -q -t ed25519 -N '' -C "planned-$k" -f "$sd/$k"; done
mode=shutdown authorized=$sd/client_key.pub
if [[ $fault == ssh_hang ]]; then mode=hang; fi
if [[ $fault == ssh_refused ]]; then authorized=$sd/other_key.pub; fi  # clusterd's key is not in it
cmd_log=$sd/commands.log
: >"$cmd_log"
echo "command=\"$scenario_dir/node_ssh_command.sh $mode $bin/nodesim $NODESIM_DIR/alpha.ctl $cmd_log\",restrict $(cut -d' ' -f1,2 "$authorized")" \
  >"$sd/authorized_keys"
SSHD_LISTEN=$CDT_ALPHA_ADDR write_sshd_config "$sd/sshd.conf" 22 "$sd/hk_alpha" "$sd" "ClientAliveInterval 0"
/usr/sbin/sshd -t -f "$sd/sshd.conf" || fail "sshd -t refused the test config"
sshd_log=$sd/sshd.log
ip netns exec "$CDT_ALPHA_NS" /usr/sbin/sshd -D -E "$sshd_log" -f "$sd/sshd.conf" &
sshd_pid=$!
listening() { ip netns exec "$CDT_ALPHA_NS" ss -ltn | grep -q "$CDT_ALPHA_ADDR:22 "; }
wait_for 5 "alpha's sshd listening on $CDT_ALPHA_ADDR:22" listening
descendants() {  # PID: every process below it (sshd's per-connection children call setsid)
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do echo "$c"; descendants "$c"; done
}
kill_sshd() {  # listener and sessions (a hung forced command among them)
  [[ -n ${sshd_pid:-} ]] || return 0
  local d; mapfile -t d < <(descendants "$sshd_pid")
  kill "$sshd_pid" 2>/dev/null || true
  (( ${#d[@]} == 0 )) || kill "${d[@]}" 2>/dev/null || true
  wait "$sshd_pid" 2>/dev/null || true
  sshd_pid=""
}
on_exit() { local rc=$?; stop_clusterd TERM; kill_sshd; return $rc; }
trap 'on_exit; scenario_cleanup' EXIT

# --- clusterd's ssh client config: its key, alpha's host key pinned ------------------
known=$sd/known_hosts
echo "$CDT_ALPHA_ADDR $(cut -d' ' -f1,2 "$sd/hk_alpha.pub")" >"$known"
ssh_config=$home/ssh_config
(
  umask 077
  cat >"$ssh_config" <<EOF
# clusterd's ssh client config (docs/operator-manual.md, "Planned switchover").
Host alpha
    HostName $CDT_ALPHA_ADDR
Host beta
    HostName $CDT_BETA_ADDR
Host *
    User root
    IdentityFile $sd/client_key
    IdentitiesOnly yes
    UserKnownHostsFile $known
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
EOF
)
PARAMS_EXTRA="ssh_config = \"$ssh_config\"
planned_stop_timeout = \"${stop_timeout}s\""
write_config
wait_alpha_running
start_clusterd
wait_for 15 "both consoles up, ping up" watching
sleep 1  # a few of alpha's writes on the disk before the switchover
alpha_mark=$(ledger_mark alpha) beta_mark=$(ledger_mark beta)
say "clusterd watches alpha (sshd on $CDT_ALPHA_ADDR:22 in its namespace, host key pinned) and beta"

inject "operator: clusterctl switchover demo (healthy cluster${fault:+, fault $fault})"
ctl switchover demo >/dev/null
wait_for 5 "planned stop (not a fence) after the switchover" timeline_has 'state planned_stop <- control\.switchover'
wait_for 5 "ssh exec of the clean shutdown" \
  timeline_has "exec \\[ssh\\] \\[-F\\] \\[$ssh_config\\] \\[alpha\\] \\[shutdown -i0 -g0 -y\\]"

no_break_anywhere() {  # WHY
  (( $(timeline_count 'Z BREAK ') == 0 )) || fail "$1: the timeline shows a BREAK: $(grep -E 'Z BREAK ' "$timeline_log")"
  local n
  for n in alpha beta; do
    [[ $(ledger_count "$n" '"ev":"break"' 0) == 0 ]] || fail "$1: $n's ledger shows a BREAK: $(grep '"ev":"break"' "$(ledger "$n")")"
    ! grep -qE '^[0-9T:.-]+Z !' "$home/Logs/demo.$n.console" || fail "$1: clusterd's transcript of $n shows a BREAK sent"
  done
}

case $fault in
  "")
    wait_for 20 "alpha halted at ok by its clean shutdown" sh -c "'$bin/nodesim' ctl alpha status | grep -q 'state=OK'"
    wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
    sleep 1
    show_timeline 'state |BREAK|send |exec|fenced|takeover|alarm|boot'
    grep -q 'Accepted publickey for root' "$sshd_log" || fail "alpha's sshd did not accept clusterd's key: $(tail -5 "$sshd_log")"
    grep -qF 'shutdown shutdown\ -i0\ -g0\ -y: ok' "$cmd_log" || fail "the forced command did not run the shutdown: $(cat "$cmd_log")"
    grep -qF 'Changing to init state 0 - please wait' "$home/Logs/demo.sh" ||
      fail "the shutdown's own output is not in the sh transcript: $(cat "$home/Logs/demo.sh")"
    expect_timeline 'exec ssh ended: sh\.exit 0' "ssh's exit status 0 not in the timeline"
    expect_timeline 'state planned_stopping <- active solaris_shutdown .*svc\.startd: The system is coming down\.  Please wait\.' "the shutdown's first line not seen"
    expect_timeline 'state lock_active <- active obp_prompt' "alpha's ok after the halt not locked"
    no_break_anywhere "a planned switchover"
    (( $(timeline_count 'alarm critical') == 0 )) || fail "a critical alarm in a planned switchover: $(grep 'alarm critical' "$timeline_log")"
    expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha locked and read back (confirmed)"
    expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
    expect_journal_count 1 'takeover active=beta' "takeover"
    [[ $(ledger_count beta '"ev":"command","line":"boot shared"' "$beta_mark") == 1 ]] || fail "beta's ledger: not exactly one 'boot shared'"
    # alpha's ledger: the clean shutdown, in order, and nothing lost.
    [[ $(ledger_count alpha '"ev":"control","cmd":"shutdown"' "$alpha_mark") == 1 ]] || fail "alpha's ledger: not one shutdown"
    [[ $(ledger_count alpha '"ev":"lease_release","why":"shutdown"' "$alpha_mark") == 1 ]] || fail "alpha's ledger: the disk was not unmounted by the shutdown"
    [[ $(ledger_count alpha '"to":"OK","why":"halt \(shutdown\)"' "$alpha_mark") == 1 ]] || fail "alpha's ledger: no halt to ok"
    expect_node_state alpha OK "alpha must stay at ok"
    [[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
    /usr/bin/python3 "$scenario_dir/check_shared_disk.py" "$NODESIM_DIR/shared.img" --ledger "$(ledger alpha)" --ledger "$(ledger beta)" \
      --clean-stop alpha >"$work/disk.out" 2>&1 || { cat "$work/disk.out"; fail "lost writes or an unclean stop of alpha"; }
    cat "$work/disk.out"
    ;;
  ssh_hang)
    wait_for $(( stop_timeout + 30 )) "takeover by beta after the BREAK" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
    sleep 1
    show_timeline 'state |BREAK|send |exec|fenced|takeover|alarm|boot'
    grep -qF 'hang shutdown\ -i0\ -g0\ -y' "$cmd_log" || fail "the forced command did not take the hanging shutdown: $(cat "$cmd_log")"
    expect_timeline "state fence <- after [\$]planned_stop_timeout \\(${stop_timeout}s\\)" "the fence did not follow planned_stop_timeout"
    expect_timeline "alarm critical \"fencing alpha: planned switchover: alpha printed no shutdown line within ${stop_timeout}s" "no critical alarm naming the deadline"
    (( $(timeline_count 'Z BREAK alpha') >= 1 )) || fail "no BREAK of alpha after the deadline"
    [[ $(ledger_count alpha '"ev":"break".*"effect":"halted"' "$alpha_mark") == 1 ]] || fail "alpha's ledger: not one halting BREAK"
    [[ $(ledger_count alpha '"ev":"control","cmd":"shutdown"' "$alpha_mark") == 0 ]] || fail "alpha's ledger: a shutdown ran although the command hung"
    expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
    expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
    expect_journal_count 1 'takeover active=beta' "takeover"
    expect_node_state alpha OK "alpha must stay at ok"
    ;;
  ssh_refused)
    wait_for 15 "warning naming ssh's exit status" timeline_has 'alarm warning "planned switchover NOT done: ssh to alpha failed with exit status 255'
    wait_for 5 "return to watch" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^state *watch'"
    sleep $(( stop_timeout + 2 ))  # past the deadline: still nothing sent
    show_timeline 'state |BREAK|send |exec|fenced|takeover|alarm|boot'
    ! grep -q 'Accepted' "$sshd_log" || fail "alpha's sshd accepted a key it does not list"
    grep -qE 'Connection closed by authenticating user root|Failed publickey' "$sshd_log" || fail "alpha's sshd saw no refused key: $(tail -5 "$sshd_log")"
    [[ ! -s $cmd_log ]] || fail "the forced command ran: $(cat "$cmd_log")"
    grep -qF 'Permission denied (publickey' "$home/Logs/demo.sh" ||
      fail "ssh's own refusal is not in the sh transcript: $(cat "$home/Logs/demo.sh")"
    expect_timeline 'exec ssh ended: sh\.exit 255' "ssh's exit status 255 not in the timeline"
    expect_nothing_sent "$alpha_mark" "$beta_mark" "after the refused ssh"
    expect_node_state alpha RUNNING "alpha must keep running"
    [[ $(status_field active) == alpha && $(status_field failovers) == 0 ]] || fail "roles changed: $(ctl status demo)"
    [[ $(journal_count 'fence|boot|takeover') == 0 ]] || fail "the journal shows a failover step: $(grep -E 'fence|boot|takeover' "$journal_file")"
    ;;
esac
clusterd_alive || fail "clusterd died"
check_ledger
grep -q '^overlap: 0\.0 ms' "$work/check-ledger.out" || fail "overlap not 0 ms: $(cat "$work/check-ledger.out")"
case $fault in
  "") pass "planned switchover: ssh 'shutdown -i0 -g0 -y' (host key pinned) -> alpha's clean shutdown to ok, locked and read back, one boot of beta, takeover; no BREAK, no critical alarm, 0 lost writes, overlap 0 ms" ;;
  ssh_hang) pass "planned switchover, shutdown command hung: BREAK after planned_stop_timeout (${stop_timeout}s) with a critical alarm, fence read back, one boot, takeover, overlap 0 ms" ;;
  ssh_refused) pass "planned switchover, clusterd's key refused: ssh exit 255 -> warning naming it, back to watch, nothing sent, no takeover" ;;
esac
