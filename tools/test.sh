#!/usr/bin/env bash
# Builds clusterd and runs every test. The README's second command; CI runs it
# verbatim through .ci/run. On a fresh machine it installs what it needs first.
#
#   tools/test.sh              everything (about 15 minutes on 2 cores; root for the namespaces)
#   FUZZ_SECONDS=300 tools/test.sh   longer fuzzing runs (default 20 s each)
#   SKIP_FUZZ=1 tools/test.sh        the unit and integration tests only
set -euo pipefail
cd "$(dirname "$0")/.."

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

step "tests"
ctest --test-dir build --output-on-failure -j "$jobs"
