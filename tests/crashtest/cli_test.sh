#!/usr/bin/env bash
# crashtest's command line without running a scenario: --help, --list (every
# manifest scenario, the smoke set marked), and usage errors with exit 2.
#   cli_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
ct=$1/crashtest src=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$("$ct" --help) || fail "--help exited $?"
grep -q -- '--smoke' <<<"$out" || fail "--help does not mention --smoke"
list=$("$ct" --list)
n_manifest=$(grep -cvE '^[[:space:]]*(#|$)' "$src/crashtest/scenarios/MANIFEST")
[[ $(wc -l <<<"$list") == "$n_manifest" ]] || fail "--list shows $(wc -l <<<"$list") scenarios, the manifest has $n_manifest"
for id in primary_power_off primary_panic ping_loss rogue_standby_boot kill9_at_boot_sent restart_healthy console_garbage; do
  grep -qE "^$id +smoke " <<<"$list" || fail "$id is not in the smoke set: $(grep "^$id " <<<"$list")"
done
# Every script the manifest names exists and is executable.
while read -r script; do
  [[ -x $src/crashtest/scenarios/$script ]] || fail "MANIFEST names $script, which is not an executable in crashtest/scenarios"
done < <(grep -vE '^[[:space:]]*(#|$)' "$src/crashtest/scenarios/MANIFEST" | awk -F' [|] ' '{ split($2, w, " "); print w[1] }')
expect_usage() {  # MESSAGE ARGS...
  local want=$1 err rc; shift
  set +e; err=$("$ct" "$@" 2>&1 >/dev/null); rc=$?; set -e
  [[ $rc == 2 ]] || fail "crashtest $* exited $rc, expected 2"
  grep -qF -- "$want" <<<"$err" || fail "crashtest $*: expected '$want', got: $err"
}
expect_usage "unknown scenario 'nope' (known: primary_panic," --scenario nope
expect_usage "choose scenarios: --scenario ID, --smoke or --all" --repeat 2
expect_usage "--repeat needs a number 1-1000" --all --repeat 0
expect_usage "--timings is ci or realistic" --all --timings fast
expect_usage "unknown option '--bogus'" --bogus
expect_usage "--script /nonexistent.chat: no such file" --all --script /nonexistent.chat
echo "crashtest cli: ok ($n_manifest scenarios listed)"
