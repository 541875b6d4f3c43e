#!/usr/bin/env bash
# Every shell script tracked by git passes shellcheck, with no finding of any
# severity. A shell script is a tracked regular file that is named *.sh or
# *.bash, or whose first line is a #! naming sh, bash or dash, or that says
# `# shellcheck shell=...` in its first five lines (the sourced bash
# completions): a new script is checked without being listed here. Sourced
# files are followed (.shellcheckrc at the top: external-sources,
# source-path=SCRIPTDIR). Exit 77 (skipped) outside a git checkout.
# Usage: shellcheck_test.sh SOURCE_DIR [--list]    (--list: the scripts, one a line)
set -euo pipefail
cd "$1"
command -v shellcheck >/dev/null || { echo "shellcheck is not installed (tools/install-deps.sh installs it)" >&2; exit 1; }
[[ -e .git ]] || { echo "shellcheck_test: skipped: $1 is not a git checkout"; exit 77; }
git rev-parse --is-inside-work-tree >/dev/null || { echo "FAIL: git cannot list the files of $1 (above)" >&2; exit 1; }

shell_scripts() {
  local f
  while IFS= read -r -d '' f; do
    [[ -f $f && ! -L $f ]] || continue
    case $f in
      *.sh | *.bash) echo "$f" ;;
      *) if head -n 1 "$f" | grep -qE '^#!.*[/[:space:]](ba|da)?sh([[:space:]]|$)' ||
            head -n 5 "$f" | grep -qE '^# shellcheck shell='; then
           echo "$f"
         fi ;;
    esac
  done < <(git ls-files -z)
}

mapfile -t scripts < <(shell_scripts)
if [[ ${2:-} == --list ]]; then printf '%s\n' "${scripts[@]}"; exit 0; fi
(( ${#scripts[@]} > 0 )) || { echo "FAIL: no shell scripts found" >&2; exit 1; }
echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): ${#scripts[@]} scripts"
if ! shellcheck --format=gcc "${scripts[@]}"; then
  echo "FAIL: shellcheck findings above (fix the code; a '# shellcheck disable=SCnnnn' needs a reason beside it)"
  exit 1
fi
echo "PASS: ${#scripts[@]} shell scripts, no shellcheck finding"
