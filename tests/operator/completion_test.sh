#!/usr/bin/env bash
# The bash completions in etc/bash-completion: each file is sourced, a command
# line is split into COMP_WORDS the way bash splits it (at blanks, and at '='
# and ':' which are in COMP_WORDBREAKS), and the function `complete -p`
# registered for the command is called as bash would call it.
#
# usage: completion_test.sh SOURCE_DIR BIN_DIR
#   BIN_DIR holds clusterctl and chatc: every command and option their --help
#   lists must be offered.
set -euo pipefail

src=$(cd "${1:?usage: completion_test.sh SOURCE_DIR BIN_DIR}" && pwd)
bin=$(cd "${2:?usage: completion_test.sh SOURCE_DIR BIN_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0 call_path=

for f in clusterctl chatc crashtest; do
  # shellcheck source=/dev/null
  if [[ -r $src/etc/bash-completion/$f ]] && source "$src/etc/bash-completion/$f"; then
    passes=$((passes + 1))
  else
    echo "FAIL source: etc/bash-completion/$f"; fails=$((fails + 1))
  fi
done

# complete LINE: COMPREPLY for LINE with the cursor at its end, sorted, one
# per line, in $got.
complete_line() {
  local line=$1 word sep fn spec
  local -a raw words=()
  read -ra raw <<<"$line"
  [[ $line == *' ' ]] && raw+=("")
  for word in "${raw[@]}"; do
    while [[ $word == *[=:]* ]]; do
      sep=${word%%[=:]*}
      [[ -n $sep ]] && words+=("$sep")
      words+=("${word:${#sep}:1}")
      word=${word:${#sep}+1}
    done
    # A word that ended at '=' or ':' leaves the cursor on the separator.
    [[ -n $word || ${#words[@]} -eq 0 || $line == *' ' && ${words[${#words[@]}-1]} != *[=:] ]] && words+=("$word")
  done
  got='(no completion function)'
  spec=$(complete -p "${words[0]}" 2>/dev/null) || return 0
  [[ $spec =~ -F\ ([^ ]+) ]] || return 0
  fn=${BASH_REMATCH[1]}
  COMP_LINE=$line COMP_POINT=${#line} COMP_WORDS=("${words[@]}") COMP_CWORD=$((${#words[@]} - 1))
  COMP_TYPE=9 COMP_KEY=9
  COMPREPLY=()
  # As bash calls it: the command, the word being completed, the one before.
  # $call_path, when set, is the PATH the function runs with.
  local path=$PATH
  PATH=${call_path:-$PATH}
  set +e
  "$fn" "${words[0]}" "${words[COMP_CWORD]}" "${words[COMP_CWORD-1]-}"
  set -e
  PATH=$path
  got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort -u | sed '/^$/d')
}

# expect NAME LINE WORD...: exactly these completions (any order).
expect() {
  local name=$1 line=$2; shift 2
  complete_line "$line"
  local want
  want=$(printf '%s\n' "$@" | LC_ALL=C sort -u | sed '/^$/d')
  if [[ $got == "$want" ]]; then passes=$((passes + 1)); else
    echo "FAIL $name: '$line'"; echo "  wanted: ${want//$'\n'/ }"; echo "  got:    ${got//$'\n'/ }"
    fails=$((fails + 1))
  fi
}
# expect_has NAME LINE WORD...: at least these.
expect_has() {
  local name=$1 line=$2 w missing=(); shift 2
  complete_line "$line"
  for w in "$@"; do grep -qxF -- "$w" <<<"$got" || missing+=("$w"); done
  if ((${#missing[@]} == 0)); then passes=$((passes + 1)); else
    echo "FAIL $name: '$line' lacks ${missing[*]}"; echo "  got: ${got//$'\n'/ }"
    fails=$((fails + 1))
  fi
}

# help_check PROG: every command `PROG --help` lists (a line "  NAME …") is
# offered after "PROG ", and every option it names after "PROG COMMAND -" for
# some COMMAND ("--format=" counts as --format).
help_check() {
  local prog=$1 help c o offered='' commands=() options=() missing=()
  help=$("$bin/$prog" --help)
  mapfile -t commands < <(sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' <<<"$help" | sort -u)
  mapfile -t options < <(grep -o -- ' -\{1,2\}[a-z][a-z-]*' <<<"$help" | sed 's/^ //' | sort -u)
  if ((${#commands[@]} == 0 || ${#options[@]} == 0)); then
    echo "FAIL $prog.help: no commands or options found in $prog --help"; fails=$((fails + 1)); return
  fi
  expect_has "$prog.help-commands" "$prog " "${commands[@]}"
  for c in "${commands[@]}"; do complete_line "$prog $c -"; offered+=$'\n'$got; done
  offered=${offered//=/}
  for o in "${options[@]}"; do grep -qxF -- "$o" <<<"$offered" || missing+=("$o"); done
  if ((${#missing[@]} == 0)); then passes=$((passes + 1)); else
    echo "FAIL $prog.help-options: not offered: ${missing[*]}"; fails=$((fails + 1)); fi
}

# --- Registration ---------------------------------------------------------------
for c in clusterctl chatc crashtest; do
  if complete -p "$c" >/dev/null 2>&1; then passes=$((passes + 1)); else
    echo "FAIL registered: no completion for $c"; fails=$((fails + 1)); fi
done

# --- clusterctl --------------------------------------------------------------------
home=$tmp/home other=$tmp/other
mkdir -p "$home" "$other" "$tmp/files/sub"
cat >"$home/CList" <<'EOF'
# $CLUSTER_HOME/CList for the completion test

alpha      clusters/alpha.toml
   # beta  clusters/beta.toml   (commented out, indented)
payroll-2  /srv/clusterd/payroll.toml   # a trailing comment
#gamma clusters/gamma.toml
EOF
printf 'zulu z.toml\n' >"$other/CList"
touch "$tmp/files/secrets" "$tmp/files/session.log"
export CLUSTER_HOME=$home

expect clusterctl.commands 'clusterctl ' \
  console ports status timeline switchover failover maintenance alarms ack reload metrics fleet help
expect clusterctl.prefix 'clusterctl sta' status
expect clusterctl.prefix2 'clusterctl m' maintenance metrics
expect clusterctl.top-options 'clusterctl -' -h --help
expect clusterctl.clusters 'clusterctl status ' alpha payroll-2
expect clusterctl.clusters-prefix 'clusterctl switchover pay' payroll-2
expect clusterctl.failover-clusters 'clusterctl failover ' alpha payroll-2
expect clusterctl.failover-options 'clusterctl failover -' --accept-loss --home -h --help
expect clusterctl.switchover-options 'clusterctl switchover -' --site --home -h --help
expect clusterctl.metrics-clusters 'clusterctl metrics ' alpha payroll-2
expect clusterctl.home-on-line "clusterctl status --home $other " zulu
expect clusterctl.home-after-name "clusterctl reload --home $other z" zulu
expect clusterctl.home-env-missing 'clusterctl alarms --home /nonexistent ' 
expect clusterctl.second-arg 'clusterctl status alpha ' 
expect clusterctl.home-dirs "clusterctl status --home $tmp/o" "$other"
expect clusterctl.status-options 'clusterctl status -' --json --home -h --help
expect clusterctl.fleet-commands 'clusterctl fleet ' journal move status
expect clusterctl.fleet-options 'clusterctl fleet -' --etcd --home --json --prefix -h --help
expect clusterctl.fleet-move-cluster 'clusterctl fleet move ' alpha payroll-2
expect clusterctl.fleet-etcd-value 'clusterctl fleet --etcd ' 
expect clusterctl.timeline-options 'clusterctl timeline alpha --' --since --home --help
expect clusterctl.console-options 'clusterctl console -' \
  --send --expect --timeout --break --log --secrets -q --quiet -h --help
expect clusterctl.log-files "clusterctl console --log $tmp/files/s" "$tmp/files/secrets" "$tmp/files/session.log" "$tmp/files/sub"
expect clusterctl.secrets-files "clusterctl console --secrets $tmp/files/se" "$tmp/files/secrets" "$tmp/files/session.log"
expect clusterctl.uri-schemes 'clusterctl console ' serial: telnet:// ssh:// exec: pty: tcp://
expect clusterctl.uri-pty "clusterctl console pty:$tmp/files/sub" "$tmp/files/sub"

# Every command and option `clusterctl --help` lists is offered somewhere.
help=$("$bin/clusterctl" --help)
help_check clusterctl

# --- chatc -----------------------------------------------------------------------
mkdir -p "$tmp/scripts/lib"
printf '%s\n' 'param boot_timeout = 10m' '  param retries = 3' "initial state a { after \$boot_timeout -> a }" >"$tmp/scripts/x.chat"
touch "$tmp/scripts/notes.txt" "$tmp/scripts/y.chat"

expect chatc.commands 'chatc ' check dot replay verify
expect chatc.prefix 'chatc re' replay
expect chatc.check-options 'chatc check -' --strict --json --format= --param -h --help
expect chatc.dot-options 'chatc dot -' --param -h --help
expect chatc.replay-options 'chatc replay x.chat --' \
  --console --events --names --unconfirmed-fence --confirm-window --mutate --window --json --param --help
expect chatc.verify-options 'chatc verify x.chat --' \
  --config --param --depth --sweep --sweep-points --set --power --no-power --platform \
  --unconfirmed-fence --without --counterexample --jobs --max-runs --mutate --json --quiet --help
expect chatc.verify-platform 'chatc verify x.chat --platform ' sparc x86
expect chatc.format-values 'chatc check --format=' text gcc json
expect chatc.format-prefix 'chatc check --format=g' gcc
expect chatc.format-separate 'chatc check --format j' json
expect chatc.fence 'chatc replay --unconfirmed-fence ' takeover wait
expect chatc.console-roles 'chatc replay --console ' active= standby=
expect chatc.chat-files "chatc check $tmp/scripts/" "$tmp/scripts/x.chat" "$tmp/scripts/y.chat" "$tmp/scripts/lib"
expect chatc.params "chatc check $tmp/scripts/x.chat --param " boot_timeout= retries=
expect chatc.params-prefix "chatc replay $tmp/scripts/x.chat --param b" boot_timeout=

help_check chatc

# --- crashtest (a fake one on PATH: it does not exist yet) ----------------------------
mkdir -p "$tmp/fakebin" "$tmp/reports/run1"
cat >"$tmp/fakebin/crashtest" <<'EOF'
#!/bin/sh
# A stand-in: crashtest --list prints "ID  description" lines.
[ "$1" = --list ] || exit 2
echo "ping-loss.silent-console   ping lost, console silent: fence and take over"
echo "fence.break-unanswered     the BREAK is never answered"
EOF
chmod +x "$tmp/fakebin/crashtest"

expect crashtest.options 'crashtest -' --scenario --all --smoke --safety --x86 --bcp --list --repeat --load --seed \
  --report --timings --keep --script --verbose -v --guided --random --dry-run --offset -h --help
expect crashtest.guided-options 'crashtest --guided -' --cluster --home -h --help
expect crashtest.timings 'crashtest --timings ' ci realistic
expect crashtest.timings-prefix 'crashtest --smoke --timings r' realistic
expect crashtest.timings-equals 'crashtest --timings=c' ci
expect crashtest.repeat 'crashtest --repeat ' 
expect crashtest.random 'crashtest --random ' 
expect crashtest.offset 'crashtest --scenario x --offset ' 
expect crashtest.dry-run 'crashtest --random 5 --d' --dry-run
expect crashtest.script-files "crashtest --smoke --script $tmp/scripts/" "$tmp/scripts/x.chat" "$tmp/scripts/y.chat" "$tmp/scripts/lib"
expect crashtest.report-dirs "crashtest --report $tmp/reports/" "$tmp/reports/run1"
expect crashtest.clusters 'crashtest --guided --cluster ' alpha payroll-2
expect crashtest.clusters-home "crashtest --guided --home $other --cluster " zulu
call_path=$tmp/fakebin:$PATH
expect crashtest.scenarios 'crashtest --scenario ' ping-loss.silent-console fence.break-unanswered
expect crashtest.scenarios-prefix 'crashtest --all --scenario f' fence.break-unanswered
expect crashtest.scenarios-again 'crashtest --scenario fence.break-unanswered --scenario p' ping-loss.silent-console
expect crashtest.scenarios-equals 'crashtest --scenario=pi' ping-loss.silent-console
# Not on PATH: nothing is run, nothing offered.
call_path=$tmp/nobin
expect crashtest.no-crashtest 'crashtest --scenario '
call_path=

echo "completion_test: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
