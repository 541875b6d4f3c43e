#!/usr/bin/env bash
# The BCP set (docs/bcp.md) through crashtest itself: two sites in network
# namespaces, each node with its own disk, the record log streamed by
# clusterd-ship over a WAN with a rate limit and a delay; every run passes,
# both sites never wrote at once and every loss lies in the gate's stated
# range; btrfs, rsync and zfs snapshots; a site fenced by lease. Root, ~6 min.
#   bcp_set_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
ct=$1/crashtest
report=$(mktemp -d /tmp/crashtest-bcp-XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$report"' EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $report/report.md ]] && sed -n '1,60p' "$report/report.md" >&2; exit 1; }
"$ct" --bcp --report "$report" || fail "crashtest --bcp exited $?"
[[ -s $report/report.md && -s $report/report.json ]] || fail "no report"
md=$report/report.md
grep -q '^| BCP: both sites writing | 0.0 ms |' "$md" || fail "both sites wrote"
grep -q "^| BCP: loss outside the gate's range | 0 |" "$md" || fail "a loss outside the gate's range"
grep -q '^| split-brain overlap | 0 ms |' "$md" || fail "overlap not 0"
grep -q '^| false failovers | 0 |' "$md" || fail "a false failover"
n=$(grep -c '^| bcp_' "$md" || true)
(( n >= 26 )) || fail "the report lacks BCP rows ($n)"
# Each shipper mode, and a site cut off from the monitor fenced by lease.
for row in '^| bcp_site_power_off_zfs | zfs | 1 | ' '^| bcp_site_power_off_rsync | rsync | 1 | ' \
  '^| bcp_site_isolated_lease | stream+lease | 1 | '; do
  grep -qF -- "${row#^}" "$md" || fail "no BCP row like '$row'"
done
# The log-stream goal: at most 2 records lost when site A loses power at 5/s.
lost=$(awk -F' [|] ' '/^[|] bcp_site_power_off [|] stream/ { print $4 }' "$md")
if [[ -z $lost ]] || (( lost > 2 )); then fail "site power-off lost '$lost' records (goal: at most 2)"; fi
sed -n '/^## BCP/,/^## All runs/p' "$md"
echo "bcp set: all passed"
