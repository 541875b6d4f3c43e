#!/usr/bin/env bash
# Scenario bad_config_corpus (crash-test-plan A15, malformed configuration and
# chat scripts): while a healthy cluster runs under clusterd, every input of
# the corpus crashtest/scenarios/bad-config/ (and a few large ones made here:
# 1 MiB lines, deep nesting, a 3000-state `extends` chain) is put in place in
# a scratch copy of $CLUSTER_HOME, never the running cluster's, and checked
# with `clusterd --cluster demo --home SCRATCH --check`. Then a seeded
# mutation pass (bytes flipped, spans cut, tokens and control bytes inserted)
# over the good config, script, CList and secrets file. Then a few bad inputs
# are given to the RUNNING cluster with `clusterctl reload`.
#
# The corpus: one small file per input; the extension says where it goes:
#   .toml     the cluster file, clusters/demo.toml (@ALPHA_CONSOLE@,
#             @BETA_CONSOLE@, @ALPHA_ADDR@, @BETA_ADDR@: the running cluster's)
#   .chat     the chat script, scripts/bad.chat (the config's script = "bad.chat";
#             most inputs include the stock sparc-obp.chat and add a bad part)
#   .secrets  the secrets file, $CLUSTER_HOME/secrets, under the running config
#             with secrets = "secrets" on line 1 and alpha's console naming
#             secret nts1 (mode 0600 unless the input says otherwise)
#   .clist    the CList
# and its header, comment lines at the top, says what to expect:
#   # A15 KIND: what the input is
#   # expect: TEXT     (one or more) a fixed string a message line must hold,
#                      usually FILE:LINE[:COL]: error: KEY: message
#   # absent: TEXT     a string no output may hold (a password, a secret)
#   # mode: 0644       the file's mode (secrets inputs)
# Every scratch home also holds a secrets file with the canary CANARY-A15 in a
# value: it must never appear in any output.
#
# Asserts, for every corpus input: exit status exactly 1 (0: a bad input
# accepted; 124: hung for A15_TIMEOUT s; >= 128 or other: crashed); no
# "terminate called", "what():", "Segmentation", "Aborted", sanitizer report;
# every message line (not the indented source and caret lines) starts with
# FILE:LINE: or FILE:LINE:COL: naming an existing file; the expected fragments
# present, the absent strings and the canary absent; no raw control byte
# (0x00-0x08, 0x0b, 0x0c, 0x0e-0x1f, 0x7f), no C1 control and no invalid UTF-8
# in the output (a message quoting hostile bytes must escape them); nothing
# written in the scratch home (no run/, Logs/, state/, spool/). For every
# mutant: exit 0 or 1, no crash, no hang (the share with clean file:line
# messages is reported, not asserted). For each reload: refused (clusterctl
# exit 1, "reload refused", the input's file:line message), no raw control
# byte in the reply or the timeline, the daemon still the same process,
# watching alpha; after the good files are back a reload restarts it and it
# watches again. Throughout: nothing sent to either node (ledgers: no
# command, break, state, nvram or lease event; transcripts: no '>' or '!';
# timeline: no send, no BREAK), no failover step in the journal, check_ledger.
# (The stock script's standby probe, a CR typed on beta every minute, is put
# off to 10 minutes, so that any byte on a console would be the corpus's.)
#
# Knobs: A15_MUTANTS (default 160; drawn from CRASHTEST_SEED), A15_TIMEOUT,
# A15_VMEM_KB (below).
#
# Each `clusterd --check` runs under `ulimit -v A15_VMEM_KB` (default 1 GiB: an
# endless include must not take the machine's memory; set A15_VMEM_KB=unlimited
# for a sanitizer build) and a limit of A15_TIMEOUT s (default 6). Inputs that
# are not rejected cleanly are listed with their output, and the scenario fails
# at the end (after the reload and nothing-sent checks have run).
#   bad_config_corpus.sh BIN_DIR SOURCE_DIR     (KEEP=1 keeps $work: scratch
#   homes under $work/scratch, outputs under $work/out, mutants under $work/fuzz)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
corpus=$src/crashtest/scenarios/bad-config
limit_s=${A15_TIMEOUT:-6}
vmem_kb=${A15_VMEM_KB:-1048576}
mutants=${A15_MUTANTS:-160}
[[ -d $corpus ]] || fail "no corpus at $corpus"
# The stock script asks the standby for its prompt every minute (a CR typed on
# beta's console); this run is shorter, but under load it need not be.
PARAMS_EXTRA='probe_interval = "10m"'

scenario_setup
alpha_mark=$(ledger_mark alpha) beta_mark=$(ledger_mark beta)
starts0=$(timeline_count 'clusterd demo starting')

# The judge, the mutator and the generator of large inputs (Python: outputs may
# hold any byte, NUL included).
a15() { python3 "$scenario_dir/bad_config_judge.py" "$@"; }

# --- the scratch homes ----------------------------------------------------------
# The running cluster's values, for the inputs' @PLACEHOLDERS@.
node_value() {  # NODE KEY: from the running config
  awk -v t="[nodes.$1]" -v k="$2" '$0 == t {n = 1; next} /^\[/ {n = 0} n && $1 == k {sub(/^[^"]*"/, ""); sub(/"[^"]*$/, ""); print; exit}' "$home/clusters/demo.toml"
}
A15_SUBST=$(a15 subst "$(node_value alpha console)" "$(node_value beta console)" \
  "$(node_value alpha address)" "$(node_value beta address)")
export A15_SUBST
grep -q '"ALPHA_CONSOLE": "telnet://' <<<"$A15_SUBST" || fail "could not read alpha's console from the running config: $A15_SUBST"
alpha_uri=$(node_value alpha console)
if [[ $alpha_uri == *\?* ]]; then secret_console="${alpha_uri}&secret=nts1"; else secret_console="${alpha_uri}?secret=nts1"; fi
secret_console=${secret_console/telnet:\/\//telnet://op@}

# One pristine copy of the running home's configuration per kind of input.
make_base() {  # KIND DIR
  local d=$2
  mkdir -p "$d"
  cp -p "$home/CList" "$d/"
  cp -rp "$home/clusters" "$home/scripts" "$d/"
  printf 'nts1 = CANARY-A15-secret\n' >"$d/secrets"
  chmod 600 "$d/secrets"
  case $1 in
    chat) # As deployed: the secrets file is the config's (a script that
          # includes it is refused before a line of it is quoted).
          sed -i 's/^script = .*/script = "bad.chat"/' "$d/clusters/demo.toml"
          sed -i '1i secrets = "secrets"' "$d/clusters/demo.toml"
          printf 'include "sparc-obp.chat"\n' >"$d/scripts/bad.chat" ;;
    secrets)
      { echo 'secrets = "secrets"'; cat "$home/clusters/demo.toml"; } >"$d/clusters/demo.toml.new"
      a15 set-console "$d/clusters/demo.toml.new" "$alpha_uri" "$secret_console"
      mv "$d/clusters/demo.toml.new" "$d/clusters/demo.toml" ;;
  esac
}
check_home() {  # HOME OUT: clusterd --check under the limits; prints the exit status
  local rc=0
  ( if [[ $vmem_kb != unlimited ]]; then ulimit -v "$vmem_kb"; fi
    exec timeout -k 2 "$limit_s" "$bin/clusterd" --cluster demo --home "$1" --check ) >"$2" 2>&1 || rc=$?
  echo "$rc"
}

mkdir -p "$work/base" "$work/scratch" "$work/out" "$work/generated"
for k in toml chat secrets clist; do make_base "$k" "$work/base/$k"; done
# Controls: each base, as made, is good; so a refusal below is the input's doing.
for k in toml chat secrets clist; do
  rc=$(check_home "$work/base/$k" "$work/out/control-$k")
  [[ $rc == 0 ]] || { sed 's/^/  | /' "$work/out/control-$k"; fail "the $k base home is refused (exit $rc): the harness is wrong"; }
done
say "controls: the four base homes (config, script, secrets, CList as running) pass --check"

# The large inputs, made here (the corpus stays small).
awk '/^\[nodes\./ {n = 1} /^\[/ && !/^\[nodes\./ {n = 0} n' "$corpus/toml-metrics-public.toml" >"$work/nodes.block"
a15 generate "$work/generated" "$work/nodes.block"

# --- 1. the corpus, through --check ----------------------------------------------
corpus_inputs=("$corpus"/*) generated_inputs=("$work/generated"/*)
inject "bad inputs through clusterd --check in scratch homes: ${#corpus_inputs[@]} corpus + ${#generated_inputs[@]} generated"
a15 corpus "$bin" "$work" "$limit_s" "$vmem_kb" "${corpus_inputs[@]}" "${generated_inputs[@]}" || fail "the corpus run failed"
{ read -r total clean; read -r groups; } <"$work/corpus.summary"
mapfile -t unclean <"$work/unclean"
say "corpus: $clean/$total rejected cleanly ($(( 100 * clean / total )) %), by kind: $groups"
if (( ${#unclean[@]} )); then
  echo "--- inputs not rejected cleanly (outputs: \$work/out/NAME)"
  for u in "${unclean[@]}"; do echo "  $u"; done
fi
if [[ -n ${EVIDENCE_DIR:-} ]]; then
  cp "$work/table" "$EVIDENCE_DIR/a15-corpus-table"
  cp "$work/unclean" "$EVIDENCE_DIR/a15-unclean"
fi

# --- 2. seeded mutants of the good files -----------------------------------------
for k in toml chat secrets clist; do cp -rp "$work/base/$k" "$work/scratch/fuzz-$k"; done
cp "$home/scripts/sparc-obp.chat" "$work/scratch/fuzz-chat/scripts/bad.chat"
inject "$mutants seeded mutants (seed $seed) of the running config, script, secrets file and CList"
a15 fuzz "$bin" "$work" "$seed" "$mutants" "$limit_s" "$vmem_kb" \
  "toml=$work/scratch/fuzz-toml=$work/scratch/fuzz-toml/clusters/demo.toml" \
  "chat=$work/scratch/fuzz-chat=$work/scratch/fuzz-chat/scripts/bad.chat" \
  "secrets=$work/scratch/fuzz-secrets=$work/scratch/fuzz-secrets/secrets" \
  "clist=$work/scratch/fuzz-clist=$work/scratch/fuzz-clist/CList" >"$work/fuzz.out" || fail "the mutation run failed"
read -r f_runs f_exit0 f_exit1 f_clean <"$work/fuzz.out"
mapfile -t fuzz_bad < <(tail -n +2 "$work/fuzz.out")
say "mutants: $f_runs run, $f_exit0 accepted, $f_exit1 refused ($f_clean of them with clean file:line messages), ${#fuzz_bad[@]} crashed or hung"
for b in "${fuzz_bad[@]}"; do echo "  $b"; done
if [[ -n ${EVIDENCE_DIR:-} && ${#fuzz_bad[@]} -gt 0 ]]; then
  mkdir -p "$EVIDENCE_DIR/a15-crashing-mutants"; cp "$work"/fuzz/* "$EVIDENCE_DIR/a15-crashing-mutants/" 2>/dev/null || true
fi

# --- 3. bad inputs given to the running cluster: reload refused, config kept ------
watching() {  # both consoles up, ping up, state watch, alpha active
  local s; s=$(ctl status demo 2>/dev/null) || return 1
  grep -q '^active *alpha *(console up, ping up' <<<"$s" && grep -q '^standby *beta *(console up)' <<<"$s" &&
    grep -q '^state *watch' <<<"$s"
}
mkdir -p "$work/good"
cp -p "$home/CList" "$work/good/CList"
cp -p "$home/clusters/demo.toml" "$work/good/demo.toml"
restore_home() {
  cp -p "$work/good/CList" "$home/CList"
  cp -p "$work/good/demo.toml" "$home/clusters/demo.toml"
  rm -f "$home/scripts/bad.chat"
}
reloads=0 refused=0
reload_bad=()
reload_refused() {  # CORPUS-INPUT: install it in the running home, reload, expect a refusal
  local in=$corpus/$1 name=$1 rc=0 out=$work/out/reload-$1 t_before frag p
  reloads=$(( reloads + 1 ))
  case $in in  # as in the scratch homes (make_base), but in the running home
    *.toml) a15 install "$in" "$home/clusters/demo.toml" ;;
    *.chat) sed -i 's/^script = .*/script = "bad.chat"/' "$home/clusters/demo.toml"
            a15 install "$in" "$home/scripts/bad.chat" ;;
    *.clist) a15 install "$in" "$home/CList" ;;
    *) fail "reload_refused: $name: only .toml, .chat and .clist inputs" ;;
  esac
  t_before=$(wc -l <"$timeline_log")
  ctl reload demo >"$out" 2>&1 || rc=$?
  restore_home
  local problems=()
  [[ $rc == 1 ]] || problems+=("clusterctl reload exit $rc (expected 1: refused)")
  grep -aq 'reload refused' "$out" || problems+=("no 'reload refused' in the reply")
  frag=$(a15 expect "$in")
  grep -aqF -- "$frag" "$out" || problems+=("the reply lacks '$frag'")
  p=$(a15 bytes "$out" "clusterctl's reply")
  [[ -z $p ]] || problems+=("$p")
  tail -n +"$(( t_before + 1 ))" "$timeline_log" >"$out.timeline"
  grep -aq 'reload refused, the running config and script are kept' "$out.timeline" || problems+=("no 'reload refused' in the timeline")
  p=$(a15 bytes "$out.timeline" "the timeline")
  [[ -z $p ]] || problems+=("$p")
  clusterd_alive || fail "clusterd died at the reload of $name"
  wait_for 5 "watching alpha after the refused reload of $name" watching
  (( $(timeline_count 'clusterd demo starting') == starts0 )) || fail "clusterd restarted at the refused reload of $name"
  printf '  %-32s exit %s  %s\n' "$name" "$rc" "$(a15 firstline "$out" "$home/")"
  if (( ${#problems[@]} )); then
    reload_bad+=("$name: $(IFS=';'; echo "${problems[*]}")")
  else
    refused=$(( refused + 1 ))
  fi
}
inject "bad inputs given to the running cluster with clusterctl reload"
reload_refused toml-unclosed-string.toml      # TOML syntax error
reload_refused toml-misses-string.toml        # a string where an integer goes
reload_refused chat-unknown-state.chat        # a script naming a state it lacks
reload_refused clist-duplicate-name.clist     # the CList
reload_refused hostile-toml-ansi-escaped.toml # an ANSI escape in a console URI
say "reloads: $refused/$reloads refused cleanly; clusterd kept watching alpha with its running config"
for b in "${reload_bad[@]}"; do echo "  $b"; done
[[ $(status_field active) == alpha && $(status_field state) == watch ]] || fail "roles or state changed: $(ctl status demo)"
if ! cmp -s "$work/good/demo.toml" "$home/clusters/demo.toml" || ! cmp -s "$work/good/CList" "$home/CList"; then
  fail "the running home was not restored"
fi

# The good files back: a reload is accepted and restarts clusterd, which watches again.
rc=0
ctl reload demo >"$work/out/reload-good" 2>&1 || rc=$?
[[ $rc == 0 ]] || { cat "$work/out/reload-good"; fail "the reload of the good config was refused (exit $rc)"; }
wait_for 10 "clusterd restarted by the good reload" sh -c "[ \$(grep -c 'clusterd demo starting' '$timeline_log') -gt $starts0 ]"
wait_for 15 "watching alpha after the good reload" watching
clusterd_alive || fail "clusterd is gone after the good reload"
say "good reload: accepted, clusterd restarted ($(timeline_count 'clusterd demo starting') starts) and watches alpha again"
sleep 1

# --- 4. nothing sent, nothing moved -------------------------------------------------
# Timestamped records only: a refused reload's note runs on over untimestamped lines.
show_timeline '^[0-9T:.-]+Z (clusterd demo (starting|stopping)|reload|state |BREAK |send |alarm|console [a-z]+ (up|lost))'
expect_nothing_sent "$alpha_mark" "$beta_mark" "during the corpus"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
[[ $(status_field failovers) == 0 ]] || fail "a failover happened: $(ctl status demo)"
expect_node_state alpha RUNNING
expect_node_state beta OK
clusterd_alive || fail "clusterd died"
check_ledger

# --- the verdict ----------------------------------------------------------------------
if (( ${#unclean[@]} || ${#fuzz_bad[@]} || ${#reload_bad[@]} )); then
  fail "$clean/$total inputs rejected cleanly ($(( 100 * clean / total )) %); not clean: $(printf '%s, ' "${unclean[@]%%:*}" | sed 's/, $//')${fuzz_bad:+; ${#fuzz_bad[@]} crashing mutants}; $refused/$reloads reloads refused cleanly${reload_bad:+ (not: $(printf '%s, ' "${reload_bad[@]%%:*}" | sed 's/, $//'))}; nothing sent"
fi
pass "$clean/$total inputs rejected cleanly with file:line, $f_runs mutants without a crash, $refused reloads refused and the running config kept; nothing sent"
