#!/usr/bin/env bash
# chatc verify (docs/verify.md), end to end on the stock scripts:
#  - sparc-obp.chat is verified over the whole fault alphabet at depth 3 with
#    power methods (the recommended set-up), and at depth 2 with the timeouts
#    swept; without power methods at depth 3 but for the hang;
#  - x86-bmc.chat is verified at depth 3;
#  - without power methods and under unconfirmed_fence = takeover, a node
#    that hangs with BREAK disabled is presumed off: the verifier finds that
#    documented risk at depth 2, and --without hang verifies the rest;
#  - the fence rule as it was before the real-consoles issue (--mutate
#    old-presumption) is caught without being told where: a node whose
#    cable is pulled and whose BREAK is disabled, presumed off while it runs;
#  - a weakened copy of the script (the fence marked half a second after the
#    BREAK, no `ok`, no read-back) is caught;
#  - each counterexample replays under `chatc replay` to the same boot.
#   verify_cli_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
chatc=$1/chatc src=$2
work=$(mktemp -d /tmp/verify-cli-XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$work"

# verdict FIELD of a --json result
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

expect_verified() {  # NAME ARGS...
  local name=$1; shift
  set +e; "$chatc" verify "$@" --json >"$name.json" 2>"$name.err"; local rc=$?; set -e
  [[ $rc == 0 ]] || { cat "$name.json" "$name.err" >&2; fail "$name: exit $rc, expected 0 (verified)"; }
  [[ $(field "$name.json" verdict) == verified ]] || fail "$name: verdict $(field "$name.json" verdict)"
  (( $(field "$name.json" runs) > 1 )) || fail "$name: only $(field "$name.json" runs) runs explored"
  echo "ok $name: $(field "$name.json" runs) runs, $(field "$name.json" states) states, $(field "$name.json" seconds)"
}

expect_violation() {  # NAME KIND ARGS...: the violation, its counterexample, its replay
  local name=$1 kind=$2; shift 2
  set +e; "$chatc" verify "$@" --json --counterexample "$work/$name.cex" >"$name.json" 2>"$name.err"; local rc=$?; set -e
  [[ $rc == 1 ]] || { cat "$name.json" "$name.err" >&2; fail "$name: exit $rc, expected 1 (a violation)"; }
  [[ $(field "$name.json" verdict) == violation ]] || fail "$name: verdict $(field "$name.json" verdict)"
  [[ $(field "$name.json" violation) == "$kind" ]] || fail "$name: violation $(field "$name.json" violation), expected $kind"
  for f in active.console standby.console events timeline.txt ledger.jsonl replay.sh; do
    [[ -s $name.cex/$f || $f == standby.console ]] || fail "$name: counterexample has no $f"
  done
  grep -q "VIOLATION $kind" "$name.cex/timeline.txt" || fail "$name: timeline.txt does not end in the violation"
  echo "ok $name: $(field "$name.json" violation) after $(/usr/bin/python3 -c 'import json,sys; print(", ".join(f["at"]+" "+f["fault"] for f in json.load(open(sys.argv[1]))["counterexample"]))' "$name.json")"
}

# The boot the verifier saw goes out in the replay too, at the same time.
expect_replayed_boot() {  # NAME
  local name=$1
  local at; at=$(grep -m1 '(boot, attempt 1)' "$name.cex/timeline.txt" | cut -d' ' -f1)
  [[ -n $at ]] || fail "$name: no boot in the counterexample's timeline"
  PATH="$(dirname "$chatc"):$PATH" sh "$name.cex/replay.sh" >"$name.replay" 2>&1 || { cat "$name.replay" >&2; fail "$name: the replay failed"; }
  grep -E "^\\$at +boot " "$name.replay" >/dev/null ||
    { cat "$name.replay" >&2; fail "$name: the replay does not send the boot at $at"; }
  echo "ok $name: chatc replay sends the boot at $at as the verifier did"
}

sparc=$src/scripts/sparc-obp.chat
expect_verified sparc-depth1 "$sparc" --depth 1
expect_verified sparc-power-depth2 "$sparc" --depth 2 --power --jobs 2
# Depth 3, the whole alphabet: with power methods; without them (the
# presumption) all but the hang, whose risk is below.
# With power, depth 3 also with the presumption's window swept from 5 s to
# 30 s (the config's, then 5 s, 15 s and 30 s): ~100 s.
expect_verified sparc-power-depth3 "$sparc" --depth 3 --power --jobs 2 \
  --sweep confirm_window=5s..30s --sweep-points 3
expect_verified sparc-nohang-depth3 "$sparc" --depth 3 --without hang --jobs 2
# The timeouts swept over their ranges, at depth 2: the orderings that
# decide a presumption (confirm_window against confirm_timeout and the
# detector's decision) and the BREAK's wait.
expect_verified sparc-power-sweeps "$sparc" --depth 2 --power --jobs 2 \
  --sweep confirm_window=5s..60s --sweep confirm_timeout=5s..60s \
  --sweep break_timeout=10s..60s --sweep detect=2s..4s
(( $(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["explorations"]))' sparc-power-sweeps.json) > 20 )) ||
  fail "the sweeps explored too few settings"
# The presumption's window swept up to 60 s, longer than the BREAK's wait
# (30 s): the first presumption comes too early, the retry must not.
expect_verified sparc-presumption-sweep "$sparc" --depth 2 --without hang --jobs 2 \
  --sweep confirm_window=5s..60s
expect_verified x86-depth3 "$src/scripts/x86-bmc.chat" --depth 3 --jobs 2

expect_violation sparc-hang-presumed boot-unfenced "$sparc" --depth 2
grep -q '"fault":"hang alpha"' sparc-hang-presumed.json || fail "the presumption risk is not the hang"
expect_replayed_boot sparc-hang-presumed

expect_violation old-presumption boot-unfenced "$sparc" --depth 2 --without hang --mutate old-presumption
grep -q '"fault":"break-disable alpha"' old-presumption.json || fail "the old rule's split brain needs break-disable"
expect_replayed_boot old-presumption

weak=$work/weak.chat
mkdir -p "$work/lib" && cp "$src/scripts/lib/"*.chat "$work/lib/"
awk '{ print } /^state fence \{/ { print "    after 500ms { mark fenced active } -> boot_standby  # WEAKENED: no ok, no read-back" }' \
  "$sparc" >"$weak"
grep -q WEAKENED "$weak" || fail "could not weaken the script"
start=$(date +%s)
expect_violation weak-no-readback boot-unfenced "$weak" --depth 2 --power
echo "caught in $(( $(date +%s) - start )) s"
expect_replayed_boot weak-no-readback

# Usage errors are exit 2 with a message.
set +e
"$chatc" verify "$sparc" --sweep confirm_window=oops..5s >/dev/null 2>usage.err; rc=$?
set -e
if [[ $rc != 2 ]] || ! grep -q "LO and HI must be intervals" usage.err; then fail "a bad --sweep: exit $rc"; fi
set +e
"$chatc" verify "$sparc" --set no_such_timing=5s >/dev/null 2>unknown.err; rc=$?
set -e
if [[ $rc == 0 ]] || ! grep -q "neither an interval param" unknown.err; then fail "an unknown --set: exit $rc"; fi
echo "verify_cli_test: all passed"
