#!/usr/bin/env bash
# clusterd and clusterctl as an operator meets them without a running
# cluster: --help, usage errors, --check on good and broken configs (the
# exact file:line:col message), --test-alarm through a real SMTP sink.
# usage: clusterd_cli_test.sh BIN_DIR SOURCE_DIR
set -u
bin=$1 src=$2
source "$src/tests/support/cli_test_lib.sh"
home=$tmp/home
mkdir -p "$home/clusters" "$home/scripts/lib"
cp "$src"/scripts/*.chat "$home/scripts/"; cp "$src"/scripts/lib/*.chat "$home/scripts/lib/"

expect_status help 0 "$bin/clusterd" --help
expect_text help out "--cluster NAME"
expect_status no-cluster 64 "$bin/clusterd" --home "$home"
expect_status no-clist 1 "$bin/clusterd" --cluster prod --home "$home"
expect_text no-clist err "CList"

cat > "$home/CList" <<'CL'
# name  config
prod    clusters/prod.toml
bad     clusters/bad.toml
CL
port=$(( (RANDOM % 20000) + 30000 ))
cat > "$home/clusters/prod.toml" <<TOML
script = "sparc-obp.chat"
[nodes.alpha]
console = "telnet://127.0.0.1:7001"
address = "192.0.2.10"
[nodes.beta]
console = "telnet://127.0.0.1:7002"
address = "192.0.2.11"
[alarms]
email = ["oncall@test.invalid"]
smtp = "smtp://127.0.0.1:$port"
from = "clusterd@test.invalid"
timeout = "3s"
TOML
cat > "$home/clusters/bad.toml" <<'TOML'
script = "sparc-obp.chat"
[nodes.alpha]
console = "telnet://nts1:70x1"
address = "192.0.2.10"
[nodes.beta]
console = "telnet://127.0.0.1:7002"
address = "192.0.2.11"
TOML

expect_status check-good 0 "$bin/clusterd" --cluster prod --home "$home" --check
expect_text check-good out "are good"
expect_status check-bad 1 "$bin/clusterd" --cluster bad --home "$home" --check
expect_text check-bad err "bad.toml:3:11: error: nodes.alpha.console: telnet://nts1:70x1: port '70x1' is not a number 1-65535"
# [policy] on_network_loss = "alarm": good with the stock script (it has the
# param), refused with a script that cannot honour it, saying why.
cat >> "$home/CList" <<'CL'
lossy   clusters/lossy.toml
lossy2  clusters/lossy2.toml
CL
sed -e 's/^script = .*/script = "sparc-obp.chat"/' "$home/clusters/prod.toml" > "$home/clusters/lossy.toml"
printf '[policy]\non_network_loss = "alarm"\n' >> "$home/clusters/lossy.toml"
mkdir -p "$home/scripts"
printf 'initial state watch { on ping.down -> watch }\n' > "$home/scripts/plain.chat"
sed -e 's/^script = .*/script = "plain.chat"/' "$home/clusters/lossy.toml" > "$home/clusters/lossy2.toml"
expect_status check-network-loss-alarm 0 "$bin/clusterd" --cluster lossy --home "$home" --check
expect_status check-network-loss-alarm-bad-script 1 "$bin/clusterd" --cluster lossy2 --home "$home" --check
expect_text check-network-loss-alarm-bad-script err "no param 'on_network_loss_state' in the script"
expect_text check-network-loss-alarm-bad-script err "lossy2.toml:14:19: error: policy.on_network_loss = \"alarm\" needs a script with param on_network_loss_state"
# A [params] value the script refuses is reported at the config's line.
echo "params  clusters/params.toml" >> "$home/CList"
sed -e '/^\[alarms\]/,$d' "$home/clusters/prod.toml" > "$home/clusters/params.toml"
printf '[params]\nboot_timeout = "soon"\nretries = 3\n' >> "$home/clusters/params.toml"
expect_status check-params 1 "$bin/clusterd" --cluster params --home "$home" --check
expect_text check-params err "params.toml:9:16: error: params.boot_timeout: param 'boot_timeout' is a duration; 'soon' is not"
expect_text check-params err "params.toml:10:11: error: params.retries: no param 'retries' in the script"
expect_status unknown-cluster 1 "$bin/clusterd" --cluster nosuch --home "$home" --check
expect_text unknown-cluster err "no cluster named 'nosuch'"

# CLUSTER_HOME from the environment when --home is not given; --foreground
# is accepted and changes nothing (clusterd(8)).
expect_status check-env-home 0 env CLUSTER_HOME="$home" "$bin/clusterd" --cluster prod --check
expect_text check-env-home out "are good"
expect_status check-foreground 0 "$bin/clusterd" --cluster prod --home "$home" --check --foreground
# --test-alarm with no channel configured: exit 1 (clusterd(8)).
echo "quiet   clusters/quiet.toml" >> "$home/CList"
sed -e '/^\[alarms\]/,$d' "$home/clusters/prod.toml" > "$home/clusters/quiet.toml"
expect_status test-alarm-no-channel 1 "$bin/clusterd" --cluster quiet --home "$home" --test-alarm
# A problem in the CList stops every cluster (docs/config.md, CList): --check
# of a good cluster fails while another line is bad.
cp "$home/CList" "$tmp/CList.good"
echo "bad/name clusters/prod.toml" >> "$home/CList"
expect_status check-clist-bad 1 "$bin/clusterd" --cluster prod --home "$home" --check
expect_text check-clist-bad err "cluster name 'bad/name' is not valid"
expect_text check-clist-bad err "CList:"
cp "$tmp/CList.good" "$home/CList"

# --check opens and sends nothing (clusterd(8)): exec consoles and an exec
# pager that would leave a mark if anything ran them.
echo "inert   clusters/inert.toml" >> "$home/CList"
cat > "$home/clusters/inert.toml" <<TOML
script = "sparc-obp.chat"
[nodes.alpha]
console = "exec:/usr/bin/touch $tmp/alpha-console-ran"
address = "192.0.2.10"
[nodes.beta]
console = "exec:/usr/bin/touch $tmp/beta-console-ran"
address = "192.0.2.11"
[alarms]
page = ["exec:/usr/bin/touch $tmp/pager-ran"]
TOML
expect_status check-inert 0 "$bin/clusterd" --cluster inert --home "$home" --check
if compgen -G "$tmp/*-ran" >/dev/null; then
  echo "FAIL check-inert: --check ran: $(ls "$tmp"/*-ran)"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
[[ -e $home/run/inert.pid || -e $home/Logs/inert.log ]] &&
  { echo "FAIL check-inert: --check wrote a pid file or a log"; fails=$((fails + 1)); }

# The test alarm: refused while the mail server is down, delivered when it is up.
expect_status test-alarm-down 1 "$bin/clusterd" --cluster prod --home "$home" --test-alarm
mkdir -p "$tmp/maildir"
/usr/bin/python3 "$src/tests/alarm/smtp_sink.py" --port "$port" --maildir "$tmp/maildir" >"$tmp/sink.log" 2>&1 &
sink=$!
for _ in $(seq 50); do ss -ltn | grep -q ":$port " && break; sleep 0.1; done
expect_status test-alarm 0 "$bin/clusterd" --cluster prod --home "$home" --test-alarm
expect_text test-alarm out "accepted"
kill "$sink"; wait "$sink" 2>/dev/null
if grep -rqs "prod" "$tmp/maildir"/new/; then passes=$((passes + 1)); else
  echo "FAIL test-alarm: no mail in the sink's maildir"; ls -R "$tmp/maildir"; fails=$((fails + 1)); fi

# A metrics port already taken is found when the daemon starts: exit 2 and
# the message of docs/config.md, [metrics].
mport=$(( port + 3 ))
socat "TCP-LISTEN:$mport,bind=127.0.0.1,reuseaddr,fork" /dev/null &
holder=$!
for _ in $(seq 50); do ss -ltn | grep -q "127.0.0.1:$mport " && break; sleep 0.1; done
echo "busy    clusters/busy.toml" >> "$home/CList"
sed -e '/^\[alarms\]/,$d' "$home/clusters/prod.toml" > "$home/clusters/busy.toml"
printf '[metrics]\nlisten = "127.0.0.1:%s"\n' "$mport" >> "$home/clusters/busy.toml"
expect_status metrics-port-taken 2 "$bin/clusterd" --cluster busy --home "$home"
expect_text metrics-port-taken err "clusterd: busy: metrics: cannot listen on 127.0.0.1:$mport: Address already in use"
kill "$holder"; wait "$holder" 2>/dev/null

# clusterctl against a cluster whose daemon is not running: one clear line.
expect_status status-dead 2 "$bin/clusterctl" status prod --home "$home"
expect_text status-dead err "clusterd is not running"

# A running daemon (consoles refused, ping by TCP connect on loopback only):
# status answers; a bad reload is refused with its file:line:col and the daemon
# keeps running; a good one restarts it; SIGTERM removes the pid file.
c1=$(( port + 1 )) c2=$(( port + 2 ))
cat > "$home/CList" <<'CL'
live    clusters/live.toml
CL
cat > "$home/clusters/live.toml" <<TOML
script = "sparc-obp.chat"
[nodes.alpha]
console = "telnet://127.0.0.1:$c1"
address = "127.0.0.2"
[nodes.beta]
console = "telnet://127.0.0.1:$c2"
address = "127.0.0.3"
[ping]
method = "tcp"
tcp_port = 9
TOML
"$bin/clusterd" --cluster live --home "$home" >"$tmp/live.out" 2>&1 &
daemon=$!
for _ in $(seq 50); do [[ -S $home/run/live.sock ]] && break; sleep 0.1; done
expect_status live-status 0 "$bin/clusterctl" status live --home "$home"
expect_text live-status out "active     alpha"
expect_status status-json 0 "$bin/clusterctl" status live --json --home "$home"
if /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["active"] == "alpha"' "$tmp/out"; then
  passes=$((passes + 1)); else echo "FAIL status-json: not valid JSON:"; sed 's/^/  | /' "$tmp/out"; fails=$((fails + 1)); fi
expect_status second-instance 2 "$bin/clusterd" --cluster live --home "$home"
expect_text second-instance err "another clusterd already runs cluster live"
expect_status timeline-since 0 "$bin/clusterctl" timeline live --since 10m --home "$home"
expect_text timeline-since out "clusterd live starting"
expect_status timeline-bad 1 "$bin/clusterctl" timeline live --since soon --home "$home"
expect_text timeline-bad err "--since 'soon' is not a duration"
echo 'bogus = 1' >> "$home/clusters/live.toml"
expect_status reload-bad 1 "$bin/clusterctl" reload live --home "$home"
expect_text reload-bad err "live.toml:11:1: error: ping.bogus: unknown key"
expect_status still-running 0 "$bin/clusterctl" status live --home "$home"
sed -i '$d' "$home/clusters/live.toml"
expect_status reload-good 0 "$bin/clusterctl" reload live --home "$home"
sleep 1
for _ in $(seq 50); do "$bin/clusterctl" status live --home "$home" >/dev/null 2>&1 && break; sleep 0.1; done
expect_status after-reload 0 "$bin/clusterctl" status live --home "$home"
if grep -c 'clusterd live starting' "$home/Logs/live.log" | grep -qx 2; then passes=$((passes + 1)); else
  echo "FAIL reload: the daemon did not restart"; tail "$home/Logs/live.log"; fails=$((fails + 1)); fi
# The other requests over the socket (clusterctl(8)): timeline N, alarms,
# metrics, maintenance (passed on; this daemon's consoles are down, a state
# that drops it: tests/clusterd/daemon_test.cc shows the toggle itself).
expect_status timeline-n 0 "$bin/clusterctl" timeline live 3 --home "$home"
if [[ $(wc -l < "$tmp/out") -le 3 && -s $tmp/out ]]; then passes=$((passes + 1)); else
  echo "FAIL timeline-n: not 1-3 lines:"; sed 's/^/  | /' "$tmp/out"; fails=$((fails + 1)); fi
expect_status alarms 0 "$bin/clusterctl" alarms live --home "$home"
expect_status metrics 0 "$bin/clusterctl" metrics live --home "$home"
expect_text metrics out 'clusterd_up{cluster="live"} 1'
expect_status maintenance-on 0 "$bin/clusterctl" maintenance live --home "$home"
expect_text maintenance-on out "maintenance requested"
expect_status ack-unknown 1 "$bin/clusterctl" ack live 20000101-000000-0001 --home "$home"
expect_text ack-unknown err "no alarm 20000101-000000-0001"
# SIGHUP reloads as `clusterctl reload` does: the same pid runs again.
starts=$(grep -c 'clusterd live starting' "$home/Logs/live.log")
kill -HUP "$daemon"
for _ in $(seq 100); do
  [[ $(grep -c 'clusterd live starting' "$home/Logs/live.log") -gt $starts ]] &&
    "$bin/clusterctl" status live --home "$home" >/dev/null 2>&1 && break
  sleep 0.1
done
if [[ $(grep -c 'clusterd live starting' "$home/Logs/live.log") -gt $starts && $(cat "$home/run/live.pid") == "$daemon" ]]; then
  passes=$((passes + 1)); else echo "FAIL sighup: no restart under the same pid"; tail "$home/Logs/live.log"; fails=$((fails + 1)); fi
# SIGTERM: exit 0 (clusterd(8), SIGNALS).
kill "$daemon"; wait "$daemon"; rc=$?
if [[ $rc -eq 0 ]]; then passes=$((passes + 1)); else echo "FAIL sigterm: exit $rc, wanted 0"; fails=$((fails + 1)); fi
if [[ ! -e $home/run/live.pid && ! -e $home/run/live.sock ]]; then passes=$((passes + 1)); else
  echo "FAIL stop: pid or socket file left"; fails=$((fails + 1)); fi

finish "clusterd cli"
