#!/usr/bin/env bash
# crashtest's command line without running a scenario: --help, --list (every
# manifest scenario, the smoke set marked), the plan of --dry-run (a seeded lab
# is the same on every call), and usage errors with exit 2; and that the
# documents quote this MANIFEST's plan and scenario count.
#   cli_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
ct=$1/crashtest src=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$("$ct" --help) || fail "--help exited $?"
for opt in --smoke --safety --x86 --random --dry-run --offset; do
  grep -q -- "$opt" <<<"$out" || fail "--help does not mention $opt"
done
list=$("$ct" --list)
n_manifest=$(grep -cvE '^[[:space:]]*(#|$)' "$src/crashtest/scenarios/MANIFEST")
[[ $(wc -l <<<"$list") == "$n_manifest" ]] || fail "--list shows $(wc -l <<<"$list") scenarios, the manifest has $n_manifest"
for id in primary_power_off primary_panic ping_loss rogue_standby_boot kill9_at_boot_sent restart_healthy console_garbage; do
  grep -qE "^$id +smoke[ ,]" <<<"$list" || fail "$id is not in the smoke set: $(grep "^$id " <<<"$list")"
done
for id in break_ignored silent_console_ping_up hung_primary stale_primary_resumes; do
  grep -qE "^$id +([a-z]+,)?safety " <<<"$list" || fail "$id is not in the safety set: $(grep "^$id " <<<"$list")"
done
# --safety runs under the stock script's own timeouts unless told otherwise.
plan=$("$ct" --safety --random 2 --dry-run) || fail "--safety --random --dry-run failed"
grep -q 'timings realistic' <<<"$plan" || fail "--safety did not choose realistic timings: $plan"
plan=$("$ct" --safety --timings ci --random 2 --dry-run) || fail "--safety --timings ci --random --dry-run failed"
grep -q 'timings ci' <<<"$plan" || fail "--safety --timings ci did not keep ci timings: $plan"
# Every script the manifest names exists and is executable.
while read -r script; do
  [[ -x $src/crashtest/scenarios/$script ]] || fail "MANIFEST names $script, which is not an executable in crashtest/scenarios"
done < <(grep -vE '^[[:space:]]*(#|$)' "$src/crashtest/scenarios/MANIFEST" | awk -F' [|] ' '{ split($2, w, " "); print w[1] }')
# The randomized lab's plan: one line per iteration "INDEX ID seed=S offset_ms=MS"
# under '#' lines, the same for the same seed, another for another seed, never
# a scenario too long for the lab. --dry-run needs no root.
plan=$("$ct" --random 5 --seed 7 --dry-run)
lines=$(grep -v '^#' <<<"$plan")
[[ $(wc -l <<<"$lines") == 5 ]] || fail "--random 5 --dry-run printed $(wc -l <<<"$lines") plan lines: $plan"
n=0
while read -r index id seed offset; do
  n=$((n + 1))
  [[ $index == "$n" && $seed =~ ^seed=[0-9]+$ && $offset =~ ^offset_ms=[0-9]+$ ]] || fail "plan line $n: $index $id $seed $offset"
  grep -qE "^$id +" <<<"$list" || fail "plan line $n: '$id' is not a scenario of --list"
done <<<"$lines"
[[ $("$ct" --random 5 --seed 7 --dry-run) == "$plan" ]] || fail "--random 5 --seed 7 --dry-run differs between two calls"
# docs/crash-test.md quotes this plan (its header and first two iterations),
# and README.md and the documents count the scenarios: both are this MANIFEST's.
doc_plan=$(sed -n '/^crashtest --random 5 --seed 7 --dry-run/,/^   \.\.\.$/p' "$src/docs/crash-test.md")
[[ -n $doc_plan ]] || fail "docs/crash-test.md no longer quotes 'crashtest --random 5 --seed 7 --dry-run'"
header=$(grep '^#' <<<"$plan" | head -n 1)
grep -qxF -- "${header%%; replay one:*}; replay one: ..." <<<"$doc_plan" ||
  fail "docs/crash-test.md quotes another plan header than '$header'"
for k in 1 2; do
  grep -qxF -- "$(sed -n "${k}p" <<<"$lines")" <<<"$doc_plan" ||
    fail "docs/crash-test.md does not quote iteration $k as: $(sed -n "${k}p" <<<"$lines")"
done
counts=$(grep -oE '\b[0-9]+ scenarios\b' "$src/README.md" "$src"/docs/*.md "$src"/docs/man/*.[1-9] |
  sed "s|^$src/||" | grep -v '^docs/crash-test.*report' || true)
grep -q '^README.md:' <<<"$counts" || fail "README.md no longer says how many scenarios there are"
while IFS=: read -r file count; do
  [[ ${count%% *} == "$n_manifest" ]] || fail "$file says '$count'; MANIFEST registers $n_manifest"
done <<<"$counts"
[[ $("$ct" --random 5 --seed 8 --dry-run) != "$plan" ]] || fail "seeds 7 and 8 gave the same plan"
[[ $("$ct" --random 5 --dry-run) == "$("$ct" --random 5 --seed 1 --dry-run)" ]] || fail "the default seed is not 1"
long=$("$ct" --random 300 --seed 7 --dry-run)
[[ $(grep -v '^#' <<<"$long" | head -5) == "$lines" ]] || fail "the first 5 of a 300-iteration lab are not the 5-iteration lab"
! grep -q ' cascaded_power_offs ' <<<"$long" || fail "a lab drew cascaded_power_offs (too long for an iteration)"
smoke_plan=$("$ct" --random 20 --smoke --dry-run | grep -v '^#')
while read -r _ id _; do
  grep -qE "^$id +smoke[ ,]" <<<"$list" || fail "--random --smoke drew $id, not in the smoke set"
done <<<"$smoke_plan"
[[ $("$ct" --scenario primary_panic --repeat 3 --seed 5 --dry-run | grep -v '^#' | awk '{ print $3 }' | tr '\n' ' ') == \
   "seed=5 seed=6 seed=7 " ]] || fail "--repeat 3 --seed 5 --dry-run: runs are not seeded 5, 6, 7"
expect_usage() {  # MESSAGE ARGS...
  local want=$1 err rc; shift
  set +e; err=$("$ct" "$@" 2>&1 >/dev/null); rc=$?; set -e
  [[ $rc == 2 ]] || fail "crashtest $* exited $rc, expected 2"
  grep -qF -- "$want" <<<"$err" || fail "crashtest $*: expected '$want', got: $err"
}
expect_usage "unknown scenario 'nope' (known: primary_panic," --scenario nope
expect_usage "choose scenarios: --scenario ID, --smoke, --safety, --x86, --bcp or --all" --repeat 2
expect_usage "--repeat needs a number 1-1000" --all --repeat 0
expect_usage "--timings is ci or realistic" --all --timings fast
expect_usage "unknown option '--bogus'" --bogus
expect_usage "--random needs a number of iterations 1-10000" --random 0
expect_usage "--repeat and --random do not mix" --random 3 --repeat 2
expect_usage "--offset and --random do not mix" --random 3 --offset 100
expect_usage "--offset needs milliseconds 0-60000" --all --offset -5
expect_usage "--script /nonexistent.chat: no such file" --all --script /nonexistent.chat
echo "crashtest cli: ok ($n_manifest scenarios listed; lab plan stable for a seed)"
