#!/usr/bin/env bash
# Scenario x86_planned_switchover (scripts/x86-bmc.chat): the operator runs
# `clusterctl switchover` on a healthy x86 cluster. The stock script asks
# alpha to power itself off cleanly, as a Debian 12 administrator would, over
# ssh: `ssh -F CONFIG alpha 'systemctl poweroff'` with clusterd's own key,
# alpha's host key pinned (StrictHostKeyChecking yes, BatchMode yes). A real
# OpenSSH sshd listens on alpha's address inside alpha's network namespace;
# its authorized_keys entry forces x86_ssh_command.sh, which accepts only that
# command and hands it to alpha's nodesim (control `shutdown`).
#   PLANNED_FAULT unset: alpha's service stops, systemd's and the kernel's
#     power-off text on its SOL console, the shared disk let go, "reboot: Power
#     down", alpha OFF by itself. Only then `power active off` (alpha's BMC is
#     asked to power off a node already off: its ledger shows the power-off
#     arriving in OFF), read back off, `mark fenced active by power`, beta
#     powered on, booted over SOL, takeover. No critical alarm, 0 lost writes
#     (every write alpha's ledger acknowledged is on the shared disk, its last
#     one before the disk was let go), overlap 0 ms.
#   PLANNED_FAULT=shutdown_hang: alpha's shutdown starts (the service stops)
#     and never ends: after planned_stop_timeout (8 s here) a hard power-off
#     with a critical alarm naming the deadline, read back off, one power-on
#     of beta, one takeover, 0 lost writes, overlap 0 ms.
#   x86_planned_switchover.sh BIN_DIR SOURCE_DIR      (KEEP=1 keeps the work directory)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
scenario_enter "$@"
fault=${PLANNED_FAULT:-}
case $fault in "" | shutdown_hang) ;; *) fail "PLANNED_FAULT must be shutdown_hang or unset, not '$fault'" ;; esac

for tool in /usr/sbin/sshd ssh ssh-keygen ss; do
  command -v "$tool" >/dev/null || fail "needs $tool (packages openssh-server, openssh-client, iproute2)"
done
stop_timeout=8

# --- keys, alpha's forced command, clusterd's ssh client config ----------------------
sd=$work/ssh
mkdir -p "$sd"
[[ -d /run/sshd ]] || mkdir -m 0755 /run/sshd  # sshd refuses to start without its privilege separation directory
for k in hk_alpha client_key; do ssh-keygen -q -t ed25519 -N '' -C "x86-planned-$k" -f "$sd/$k"; done
mode=poweroff
if [[ $fault == shutdown_hang ]]; then mode=hang; fi
cmd_log=$sd/commands.log
: >"$cmd_log"
echo "command=\"$scenario_dir/x86_ssh_command.sh $mode $bin/nodesim $NODESIM_DIR/alpha.ctl $cmd_log\",restrict $(cut -d' ' -f1,2 "$sd/client_key.pub")" \
  >"$sd/authorized_keys"
SSHD_LISTEN=$CDT_ALPHA_ADDR write_sshd_config "$sd/sshd.conf" 22 "$sd/hk_alpha" "$sd" "ClientAliveInterval 0"
/usr/sbin/sshd -t -f "$sd/sshd.conf" || fail "sshd -t refused the test config"
known=$sd/known_hosts
echo "$CDT_ALPHA_ADDR $(cut -d' ' -f1,2 "$sd/hk_alpha.pub")" >"$known"
ssh_config=$home/ssh_config
(
  umask 077
  cat >"$ssh_config" <<EOC
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
EOC
)
PARAMS_EXTRA="ssh_config = \"$ssh_config\"
planned_stop_timeout = \"${stop_timeout}s\""
x86_setup

# --- alpha's sshd, in alpha's namespace ------------------------------------------
sshd_log=$sd/sshd.log
ip netns exec "$CDT_ALPHA_NS" /usr/sbin/sshd -D -E "$sshd_log" -f "$sd/sshd.conf" &
sshd_pid=$!
descendants() {  # PID: every process below it (sshd's per-connection children call setsid)
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do echo "$c"; descendants "$c"; done
}
kill_sshd() {
  [[ -n ${sshd_pid:-} ]] || return 0
  local d; mapfile -t d < <(descendants "$sshd_pid")
  kill "$sshd_pid" 2>/dev/null || true
  (( ${#d[@]} == 0 )) || kill "${d[@]}" 2>/dev/null || true
  wait "$sshd_pid" 2>/dev/null || true
  sshd_pid=""
}
trap 'x86_rc=$?; stop_clusterd TERM; kill_sshd; x86_cleanup; (exit "$x86_rc"); scenario_cleanup' EXIT
listening() { ip netns exec "$CDT_ALPHA_NS" ss -ltn | grep -q "$CDT_ALPHA_ADDR:22 "; }
wait_for 5 "alpha's sshd listening on $CDT_ALPHA_ADDR:22" listening
sleep 1  # a few of alpha's writes on the disk before the switchover
alpha_mark=$(ledger_mark alpha)
say "clusterd watches alpha (sshd on $CDT_ALPHA_ADDR:22 in its namespace, host key pinned); beta powered off"

inject "operator: clusterctl switchover demo (healthy cluster${fault:+, fault $fault})"
ctl switchover demo >/dev/null
wait_for 5 "planned stop (not a power-off) after the switchover" timeline_has 'state planned_stop <- control\.switchover'
wait_for 5 "ssh exec of the clean power-off" \
  timeline_has "exec \\[ssh\\] \\[-F\\] \\[$ssh_config\\] \\[alpha\\] \\[systemctl poweroff\\]"
wait_for $(( stop_timeout + 45 )) "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
sleep 1
show_timeline 'state |exec|fenced|takeover|alarm|power'
grep -q 'Accepted publickey for root' "$sshd_log" || fail "alpha's sshd did not accept clusterd's key: $(tail -5 "$sshd_log")"
expect_timeline 'exec ssh ended: sh\.exit 0' "ssh's exit status 0 not in the timeline"
expect_journal_count 1 'fence-confirmed how=power node=alpha' "alpha fenced by power, read back off"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one power-on of beta"
expect_journal_count 1 'takeover active=beta' "takeover"
expect_node_state alpha OFF "alpha must stay off"
expect_node_state beta RUNNING
[[ $(ledger_count alpha '"ev":"break"' "$alpha_mark") == 0 ]] || fail "a BREAK reached alpha"
[[ $(ledger_count alpha '"ev":"service_stop","why":"shutdown"' "$alpha_mark") == 1 ]] || fail "alpha's ledger: the service was not stopped by the shutdown"
grep -q 'set power "\?0' "$bmc_alpha/chassis.log" || fail "alpha's BMC was never asked to power it off: $(cat "$bmc_alpha/chassis.log")"
# Line numbers in alpha's ledger: its own power-down, and the first power-off its BMC passed on.
self_off=$(ledger_since alpha "$alpha_mark" | grep -nE '"ev":"state".*"to":"OFF","why":"poweroff \(shutdown\)"' | head -1 | cut -d: -f1 || true)
bmc_off=$(ledger_since alpha "$alpha_mark" | grep -nE '"ev":"control","cmd":"power-off"' | head -1 | cut -d: -f1 || true)
[[ -n $bmc_off ]] || fail "alpha's ledger: no power-off from its BMC"

case $fault in
  "")
    grep -qF 'poweroff systemctl\ poweroff: ok' "$cmd_log" || fail "the forced command did not run the power-off: $(cat "$cmd_log")"
    expect_timeline 'state planned_stopping <- active x86_shutdown .*Stopped target getty\.target - Login Prompts\.' "the shutdown's first line not seen"
    expect_timeline 'state fence <- active x86_power_down .*reboot: Power down' "fence before alpha's own power-down"
    (( $(timeline_count 'alarm critical') == 0 )) || fail "a critical alarm in a planned switchover: $(grep 'alarm critical' "$timeline_log")"
    [[ -n $self_off ]] || fail "alpha's ledger: it never powered itself off"
    (( self_off < bmc_off )) || fail "alpha's BMC powered it off (ledger line $bmc_off) before it was off by itself (line $self_off)"
    ledger_since alpha "$alpha_mark" | sed -n "${bmc_off}p" | grep -q '"in":"OFF"' ||
      fail "the BMC's power-off found alpha on: $(ledger_since alpha "$alpha_mark" | sed -n "${bmc_off}p")"
    [[ $(ledger_count alpha '"ev":"lease_release","why":"shutdown"' "$alpha_mark") == 1 ]] || fail "alpha's ledger: the disk was not let go by the shutdown"
    /usr/bin/python3 "$scenario_dir/check_shared_disk.py" "$NODESIM_DIR/shared.img" --ledger "$(ledger alpha)" --ledger "$(ledger beta)" \
      --clean-stop alpha >"$work/disk.out" 2>&1 || { cat "$work/disk.out"; fail "lost writes or an unclean stop of alpha"; }
    ;;
  shutdown_hang)
    grep -qF 'hang systemctl\ poweroff: ok' "$cmd_log" || fail "the forced command did not take the hanging shutdown: $(cat "$cmd_log")"
    expect_timeline "state fence <- after [\$]planned_stop_timeout \\(${stop_timeout}s\\)" "the power-off did not follow planned_stop_timeout"
    expect_timeline 'alarm critical "powering alpha off hard: planned switchover: the clean shutdown of alpha did not power it off within' "no critical alarm naming the deadline"
    [[ -z $self_off ]] || fail "alpha powered itself off although its shutdown hung"
    ledger_since alpha "$alpha_mark" | sed -n "${bmc_off}p" | grep -q '"in":"STOPPING"' ||
      fail "the hard power-off did not find alpha shutting down: $(ledger_since alpha "$alpha_mark" | sed -n "${bmc_off}p")"
    [[ $(ledger_count alpha '"ev":"lease_release","why":"power-off"' "$alpha_mark") == 1 ]] || fail "alpha's ledger: the disk was not let go by the power-off"
    /usr/bin/python3 "$scenario_dir/check_shared_disk.py" "$NODESIM_DIR/shared.img" --ledger "$(ledger alpha)" --ledger "$(ledger beta)" \
      >"$work/disk.out" 2>&1 || { cat "$work/disk.out"; fail "lost writes"; }
    ;;
esac
cat "$work/disk.out"
clusterd_alive || fail "clusterd died"
check_ledger
grep -q '^overlap: 0\.0 ms' "$work/check-ledger.out" || fail "overlap not 0 ms: $(cat "$work/check-ledger.out")"
case $fault in
  "") pass "x86 planned switchover: ssh 'systemctl poweroff' (host key pinned) -> alpha's clean power-off, off by itself before its BMC was asked, fenced by power (read back off), beta powered on, takeover; no critical alarm, 0 lost writes, overlap 0 ms" ;;
  shutdown_hang) pass "x86 planned switchover, shutdown hung: hard power-off after planned_stop_timeout (${stop_timeout}s) with a critical alarm, read back off, one power-on of beta, takeover, 0 lost writes, overlap 0 ms" ;;
esac
