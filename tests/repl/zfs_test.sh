#!/usr/bin/env bash
# clusterd-ship's snapshot mode on ZFS (--method zfs; docs/bcp.md "Snapshot
# mode"), for real: two pools on sparse files under zfs-fuse (Debian's only
# ZFS here; tools/install-deps.sh installs it), the other site reached through
# `env` instead of ssh. A full then incremental send verified against the
# source's hash; a stream cut mid-way and one whose image is not the
# source's leave nothing counted; promote (the site's own dataset renamed
# aside, never destroyed); a failback seeded from the old site's own
# snapshot at the common point, its unshipped tail kept as a branch. Root.
#   zfs_test.sh BIN_DIR
set -uo pipefail
bin=$(cd "${1:?bin dir}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
ship=$bin/clusterd-ship
nodesim=$bin/nodesim
# shellcheck source=../support/cli_test_lib.sh
source "$(dirname "$0")/../support/cli_test_lib.sh"
pids=()
pa=cdtza$$ pb=cdtzb$$ daemon=""
cleanup() {
  kill "${pids[@]}" 2>/dev/null
  zpool destroy -f "$pa" 2>/dev/null
  zpool destroy -f "$pb" 2>/dev/null
  [[ $daemon == started ]] && "$src/tools/zfs-fuse-daemon.sh" stop "$tmp/zfs-fuse.pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
rec() { echo "{\"t_ns\":1,\"node\":\"$1\",\"ev\":\"record\",\"seq\":$2}" >>"$3"; }
until_true() {  # SECONDS CMD...: wait for a condition (generous bounds, never a fixed sleep)
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.1; done
}
ok_if() {  # NAME CMD...: a check that passes when CMD does
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL $name"; fails=$((fails + 1)); fi
}
die() { echo "FAIL $*"; exit 1; }
kv() { sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

[[ $(id -u) == 0 ]] || die "needs root (zfs-fuse)"
for c in zfs zpool zfs-fuse; do command -v "$c" >/dev/null || die "no $c (tools/install-deps.sh installs zfs-fuse)"; done
# One zfs-fuse daemon per machine: started when none answers, stopped after.
daemon=$("$src/tools/zfs-fuse-daemon.sh" start "$tmp/zfs-fuse.pid") || die "no zfs-fuse daemon"
for p in "$pa" "$pb"; do
  truncate -s 128M "$tmp/$p.img"
  zpool create -o cachefile=none -m "$tmp/$p" "$p" "$tmp/$p.img" >/dev/null 2>&1 || die "zpool create $p"
  zfs create "$p/vol" || die "zfs create $p/vol"
  "$nodesim" disk init "$tmp/$p/vol/disk.img"
  mkdir -p "$tmp/snaps-$p"
done
A=$tmp/$pa/vol/disk.img B=$tmp/$pb/vol/disk.img
# SOURCE_POOL PEER_POOL OUT: the snapshot loop, every second, in the background.
start_loop() {
  "$ship" snapshot --method zfs --volume "$tmp/$1/vol" --dataset "$1/vol" --image disk.img \
    --snapdir "$tmp/snaps-$1" --peer-snapdir "$tmp/snaps-$2" --peer-dataset "$2/vol" \
    --interval 1s --peer-ship "$ship" -- env >"$3" 2>&1 &
  loop=$!
  pids+=("$loop")
}
stop_loop() { kill "$loop" 2>/dev/null; wait "$loop" 2>/dev/null; }
replica_has() { [[ $(kv "$(grep '^replica ' "$1" | tail -1)" records) == "$2" ]]; }

# --- full, then incremental ------------------------------------------------------
zfs snapshot "$pa/vol@operators-own"  # not ours: never touched
for i in 1 2 3; do rec alpha "$i" "$A"; done
start_loop "$pa" "$pb" "$tmp/loop1.out"
ok_if "full: a replica of 3 records verified" until_true 30 replica_has "$tmp/loop1.out" 3
for i in 4 5; do rec alpha "$i" "$A"; done
ok_if "incremental: 5 records" until_true 30 replica_has "$tmp/loop1.out" 5
stop_loop
ok_if "incremental: sent with -i (the parent verified)" test -s "$tmp/snaps-$pa/peer-has"
verified=$(cat "$tmp/snaps-$pb/verified")
# The verified one and the one before it (the parent, should this answer not
# have reached the source).
ok_if "the replica dataset holds the verified snapshot and the one before" \
  test "$(zfs list -H -t snapshot -o name -r "$pb/vol-repl" | grep -c "@snap-e1-")" == 2
exists() { zfs list -H -o name "$1" >/dev/null 2>&1; }
ok_if "the operator's own snapshot is left alone" exists "$pa/vol@operators-own"
ok_if "the replica dataset is read-only" test "$(touch "$tmp/$pb/vol-repl/x" 2>&1 || echo refused)" != ""
ok_if "the replica is the source's log" cmp -s <(tail -c +4097 "$A") <(tail -c +4097 "$tmp/$pb/vol-repl/disk.img")

# --- a cut stream and a wrong image: nothing counted ---------------------------------
rec alpha 6 "$A"
zfs snapshot "$pa/vol@cut1"
point=$("$ship" status --image "$A" 2>/dev/null | head -1)
zfs send -i "$pa/vol@$(cat "$tmp/snaps-$pa/peer-has")" "$pa/vol@cut1" | head -c 300 |
  "$ship" snap-receive --method zfs --dataset "$pb/vol" --snapdir "$tmp/snaps-$pb" --image disk.img \
    --name cut1 --expect "6,288,0000000000000000,1,1" >"$tmp/cut.out" 2>&1
rc=$?
ok_if "cut: snap-receive exits 1" test "$rc" == 1
ok_if "cut: said why" grep -q '^error receive of cut1 failed (zfs receive' "$tmp/cut.out"
ok_if "cut: no snapshot cut1 at the other site" test -z "$(zfs list -H -t snapshot -o name -r "$pb/vol-repl" | grep '@cut1' || true)"
ok_if "cut: the verified point did not move" test "$(cat "$tmp/snaps-$pb/verified")" == "$verified"
zfs send -i "$pa/vol@$(cat "$tmp/snaps-$pa/peer-has")" "$pa/vol@cut1" |
  "$ship" snap-receive --method zfs --dataset "$pb/vol" --snapdir "$tmp/snaps-$pb" --image disk.img \
    --name cut1 --expect "6,288,00000000deadbeef,1,1" >"$tmp/wrong.out" 2>&1
rc=$?
ok_if "wrong hash: refused" test "$rc" == 1
ok_if "wrong hash: said why" grep -q "received but its image is not the source's" "$tmp/wrong.out"
ok_if "wrong hash: rolled back to the verified snapshot" \
  test "$(zfs list -H -t snapshot -o name -r "$pb/vol-repl" | tail -1)" == "$pb/vol-repl@$verified"
zfs destroy "$pa/vol@cut1"
: "$point"

# --- promote: the site's own dataset kept aside --------------------------------------
"$ship" snap-promote --method zfs --snapdir "$tmp/snaps-$pb" --image disk.img --volume "$tmp/$pb/vol" \
  --dataset "$pb/vol" >"$tmp/promote.out" 2>&1
ok_if "promote: exit 0" test $? == 0
ok_if "promote: epoch 2" grep -q '^promoted records=5 .* epoch=2' "$tmp/promote.out"
ok_if "promote: the volume is the replica" cmp -s <(tail -c +4097 "$B" | head -c 240) <(tail -c +4097 "$A" | head -c 240)
ok_if "promote: the old dataset renamed aside" test -n "$(zfs list -H -o name | grep "^$pb/vol-branch-e1-" || true)"
ok_if "promote: writable" touch "$tmp/$pb/vol/x"

# --- failback: seeded from the common point, the old tail kept as a branch ------------
rec beta 1 "$B"
rec beta 2 "$B"
start_loop "$pb" "$pa" "$tmp/loop2.out"
ok_if "failback: 7 records at the old site" until_true 30 replica_has "$tmp/loop2.out" 7
stop_loop
ok_if "failback: seeded from the site's own snapshot" grep -q "note seeded $pa/vol-repl from this site's" "$tmp/loop2.out"
"$ship" snap-promote --method zfs --snapdir "$tmp/snaps-$pa" --image disk.img --volume "$tmp/$pa/vol" \
  --dataset "$pa/vol" >"$tmp/promote2.out" 2>&1
rc=$?; [[ $rc == 0 && -z ${ZFS_DEBUG:-} ]] || { sed "s/^/  | /" "$tmp/promote2.out"; zfs list -t all -r "$pa"; cat "$tmp/loop2.out"; }
ok_if "failback promote: exit 0" test "$rc" == 0
ok_if "failback promote: epoch 3" grep -q '^promoted records=7 .* epoch=3' "$tmp/promote2.out"
ok_if "branch: alpha's unshipped record counted" grep -q "^branch file=$tmp/$pa/vol-branch-e2-.*/disk.img records=1" "$tmp/promote2.out"
branch=$(sed -n 's/^branch file=\([^ ]*\) .*/\1/p' "$tmp/promote2.out")
ok_if "branch: holds alpha#6" grep -q '"seq":6' "${branch:-/nonexistent}"
ok_if "failback: the volume holds beta's records" grep -q '"node":"beta","ev":"record","seq":2' "$A"
finish "clusterd-ship zfs"
