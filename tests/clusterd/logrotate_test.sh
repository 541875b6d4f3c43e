#!/usr/bin/env bash
# etc/logrotate.d/clusterd with the real logrotate against a running clusterd
# whose active console chatters (nodesim, one numbered syslog line every 5 ms):
# three forced rounds, each renaming Logs/*.log, Logs/*.console and Logs/*.sh and then
# asking clusterd to reopen them (the postrotate: init.d reopen, SIGUSR1).
# Asserts: no byte lost or doubled — the heartbeat numbers decoded from the
# transcripts, oldest file first, run without a gap or repeat from the first
# to the last; each round left a dated file and a fresh current one (so the
# reopen happened, not a write into the renamed file forever); the older
# rounds are compressed, the newest renamed one not (delaycompress: clusterd
# may still have written to it); the activity log says each reopen. No root
# (~8 s).
#   logrotate_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
# shellcheck source=../support/loopback_cluster.sh
source "$src/tests/support/loopback_cluster.sh"
initd=$src/etc/init.d/clusterd
command -v logrotate >/dev/null || { echo "logrotate is not installed (tools/install-deps.sh installs it)" >&2; exit 1; }

work=$(mktemp -d /tmp/clusterd-logrotate-XXXXXX)
home=$work/home
sims=()
cleanup() {
  "$initd" stop >/dev/null 2>&1 || true
  local p
  for p in "${sims[@]}" "${loopback_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$home/clusters" "$home/scripts/lib" "$work/sim"
cp "$src"/scripts/*.chat "$home/scripts/"
cp "$src"/scripts/lib/*.chat "$home/scripts/lib/"
loopback_n=20
loopback_cluster east --chatter 5ms
echo "east clusters/east.toml" >"$home/CList"
use_test_defaults

# The shipped config, pointed at this CLUSTER_HOME and this init script.
sed -e "s|/var/lib/clusterd/|$home/|g" -e "s|/etc/init.d/clusterd reopen|CLUSTERD_DEFAULTS=$work/default $initd reopen|" \
  "$src/etc/logrotate.d/clusterd" >"$work/logrotate.conf"
grep -q "$initd reopen" "$work/logrotate.conf" || fail "the postrotate line of etc/logrotate.d/clusterd changed; update this test"
grep -qE "^[[:space:]]*copytruncate" "$work/logrotate.conf" && fail "copytruncate loses bytes"

"$initd" start | sed 's/^/    | /'
wait_for 15 "east watching alpha" sh -c "'$bin/clusterctl' status east --home '$home' | grep -q 'ping up'"
transcript=$home/Logs/east.alpha.console
wait_for 10 "heartbeats in alpha's transcript" grep -q heartbeat "$transcript"
say "clusterd runs; alpha chatters into $transcript"

# dateformat ends in %s (seconds): one round per second at most.
for round in 1 2 3; do
  sleep 1.2
  logrotate -s "$work/logrotate.state" -f "$work/logrotate.conf" 2>&1 | sed 's/^/    | /'
  say "round $round: $(find "$home/Logs" -maxdepth 1 -name 'east.alpha.console-*' | wc -l) dated transcript files"
done
sleep 0.5
"$initd" stop | sed 's/^/    | /'
# Heartbeats are counted only up to the stop: the daemon closed its files.

mapfile -t dated < <(find "$home/Logs" -maxdepth 1 -name 'east.alpha.console-*' -printf '%f\n' | sort)
[[ ${#dated[@]} == 3 ]] || fail "expected 3 dated transcripts, found: ${dated[*]}"
[[ ${dated[0]} == *.gz && ${dated[1]} == *.gz ]] || fail "older rounds not compressed: ${dated[*]}"
[[ ${dated[2]} != *.gz ]] || fail "the newest renamed transcript is compressed (delaycompress missing): ${dated[*]}"
[[ -s $transcript ]] || fail "no current transcript after the last round: clusterd did not reopen"
for f in "${dated[@]}"; do
  [[ $(cd "$home/Logs" && { [[ $f == *.gz ]] && zcat "$f" || cat "$f"; } | grep -c heartbeat) -gt 0 ]] ||
    fail "$f holds no console bytes"
done
# The shell transcript (Logs/NAME.sh, docs/formats.md: rotated like the
# console transcripts) goes round too, and clusterd reopens it.
sh_dated=$(find "$home/Logs" -maxdepth 1 -name 'east.sh-*' | wc -l)
[[ $sh_dated == 3 ]] || fail "expected 3 dated shell transcripts (Logs/east.sh-*), found $sh_dated"
[[ -s $home/Logs/east.sh ]] || fail "no current shell transcript after the last round: clusterd did not reopen it"
n_reopen=$(zcat -f "$home"/Logs/east.log "$home"/Logs/east.log-* | grep -c 'logs reopened (SIGUSR1)' || true)
[[ $n_reopen == 3 ]] || fail "expected 3 reopens in the activity logs, found $n_reopen"

# Every byte alpha sent, in order: decode the '<' records of all files.
python3 "$src/tests/clusterd/transcript_continuity.py" "$home/Logs" "${dated[@]}" east.alpha.console ||
  fail "transcript continuity (above)"
say "PASS: 3 logrotate rounds with reopen: no console byte lost or doubled, delaycompress kept, every reopen logged"
