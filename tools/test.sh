#!/usr/bin/env bash
# Builds clusterd and runs every test. The README's second command; CI runs it
# verbatim through .ci/run. On a fresh machine it installs what it needs first.
#
#   tools/test.sh              everything (about 20 minutes on 2 cores; root for the namespaces)
#   FUZZ_SECONDS=300 tools/test.sh   longer fuzzing runs (default 20 s each)
#   SKIP_FUZZ=1 tools/test.sh        the unit and integration tests only
#   tools/test.sh --repeat 5         build once, run the tests 5 times, list every failure
#   tools/test.sh --repeat 3 --stress  the same with stress-ng taking every core beside them
#   tools/test.sh --repeat 20 --only 'ProbeNet'   one test (a ctest -R regex), 20 times
# --repeat skips the fuzzing and writes each run's log to build/repeat/run-N.log;
# the exit status is 1 if any run failed. A test that fails in some runs and
# not others depends on timing: a defect to fix at its root, never to retry.
set -euo pipefail
cd "$(dirname "$0")/.."

repeat=0 stress='' only=''
while (($#)); do
  case $1 in
    --repeat) repeat=${2:?--repeat needs a count}; shift 2 ;;
    --stress) stress=1; shift ;;
    --only) only=${2:?--only needs a ctest -R regex}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ ! $repeat =~ ^[0-9]+$ ]]; then
  echo "test.sh: --repeat takes a count, not '$repeat'" >&2
  exit 2
fi
if ((repeat > 0)); then SKIP_FUZZ=1; fi
if [[ -n $stress || -n $only ]] && ((repeat == 0)); then repeat=1; SKIP_FUZZ=1; fi

start=$(date +%s)
step() { printf '\n== %s (at %ds)\n' "$*" "$(( $(date +%s) - start ))"; }

step "dependencies"
tools/install-deps.sh
jobs=${JOBS:-$(nproc)}

if [[ -z ${SKIP_FUZZ:-} ]]; then
  step "fuzz build (clang, libFuzzer, ASan + UBSan)"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCLUSTERD_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j "$jobs"
  for target in chat_parse_fuzz chat_match_fuzz; do
    step "fuzz $target for ${FUZZ_SECONDS:-20}s"
    corpus=build-fuzz/corpus/$target
    mkdir -p "$corpus"
    # Seeds: the stock scripts for the parser, golden transcripts for the matcher.
    if [[ $target == chat_parse_fuzz ]]; then
      cp scripts/*.chat scripts/lib/*.chat tests/chat/golden/*.chat "$corpus"/ 2>/dev/null || true
    else
      cp tests/chat/golden/*.console "$corpus"/
    fi
    log=build-fuzz/$target.log
    if ! build-fuzz/bin/$target -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/ \
         -print_final_stats=1 "$corpus" >"$log" 2>&1; then
      tail -n 60 "$log" >&2
      echo "fuzzer $target failed: see $log (crash inputs are saved as crash-*)" >&2
      exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  done
fi

step "build (g++, warnings as errors)"
# Configured for the package's prefix, so the package test (tests/package)
# makes the .deb from this build instead of a second one.
cmake -S . -B build -G Ninja -DCLUSTERD_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc >/dev/null
cmake --build build -j "$jobs"

if ((repeat == 0)); then
  step "tests"
  ctest --test-dir build --output-on-failure -j "$jobs"
  exit 0
fi

# --repeat: the same tests N times; a summary of every failure at the end.
mkdir -p build/repeat
rm -f build/repeat/*.log
stress_pid=
stop_stress() { if [[ -n $stress_pid ]]; then kill "$stress_pid" 2>/dev/null || true; wait "$stress_pid" 2>/dev/null || true; stress_pid=; fi; }
trap stop_stress EXIT
if [[ -n $stress ]]; then
  stress-ng --cpu "$(nproc)" --quiet &
  stress_pid=$!
fi
ctest_args=(--test-dir build --output-on-failure -j "$jobs")
if [[ -n $only ]]; then ctest_args+=(-R "$only"); fi
failed_runs=0
for ((run = 1; run <= repeat; run++)); do
  step "tests, run $run of $repeat${stress:+ (stress-ng --cpu $(nproc) beside)}"
  log=build/repeat/run-$run.log
  if ctest "${ctest_args[@]}" >"$log" 2>&1; then
    grep -E 'tests passed|Total Test time' "$log" || true
  else
    failed_runs=$((failed_runs + 1))
    grep -E 'tests passed|Total Test time' "$log" || true
    sed -n '/The following tests FAILED/,$p' "$log"
  fi
done
stop_stress
step "summary: $((repeat - failed_runs)) of $repeat runs green"
# Every failed test, with the runs it failed in (the logs keep its output);
# "|| true": grep finds nothing when every run was green.
grep -H -E '^[[:space:]]+[0-9]+ - .* \(([A-Za-z ]+)\)$' build/repeat/run-*.log |
  sed -E 's|build/repeat/run-([0-9]+)\.log:[[:space:]]+[0-9]+ - ([^ ]+) \((.*)\)$|\2\t\3 in run \1|' |
  awk -F'\t' '{ seen[$1] = seen[$1] (seen[$1] == "" ? "" : ", ") $2 } END { for (t in seen) print "  " t ": " seen[t] }' | sort || true
((failed_runs == 0))
