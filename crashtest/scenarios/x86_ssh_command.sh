#!/usr/bin/env bash
# The forced command (authorized_keys command="...") of the sshd a scenario
# runs in an x86 node's network namespace: what that Debian 12 node would do
# with the command the monitor sends over ssh (x86_planned_switchover.sh).
# Only a clean power-off is accepted: `systemctl poweroff`, taken from
# SSH_ORIGINAL_COMMAND; anything else is refused (exit 1), run nowhere.
#   x86_ssh_command.sh MODE NODESIM CTL_SOCKET LOG
#   MODE poweroff  tell the node's nodesim `shutdown` (its control socket): the
#                  clean power-off to OFF. Prints nothing and exits 0, as
#                  `systemctl poweroff` does once the job is queued
#                  (systemctl(1), "poweroff": "This command is asynchronous;
#                  it will return after the power-off operation is enqueued,
#                  without waiting for it to complete.")
#   MODE hang      the same, but the node's shutdown never ends (`shutdown
#                  hang`: a stop job that waits forever): the service stops,
#                  the node stays on; the monitor must power it off hard after
#                  its deadline
# Each call appends one line to LOG: the command and what was done with it.
set -u
mode=$1 nodesim=$2 ctl=$3 log=$4
cmd=${SSH_ORIGINAL_COMMAND:-}
if [[ $cmd != "systemctl poweroff" ]]; then
  printf 'refused %q\n' "$cmd" >>"$log"
  echo "x86_ssh_command: only 'systemctl poweroff' is allowed here" >&2
  exit 1
fi
case $mode in
  poweroff) what=shutdown ;;
  hang) what="shutdown hang" ;;
  *)
    echo "x86_ssh_command: unknown mode '$mode'" >&2
    exit 2
    ;;
esac
if ! reply=$("$nodesim" ctl "$ctl" "$what" 2>&1); then
  printf 'failed %q (%s): %s\n' "$cmd" "$what" "$reply" >>"$log"
  echo "$reply" >&2
  exit 1
fi
printf '%s %q: %s\n' "$mode" "$cmd" "$reply" >>"$log"
