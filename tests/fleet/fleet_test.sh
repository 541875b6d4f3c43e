#!/usr/bin/env bash
# The fleet on a real 3-member etcd (docs/fleet.md): three monitoring hosts in
# their own network namespaces (tools/testnet.sh hosts), five simulated
# clusters whose nodes answer ICMP in theirs, nodesim's consoles on the hosts'
# LAN with ser2net's kickolduser behaviour (--kick-old-user), and one
# clusterd-fleet agent per host. Each fault is judged by the nodesim ledgers,
# which record the address every BREAK and every typed command came from:
#   1 owner host killed just after it sent the standby's boot: another host
#     takes the cluster, resumes the failover, and never boots twice
#   2 owner host frozen (SIGSTOP of everything on it), then resumed: its
#     clusters are taken over; after the freeze nothing reaches a node from it
#   3 the etcd leader killed mid-failover: the failover completes
#   4 a host cut from etcd (nft drop in its namespace): it self-fences, its
#     clusters move, and nothing reaches a node from it once they have
#   5 etcd without quorum: a failing active is not fenced (no BREAK), the
#     owner alarms; with quorum back the host acts again
#   6 clusterctl fleet move: the owner hands an idle cluster to another host
# and at the end no shared-disk overlap anywhere (nodesim check).
# Needs root (namespaces) and etcd (tools/install-deps.sh installs it).
#   fleet_test.sh BIN_DIR SOURCE_DIR
# FLEET_DEMO=1 (tools/demo.sh fleet): fault 1 only, with the fleet's status
# before and after and the new owner's timeline.
set -euo pipefail
bin=$(cd "${1:?bin dir}" && pwd)
src=$(cd "${2:?source dir}" && pwd)
T=$src/tools/testnet.sh
EC=$src/tools/etcd-cluster.sh
id=fl$((($$ % 90000) + 10000))
work=$(mktemp -d /tmp/fleet-test.XXXXXX)
mon=cdt-$id-mon
export ETCDCTL_API=3

t0=$(date +%s.%N)
say() { printf '[%5ss] %s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" "$*"; }
fail() {
  say "FAIL: $*"
  for k in 1 2 3; do echo "--- agent h$k (last 15 lines)"; tail -n 15 "$work/h$k.agent.log" 2>/dev/null || true; done
  exit 1
}
wait_for() {  # SECONDS DESCRIPTION CMD...
  local end=$(($(date +%s) + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < end)) || fail "no $what within $1 s"
    sleep 0.2
  done
}
cleanup() {
  local rc=$?
  "$T" down "$id" >/dev/null 2>&1 || true
  if ((rc == 0)); then rm -rf "$work"; else echo "fleet_test: files kept in $work"; fi
}
trap cleanup EXIT

"$T" check >/dev/null || fail "this test needs network namespaces (root)"
command -v etcd >/dev/null || fail "etcd is not installed (tools/install-deps.sh)"

clusters=(c1 c2 c3 c4 c5)
nodes=()
for c in "${clusters[@]}"; do nodes+=("${c}a" "${c}b"); done
CDT_OWNER=$$ "$T" up "$id" "${nodes[@]}" >/dev/null || fail "testnet up"
"$T" hosts "$id" 3 || fail "testnet hosts"
eval "$("$T" env "$id")"
inmon() { ip netns exec "$mon" "$@"; }
lan=198.18.1.1           # the LAN address of the monitor namespace: etcd and the consoles
host_addr() { echo "198.18.$((200 + $1)).2"; }
host_ns() { echo "cdt-$id-h$1"; }
mono_ns() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))'; }

say "etcd: three members on $lan"
inmon "$EC" start "$work/etcd" "$lan" 23790 || fail "etcd start"
eps=$("$EC" endpoints "$lan" 23790)
# etcdctl, retried: right after a member restarts, one read may time out.
etcd_get() {
  local try out
  for try in 1 2 3 4 5 6 7 8 9 10; do
    if out=$(inmon etcdctl --endpoints="${eps//http:\/\//}" --command-timeout=2s get "$@" 2>/dev/null); then
      printf '%s\n' "$out" | sed '/^$/d'
      return 0
    fi
    ((try < 10)) && sleep 0.5
  done
  fail "etcdctl get $* failed 10 times"
}

say "nodesim: ${#nodes[@]} nodes"
for c in "${clusters[@]}"; do
  mkdir -p "$work/sim-$c"
  conf=("script = \"sparc-obp.chat\"")
  for role in a b; do
    node=alpha; [[ $role == b ]] && node=beta
    up=$(tr '[:lower:]' '[:upper:]' <<<"$c$role")
    ns_var=CDT_${up}_NS if_var=CDT_${up}_IF addr_var=CDT_${up}_ADDR
    extra=()
    # c1's standby boots slowly: the new owner arrives while the boot is under way.
    [[ $c$role == c1b ]] && extra=(--t-boot 25s)
    inmon env NODESIM_DIR="$work/sim-$c" "$bin/nodesim" run --name "$node" --telnet "$lan:0" \
      --netns "${!ns_var}" --netif "${!if_var}" --kick-old-user \
      --auto-boot "$([[ $role == a ]] && echo true || echo false)" "${extra[@]}" \
      --ready-file "$work/sim-$c/$node.ready" >"$work/sim-$c/$node.out" 2>&1 &
    wait_for 10 "nodesim $c/$node" test -s "$work/sim-$c/$node.ready"
    port=$(sed -n 's/.*telnet=\([0-9]*\).*/\1/p' "$work/sim-$c/$node.ready")
    conf+=("[nodes.$node]" "console = \"telnet://$lan:$port\"" "address = \"${!addr_var}\"")
  done
  printf '%s\n' "${conf[@]}" >"$work/$c.toml"
done

start_agent() {  # K
  local k=$1 h="$work/h$1"
  mkdir -p "$h/clusters"
  [[ -e $h/scripts ]] || ln -s "$src/scripts" "$h/scripts"
  : >"$h/CList"
  for c in "${clusters[@]}"; do
    cp "$work/$c.toml" "$h/clusters/$c.toml"
    echo "$c clusters/$c.toml" >>"$h/CList"
  done
  # c6's consoles are serial lines, so only the host they are wired to can
  # watch it, and its CList line names no host: no agent may claim it.
  printf '%s\n' 'script = "sparc-obp.chat"' '[nodes.alpha]' 'console = "serial:/dev/ttyS0"' \
    'address = "198.18.99.2"' '[nodes.beta]' 'console = "serial:/dev/ttyS1"' 'address = "198.18.99.6"' \
    >"$h/clusters/c6.toml"
  echo "c6 clusters/c6.toml" >>"$h/CList"
  # Rebalancing off: the faults below decide where clusters go, not the hash.
  ip netns exec "$(host_ns "$k")" "$bin/clusterd-fleet" --host "h$k" --etcd "$eps" --home "$h" \
    --no-rebalance >>"$work/h$k.agent.log" 2>&1 &
}
for k in 1 2 3; do start_agent "$k"; done

owner() { etcd_get --print-value-only "/clusterd/owner/$1"; }
token() { etcd_get -w json "/clusterd/owner/$1" | python3 -c 'import json,sys; k=json.load(sys.stdin).get("kvs",[]); print(k[0]["create_revision"] if k else 0)'; }
journal() { etcd_get --print-value-only --prefix "/clusterd/journal/$1/"; }
journal_has() { grep -q -- "$2" <<<"$(journal "$1")"; }
watching() {  # CLUSTER: its owner's clusterd (the one started last) has both consoles
  local o; o=$(owner "$1"); [[ -n $o ]] || return 1
  awk -v c="$1" '$0 ~ "clusterd " c " starting" { a = 0; b = 0 }
                 /console alpha up/ { a = 1 } /console beta up/ { b = 1 }
                 END { exit !(a && b) }' "$work/$o/Logs/$1.log"
}
all_owned() { for c in "${clusters[@]}"; do [[ -n $(owner "$c") ]] || return 1; done; }
# Ledger records of CLUSTER's nodes: "t_ns ev from line" for BREAKs and typed commands.
acts() {
  python3 - "$work/sim-$1" <<'PY'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.ledger")):
    for l in open(f):
        r = json.loads(l)
        if r.get("ev") in ("break", "command"):
            print(r["t_ns"], r["node"], r["ev"], r.get("from", "?"), r.get("line", ""), r.get("in", ""))
PY
}
boots_typed() { acts "$1" | awk '$2 == "beta" && $3 == "command" && $5 == "boot" && $NF == "OK"' | wc -l; }
acts_from_after() {  # CLUSTER ADDR T_NS: BREAKs and commands from ADDR after T_NS
  acts "$1" | awk -v a="$2" -v t="$3" '$4 == a && $1 > t' | wc -l
}
host_of_addr() { echo "h$(( $(cut -d. -f3 <<<"$1") - 200 ))"; }
pids_of() { ip netns pids "$(host_ns "$1")"; }

wait_for 30 "owner for every cluster" all_owned
for c in "${clusters[@]}"; do wait_for 30 "$c watched by its owner" watching "$c"; done
say "placement: $(for c in "${clusters[@]}"; do printf '%s=%s ' "$c" "$(owner "$c")"; done)"
st=0
ip netns exec "$(host_ns 1)" "$bin/clusterctl" fleet --home "$work/h1" >"$work/status0.txt" || st=$?
((st == 1)) || fail "clusterctl fleet status: exit $st (want 1: c6 is unowned): $(cat "$work/status0.txt")"
grep -q '^c1 ' "$work/status0.txt" || fail "clusterctl fleet status lists no c1"
grep -q '^c6 *UNOWNED' "$work/status0.txt" || fail "clusterctl fleet status does not list c6 as UNOWNED"
pinned() { grep -q "c6 has a serial or pty console" "$work/h$1.agent.log"; }
for k in 1 2 3; do wait_for 10 "h$k to refuse c6 (serial consoles, no hosts=)" pinned "$k"; done
say "c6 (serial consoles, no hosts=): refused by every host, listed UNOWNED"

fleet_status() { ip netns exec "$(host_ns 3)" "$bin/clusterctl" fleet --home "$work/h3" || true; }
if [[ -n ${FLEET_DEMO:-} ]]; then
  echo; echo "== clusterctl fleet"; fleet_status; echo
fi

# --- 1: the owner host killed right after it sent the standby's boot ---------------
o1=$(owner c1); k1=${o1#h}
say "1: c1 owned by $o1 (token $(token c1)); alpha hangs"
"$bin/nodesim" ctl "$work/sim-c1/alpha.ctl" hang >/dev/null
wait_for 60 "boot-sent in c1's journal" journal_has c1 boot-sent
mapfile -t victims < <(pids_of "$k1")
kill -9 "${victims[@]}" 2>/dev/null || true
t_kill=$(date +%s.%N)
say "1: boot sent; host $o1 killed (${#victims[@]} processes)"
new_owner() { local o; o=$(owner "$1"); [[ -n $o && $o != "$2" ]]; }
wait_for 30 "a new owner of c1" new_owner c1 "$o1"
wait_for 30 "c1 watched by its new owner" watching c1
gap=$(awk -v a="$t_kill" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
say "1: c1 now owned by $(owner c1) (token $(token c1)), watched again ${gap} s after the kill"
wait_for 90 "takeover in c1's journal" journal_has c1 takeover
n=$(boots_typed c1)
((n == 1)) || fail "1: the standby was booted $n times (want 1): $(acts c1)"
ka=$(host_addr "$k1")
new=$(owner c1)
strangers=$(acts c1 | awk -v o="$ka" -v n="$(host_addr "${new#h}")" '$4 != o && $4 != n')
[[ -z $strangers ]] ||
  fail "1: c1's nodes got a BREAK or a command from a host that never owned it: $(acts c1)"
awk -v g="$gap" 'BEGIN { exit !(g <= 20) }' || fail "1: c1 unwatched for ${gap} s (bound 20 s)"
say "1: ok: one boot, the failover finished by the new owner, gap ${gap} s"
if [[ -n ${FLEET_DEMO:-} ]]; then
  echo; echo "== clusterctl fleet (after $o1 was killed)"; fleet_status
  echo; echo "== the new owner's timeline of c1 ($(owner c1))"
  sed -n '/clusterd c1 starting/,$p' "$work/$(owner c1)/Logs/c1.log" | tail -n 25
  echo; echo "== what reached c1's nodes (nodesim ledgers: BREAKs and typed commands, from which host)"
  acts c1 | while read -r _ node ev from rest; do
    printf '  %-5s %-7s from %s (%s)  %s\n' "$node" "$ev" "$from" "$(host_of_addr "$from")" "$rest"
  done
  say "demo done: $o1 was killed after it sent the boot; $(owner c1) resumed and finished the failover, one boot"
  exit 0
fi
start_agent "$k1"   # the host comes back

# --- 2: the owner host frozen, then resumed ------------------------------------------
o2=$(owner c2); k2=${o2#h}
mapfile -t frozen < <(pids_of "$k2")
kill -STOP "${frozen[@]}"
t_stop=$(mono_ns)
say "2: host $o2 (owner of c2) frozen: ${#frozen[@]} processes"
wait_for 30 "a new owner of c2" new_owner c2 "$o2"
wait_for 30 "c2 watched by its new owner" watching c2
say "2: c2 now owned by $(owner c2); its alpha hangs"
"$bin/nodesim" ctl "$work/sim-c2/alpha.ctl" hang >/dev/null
wait_for 90 "takeover in c2's journal" journal_has c2 takeover
kill -CONT "${frozen[@]}"
say "2: host $o2 resumed"
lease_lost() { grep -q "is gone: stopping every clusterd" "$work/$1.agent.log"; }
wait_for 30 "$o2 to learn its lease is gone" lease_lost "$o2"
sleep_until_quiet() { ! pgrep -f -- "--cluster c2 --home $work/$o2 " >/dev/null; }
wait_for 30 "$o2's stale clusterd for c2 to stop" sleep_until_quiet
n=$(acts_from_after c2 "$(host_addr "$k2")" "$t_stop")
((n == 0)) || fail "2: $n BREAKs or commands reached c2 from the frozen host after the freeze: $(acts c2)"
((n = $(boots_typed c2), n == 1)) || fail "2: c2's standby booted $n times"
say "2: ok: nothing from the frozen host after its freeze; one boot by the new owner"

# --- 3: the etcd leader killed mid-failover ----------------------------------------
leader=$(inmon "$EC" leader "$work/etcd" "$lan" 23790) || fail "no etcd leader"
say "3: c3 owned by $(owner c3); its alpha hangs, then etcd member m$leader (leader) is killed"
"$bin/nodesim" ctl "$work/sim-c3/alpha.ctl" hang >/dev/null
wait_for 60 "the BREAK's intent in c3's journal" journal_has c3 intent=break
inmon "$EC" kill "$work/etcd" "$leader"
wait_for 90 "takeover in c3's journal" journal_has c3 takeover
((n = $(boots_typed c3), n == 1)) || fail "3: c3's standby booted $n times"
inmon "$EC" start-member "$work/etcd" "$lan" 23790 "$leader"
say "3: ok: the failover finished across the leader change; m$leader restarted"

# --- 4: a host cut from etcd ---------------------------------------------------------
o4=$(owner c4); k4=${o4#h}
ip netns exec "$(host_ns "$k4")" nft -f - <<NFT
table ip cdtcut {
  chain out { type filter hook output priority 0; ip daddr $lan tcp dport 23791-23793 drop; }
}
NFT
say "4: host $o4 (owner of c4) cut from etcd"
fenced() { grep -q "may no longer act for the cluster" "$work/$o4/Logs/c4.log"; }
wait_for 20 "$o4's clusterd for c4 to self-fence" fenced
wait_for 30 "a new owner of c4" new_owner c4 "$o4"
t_moved=$(mono_ns)
wait_for 30 "c4 watched by its new owner" watching c4
say "4: c4 now owned by $(owner c4); its alpha hangs"
"$bin/nodesim" ctl "$work/sim-c4/alpha.ctl" hang >/dev/null
wait_for 90 "takeover in c4's journal" journal_has c4 takeover
n=$(acts_from_after c4 "$(host_addr "$k4")" "$t_moved")
((n == 0)) || fail "4: $n BREAKs or commands reached c4 from the cut-off host: $(acts c4)"
ip netns exec "$(host_ns "$k4")" nft delete table ip cdtcut
wait_for 30 "$o4 to learn its lease is gone" lease_lost "$o4"
say "4: ok: self-fenced, nothing from it after the move; healed, it started again"

# --- 5: etcd without quorum ------------------------------------------------------------
o5=$(owner c5)
say "5: c5 owned by $o5; etcd loses two members of three, then c5's alpha hangs"
# Only what the logs say from now on counts.
c5_from=$(($(wc -l <"$work/$o5/Logs/c5.log") + 1))
agent_from=$(($(wc -l <"$work/$o5.agent.log") + 1))
inmon "$EC" kill "$work/etcd" 1
inmon "$EC" kill "$work/etcd" 2
t_q=$(mono_ns)
"$bin/nodesim" ctl "$work/sim-c5/alpha.ctl" hang >/dev/null
# (here-strings, not pipes: with pipefail, grep -q leaving early could fail the pipe)
alarmed() { grep -q "may no longer act for the cluster" <<<"$(tail -n "+$c5_from" "$work/$o5/Logs/c5.log")"; }
wait_for 30 "c5's owner to say it may not act" alarmed
# Refused by the deadline, or by the journal when etcd cannot take the intent record.
refused() { grep -q "NOT DONE, not the owner\|JOURNAL WRITE FAILED" <<<"$(tail -n "+$c5_from" "$work/$o5/Logs/c5.log")"; }
wait_for 30 "c5's owner to refuse a failover step" refused
n=$(acts c5 | awk -v t="$t_q" '$3 == "break" && $1 > t' | wc -l)
((n == 0)) || fail "5: $n BREAKs reached c5 without quorum"
inmon "$EC" start-member "$work/etcd" "$lan" 23790 1
inmon "$EC" start-member "$work/etcd" "$lan" 23790 2
again() { grep -q "keepalive answered again\|lease .* granted" <<<"$(tail -n "+$agent_from" "$work/$o5.agent.log")"; }
wait_for 60 "$o5 to act again after quorum" again
say "5: ok: no BREAK without quorum, the owner alarmed; quorum back, it acts again"

# --- 6: a move by hand, done while the cluster is idle ------------------------------------
o6=$(owner c3)
for k in 1 2 3; do [[ h$k != "$o6" ]] && { to=h$k; break; }; done
live() { grep -q weight <<<"$(etcd_get --print-value-only "/clusterd/hosts/$1")"; }
wait_for 30 "host $to live" live "$to"
ip netns exec "$(host_ns 1)" "$bin/clusterctl" fleet --home "$work/h1" move c3 "$to" >/dev/null ||
  fail "6: clusterctl fleet move"
moved_to() { [[ $(owner c3) == "$1" ]]; }
wait_for 30 "c3 handed from $o6 to $to" moved_to "$to"
wait_for 30 "c3 watched by $to" watching c3
[[ -z $(etcd_get --print-value-only /clusterd/move/c3) ]] || fail "6: the move request was left behind"
say "6: ok: c3 moved from $o6 to $to by hand"

# --- the shared disks --------------------------------------------------------------
for c in "${clusters[@]}"; do
  "$bin/nodesim" check "$work/sim-$c"/*.ledger >"$work/check-$c.txt" 2>&1 ||
    fail "$c: nodesim check: $(cat "$work/check-$c.txt")"
done
say "PASS: 5 faults and a move, no overlap on any shared disk, no action from a non-owner"
