#!/usr/bin/env bash
# Every C++ file tracked by git (*.cc, *.h) is as clang-format makes it under
# the repository's .clang-format: `clang-format --dry-run --Werror` reports
# each difference as an error. Fix with `clang-format -i FILE`. Exit 77
# (skipped) outside a git checkout.
# Usage: clang_format_test.sh SOURCE_DIR
set -euo pipefail
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format is not installed (tools/install-deps.sh installs it)" >&2; exit 1; }
[[ -e .git ]] || { echo "clang_format_test: skipped: $1 is not a git checkout"; exit 77; }
git rev-parse --is-inside-work-tree >/dev/null || { echo "FAIL: git cannot list the files of $1 (above)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cc' '*.h')
(( ${#files[@]} > 0 )) || { echo "FAIL: no C++ files found" >&2; exit 1; }
echo "$(clang-format --version): ${#files[@]} files"
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "FAIL: clang-format would change the files above (clang-format -i FILE)"
  exit 1
fi
echo "PASS: ${#files[@]} C++ files as clang-format makes them"
