#!/usr/bin/env bash
# run_transports.sh: clusterd's console transports (tty::make_console, through
# build/bin/clusterd-console-bench) beside the peer tools on the same stream in
# the same session, and 100 idle consoles in one process. See "Console
# transports" in bench/README.md.
#
#   bench/run_transports.sh            # RUNS=5 IDLE_SECONDS=60 IDLE_COUNT=100
#
# Environment: BIN (default build/bin/clusterd-console-bench; copied before use
# so a rebuild cannot swap it mid-run), RUNS, IDLE_SECONDS, IDLE_COUNT,
# STREAM (default: gen_console.py --size-mb 100 --seed 1, made once in DATA),
# DATA (/tmp/clusterd-bench-data), OUT (bench/results), KEEP=1 keeps the work dir.
#
# Peers, all on 127.0.0.1 and free ports, started here and killed by PID at exit
# (also on failure or ^C):
#   source   socat -u -b 131072 OPEN:STREAM TCP-LISTEN:PS  (one per client run)
#   tcp      clients: socat -u TCP:127.0.0.1:PS /dev/null  vs  tcp://127.0.0.1:PS
#   telnet   ser2net 4, accepter telnet,tcp,127.0.0.1,PT, connector tcp,127.0.0.1,PS
#            clients: socat -u TCP:...,readbytes=SIZE /dev/null (raw: no telnet
#            decoding)  vs  telnet://127.0.0.1:PT
#   ssh      a private sshd (keys, known_hosts, config as tests/support/peers.cc)
#            clients: ssh ... cat STREAM (no pty), ssh -tt ... (pty, as clusterd)
#            vs ssh://USER@127.0.0.1:PH/cat%20STREAM (clusterd asks for a pty)
#   idle     IDLE_COUNT telnet consoles to one telnet_recorder.py, and IDLE_COUNT
#            pty consoles on socat pty pairs, IDLE_SECONDS each
# Every client, ours and the peers', runs under rusage_run.py (wall, user, sys,
# maxrss). Raw results: OUT/transports-STAMP/{raw.txt,*.out,correctness.txt};
# the markdown summary (medians, ratios) is printed and kept as summary.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${RUNS:-5}
IDLE_SECONDS=${IDLE_SECONDS:-60}
IDLE_COUNT=${IDLE_COUNT:-100}
DATA=${DATA:-/tmp/clusterd-bench-data}
OUT=${OUT:-$HERE/results}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$OUT/transports-$STAMP
PY=/usr/bin/python3   # not pyenv's python3 on PATH
mkdir -p "$RES" "$DATA"
WORK=$(mktemp -d /tmp/clusterd-transports-XXXXXX)
RAW=$RES/raw.txt

PIDS=()
cleanup() {
  local rc=$?
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [[ -z "${KEEP:-}" ]]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "run_transports.sh: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_listen() {  # PORT: without connecting (ser2net would open its connector)
  local hex; hex=$(printf ':%04X' "$1")
  for _ in $(seq 1 500); do
    awk -v h="$hex" '$4=="0A" && substr($2,length($2)-4)==h {f=1} END {exit !f}' /proc/net/tcp && return 0
    sleep 0.01
  done
  die "nothing listens on port $1"
}
wait_path() { for _ in $(seq 1 500); do [[ -e "$1" ]] && return 0; sleep 0.01; done; die "no $1"; }

# --- binary and stream ---------------------------------------------------------------
BIN_SRC=${BIN:-$ROOT/build/bin/clusterd-console-bench}
[[ -x "$BIN_SRC" ]] || die "no $BIN_SRC (cmake --build build -j1 --target clusterd-console-bench)"
BIN=$WORK/clusterd-console-bench
cp "$BIN_SRC" "$BIN"
STREAM=${STREAM:-$DATA/console-100MB-seed1.log}
if [[ ! -s "$STREAM" ]]; then
  log "generating $STREAM"
  $PY /work/shared/bench/gen_console.py --size-mb 100 --seed 1 -o "$STREAM"
fi
SIZE=$(stat -c %s "$STREAM")
# What a client of a remote pty receives: the pty's ONLCR turns each \n into \r\n.
PTY_SIZE=$(( SIZE + $(tr -cd '\n' < "$STREAM" | wc -c) ))
# 10 MB of random bytes (0xFF, NUL, CR, IAC sequences) for the correctness pass only.
RANDOM_STREAM=$DATA/random-10MB-seed1.bin
[[ -s "$RANDOM_STREAM" ]] || $PY -c 'import random,sys; sys.stdout.buffer.write(random.Random(1).randbytes(10_000_000))' > "$RANDOM_STREAM"

{
  echo "session $STAMP"
  echo "binary $BIN_SRC sha256 $(sha256sum "$BIN" | cut -c1-16)"
  echo "head $(git -C "$ROOT" rev-parse --short HEAD) dirty: $(git -C "$ROOT" status --short -- tty base | tr '\n' ' ')"
  echo "stream $STREAM bytes $SIZE pty_bytes $PTY_SIZE"
  echo "machine $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
  echo "tools $(socat -V | grep -m1 'socat version' | xargs) | $(ser2net -v 2>&1 | head -1) | $(ssh -V 2>&1) | $(/usr/sbin/sshd -V 2>&1 | head -1 || true)"
  echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/session.txt"
cat "$RES/session.txt" >&2

# --- peers -----------------------------------------------------------------------
PS=$(free_port)   # the socat source (one client per source)
PT=$(free_port)   # ser2net telnet accepter
PH=$(free_port)   # sshd
PR=$(free_port)   # telnet recorder (idle)

start_source() {  # FILE: one socat source for one client, on PS
  socat -u -b 131072 "OPEN:$1" "TCP-LISTEN:$PS,bind=127.0.0.1,reuseaddr" 2>>"$WORK/source.log" &
  SOURCE_PID=$!
  PIDS+=("$SOURCE_PID")
  wait_listen "$PS"
}
stop_source() {  # the source exits after its client; kill it if it did not
  kill "$SOURCE_PID" 2>/dev/null || true
  wait "$SOURCE_PID" 2>/dev/null || true
}

cat > "$WORK/ser2net.yaml" <<EOF
%YAML 1.1
---
connection: &bench
    accepter: telnet,tcp,127.0.0.1,$PT
    enable: on
    options:
      kickolduser: true
    connector: tcp,127.0.0.1,$PS
EOF
ser2net -n -d -u -c "$WORK/ser2net.yaml" -P "$WORK/ser2net.pid" > "$WORK/ser2net.log" 2>&1 &
PIDS+=($!)
wait_listen "$PT"

mkdir -p /run/sshd
for k in host client; do ssh-keygen -q -t ed25519 -N '' -C clusterd-bench -f "$WORK/$k" ; done
SSH_USER=$(id -un)
awk '{print $1, $2}' "$WORK/client.pub" > "$WORK/authorized_keys"
echo "[127.0.0.1]:$PH $(awk '{print $1, $2}' "$WORK/host.pub")" > "$WORK/known_hosts"
chmod 600 "$WORK/authorized_keys"
cat > "$WORK/sshd_config" <<EOF
Port $PH
ListenAddress 127.0.0.1
HostKey $WORK/host
PidFile $WORK/sshd.pid
AuthorizedKeysFile $WORK/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
ClientAliveInterval 0
LogLevel DEBUG1
EOF
/usr/sbin/sshd -t -f "$WORK/sshd_config" || die "sshd -t rejected the config"
/usr/sbin/sshd -D -E "$WORK/sshd.log" -f "$WORK/sshd_config" &
PIDS+=($!)
wait_listen "$PH"
SSH=(ssh -F /dev/null -p "$PH" -i "$WORK/client" -o IdentitiesOnly=yes -o "UserKnownHostsFile=$WORK/known_hosts"
     -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5
     "$SSH_USER@127.0.0.1")
ssh_uri() { echo "ssh://$SSH_USER@127.0.0.1:$PH/cat%20$1?identity=$WORK/client&known_hosts=$WORK/known_hosts"; }

$PY "$ROOT/tests/peers/telnet_recorder.py" --port "$PR" > "$WORK/recorder.out" 2>&1 &
PIDS+=($!)
wait_listen "$PR"
mkdir -p "$WORK/pty"
for i in $(seq 0 $((IDLE_COUNT - 1))); do
  socat "pty,raw,echo=0,link=$WORK/pty/n$i.node" "pty,raw,echo=0,link=$WORK/pty/n$i.console" 2>>"$WORK/pty.log" &
  PIDS+=($!)
done
for i in $(seq 0 $((IDLE_COUNT - 1))); do wait_path "$WORK/pty/n$i.console"; done

# --- correctness (not timed): clusterd writes what it received, cmp checks it ------------
log "correctness pass"
onlcr() { $PY -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1],"rb").read().replace(b"\n", b"\r\n"))' "$1"; }
check() {  # NAME EXPECTED_FILE URI BYTES
  local got=$WORK/got.bin verdict
  "$BIN" stream "$3" --bytes "$4" --out "$got" --timeout 300 > "$WORK/check.out" 2>&1 || true
  if cmp -s "$got" "$2"; then verdict=ok; else verdict="DIFFERS ($(cmp "$got" "$2" 2>&1 | head -1))"; fi
  echo "$1: $verdict; $(grep RESULT "$WORK/check.out" | cut -d' ' -f4-6)" | tee -a "$RES/correctness.txt" >&2
  rm -f "$got"
}
for f in "$STREAM" "$RANDOM_STREAM"; do
  n=$(stat -c %s "$f"); name=$(basename "$f")
  start_source "$f"; check "tcp $name" "$f" "tcp://127.0.0.1:$PS" "$n"; stop_source
  start_source "$f"; check "telnet(ser2net) $name" "$f" "telnet://127.0.0.1:$PT" "$n"; stop_source
  onlcr "$f" > "$WORK/expected.bin"
  check "ssh(pty, ONLCR) $name" "$WORK/expected.bin" "$(ssh_uri "$f")" "$(stat -c %s "$WORK/expected.bin")"
  rm -f "$WORK/expected.bin"
done

# --- timed runs, interleaved ----------------------------------------------------------------
measure() {  # RUN CASE TOOL -- CMD...: times to RAW; our RESULT line and every
             # client's stderr to RES/CASE.TOOL.runN.out, a peer's stdout (the stream) to /dev/null
  local run=$1 case=$2 tool=$3 out; shift 4
  out=$RES/$case.$tool.run$run.out
  local sink=/dev/null; [[ $tool == clusterd ]] && sink=$out
  $PY "$HERE/rusage_run.py" "$RAW" "run=$run case=$case tool=$tool" -- timeout 300 "$@" \
    < /dev/null 2>> "$out" >> "$sink" || echo "run=$run case=$case tool=$tool FAILED" >> "$RAW"
}
stream_pair() {  # RUN CASE PEER_TOOL URI BYTES -- PEER_CMD...: peer first on odd runs
  local run=$1 case=$2 peer=$3 uri=$4 n=$5
  shift 6
  local cmd=("$@")
  local order=(peer ours); (( run % 2 == 0 )) && order=(ours peer)
  for who in "${order[@]}"; do
    start_source "$STREAM"
    if [[ $who == peer ]]; then measure "$run" "$case" "$peer" -- "${cmd[@]}"
    else measure "$run" "$case" clusterd -- "$BIN" stream "$uri" --bytes "$n"; fi
    stop_source
  done
}
SOCAT_TCP=(socat -u "TCP:127.0.0.1:$PS" /dev/null)
# ser2net 4.3.11 did not close the client's side when the source ended (socat
# hung after the last byte until killed), so socat stops after SIZE bytes: the
# stream minus the 18 bytes of telnet negotiation ser2net sends first.
SOCAT_TELNET=(socat -u "TCP:127.0.0.1:$PT,readbytes=$SIZE" /dev/null)
for run in $(seq 1 "$RUNS"); do
  log "run $run/$RUNS: tcp, telnet, ssh (load $(cut -d' ' -f1 /proc/loadavg))"
  stream_pair "$run" tcp socat "tcp://127.0.0.1:$PS" "$SIZE" -- "${SOCAT_TCP[@]}"
  stream_pair "$run" telnet socat "telnet://127.0.0.1:$PT" "$SIZE" -- "${SOCAT_TELNET[@]}"
  for who in openssh openssh-tt clusterd; do
    case $who in
      openssh) measure "$run" ssh openssh -- "${SSH[@]}" cat "$STREAM" ;;
      openssh-tt) measure "$run" ssh openssh-tt -- "${SSH[@]:0:1}" -tt "${SSH[@]:1}" cat "$STREAM" ;;
      clusterd) measure "$run" ssh clusterd -- "$BIN" stream "$(ssh_uri "$STREAM")" --bytes "$PTY_SIZE" ;;
    esac
  done
  log "run $run/$RUNS: idle telnet, idle pty (${IDLE_SECONDS}s each)"
  measure "$run" idle-telnet clusterd -- "$BIN" idle --count "$IDLE_COUNT" --seconds "$IDLE_SECONDS" \
    "telnet://127.0.0.1:$PR"
  measure "$run" idle-pty clusterd -- "$BIN" idle --count "$IDLE_COUNT" --seconds "$IDLE_SECONDS" \
    "pty:$WORK/pty/n{i}.console"
done
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RES/session.txt"
grep -h 'cipher:' "$WORK/sshd.log" | sort | uniq -c > "$RES/ssh-ciphers.txt" || true
cp "$WORK/ser2net.log" "$WORK/sshd.log" "$RES/" 2>/dev/null || true

$PY "$HERE/summarize_transports.py" "$RES" | tee "$RES/summary.md"
