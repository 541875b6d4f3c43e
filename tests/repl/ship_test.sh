#!/usr/bin/env bash
# clusterd-ship's log stream between two images on loopback (no root): the
# usage and its refusals; serve and receive (the replica's hash is the
# head's); a partial transfer removed at start while a tail the site wrote
# itself is kept; promote (epoch, base) and its refusals; the old site's
# source refused by the promoted one; a failback that keeps the old site's
# unshipped tail as a branch and receives only what changed.
#   ship_test.sh BIN_DIR
set -uo pipefail
bin=$(cd "${1:?bin dir}" && pwd)
ship=$bin/clusterd-ship
# shellcheck source=../support/cli_test_lib.sh
source "$(dirname "$0")/../support/cli_test_lib.sh"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rec() { echo "{\"t_ns\":1,\"node\":\"$1\",\"ev\":\"record\",\"seq\":$2}" >>"$3"; }
until_true() {  # SECONDS CMD...: wait for a condition (generous bounds, never a fixed sleep)
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.1; done
}
ok_if() {  # NAME CMD...: a check that passes when CMD does
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL $name"; fails=$((fails + 1)); fi
}
same_logs() { cmp -s <(tail -c +4097 "$1") <(tail -c +4097 "$2"); }
last_replica() { grep '^replica ' "$1" | tail -1; }
kv() { sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# --- usage ----------------------------------------------------------------------
expect_status help 0 "$ship" --help
expect_text help out "snap-promote"
expect_status no-args 64 "$ship"
expect_status no-image 64 "$ship" serve --listen 127.0.0.1:1
expect_text no-image err "--image is required"
expect_status bad-listen 64 "$ship" serve --image x --listen nowhere
expect_status bad-duration 64 "$ship" receive --image x --from 127.0.0.1:1 --retry 5x
expect_status unknown 64 "$ship" frob --image x
expect_status shell-word 64 "$ship" snapshot --volume v --image 'a b' --snapdir s --peer-snapdir p -- ssh h
expect_text shell-word err "may hold only letters"
expect_status no-receiver-image 2 "$ship" receive --image "$tmp/none.img" --from 127.0.0.1:1
expect_status no-source-image 2 "$ship" serve --image "$tmp/none.img" --listen "127.0.0.1:$(port)"

# --- serve and receive ------------------------------------------------------------
a=$tmp/a.img b=$tmp/b.img
"$bin/nodesim" disk init "$a"
"$bin/nodesim" disk init "$b"
for i in 1 2 3; do rec alpha "$i" "$a"; done
p=$(port)
"$ship" serve --image "$a" --listen "127.0.0.1:$p" >"$tmp/serve.out" 2>&1 &
pids+=($!) serve=$!
"$ship" receive --image "$b" --from "127.0.0.1:$p" --retry 200ms >"$tmp/recv.out" 2>&1 &
pids+=($!) recv=$!
rec alpha 4 "$a"
has4() { [[ $(kv "$(last_replica "$tmp/recv.out")" records) == 4 ]]; }
until_true 20 has4 || { echo "FAIL receive: no replica of 4 records"; cat "$tmp/recv.out"; fails=$((fails + 1)); }
head_line=$(grep '^head ' "$tmp/serve.out" | tail -1) rep=$(last_replica "$tmp/recv.out")
if [[ $(kv "$head_line" hash) == "$(kv "$rep" hash)" && -n $(kv "$rep" hash) ]]; then passes=$((passes + 1)); else
  echo "FAIL hash: head '$head_line' vs replica '$rep'"; fails=$((fails + 1)); fi
ok_if "content: the logs are the same" same_logs "$a" "$b"
expect_status second-receiver 2 "$ship" receive --image "$b" --from "127.0.0.1:$p"
expect_text second-receiver err "repl.lock is held"
kill "$recv"; wait "$recv" 2>/dev/null

# A partial transfer (in flight when the receiver died) goes at start.
sed -i 's/inflight=0/inflight=9999/' "$b.repl"
printf '{"t_ns":1,"node":"alpha","ev":"record","seq":5}\n{"t_ns":1,"nod' >>"$b"
timeout 5 "$ship" receive --image "$b" --from "127.0.0.1:$p" >"$tmp/recv2.out" 2>&1
ok_if "partial: removed at start" grep -q '^note removed a partial transfer of' "$tmp/recv2.out"
expect_status status 0 "$ship" status --image "$b"
expect_text status out "unverified_tail=0"

# --- promote ------------------------------------------------------------------------
expect_status promote-no-sidecar 1 "$ship" promote --image "$a"
expect_text promote-no-sidecar err "never held a verified replica point"
expect_status promote 0 "$ship" promote --image "$b"
expect_text promote out "promoted records=4"
expect_text promote out "epoch=2"
cp "$b" "$tmp/c.img" && cp "$b.repl" "$tmp/c.img.repl"
printf 'X' | dd of="$tmp/c.img" bs=1 seek=4100 conv=notrunc 2>/dev/null
expect_status promote-tampered 1 "$ship" promote --image "$tmp/c.img"
expect_text promote-tampered err "do not match the verified point"

# The old site (epoch 1) may not feed the promoted one (epoch 2).
timeout 4 "$ship" receive --image "$b" --from "127.0.0.1:$p" >"$tmp/recv3.out" 2>&1
ok_if "epoch: the old source refused" \
  grep -q 'the source refused: the receiver is at epoch 2, this source at 1' "$tmp/recv3.out"
kill "$serve"; wait "$serve" 2>/dev/null

# --- failback: the old site's unshipped tail kept, only the change received --------
rec alpha 5 "$a"  # alpha wrote on, unshipped
rec beta 1 "$b"
rec beta 2 "$b"
p2=$(port)
"$ship" serve --image "$b" --listen "127.0.0.1:$p2" >"$tmp/serve2.out" 2>&1 &
pids+=($!)
"$ship" receive --image "$a" --from "127.0.0.1:$p2" --retry 200ms >"$tmp/recv4.out" 2>&1 &
pids+=($!)
has6() { [[ $(kv "$(last_replica "$tmp/recv4.out")" records) == 6 ]]; }
until_true 20 has6 || { echo "FAIL failback: no replica of 6 records"; cat "$tmp/recv4.out"; fails=$((fails + 1)); }
ok_if "branch: said with its count" grep -q '^branch file=.*records=1 ' "$tmp/recv4.out"
branch=$(find "$tmp" -name 'a.img.branch-e1-*' | head -1)
ok_if "branch file: holds alpha#5" grep -q '"seq":5' "${branch:-/nonexistent}"
ok_if "failback content: the logs are the same" same_logs "$a" "$b"
wire=$(kv "$(last_replica "$tmp/recv4.out")" wire)
changed=$(( $(stat -c %s "$b") - 4096 - $(sed -n 's/.* base_bytes=\([0-9]*\).*/\1/p' "$b.repl") ))
if (( wire <= 2 * changed + 200 )); then passes=$((passes + 1)); else
  echo "FAIL failback traffic: $wire wire bytes for $changed changed"; fails=$((fails + 1)); fi
# --- site isolation by lease: the keeper halts after T without a renewal ----------
lease=$tmp/lease
expect_status renew-no-keeper 3 "$ship" lease-renew --file "$lease"
expect_text renew-no-keeper out "no lease keeper runs for $lease"
ok_if "renew without a keeper: the file written all the same" test -s "$lease"
expect_status renew-too-late 4 "$ship" lease-renew --file "$lease" --not-after 1
expect_text renew-too-late out "too late"
expect_status renew-bad-not-after 64 "$ship" lease-renew --file "$lease" --not-after soon
expect_status keeper-no-halt 64 "$ship" lease-keeper --file "$lease" --ttl 1s
expect_text keeper-no-halt err "needs -- HALT"
"$ship" lease-keeper --file "$lease" --ttl 4s --grace 60s -- touch "$tmp/halted" >"$tmp/keeper.out" 2>&1 &
keeper=$!
pids+=("$keeper")
keeper_up() { grep -q '^keeper lease=4000ms' "$tmp/keeper.out"; }
until_true 10 keeper_up || { echo "FAIL keeper: did not start"; cat "$tmp/keeper.out"; fails=$((fails + 1)); }
# The file was renewed a moment ago: the starting keeper gives the node what
# is left of that lease, not its 60 s grace.
first=$(sed -n 's/^keeper lease=4000ms first=\([0-9]*\)ms.*/\1/p' "$tmp/keeper.out")
ok_if "keeper: its first term is what is left of the file's lease" test "${first:-99999}" -le 4000
expect_status renew 0 "$ship" lease-renew --file "$lease"
expect_text renew out "renewed 2"
# Renewed every 300 ms for longer than the lease (4 s; a gap that long
# between two renewals would be needed to halt): never halted.
for _ in $(seq 16); do sleep 0.3; "$ship" lease-renew --file "$lease" >/dev/null; done
ok_if "lease: renewed, never halted" test ! -e "$tmp/halted"
halted() { [[ -e $tmp/halted ]]; }
until_true 20 halted || { echo "FAIL lease: no halt after the renewals stopped"; fails=$((fails + 1)); }
ok_if "lease: the keeper said why" grep -q '^expired: no renewal for 4000ms; halting the node' "$tmp/keeper.out"
ok_if "lease: the halt's status" grep -q '^halt exited 0' "$tmp/keeper.out"
"$ship" lease-renew --file "$lease" >/dev/null
rearmed() { grep -q '^renewed after the halt' "$tmp/keeper.out"; }
ok_if "lease: a renewal after the halt re-arms it" until_true 5 rearmed
expect_status keeper-twice 2 "$ship" lease-keeper --file "$lease" --ttl 1s -- true
expect_text keeper-twice out "another lease keeper runs for $lease"
kill "$keeper"; wait "$keeper" 2>/dev/null
finish "clusterd-ship"
