#!/bin/bash
# tools/bmcsim-chassis.sh DIR get|set|check PARM [VALUE]... — ipmi_sim's chassis_control
# for one nodesim node (tools/bmcsim.sh writes DIR/env and the lan.conf that names this).
#
# The protocol, from OpenIPMI's lanserv/extcmd.c and its example
# lanserv/ipmi_sim_chassiscontrol: ipmi_sim runs "CMD get power" and reads
# "power:0" or "power:1" from stdout; it runs "CMD set power \"0\"" (or reset "1",
# boot "pxe", identify …) and wants exit status 0 and no output; anything else
# is an error it logs. "check" is not supported for chassis control (exit 1).
#
#   get power      -> nodesim ctl CTL status: state=OFF is power:0, any other state power:1
#   set power 1    -> power-on (already on is fine)
#   set power 0    -> power-off, unless DIR/stuck-on exists (bmcsim.sh stuck-on DIR on):
#                     then the command is accepted and nothing happens, so the node
#                     runs on and `power status` keeps reading on
#   set reset 1    -> power-cycle
#   set boot X, set identify I F -> accepted, nothing to do
# Every call is appended to DIR/chassis.log.
set -u

dir=${1:?DIR}
shift
conf() { sed -n "s/^$1=//p" "$dir/env" | head -1; }
nodesim=$(conf NODESIM)
ctl=$(conf CTL)
log() { printf '%s %s\n' "$(date +%s.%N)" "$*" >>"$dir/chassis.log"; }
node() { "$nodesim" ctl "$ctl" "$@"; }

op=${1:-}
shift || true
log "$op $*"
case $op in
  get)
    for parm in "$@"; do
      case $parm in
        power)
          status=$(node status) || { echo "nodesim ctl $ctl status failed: $status"; exit 1; }
          if [[ $status == *" state=OFF "* ]]; then echo "power:0"; else echo "power:1"; fi ;;
        boot) echo "boot:default" ;;
        *) echo "Invalid parameter: $parm"; exit 1 ;;
      esac
    done ;;
  set)
    while (( $# )); do
      parm=$1 val=${2:-}
      shift 2 || { echo "No value present for parameter $parm"; exit 1; }
      case $parm in
        power)
          if [[ $val == 0 ]]; then
            if [[ -e $dir/stuck-on ]]; then
              log "stuck-on: power off accepted, nothing done"
            else
              out=$(node power-off) || { echo "power-off: $out"; exit 1; }
            fi
          else
            out=$(node power-on) || [[ $out == *"already powered"* ]] || { echo "power-on: $out"; exit 1; }
          fi ;;
        reset)
          out=$(node power-cycle) || { echo "power-cycle: $out"; exit 1; } ;;
        boot) ;;
        identify) shift || true ;;  # identify INTERVAL FORCE
        *) echo "Invalid parameter: $parm"; exit 1 ;;
      esac
    done ;;
  check) exit 1 ;;
  *) echo "Unknown operation: $op"; exit 1 ;;
esac
exit 0
