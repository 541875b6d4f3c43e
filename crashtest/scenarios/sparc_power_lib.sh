# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034  # $bin $src $work $home come from lib.sh; $bmc_* and $pwfile are for the scenarios
# crashtest/scenarios/sparc_power_lib.sh — the SPARC cluster of lib.sh with a
# BMC in front of each node, for the power fence of scripts/sparc-obp.chat.
# Sourced after lib.sh (whose helpers it uses):
#
#   source "$(dirname "$0")/lib.sh"
#   source "$(dirname "$0")/sparc_power_lib.sh"
#   scenario_enter "$@"
#   sparc_power_setup       # lib.sh's scenario_setup, plus a BMC per node and
#                           # power_off/power_on/power_status in the config
#   ... inject, wait_for, assert ...
#   check_ledger
#
# The nodes, consoles and terminal servers are lib.sh's (alpha on nodesim's
# telnet port, beta on its pty behind ser2net); each node also gets its own
# BMC (tools/bmcsim.sh: the real ipmi_sim on 127.0.0.1 of the monitor
# namespace, where the scenario runs, its chassis_control driving the node's
# power through `nodesim ctl NODE power-on|power-off|status`). The SPARC
# servers' service processor speaks IPMI v2.0 for power control (Oracle ILOM
# 3.0 Management Protocols Reference Guide 820-6413, ch. 10 "Server Management
# Using IPMI": "ILOM is compliant with IPMI v1.5 and v2.0", "power on and power
# off capabilities";
# http://docs.oracle.com/cd/E19121-01/sf.x4240/820-6413-13/IPMI_Overview.html),
# so clusterd's power methods are the real ipmitool over lanplus, the password
# in a 0600 file (-f). The consoles stay on the terminal servers: the BMC's SOL
# device is a pty of its own that nothing writes (socat), so that ipmi_sim,
# which reads its SOL device all the time, takes no byte of beta's pty from
# ser2net.
# Knobs: lib.sh's, and POWER_TIMEOUT ([timeouts] power; default 10s, the
# runtime's own 60s under CRASHTEST_TIMINGS=realistic).
# Sets: $bmc_alpha, $bmc_beta (the BMCs' directories), $pwfile.

sparc_power_port() { sed -n 's/^BMC_PORT=//p' "$work/bmc-$1/env"; }

sparc_power_cleanup() {
  local n
  for n in alpha beta; do
    [[ -d $work/bmc-$n ]] && "$src/tools/bmcsim.sh" stop "$work/bmc-$n" >/dev/null 2>&1
  done
  return 0
}

# One BMC per node, each with a SOL pty of its own.
sparc_power_start_bmcs() {
  command -v socat >/dev/null || fail "needs socat (tools/install-deps.sh)"
  bmc_alpha=$work/bmc-alpha bmc_beta=$work/bmc-beta
  local n
  for n in alpha beta; do
    # -u: the pty's side only read (nothing is ever written to it), into /dev/null.
    socat -u "PTY,link=$work/sol-$n.pty,raw,echo=0" OPEN:/dev/null >"$work/sol-$n.out" 2>&1 &
    pids+=($!)
    wait_for 5 "the SOL pty of $n's BMC" test -e "$work/sol-$n.pty"
    "$src/tools/bmcsim.sh" start "$work/bmc-$n" --ctl "$NODESIM_DIR/$n.ctl" \
      --pty "$work/sol-$n.pty" --nodesim "$bin/nodesim" >"$work/bmc-$n.out" 2>&1 ||
      { cat "$work/bmc-$n.out"; fail "the BMC of $n did not start"; }
  done
  pwfile=$home/bmc.pw
  ( umask 077; printf 'pass\n' >"$pwfile" )
  say "BMCs: alpha $(sparc_power_port alpha)/udp, beta $(sparc_power_port beta)/udp (ipmi_sim, 127.0.0.1)"
}

# The power methods of a node, as TOML lines for [nodes.NODE].
sparc_power_keys() {  # NODE
  local ipmi
  ipmi="\"/usr/bin/ipmitool\", \"-I\", \"lanplus\", \"-H\", \"127.0.0.1\", \"-p\", \"$(sparc_power_port "$1")\", \"-U\", \"admin\", \"-f\", \"$pwfile\", \"-C\", \"3\""
  echo "power_off = [$ipmi, \"chassis\", \"power\", \"off\"]"
  echo "power_on = [$ipmi, \"chassis\", \"power\", \"on\"]"
  echo "power_status = [$ipmi, \"chassis\", \"power\", \"status\"]"
}

sparc_power_setup() {
  # The BMCs go with the rest on every way out (lib.sh's trap, ours first).
  # scenario_cleanup takes the exit status from $?, hence `(exit "$sp_rc")`;
  # errexit off first, or a failing status would end the trap right there,
  # before the evidence is saved and the nodes stopped.
  trap 'sp_rc=$?; set +e; sparc_power_cleanup; (exit "$sp_rc"); scenario_cleanup' EXIT
  start_nodes
  start_ser2net
  sparc_power_start_bmcs
  NODE_ALPHA_EXTRA=$(sparc_power_keys alpha)
  NODE_BETA_EXTRA=$(sparc_power_keys beta)
  local power_timeout=10s
  [[ ${CRASHTEST_TIMINGS:-ci} == realistic ]] && power_timeout=60s
  CONFIG_EXTRA="${CONFIG_EXTRA:-}
[timeouts]
power = \"${POWER_TIMEOUT:-$power_timeout}\""
  write_config
  wait_alpha_running
  start_clusterd
  wait_for 15 "both consoles up" watching
  say "clusterd watches: $(ctl status demo | sed -n 's/^active *//p'); both nodes behind a BMC"
}
