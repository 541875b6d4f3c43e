# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034  # $bin, $src, $work, $journal_file: lib.sh; bcp_*: for the scenarios
# crashtest/scenarios/bcp_lib.sh — BCP mode (docs/bcp.md) on top of lib.sh:
# two sites, each node with its own disk image, the record log shipped by
# clusterd-ship over a WAN link between the sites' namespaces. Sourced after
# lib.sh, never run:
#
#   source "$(dirname "$0")/lib.sh"; source "$(dirname "$0")/bcp_lib.sh"
#   scenario_enter "$@"
#   bcp_setup              # sites, WAN (tbf rate, delay relay), config lines
#   scenario_setup         # as always: nodes, terminal server, clusterd
#   bcp_wait_caught_up 30  # the replica holds the whole log
#   ... inject ...
#   bcp_judge              # nodesim check --bcp, the gate's range, evidence
#
# The WAN between the sites (tools/testnet.sh wan): cut, mended, its rate.
wan_cut() { "$src/tools/testnet.sh" wan-cut "$net_id" "$1"; }
wan_rate() { "$src/tools/testnet.sh" wan-rate "$net_id" "$1"; }
# The newest `wire=` of a receiver (bytes read from the source this session).
receiver_wire() {
  bcp_status | /usr/bin/python3 -c '
import json, re, sys
m = re.search(r"wire=(\d+)", json.load(sys.stdin).get("bcp", {}).get("receive_said", ""))
print(m.group(1) if m else "")'
}

# Knobs: BCP_RATE (WAN rate, 8mbit), BCP_DELAY_MS (one-way, 20), BCP_MAX_LOSS
# (50), BCP_GATE_TIMEOUT (10m), BCP_EXTRA (more [bcp] lines).
# Sets: $site_a, $site_b (folders), $img_a, $img_b, $net_id.
#
# The shippers run inside the sites' namespaces (`ip netns exec`): serve on
# the WAN address of the active's site, receive at the other site through a
# delay relay on its loopback (tests/support/wan_relay.py; netem is not in
# this kernel). Only the sites see the WAN link: the monitor reaches each
# site by its own path, so a WAN cut leaves both sites reachable.

bcp_setup() {
  net_id=${CDT_ALPHA_NS#cdt-}
  net_id=${net_id%-alpha}
  site_a=$work/siteA site_b=$work/siteB
  mkdir -p "$site_a" "$site_b"
  img_a=$site_a/disk.img img_b=$site_b/disk.img
  "$bin/nodesim" disk init "$img_a"
  "$bin/nodesim" disk init "$img_b"
  "$src/tools/testnet.sh" wan "$net_id" alpha beta "${BCP_RATE:-8mbit}" ||
    fail "testnet.sh wan: no WAN link"
  local delay=${BCP_DELAY_MS:-20}
  # Each site reaches the other's serve through its own relay (127.0.0.1:7711).
  ip netns exec "$CDT_BETA_NS" /usr/bin/python3 "$src/tests/support/wan_relay.py" \
    127.0.0.1:7711 198.18.250.1:7710 "$delay" >"$work/relay-b.out" 2>&1 &
  pids+=($!)
  ip netns exec "$CDT_ALPHA_NS" /usr/bin/python3 "$src/tests/support/wan_relay.py" \
    127.0.0.1:7711 198.18.250.2:7710 "$delay" >"$work/relay-a.out" 2>&1 &
  pids+=($!)
  # 5 records/s (the issue's load): one record per 200 ms on the active.
  NODE_OPTS="${NODE_OPTS:-} --write-interval 200ms"
  ALPHA_OPTS="${ALPHA_OPTS:-} --disk $img_a"
  BETA_OPTS="${BETA_OPTS:-} --disk $img_b"
  NODE_ALPHA_EXTRA="$(bcp_node_lines "$CDT_ALPHA_NS" "$img_a" 198.18.250.1)
${NODE_ALPHA_EXTRA:-}"
  NODE_BETA_EXTRA="$(bcp_node_lines "$CDT_BETA_NS" "$img_b" 198.18.250.2)
${NODE_BETA_EXTRA:-}"
  BOOT_TIMEOUT=${BOOT_TIMEOUT:-90s}
  CONFIG_EXTRA="[bcp]
max_loss = ${BCP_MAX_LOSS:-50}
gate_timeout = \"${BCP_GATE_TIMEOUT:-10m}\"
${BCP_EXTRA:-}
${CONFIG_EXTRA:-}"
}

bcp_node_lines() {  # NAMESPACE IMAGE WAN_ADDR
  local ns=$1 img=$2 addr=$3 ship=$bin/clusterd-ship
  cat <<EOF
ship_serve = ["/usr/sbin/ip", "netns", "exec", "$ns", "$ship", "serve", "--image", "$img", "--listen", "$addr:7710"]
ship_receive = ["/usr/sbin/ip", "netns", "exec", "$ns", "$ship", "receive", "--image", "$img", "--from", "127.0.0.1:7711"]
ship_promote = ["$ship", "promote", "--image", "$img"]
EOF
}

bcp_status() { ctl status demo --json; }
# A field of the replication status: head.records, replica.records, lag_records...
bcp_field() {  # PATH (dot-separated, under bcp.replication)
  bcp_status | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin).get("bcp", {}).get("replication", {})
for k in sys.argv[1].split("."):
    v = v.get(k, {}) if isinstance(v, dict) else {}
print(v if not isinstance(v, dict) else "")' "$1"
}
bcp_caught_up() {
  local h r
  h=$(bcp_field head.bytes) r=$(bcp_field replica.bytes)
  [[ -n $h && -n $r && $h == "$r" && $h -gt 0 ]]
}
bcp_wait_caught_up() {  # SECONDS
  wait_for "$1" "the replica holds the whole log" bcp_caught_up
  say "replicated: $(bcp_field replica.records) records, lag $(bcp_field lag_s) s"
}

# The site's source shipper dies with the site (its storage is gone).
bcp_kill_source() {  # IMAGE
  pkill -KILL -f "clusterd-ship serve --image $1" || true
}

# The ground truth: what the ledgers say was written, what the promoted image
# holds, both sites never writing at once, and the gate's stated range
# around the real loss. Writes EVIDENCE_DIR/bcp for the report.
bcp_judge() {  # IMAGE_ACTIVE_AT_END MODE
  local img=$1 mode=$2 out=$work/check-bcp.out
  "$bin/nodesim" check --bcp "$img" "$(ledger alpha)" "$(ledger beta)" >"$out" 2>&1
  local rc=$?
  sed 's/^/  /' "$out"
  [[ $rc -le 1 ]] || fail "nodesim check --bcp could not read its input"
  cp "$out" "$work/check-ledger.out"  # the report's ground truth
  local lost both rto lo hi
  lost=$(sed -n 's/^bcp-lost: //p' "$out")
  both=$(sed -n 's/^bcp-both-writing: \([0-9.]*\) ms/\1/p' "$out")
  rto=$(sed -n 's/^bcp-rto: \([0-9.]*\) ms/\1/p' "$out" | sed -n 1p)
  # Every promotion's stated range, summed: the loss of the whole story.
  lo=$({ grep ' promoted ' "$journal_file" || true; } | sed -n 's/.* lo=\([0-9]*\).*/\1/p' | awk '{s += $1} END {if (NR) print s}')
  hi=$({ grep ' promoted ' "$journal_file" || true; } | sed -n 's/.* hi=\([0-9]*\).*/\1/p' | awk '{s += $1} END {if (NR) print s}')
  if [[ -n ${EVIDENCE_DIR:-} ]]; then
    echo "mode=$mode lost=$lost lo=${lo:--} hi=${hi:--} both_ms=$both rto_ms=${rto:--}" >"$EVIDENCE_DIR/bcp"
  fi
  say "bcp: lost $lost (gate said ${lo:-?}..${hi:-?}), both sites writing $both ms, RTO ${rto:-?} ms"
  [[ $both == 0.0 ]] || fail "both sites wrote for $both ms"
  if [[ -n $lo ]]; then
    (( lost >= lo && lost <= hi )) || fail "lost $lost records, outside the gate's range $lo..$hi"
  fi
  bcp_lost=$lost bcp_lo=$lo bcp_hi=$hi bcp_rto_ms=$rto
}
