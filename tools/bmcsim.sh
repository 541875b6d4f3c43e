#!/bin/bash
# tools/bmcsim.sh — a BMC in front of one nodesim node (docs/nodesim.md, "The BMC lab"):
# the real OpenIPMI BMC simulator (ipmi_sim) on ADDR:PORT/udp, speaking IPMI 2.0
# RMCP+ to the real ipmitool, with the node's power behind `chassis power …`
# and its console behind `sol activate`.
#
#   bmcsim.sh start DIR --ctl CTL --pty PTY [--port PORT] [--addr ADDR] [--nodesim BIN]
#                                       write DIR's config, start ipmi_sim, wait until it answers
#   bmcsim.sh stop DIR                  stop it (by its pid), remove its SOL lock
#   bmcsim.sh freeze DIR | thaw DIR     SIGSTOP / SIGCONT: a BMC that does not answer
#   bmcsim.sh stuck-on DIR on|off       `power off` accepted (exit 0) but the node stays on,
#                                       so `power status` keeps reading "on"
#   bmcsim.sh env DIR                   BMC_ADDR, BMC_PORT, BMC_USER, BMC_PASS for sourcing
#   bmcsim.sh ipmitool DIR ARGS...      ipmitool -I lanplus -H ADDR -p PORT -U admin -P pass -C 3 ARGS
#
# CTL is the node's control socket (nodesim run --ctl, or $NODESIM_DIR/NAME.ctl):
# the chassis_control script (tools/bmcsim-chassis.sh) runs `nodesim ctl CTL
# power-on|power-off|power-cycle|status` for `chassis power on|off|reset|status`.
# PTY is the node's --pty link: ipmi_sim opens it as the SOL serial device at start
# and reads it all the time (what the node prints while no SOL session is active
# is lost, as on a real BMC). A SOL BREAK (ipmitool's ~B) is tcsendbreak() on that
# pty, which carries no BREAK: the node never sees it (an x86 node would only arm
# SysRq with it anyway).
# Users: admin/pass (ADMINISTRATOR) and an anonymous user "" / test (USER).
# Every address stays where it is given (default 127.0.0.1): run it inside the
# test namespace the other lab processes use (tools/testnet.sh exec/run).
# Needs ipmi_sim (Debian: openipmi) and ipmitool (tools/install-deps.sh).
set -u

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "bmcsim.sh: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; }

need_dir() {
  [[ -n ${1:-} && -d $1 ]] || die "no lab directory '${1:-}'"
  [[ $1 != *[[:space:]\"\'\\\$\`]* ]] || die "the lab directory must not contain spaces, quotes or \$: '$1'"
  cd "$1" && pwd
}

# The env file the chassis script reads: KEY=VALUE lines, no shell syntax.
env_get() { sed -n "s/^$2=//p" "$1/env" | head -1; }

pick_port() {
  local p used
  used=$(ss -Hlun 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 20000 ))
    grep -qx "$p" <<<"$used" || { echo "$p"; return 0; }
  done
  die "no free UDP port found"
}

ipmi() {  # DIR [-P PASSWORD] ARGS...
  local dir=$1 pass; shift
  pass=$(env_get "$dir" BMC_PASS)
  if [[ ${1:-} == -P ]]; then pass=$2; shift 2; fi
  ipmitool -I lanplus -H "$(env_get "$dir" BMC_ADDR)" -p "$(env_get "$dir" BMC_PORT)" \
    -U "$(env_get "$dir" BMC_USER)" -P "$pass" -C 3 "$@"
}

start() {
  local dir=${1:-}; shift || true
  [[ -n $dir ]] || die "start needs DIR"
  mkdir -p "$dir" || die "cannot make $dir"
  dir=$(need_dir "$dir")
  local ctl="" pty="" port="" addr=127.0.0.1 nodesim=""
  while (( $# )); do
    case $1 in
      --ctl) ctl=${2:-}; shift 2 ;;
      --pty) pty=${2:-}; shift 2 ;;
      --port) port=${2:-}; shift 2 ;;
      --addr) addr=${2:-}; shift 2 ;;
      --nodesim) nodesim=${2:-}; shift 2 ;;
      *) die "unknown option '$1' (see bmcsim.sh --help)" ;;
    esac
  done
  [[ -n $ctl && -S $ctl ]] || die "--ctl: no control socket '$ctl' (start the nodesim first)"
  [[ -n $pty && -e $pty ]] || die "--pty: no pty '$pty' (nodesim run --pty LINK)"
  [[ -z $port ]] && port=$(pick_port)
  if ! [[ $port =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then die "--port: not a port: '$port'"; fi
  [[ $addr =~ ^[0-9.]+$ ]] || die "--addr: an IPv4 address, got '$addr'"
  if [[ -z $nodesim ]]; then nodesim=$(command -v nodesim || true); fi
  [[ -x $nodesim ]] || die "--nodesim: no nodesim binary ('$nodesim')"
  command -v ipmi_sim >/dev/null || die "ipmi_sim is not installed (tools/install-deps.sh: openipmi)"
  command -v ipmitool >/dev/null || die "ipmitool is not installed (tools/install-deps.sh)"
  if [[ -s $dir/ipmi_sim.pid ]] && kill -0 "$(cat "$dir/ipmi_sim.pid")" 2>/dev/null; then
    die "a BMC already runs for $dir (pid $(cat "$dir/ipmi_sim.pid"))"
  fi
  ctl=$(cd "$(dirname "$ctl")" && pwd)/$(basename "$ctl")
  # ipmi_sim locks the SOL device as /var/lock/LCK..BASENAME: a name of our own
  # per port, so that two labs never share a lock; the link points at the
  # node's /dev/pts/N itself.
  local tty; tty=$(readlink -f "$pty") || die "--pty: cannot resolve '$pty'"
  ln -sfn "$tty" "$dir/bmcsim-sol-$port"
  rm -rf "$dir/state"; mkdir -p "$dir/state"  # ipmi_sim persists users and SOL settings here
  rm -f "$dir/stuck-on"
  cat >"$dir/env" <<EOF
NODESIM=$nodesim
CTL=$ctl
BMC_ADDR=$addr
BMC_PORT=$port
BMC_USER=admin
BMC_PASS=pass
EOF
  # ipmi_lan(5); chassis_control is run through popen() with " get power" or
  # " set power \"0\"" appended (OpenIPMI lanserv/extcmd.c), hence no spaces in DIR.
  cat >"$dir/lan.conf" <<EOF
# written by tools/bmcsim.sh for the nodesim node at $ctl
name "bmcsim$port"
set_working_mc 0x20
  startlan 1
    addr $addr $port
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "$here/bmcsim-chassis.sh $dir"
  sol "$dir/bmcsim-sol-$port" 115200
  user 1 true  ""      "test" user  10 none md2 md5 straight
  user 2 true  "admin" "pass" admin 10 none md2 md5 straight
EOF
  cat >"$dir/bmc.emu" <<EOF
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
EOF
  : >"$dir/chassis.log"
  ipmi_sim -c "$dir/lan.conf" -f "$dir/bmc.emu" -s "$dir/state" -n </dev/null >>"$dir/ipmi_sim.log" 2>&1 &
  echo $! >"$dir/ipmi_sim.pid"
  # Ready when it answers a power status over RMCP+ (bounded: 20 tries).
  local i
  for i in $(seq 1 20); do
    kill -0 "$(cat "$dir/ipmi_sim.pid")" 2>/dev/null || { cat "$dir/ipmi_sim.log" >&2; die "ipmi_sim exited"; }
    if ipmi "$dir" -N 1 -R 1 chassis power status >/dev/null 2>&1; then
      echo "bmcsim: ipmi_sim pid $(cat "$dir/ipmi_sim.pid") on $addr:$port/udp for $ctl"
      return 0
    fi
    (( i < 20 )) && sleep 0.5
  done
  stop "$dir"
  die "ipmi_sim did not answer on $addr:$port within ~30 s (see $dir/ipmi_sim.log)"
}

stop() {
  local dir; dir=$(need_dir "${1:-}")
  local pid port
  pid=$(cat "$dir/ipmi_sim.pid" 2>/dev/null || true)
  port=$(env_get "$dir" BMC_PORT 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -CONT "$pid" 2>/dev/null  # a frozen one cannot act on SIGTERM
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$dir/ipmi_sim.pid"
  # ipmi_sim removes its UUCP lock on SIGTERM; after a SIGKILL the lock is ours to remove.
  [[ -n $port ]] && rm -f "/var/lock/LCK..bmcsim-sol-$port"
  return 0
}

signal() {  # DIR SIGNAL
  local dir pid; dir=$(need_dir "$1")
  pid=$(cat "$dir/ipmi_sim.pid" 2>/dev/null) || die "no BMC runs for $dir"
  kill -"$2" "$pid" || die "cannot send SIG$2 to $pid"
}

case ${1:-} in
  start) shift; start "$@" ;;
  stop) stop "${2:-}" ;;
  freeze) signal "${2:-}" STOP ;;
  thaw) signal "${2:-}" CONT ;;
  stuck-on)
    dir=$(need_dir "${2:-}")
    case ${3:-} in
      on) : >"$dir/stuck-on" ;;
      off) rm -f "$dir/stuck-on" ;;
      *) die "stuck-on DIR on|off" ;;
    esac ;;
  env)
    dir=$(need_dir "${2:-}")
    grep -E '^BMC_(ADDR|PORT|USER|PASS)=' "$dir/env" ;;
  ipmitool) dir=$(need_dir "${2:-}"); shift 2; ipmi "$dir" "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
