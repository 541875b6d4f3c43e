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

# Knobs: BCP_MODE (stream; snapshot: btrfs snapshots every BCP_INTERVAL, 5s,
# sent over ssh between the sites; rsync: the same with rsync copies; zfs:
# the same with zfs send/receive between two zfs-fuse pools), BCP_RATE (WAN rate, 8mbit), BCP_DELAY_MS (one-way, 20), BCP_MAX_LOSS
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
  bcp_mode=${BCP_MODE:-stream}
  bcp_loops=() bcp_pools=()
  site_a=$work/siteA site_b=$work/siteB
  mkdir -p "$site_a" "$site_b"
  img_a=$site_a/disk.img img_b=$site_b/disk.img
  "$src/tools/testnet.sh" wan "$net_id" alpha beta "${BCP_RATE:-8mbit}" ||
    fail "testnet.sh wan: no WAN link"
  if [[ $bcp_mode == snapshot || $bcp_mode == rsync || $bcp_mode == zfs ]]; then
    bcp_snapshot_sites
  else
    "$bin/nodesim" disk init "$img_a"
    "$bin/nodesim" disk init "$img_b"
  fi
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
  if [[ $bcp_mode == snapshot || $bcp_mode == rsync || $bcp_mode == zfs ]]; then
    NODE_ALPHA_EXTRA="$(bcp_snapshot_lines "$CDT_ALPHA_NS" "$site_a" "$site_b" siteb)
${NODE_ALPHA_EXTRA:-}"
    NODE_BETA_EXTRA="$(bcp_snapshot_lines "$CDT_BETA_NS" "$site_b" "$site_a" sitea)
${NODE_BETA_EXTRA:-}"
  elif [[ -n ${BCP_LEASE:-} ]]; then
    bcp_lease_sites
    NODE_ALPHA_EXTRA="$(bcp_lease_lines sitea "$site_a" "$img_a" 198.18.250.1)
${NODE_ALPHA_EXTRA:-}"
    NODE_BETA_EXTRA="$(bcp_lease_lines siteb "$site_b" "$img_b" 198.18.250.2)
${NODE_BETA_EXTRA:-}"
  else
    NODE_ALPHA_EXTRA="$(bcp_node_lines "$CDT_ALPHA_NS" "$img_a" 198.18.250.1)
${NODE_ALPHA_EXTRA:-}"
    NODE_BETA_EXTRA="$(bcp_node_lines "$CDT_BETA_NS" "$img_b" 198.18.250.2)
${NODE_BETA_EXTRA:-}"
  fi
  BOOT_TIMEOUT=${BOOT_TIMEOUT:-90s}
  CONFIG_EXTRA="[bcp]
max_loss = ${BCP_MAX_LOSS:-50}
gate_timeout = \"${BCP_GATE_TIMEOUT:-5m}\"
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

# site_isolation = "lease" (BCP_LEASE=1; docs/bcp.md): each site has its own
# link to the monitor (testnet.sh mgmt: its host, apart from the node's OS),
# an sshd on it, and a lease keeper that halts the site's node (nodesim's
# `shutdown`: the service stops at once, then the OS halts to ok) after
# BCP_LEASE_TTL (3s) without a renewal; it waits 60 s for the first. The
# monitor renews over ssh and runs serve and receive at the sites over ssh
# too, as it would between real sites: a site cut off from the monitor loses
# its shippers' reports with its renewals. Keeper output: $work/keeper-a.out.
bcp_lease_sites() {
  local s node ns addr site
  trap 'bcp_cleanup; scenario_cleanup' EXIT
  for s in a b; do
    if [[ $s == a ]]; then node=alpha ns=$CDT_ALPHA_NS site=$site_a addr=198.18.241.2
    else node=beta ns=$CDT_BETA_NS site=$site_b addr=198.18.242.2; fi
    "$src/tools/testnet.sh" mgmt "$net_id" "$node" || fail "testnet.sh mgmt $node"
    bcp_sshd "$ns" "$addr" "site$s-mon"
    ip netns exec "$ns" "$bin/clusterd-ship" lease-keeper --file "$site/lease" \
      --ttl "${BCP_LEASE_TTL:-3s}" --grace 60s -- "$bin/nodesim" ctl "$node" shutdown \
      >"$work/keeper-$s.out" 2>&1 &
    pids+=($!)
  done
  wait_for 5 "both sites' sshd listening" bcp_sshd_up 198.18.241.2 198.18.242.2
  BCP_EXTRA="site_isolation = \"lease\"
lease = \"${BCP_LEASE_TTL:-3s}\"
${BCP_EXTRA:-}"
}
bcp_lease_lines() {  # SSH_HOST_PREFIX SITE_DIR IMAGE WAN_ADDR
  local h=$1-mon site=$2 img=$3 addr=$4 ship=$bin/clusterd-ship
  cat <<EOF
ship_serve = ["ssh", "-F", "$bcp_ssh_config", "$h", "$ship", "serve", "--image", "$img", "--listen", "$addr:7710"]
ship_receive = ["ssh", "-F", "$bcp_ssh_config", "$h", "$ship", "receive", "--image", "$img", "--from", "127.0.0.1:7711"]
ship_promote = ["ssh", "-F", "$bcp_ssh_config", "$h", "$ship", "promote", "--image", "$img"]
ship_renew = ["ssh", "-F", "$bcp_ssh_config", "$h", "$ship", "lease-renew", "--file", "$site/lease"]
EOF
}
# Renewals written at SITE_DIR (the lease file's counter, its first word).
bcp_lease_count() { local n=0; [[ -f $1/lease ]] && read -r n _ <"$1/lease"; echo "${n:-0}"; }

# Snapshot mode: each site a btrfs filesystem on a loop device (the node's
# disk image in subvolume vol, snapshots in snaps), and an sshd on its WAN
# address through which the other site's shipper runs snap-receive, host
# keys pinned (StrictHostKeyChecking yes, BatchMode yes).
bcp_snapshot_sites() {
  command -v mkfs.btrfs >/dev/null || fail "needs btrfs-progs (tools/install-deps.sh)"
  local s dev
  trap 'bcp_cleanup; scenario_cleanup' EXIT
  for s in A B; do
    local d=$work/site$s
    if [[ $bcp_mode == rsync ]]; then  # plain folders: rsync needs no btrfs
      mkdir -p "$d/fs/vol" "$d/fs/snaps"
      "$bin/nodesim" disk init "$d/fs/vol/disk.img"
      continue
    fi
    if [[ $bcp_mode == zfs ]]; then  # a zfs-fuse pool on a sparse file, dataset vol
      [[ -n ${bcp_zfsd:-} ]] ||
        bcp_zfsd=$("$src/tools/zfs-fuse-daemon.sh" start "$work/zfs-fuse.pid") || fail "no zfs-fuse daemon"
      local pool=cdtz${net_id}${s,,}
      truncate -s 256M "$work/site$s.zpool"
      zpool create -o cachefile=none -m "$d/fs" "$pool" "$work/site$s.zpool" >/dev/null 2>&1 ||
        fail "zpool create $pool"
      bcp_pools+=("$pool")
      zfs create "$pool/vol" || fail "zfs create $pool/vol"
      mkdir -p "$d/fs/snaps"
      "$bin/nodesim" disk init "$d/fs/vol/disk.img"
      continue
    fi
    truncate -s 256M "$work/site$s.fs"
    dev=$(losetup -f --show "$work/site$s.fs") || fail "no loop device for site $s"
    bcp_loops+=("$dev")
    mkfs.btrfs -q -f "$dev" >/dev/null 2>&1 || fail "mkfs.btrfs $dev"
    mkdir -p "$d/fs"
    mount "$dev" "$d/fs" || fail "mount $dev"
    btrfs subvolume create "$d/fs/vol" >/dev/null
    mkdir -p "$d/fs/snaps"
    "$bin/nodesim" disk init "$d/fs/vol/disk.img"
  done
  img_a=$site_a/fs/vol/disk.img img_b=$site_b/fs/vol/disk.img
  bcp_sshd "$CDT_ALPHA_NS" 198.18.250.1 sitea
  bcp_sshd "$CDT_BETA_NS" 198.18.250.2 siteb
  wait_for 5 "both sites' sshd listening" bcp_sshd_up 198.18.250.1 198.18.250.2
}

# The ship key, known hosts and ssh_config the monitor and the sites share
# (host keys pinned: StrictHostKeyChecking yes, BatchMode yes).
bcp_ssh_init() {
  [[ -z ${bcp_ssh_config:-} ]] || return 0
  local sd=$work/ssh
  mkdir -p "$sd"
  [[ -d /run/sshd ]] || mkdir -m 0755 /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C bcp-ship -f "$sd/ship_key"
  echo "restrict $(cut -d' ' -f1,2 "$sd/ship_key.pub")" >"$sd/authorized_keys"
  : >"$sd/known_hosts"
  cat >"$sd/ssh_config" <<EOF
Host *
    User root
    IdentityFile $sd/ship_key
    IdentitiesOnly yes
    UserKnownHostsFile $sd/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
    ServerAliveInterval 2
    ServerAliveCountMax 3
EOF
  bcp_ssh_config=$sd/ssh_config
}

# An sshd inside a site's namespace on ADDR:22, reached as NAME.
# ClientAlive: a session whose link was cut ends in seconds, so what it ran
# (a btrfs receive, a serve) sees the end of its stream.
bcp_sshd() {  # NAMESPACE ADDR NAME
  local ns=$1 addr=$2 name=$3 sd
  bcp_ssh_init
  sd=$work/ssh
  ssh-keygen -q -t ed25519 -N '' -C "bcp-$name" -f "$sd/hk_$name"
  mkdir -p "$sd/$name"
  cp "$sd/authorized_keys" "$sd/$name/authorized_keys"
  SSHD_LISTEN=$addr write_sshd_config "$sd/$name.conf" 22 "$sd/hk_$name" "$sd/$name" \
    $'ClientAliveInterval 2\nClientAliveCountMax 3'
  # nsenter --net, not ip netns exec: the site's network but the monitor's
  # mounts, so what a command run over ssh mounts (a received zfs dataset,
  # mounted by the one zfs-fuse daemon) is what the others read.
  nsenter --net="/run/netns/$ns" /usr/sbin/sshd -D -E "$sd/$name.log" -f "$sd/$name.conf" &
  pids+=($!)
  echo "$addr $(cut -d' ' -f1,2 "$sd/hk_$name.pub")" >>"$sd/known_hosts"
  printf 'Host %s\n    HostName %s\n' "$name" "$addr" >>"$sd/ssh_config"
}
bcp_sshd_up() {  # ADDR_A ADDR_B
  grep -q "$1:22 " <<<"$(ip netns exec "$CDT_ALPHA_NS" ss -ltn)" &&
    grep -q "$2:22 " <<<"$(ip netns exec "$CDT_BETA_NS" ss -ltn)"
}

bcp_snapshot_lines() {  # NAMESPACE SITE_DIR PEER_DIR PEER_HOST
  local ns=$1 d=$2 peer=$3 host=$4 ship=$bin/clusterd-ship method=btrfs zs="" zp=""
  [[ $bcp_mode == rsync ]] && method=rsync
  if [[ $bcp_mode == zfs ]]; then  # site A's pool ends in a, B's in b
    method=zfs
    local me=cdtz${net_id}${d: -1} other=cdtz${net_id}${peer: -1}
    me=${me,,} other=${other,,}
    zs=", \"--dataset\", \"$me/vol\", \"--peer-dataset\", \"$other/vol\""
    zp=", \"--dataset\", \"$me/vol\""
  fi
  cat <<EOF
ship_serve = ["/usr/sbin/ip", "netns", "exec", "$ns", "$ship", "snapshot", "--method", "$method", "--volume", "$d/fs/vol", "--image", "disk.img", "--snapdir", "$d/fs/snaps", "--peer-snapdir", "$peer/fs/snaps", "--interval", "${BCP_INTERVAL:-5s}", "--peer-ship", "$ship"$zs, "--", "ssh", "-F", "$bcp_ssh_config", "$host"]
ship_receive = ["$ship", "snap-watch", "--snapdir", "$d/fs/snaps", "--image", "disk.img"]
ship_promote = ["$ship", "snap-promote", "--method", "$method", "--snapdir", "$d/fs/snaps", "--image", "disk.img", "--volume", "$d/fs/vol"$zp]
EOF
}

# Before lib.sh's cleanup: what runs in the sites' namespaces (shippers,
# sshd) goes, then the filesystems and their loop devices.
bcp_cleanup() {
  local rc=$? ns p
  if [[ -n $cd_pid ]]; then
    kill "$cd_pid" 2>/dev/null || true
    wait "$cd_pid" 2>/dev/null || true
    cd_pid=""
  fi
  for ns in "$CDT_ALPHA_NS" "$CDT_BETA_NS"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  done
  sleep 0.2
  for p in "${bcp_pools[@]}"; do zpool destroy -f "$p" 2>/dev/null || true; done
  for p in "$site_a/fs" "$site_b/fs"; do
    if mountpoint -q "$p"; then umount -l "$p" || true; fi
  done
  for p in "${bcp_loops[@]}"; do losetup -d "$p" 2>/dev/null || true; done
  if [[ ${bcp_zfsd:-} == started ]]; then "$src/tools/zfs-fuse-daemon.sh" stop "$work/zfs-fuse.pid" || true; fi
  return $rc
}

# The stock script's own planned switchover (planned_stop, the default
# switchover_state): alpha shut down cleanly over ssh, as planned_switchover.sh
# does; an sshd on alpha's address in its namespace whose forced command,
# node_ssh_command.sh, hands `shutdown -i0 -g0 -y` to alpha's nodesim.
# Commands it was given: $work/ssh-planned/commands.log.
bcp_planned_stop_sshd() {
  local sd=$work/ssh-planned
  mkdir -p "$sd"
  [[ -d /run/sshd ]] || mkdir -m 0755 /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C bcp-planned-hk -f "$sd/hk_alpha"
  ssh-keygen -q -t ed25519 -N '' -C bcp-planned-client -f "$sd/client_key"
  : >"$sd/commands.log"
  echo "command=\"$scenario_dir/node_ssh_command.sh shutdown $bin/nodesim $NODESIM_DIR/alpha.ctl $sd/commands.log\",restrict $(cut -d' ' -f1,2 "$sd/client_key.pub")" \
    >"$sd/authorized_keys"
  SSHD_LISTEN=$CDT_ALPHA_ADDR write_sshd_config "$sd/sshd.conf" 22 "$sd/hk_alpha" "$sd" "ClientAliveInterval 0"
  ip netns exec "$CDT_ALPHA_NS" /usr/sbin/sshd -D -E "$sd/sshd.log" -f "$sd/sshd.conf" &
  pids+=($!)
  echo "$CDT_ALPHA_ADDR $(cut -d' ' -f1,2 "$sd/hk_alpha.pub")" >"$sd/known_hosts"
  cat >"$sd/ssh_config" <<EOF
Host alpha
    HostName $CDT_ALPHA_ADDR
Host *
    User root
    IdentityFile $sd/client_key
    IdentitiesOnly yes
    UserKnownHostsFile $sd/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
EOF
  PARAMS_EXTRA="ssh_config = \"$sd/ssh_config\"
planned_stop_timeout = \"20s\"
${PARAMS_EXTRA:-}"
  wait_for 5 "alpha's sshd listening" bcp_alpha_sshd_up
}
bcp_alpha_sshd_up() { grep -q "$CDT_ALPHA_ADDR:22 " <<<"$(ip netns exec "$CDT_ALPHA_NS" ss -ltn)"; }

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
bcp_replicated() { local r; r=$(bcp_field replica.records); [[ -n $r && $r -gt 0 ]]; }
# Stream: the replica holds the whole log. Snapshot: a first verified
# snapshot (the head moves on between snapshots).
bcp_wait_caught_up() {  # SECONDS
  if [[ $bcp_mode != stream ]]; then
    wait_for "$1" "a verified snapshot at the other site" bcp_replicated
  else
    wait_for "$1" "the replica holds the whole log" bcp_caught_up
  fi
  say "replicated: $(bcp_field replica.records) records, lag $(bcp_field lag_s) s"
}

# Site A loses power: its shipper dies, its disk and its WAN link are gone
# (a shipper clusterd starts again there finds no disk); bcp_site_on brings
# them back.
bcp_site_off() {  # SITE_DIR IMAGE
  bcp_kill_source "$1"
  mv "$2" "$2.off"
  wan_cut on
}
bcp_site_on() {  # IMAGE
  mv "$1.off" "$1"
  wan_cut off
}

# The site's source shipper dies with the site (its storage is gone), with
# whatever it had started (a snapshot's btrfs send and ssh): its process group.
bcp_kill_source() {  # SITE_DIR
  local p g
  for p in $(pgrep -f "clusterd-ship (serve|snapshot) .*$1/" || true); do
    g=$(ps -o pgid= -p "$p" | tr -d ' ')
    [[ -n $g ]] && kill -KILL -- "-$g" 2>/dev/null
    kill -KILL "$p" 2>/dev/null || true
  done
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
