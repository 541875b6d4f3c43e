#!/usr/bin/env bash
# The forced command (authorized_keys command="...") of the sshd a scenario
# runs in a simulated node's network namespace: what that node's shell would
# do with the command the monitor sends over ssh (planned_switchover.sh).
# Only a clean shutdown is accepted: `shutdown -i0 -g0 -y` or `init 0`, taken
# from SSH_ORIGINAL_COMMAND; anything else is refused (exit 1), run nowhere.
#   node_ssh_command.sh MODE NODESIM CTL_SOCKET LOG
#   MODE shutdown  tell the node's nodesim `shutdown` (its control socket) and
#                  print what Solaris's shutdown script prints on its stdout
#                  (illumos usr/src/cmd/initpkg/shutdown.sh: "\nShutdown
#                  started.    " and date(1), a blank line, "Changing to init
#                  state 0 - please wait"; init 0 prints nothing there)
#   MODE hang      accept the command and never end (a shutdown that hangs
#                  before it starts: the monitor must BREAK after its deadline)
# Each call appends one line to LOG: the command and what was done with it.
set -u
mode=$1 nodesim=$2 ctl=$3 log=$4
cmd=${SSH_ORIGINAL_COMMAND:-}
case $cmd in
  "shutdown -i0 -g0 -y" | "init 0") ;;
  *)
    printf 'refused %q\n' "$cmd" >>"$log"
    echo "node_ssh_command: only 'shutdown -i0 -g0 -y' or 'init 0' is allowed here" >&2
    exit 1
    ;;
esac
case $mode in
  hang)
    printf 'hang %q\n' "$cmd" >>"$log"
    # Never answers; the scenario kills the session on its way out.
    exec sleep 3600
    ;;
  shutdown)
    if [[ $cmd == shutdown* ]]; then
      printf '\nShutdown started.    %s\n\n' "$(LC_ALL=C date)"
      echo "Changing to init state 0 - please wait"
    fi
    if ! reply=$("$nodesim" ctl "$ctl" shutdown 2>&1); then
      printf 'failed %q: %s\n' "$cmd" "$reply" >>"$log"
      echo "$reply" >&2
      exit 1
    fi
    printf 'shutdown %q: %s\n' "$cmd" "$reply" >>"$log"
    ;;
  *)
    echo "node_ssh_command: unknown mode '$mode'" >&2
    exit 2
    ;;
esac
