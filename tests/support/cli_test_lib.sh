# shellcheck shell=bash
# Shared by the command-line tests (source it): a temp dir, and checks that
# count passes and failures and show the output of a failing one.
#   expect_status NAME WANT CMD...   run CMD, its stdout in $tmp/out, stderr in $tmp/err
#   expect_text NAME out|err TEXT    TEXT (fixed string) is in that output
#   finish LABEL                     print the totals; exit status 1 on any failure
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
expect_status() {
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [[ $got -ne $want ]]; then
    echo "FAIL $name: exit $got, wanted $want"; sed 's/^/  | /' "$tmp/err" "$tmp/out"; fails=$((fails + 1))
  else
    passes=$((passes + 1))
  fi
}
expect_text() {
  if grep -qF -- "$3" "$tmp/$2"; then passes=$((passes + 1)); else
    echo "FAIL $1: '$3' not in $2:"; sed 's/^/  | /' "$tmp/$2"; fails=$((fails + 1)); fi
}
finish() {
  echo "$1: $passes passed, $fails failed"
  [[ $fails -eq 0 ]]
}
