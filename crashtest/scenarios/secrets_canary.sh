#!/usr/bin/env bash
# Scenario secrets_canary (crash-test plan SEC-1 / anchor A13, secrets
# hygiene): one canary secret, with a non-ASCII letter, blanks and shell
# metacharacters, goes into every secret slot clusterd has, each copy tagged
# with its slot:
#   smtp   [alarms] smtp_secret: the SMTP AUTH password (the sink requires AUTH)
#   nts    alpha's console, telnet://admin@…?secret=nts-password: the password
#          of a terminal server that asks Username:/Password: and connects the
#          node's console only after the right one (a stand-in, login_terminal_server.py)
#   ssh    beta's console, ssh://root@…?secret=ssh-passphrase: the passphrase
#          of the client key (a real OpenSSH sshd; the key is encrypted with it)
#   root   the chat script's `send CH secret "NAME"`: after the takeover a site
#          copy of the stock script logs in on the new active's console
# Then a panic on alpha: BREAK, fence, boot, takeover, critical alarms by mail
# and through a command pager, an `exec` and a `power` command from the script.
# clusterd has no log level to raise: the timeline and transcripts always hold
# everything it logs.
# Positive controls (the canary was USED, so a clean scan means something):
# the sink logged "auth ok" and the mails arrived (AUTH is required); the
# terminal server logged "login ok" and alpha was fenced through it; sshd
# accepted the encrypted key and beta booted through that console; the bytes
# clusterd wrote on beta's console (socat's dump) hold the root password.
# Asserts 0 occurrences of the canary, raw and encoded (clusterd's \xNN
# escape, JSON \u, percent, hex, base64 at each alignment), in: every file
# under $CLUSTER_HOME but the secrets file (Logs: timeline, transcripts;
# state: journal; spool; run), clusterd's stdout/stderr, the alarm mails, what
# the pager, exec and power children got (stdin, argv, environment) and the
# spool as it was while the pager ran, what clusterctl gets over the control
# socket (status, timeline, alarms, metrics), core files if any; and in
# /proc/PID/cmdline and /proc/PID/environ of clusterd and of every
# descendant, polled every 50 ms during the run. Then the error paths: a wrong
# secret (another tagged canary) in each config slot, through clusterctl
# console (terminal server, ssh) and clusterd --test-alarm (SMTP): refused,
# and their messages, transcripts and spool scanned as well.
# Cores are allowed (ulimit -c unlimited, clusterd's working directory is
# $work); CANARY_CORE=1 also crashes clusterd with SIGABRT at the end, so that
# its core (with core_pattern "core") is scanned too.
#   secrets_canary.sh BIN_DIR SOURCE_DIR      (KEEP=1 keeps the work directory)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"

for tool in /usr/sbin/sshd ssh-keygen socat /usr/bin/python3; do
  command -v "$tool" >/dev/null || fail "needs $tool (packages openssh-server, openssh-client, socat, python3-aiosmtpd)"
done
ip link set lo up 2>/dev/null || true
umask 077
canary=$(cat <<'EOF'
SečreT PASS q7Zk;$(id)`uname`|&<>*'"\~
EOF
)
slots=(smtp nts ssh root)
declare -A pw
for s in "${slots[@]}"; do pw[$s]="$canary/$s"; done

# The secrets file, mode 0600; values unquoted (to the end of the line).
printf '%s\n' "# secrets_canary: one canary per slot" \
  "smtp-password = ${pw[smtp]}" "nts-password = ${pw[nts]}" \
  "ssh-passphrase = ${pw[ssh]}" "root-password = ${pw[root]}" >"$home/secrets"
chmod 600 "$home/secrets"

# What the scan looks for, one pattern a line (never in any argv: grep -f):
# the canary's forms, and fragments of it that survive any escaping of the rest.
printf '%s' "$canary" >"$work/canary"
cat >"$work/canary.fragments" <<'EOF'
PASS q7Zk
q7Zk;$(id)
EOF
/usr/bin/python3 "$scenario_dir/canary_patterns.py" "$work/canary" "$work/canary.fragments" "$work/patterns"
npat=$(wc -l <"$work/patterns")
leak_forms() {  # FILE: the forms of the canary found in it (raw, escape(), base64/1, ...)
  local i forms=()
  for (( i = 1; i <= npat; i++ )); do
    if LC_ALL=C grep -a -q -F -f <(sed -n "${i}p" "$work/patterns") -- "$1"; then
      forms+=("$(sed -n "${i}p" "$work/patterns.names")")
    fi
  done
  echo "${forms[*]}"
}
hits_in() { { LC_ALL=C grep -a -o -F -f "$work/patterns" -- "$@" 2>/dev/null || true; } | wc -l; }  # FILE...: occurrences

# --- the peers ------------------------------------------------------------------
start_nodes
# The SMTP sink: AUTH required, user:password read from a file.
smtp_port=$(free_port)
mkdir -p "$work/maildir"
printf 'clusterd:%s\n' "${pw[smtp]}" >"$work/smtp.auth"
/usr/bin/python3 "$src/tests/alarm/smtp_sink.py" --port "$smtp_port" --maildir "$work/maildir" \
  --auth-file "$work/smtp.auth" >"$work/smtp.log" 2>&1 &
pids+=($!)

# alpha's terminal server: Username:/Password:, then nodesim's telnet port.
nts_port=$(free_port)
printf 'admin:%s\n' "${pw[nts]}" >"$work/nts.auth"
/usr/bin/python3 "$scenario_dir/login_terminal_server.py" "$nts_port" "$pa" "$work/nts.auth" "$work/nts.log" >"$work/nts.out" 2>&1 &
pids+=($!)

# beta's console server: OpenSSH, key authentication only; the client key is
# encrypted with the canary. The remote command joins beta's pty, with socat
# dumping what clusterd writes (-r: left to right) for the positive control.
sshp=$(free_port)
sd=$work/ssh
mkdir -p "$sd" /run/sshd
ssh-keygen -q -t ed25519 -N '' -C secrets-canary-host -f "$sd/host_key"
ssh-keygen -q -t ed25519 -N "${pw[ssh]}" -C secrets-canary-client -f "$sd/client_key"
if ssh-keygen -y -P '' -f "$sd/client_key" >/dev/null 2>&1; then fail "the ssh client key is not encrypted"; fi
cut -d' ' -f1,2 "$sd/client_key.pub" >"$sd/authorized_keys"
echo "[127.0.0.1]:$sshp $(cut -d' ' -f1,2 "$sd/host_key.pub")" >"$sd/known_hosts"
write_sshd_config "$sd/sshd_config" "$sshp" "$sd/host_key" "$sd"
cat >"$work/beta-console.sh" <<EOF
#!/bin/sh
exec socat -r "$work/beta-wire.in" STDIO,raw,echo=0 FILE:"$NODESIM_DIR/beta.pty",raw,echo=0
EOF
chmod 755 "$work/beta-console.sh"
/usr/sbin/sshd -t -f "$sd/sshd_config" || fail "sshd -t refused the test config"
/usr/sbin/sshd -D -E "$sd/sshd.log" -f "$sd/sshd_config" &
pids+=($!)

# The children clusterd starts: each saves its stdin, argv and environment
# (the pager also the alarm spool, where its notification waits until it
# returns), then lingers 2 s so that the /proc poller sees it running.
mkdir -p "$work/children"
for c in pager exec power; do
  cat >"$work/$c.sh" <<EOF
#!/bin/sh
f="$work/children/$c.\$\$"
tr '\\0' ' ' </proc/\$\$/cmdline >"\$f.cmdline"
tr '\\0' '\\n' </proc/\$\$/environ >"\$f.environ"
cat >"\$f.stdin"
[ "$c" = pager ] && mkdir "\$f.spool" && cp -p "$home"/spool/*/* "\$f.spool/" 2>/dev/null
sleep 2
echo "$c done"
EOF
  chmod 755 "$work/$c.sh"
done

wait_for 10 "the SMTP sink" sh -c "ss -ltn | grep -q ':$smtp_port '"
wait_for 10 "the terminal server" sh -c "ss -ltn | grep -q ':$nts_port '"
wait_for 10 "sshd" sh -c "ss -ltn | grep -q ':$sshp '"

# --- the config -------------------------------------------------------------------
# A site copy of the stock script: after the takeover, log in on the new
# active's console with a secret, then run an exec and a power command.
# shellcheck disable=SC2016  # $active, $elapsed: the chat script's, not the shell's
sed -i 's/^\(    on standby solaris_login { takeover; alarm notice "takeover complete: \$active is active after \$elapsed" }\) -> watch$/\1 -> after_takeover/' \
  "$home/scripts/sparc-obp.chat"
[[ $(grep -c -- '-> after_takeover$' "$home/scripts/sparc-obp.chat") -ge 1 ]] || fail "the stock script's takeover line moved: update the sed above"
cat >>"$home/scripts/sparc-obp.chat" <<EOF

# secrets_canary: the console login with a secret; an exec and a power command.
state after_takeover extends watch {
    send active "root\\r"
    on active /Password: / { send active secret "root-password"; send active "\\r"; exec "$work/exec.sh" "after-takeover"; power standby off } -> watch
    after \$reply_timeout { log "no Password: prompt on \$active" } -> watch
}
EOF
# write_config (lib.sh) with plain placeholder consoles (it runs --check, and
# a named secret needs the secrets key it does not write), then the secrets,
# the consoles, the power method and the SMTP AUTH go in, and --check again.
alpha_console_uri="telnet://127.0.0.1:$nts_port" ps=$sshp
CONFIG_EXTRA="[alarms]
email = [\"oncall@test.invalid\"]
smtp = \"smtp://127.0.0.1:$smtp_port\"
starttls = \"off\"
from = \"clusterd@test.invalid\"
page = [\"exec:$work/pager.sh\"]
timeout = \"10s\""
write_config
cfg=$home/clusters/demo.toml
A="console = \"telnet://admin@127.0.0.1:$nts_port?secret=nts-password\"" \
B="console = \"ssh://root@127.0.0.1:$sshp/exec%20$work/beta-console.sh?identity=$sd/client_key&known_hosts=$sd/known_hosts&secret=ssh-passphrase&break=%5Cr~%5Cx02\"" \
P="power_off = [\"$work/power.sh\", \"off\", \"alpha\"]
power_status = [\"$work/power.sh\", \"status\", \"alpha\"]" \
  awk '/^script = / { print; print "secrets = \"secrets\""; next }
       /^console = "telnet:\/\/127\.0\.0\.1:/ && !a { print ENVIRON["A"]; print ENVIRON["P"]; a = 1; next }
       /^console = / { print ENVIRON["B"]; next }
       { print }
       END { print "smtp_user = \"clusterd\""; print "smtp_secret = \"smtp-password\"" }' "$cfg" >"$cfg.new"
mv "$cfg.new" "$cfg"
"$bin/clusterd" --cluster demo --home "$home" --check >"$work/check.out" 2>&1 ||
  { cat "$work/check.out" "$cfg"; fail "clusterd --check refused the canary config"; }
for key in 'secret=nts-password' 'secret=ssh-passphrase' '^smtp_secret = "smtp-password"'; do
  grep -q "$key" "$cfg" || fail "the config lacks the secret slot /$key/: $(cat "$cfg")"
done
[[ $(hits_in "$cfg") == 0 ]] || fail "the test put the canary into the cluster config"

wait_alpha_running
# Core files: allowed, and written where the scan looks (core_pattern "core"
# is relative to clusterd's working directory).
ulimit -c unlimited 2>/dev/null || true
cd "$work"
start_clusterd
wait_for 15 "both consoles up (terminal-server login, ssh key)" sh -c \
  "[ \$('$bin/clusterctl' status demo --home '$home' | grep -c 'console up') -ge 2 ]"
wait_for 15 "the login on alpha's terminal server" grep -q '^login ok' "$work/nts.log"
# The ssh channel is up before its command runs: bytes that reach the session's
# pty before socat made it raw are cooked (CR turned into LF, line-buffered) and
# nodesim never sees a command. Wait for socat with the pty in raw mode.
beta_wire_raw() {
  local pid tty
  pid=$(pgrep -f -n "beta-wire.in") || return 1
  tty=$(readlink "/proc/$pid/fd/0") || return 1
  grep -q -- '-icanon' <<<"$(stty -F "$tty" -a 2>/dev/null)"
}
wait_for 10 "beta's console command (socat) with the session pty raw" beta_wire_raw
say "clusterd watches: $(ctl status demo | sed -n 's/^active *//p')"

# /proc of clusterd and of every descendant, every 50 ms, until told to stop.
/usr/bin/python3 "$scenario_dir/proc_scan.py" "$cd_pid" "$work/patterns" "$work/procscan.stop" "$work/procscan.out" &
scan_pid=$!
pids+=("$scan_pid")

# --- the failover ------------------------------------------------------------------
inject "panic on alpha"
sim alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over"
wait_for 20 "the script's login on beta with the secret" sh -c "grep -q '\"line\":\"<password>\"' '$(ledger beta)'"
wait_for 20 "the exec and power children" sh -c "ls '$work'/children/exec.*.stdin '$work'/children/power.*.stdin"
wait_for 20 "the pager child" sh -c "ls '$work'/children/pager.*.stdin"
wait_for 20 "the critical alarm mail" sh -c "grep -ql '^Subject: .*CRITICAL' '$work'/maildir/new/* 2>/dev/null"
wait_for 20 "the resolved notice (by mail)" sh -c "grep -qil '^Subject: .*RESOLVED' '$work'/maildir/new/* 2>/dev/null"
sleep 2.5  # the last children finish their 2 s
# What clusterd tells over its control socket.
mkdir -p "$work/ctl"
ctl status demo >"$work/ctl/status" 2>&1 || true
ctl status demo --json >"$work/ctl/status.json" 2>&1 || true
ctl timeline demo 1000 >"$work/ctl/timeline" 2>&1 || true
ctl alarms demo >"$work/ctl/alarms" 2>&1 || true
ctl metrics demo >"$work/ctl/metrics" 2>&1 || true
: >"$work/procscan.stop"
wait "$scan_pid" || true
if [[ ${CANARY_CORE:-} == 1 ]]; then  # opt-in: crash clusterd, and scan its core
  say "CANARY_CORE=1: SIGABRT to clusterd (core_pattern $(cat /proc/sys/kernel/core_pattern), ulimit -c $(ulimit -c))"
  stop_clusterd ABRT
fi
stop_clusterd TERM
show_timeline 'state |BREAK|secret|exec|power|alarm|fenced|takeover|login'

# --- positive controls: each canary was used -------------------------------------------
n_auth_ok=$(grep -c '^auth ok' "$work/smtp.log" || true)
n_auth_bad=$(grep -c '^auth refused' "$work/smtp.log" || true)
n_mail=$(find "$work/maildir/new" -type f | wc -l)
n_mail_auth=$(grep -l '^X-Auth: yes' "$work"/maildir/new/* | wc -l)
say "smtp: AUTH ok $n_auth_ok, refused $n_auth_bad; mails $n_mail, $n_mail_auth of them after AUTH"
(( n_auth_ok >= 1 && n_auth_bad == 0 && n_mail >= 2 && n_mail_auth == n_mail )) ||
  fail "SMTP positive control: AUTH ok $n_auth_ok, refused $n_auth_bad, mails $n_mail ($n_mail_auth authenticated): $(cat "$work/smtp.log")"
n_login_ok=$(grep -c '^login ok user=admin' "$work/nts.log" || true)
n_login_bad=$(grep -c '^login refused' "$work/nts.log" || true)
say "terminal server: login ok $n_login_ok, refused $n_login_bad"
(( n_login_ok >= 1 && n_login_bad == 0 )) || fail "terminal-server positive control: $(cat "$work/nts.log")"
grep -q 'sent secret nts-password' "$home/Logs/demo.alpha.console" || fail "alpha's transcript does not say the terminal-server secret went out"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through the terminal server's console"
n_ssh=$(grep -c 'Accepted publickey for root' "$sd/sshd.log" || true)
say "sshd: $n_ssh session(s) with the passphrase-protected key"
(( n_ssh >= 1 )) || fail "ssh positive control: sshd accepted no key: $(tail -20 "$sd/sshd.log")"
expect_journal_count 1 'boot-sent .*node=beta' "beta booted through its ssh console"
expect_journal_count 1 'takeover active=beta' "takeover"
printf '%s\r' "${pw[root]}" >"$work/root.wire"
grep -qF -f "$work/root.wire" "$work/beta-wire.in" ||
  fail "the chat script's secret did not reach beta's console (socat dump $work/beta-wire.in)"
say "send secret: beta's console received the root password, then: $(sed -n 's/.*"line":"\(<password>\)","in":"\([A-Z]*\)".*/\1 at \2/p' "$(ledger beta)" | sed -n 1p)"

# --- the error paths: a wrong secret (another canary copy) in each slot ----------------------
# A refused login is where a message might quote what was tried. clusterctl
# console with a secrets file whose terminal-server password and ssh
# passphrase are wrong; clusterd --test-alarm from a copy of the home whose
# SMTP password is wrong. Their output, transcripts and spool are scanned too.
home2=$work/home2
mkdir -p "$home2"
cp -r "$home/CList" "$home/clusters" "$home/scripts" "$home2/"
sed -e 's|^\(smtp-password = .*\)$|\1-wrong|' -e 's|^\(nts-password = .*\)$|\1-wrong|' \
  -e 's|^\(ssh-passphrase = .*\)$|\1-wrong|' "$home/secrets" >"$home2/secrets"
chmod 600 "$home2/secrets"
[[ $(grep -c -- '-wrong$' "$home2/secrets") == 3 ]] || fail "the wrong secrets file is not what was meant"
rc=0
"$bin/clusterctl" console "telnet://admin@127.0.0.1:$nts_port?secret=nts-password" --secrets "$home2/secrets" \
  --timeout 5s --log "$work/ctl/console-nts.log" >"$work/ctl/console-nts.out" 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "clusterctl console with a wrong terminal-server password: exit $rc, not 2: $(cat "$work/ctl/console-nts.out")"
grep -q 'login refused (user right, password wrong)' "$work/nts.log" || fail "the terminal server did not refuse the wrong password: $(cat "$work/nts.log")"
rc=0
"$bin/clusterctl" console "$(sed -n 's/^console = "\(ssh:.*\)"$/\1/p' "$cfg")" --secrets "$home2/secrets" \
  --timeout 5s --log "$work/ctl/console-ssh.log" >"$work/ctl/console-ssh.out" 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "clusterctl console with a wrong ssh passphrase: exit $rc, not 2: $(cat "$work/ctl/console-ssh.out")"
rc=0
"$bin/clusterd" --cluster demo --home "$home2" --test-alarm >"$work/ctl/test-alarm.out" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "clusterd --test-alarm with a wrong SMTP password: exit $rc, not 1: $(cat "$work/ctl/test-alarm.out")"
[[ $(grep -c '^auth refused' "$work/smtp.log") == 1 ]] || fail "the sink did not refuse the wrong SMTP password once: $(cat "$work/smtp.log")"
say "wrong secrets refused: terminal server $(grep -o 'lost ([a-z-]*)' "$work/ctl/console-nts.out"), ssh $(grep -o 'lost ([a-z-]*)' "$work/ctl/console-ssh.out"), email $(grep -o 'failure.*' "$work/ctl/test-alarm.out" | cut -c1-60)"

# --- the scan ----------------------------------------------------------------------------
mapfile -t files < <(find "$home" "$home2" -type f ! -name secrets; echo "$work/clusterd.out"; echo "$work/check.out"
                     find "$work/maildir/new" "$work/children" "$work/ctl" -type f)
cores=()
mapfile -t cores < <(find "$work" -maxdepth 1 -name 'core*' -type f 2>/dev/null)
files+=("${cores[@]}")
n_children=$(find "$work/children" -name '*.stdin' | wc -l)
n_spool=$(find "$work/children" -path '*.spool/*' -type f | wc -l)
(( n_spool >= 1 )) || fail "no spool file was caught while a notification was pending"
hits=0 leaks=()
for f in "${files[@]}"; do
  n=$(hits_in "$f")
  if (( n > 0 )); then
    hits=$(( hits + n ))
    leaks+=("$f: $n occurrence(s), at line(s) $(LC_ALL=C grep -a -n -F -f "$work/patterns" "$f" | LC_ALL=C sed -n 's/:.*//p' | sort -un | tr '\n' ' ')as $(leak_forms "$f")")
  fi
done
proc_summary=$(sed -n 's/^summary //p' "$work/procscan.out")
proc_hits=$(sed -n 's/.* hits=//p' <<<"$proc_summary")
say "/proc: $proc_summary; processes seen:"
sed -n 's/^seen /  /p' "$work/procscan.out" | cut -c1-160
for c in pager exec power; do
  grep -q "$c.sh" "$work/procscan.out" || fail "the /proc poller never saw the $c child running"
done
say "files scanned: ${#files[@]} (logs, transcripts, journal, $n_spool spool snapshots, mails, $n_children children's stdin/argv/env, control-socket and error-path output, ${#cores[@]} core files); $npat patterns"
if (( hits > 0 || proc_hits > 0 )); then
  for l in "${leaks[@]}"; do say "LEAK $l"; done
  grep '^HIT' "$work/procscan.out" | sed 's/^/  /' || true
  fail "the canary leaked: $hits occurrence(s) in files, $proc_hits in /proc"
fi

check_ledger
pass "4 secret slots (SMTP AUTH, terminal-server login, ssh key passphrase, script send secret) used and verified; ${#files[@]} files + /proc of $(sed -n 's/.*processes=\([0-9]*\).*/\1/p' <<<"$proc_summary") processes (clusterd and its children) scanned; canary hits = 0"
