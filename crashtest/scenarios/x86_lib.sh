# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034  # $bin $src $work $home come from lib.sh; $bmc_* are for the scenarios
# crashtest/scenarios/x86_lib.sh — the x86 lab for the scenarios of
# scripts/x86-bmc.chat, sourced after lib.sh (whose helpers it uses):
#
#   source "$(dirname "$0")/lib.sh"
#   source "$(dirname "$0")/x86_lib.sh"
#   scenario_enter "$@"
#   x86_setup               # nodes, BMCs, config, alpha RUNNING, clusterd watching
#   ... inject, wait_for, assert ...
#   check_ledger
#
# Two nodesim nodes with --platform x86 (alpha powered on and running from the
# shared disk, beta powered off), each behind its own BMC (tools/bmcsim.sh:
# the real ipmi_sim on 127.0.0.1 of the monitor namespace, where the scenario
# runs), clusterd with scripts/x86-bmc.chat, the consoles over SOL
# (exec:ipmitool … sol activate) and the power methods `ipmitool … chassis
# power off|on|status`, the password in a 0600 file (-f). Knobs as in lib.sh
# (NODE_OPTS, ALPHA_OPTS, BETA_OPTS, PARAMS_EXTRA, CONFIG_EXTRA: lines after
# [timeouts], which this lab writes with `power`; POWER_TIMEOUT overrides it).
# Sets: $bmc_alpha, $bmc_beta (the labs' directories), $pwfile.

x86_start_nodes() {
  local common=(--platform x86 --t-post 1s --t-boot 4s --t-mount 2s --write-interval 100ms)
  if [[ ${CRASHTEST_TIMINGS:-ci} == realistic ]]; then
    common=(--platform x86 --t-post 20s --t-boot 60s --t-mount 40s --write-interval 100ms)
  fi
  # shellcheck disable=SC2086  # NODE_OPTS, ALPHA_OPTS, BETA_OPTS: options, split into words on purpose
  "$bin/nodesim" run --name alpha --pty "$NODESIM_DIR/alpha.pty" --powered true \
    --netns "$CDT_ALPHA_NS" --netif "$CDT_ALPHA_IF" --ready-file "$work/alpha.ready" \
    "${common[@]}" ${NODE_OPTS:-} ${ALPHA_OPTS:-} >"$work/alpha.out" 2>&1 &
  pids+=($!)
  # shellcheck disable=SC2086
  "$bin/nodesim" run --name beta --pty "$NODESIM_DIR/beta.pty" --powered false \
    --netns "$CDT_BETA_NS" --netif "$CDT_BETA_IF" --ready-file "$work/beta.ready" \
    "${common[@]}" ${NODE_OPTS:-} ${BETA_OPTS:-} >"$work/beta.out" 2>&1 &
  pids+=($!)
  wait_for 10 "nodesim ready files" test -s "$work/alpha.ready" -a -s "$work/beta.ready"
}

# One BMC per node; stopped by scenario_cleanup through x86_cleanup.
x86_start_bmcs() {
  bmc_alpha=$work/bmc-alpha bmc_beta=$work/bmc-beta
  local n
  for n in alpha beta; do
    "$src/tools/bmcsim.sh" start "$work/bmc-$n" --ctl "$NODESIM_DIR/$n.ctl" \
      --pty "$NODESIM_DIR/$n.pty" --nodesim "$bin/nodesim" >"$work/bmc-$n.out" 2>&1 ||
      { cat "$work/bmc-$n.out"; fail "the BMC of $n did not start"; }
  done
  pwfile=$home/bmc.pw
  ( umask 077; printf 'pass\n' >"$pwfile" )
  say "BMCs: alpha $(x86_bmc_port alpha)/udp, beta $(x86_bmc_port beta)/udp (ipmi_sim, 127.0.0.1)"
}
x86_bmc_port() { sed -n 's/^BMC_PORT=//p' "$work/bmc-$1/env"; }
x86_cleanup() {
  local n
  for n in alpha beta; do
    [[ -d $work/bmc-$n ]] && "$src/tools/bmcsim.sh" stop "$work/bmc-$n" >/dev/null 2>&1
  done
  return 0
}

x86_write_config() {
  local ping_interval=250ms confirm_timeout=3s boot_timeout=30s network_loss_holdoff=2s
  local power_timeout=10s power_wait=15s fence_retry=5s
  if [[ ${CRASHTEST_TIMINGS:-ci} == realistic ]]; then  # the stock script's and runtime's own defaults
    ping_interval=1s confirm_timeout=20s boot_timeout=10m network_loss_holdoff=10s
    power_timeout=60s power_wait=90s fence_retry=60s
  fi
  local n port ipmi
  cat >"$home/CList" <<EOF
# name  config
demo    clusters/demo.toml
EOF
  {
    echo 'script = "x86-bmc.chat"'
    for n in alpha beta; do
      port=$(x86_bmc_port $n)
      ipmi="\"/usr/bin/ipmitool\", \"-I\", \"lanplus\", \"-H\", \"127.0.0.1\", \"-p\", \"$port\", \"-U\", \"admin\", \"-f\", \"$pwfile\", \"-C\", \"3\""
      echo "[nodes.$n]"
      # `sol deactivate` first: the SOL payload of a clusterd that died by
      # SIGKILL stays active (its ipmitool outlives it), and ipmi_sim, like a
      # real BMC, refuses a second one ("SOL payload already active on another
      # session"). ConMan's ipmitool.exp does the same.
      sol="/usr/bin/ipmitool -I lanplus -H 127.0.0.1 -p $port -U admin -f $pwfile -C 3"
      echo "console = \"exec:/bin/sh -c '$sol sol deactivate >/dev/null 2>&1; exec $sol sol activate'?break=~B\""
      if [[ $n == alpha ]]; then echo "address = \"$CDT_ALPHA_ADDR\""; echo 'role = "active"'; else echo "address = \"$CDT_BETA_ADDR\""; echo 'role = "standby"'; fi
      echo "power_off = [$ipmi, \"chassis\", \"power\", \"off\"]"
      echo "power_on = [$ipmi, \"chassis\", \"power\", \"on\"]"
      echo "power_status = [$ipmi, \"chassis\", \"power\", \"status\"]"
    done
    echo "[ping]"
    echo "interval = \"$ping_interval\""
    echo "misses = 3"
    echo "${PING_EXTRA:-}"
    echo "[params]"
    echo "confirm_timeout = \"$confirm_timeout\""
    echo "boot_timeout = \"${BOOT_TIMEOUT:-$boot_timeout}\""
    echo "network_loss_holdoff = \"$network_loss_holdoff\""
    echo "power_wait = \"$power_wait\""
    echo "fence_retry = \"$fence_retry\""
    echo "${PARAMS_EXTRA:-}"
    echo "[timeouts]"
    echo "power = \"${POWER_TIMEOUT:-$power_timeout}\""
    echo "${CONFIG_EXTRA:-}"
  } >"$home/clusters/demo.toml"
  "$bin/clusterd" --cluster demo --home "$home" --check >"$work/check.out" 2>&1 ||
    { cat "$work/check.out"; fail "clusterd --check refused the config"; }
}

# alpha RUNNING, beta OFF, clusterd up with both SOL consoles and alpha's ping.
x86_setup() {
  # The BMCs go with the rest on every way out (lib.sh's trap, first ours).
  # errexit off first, or replaying a failing status would end the trap before
  # scenario_cleanup (no evidence saved, nodes left running).
  trap 'x86_rc=$?; set +e; x86_cleanup; (exit "$x86_rc"); scenario_cleanup' EXIT
  x86_start_nodes
  x86_start_bmcs
  x86_write_config
  wait_for 20 "alpha RUNNING" sh -c "'$bin/nodesim' ctl alpha status | grep -q 'state=RUNNING'"
  start_clusterd
  wait_for 20 "both SOL consoles up" sh -c \
    "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *alpha *(console up, ping up' &&
     '$bin/clusterctl' status demo --home '$home' | grep -q '^standby *beta *(console up'"
  say "clusterd watches alpha (x86, SOL and ping up); beta powered off behind its BMC"
}
