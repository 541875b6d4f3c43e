#!/usr/bin/env bash
# The Debian package on this machine, end to end (root; no systemd running, so
# the init script is what runs clusterd):
#   1. builds clusterd_VERSION_ARCH.deb (the `package` target: BUILD_DIR when it
#      is configured for prefix /usr, else a packaging build in BUILD_DIR/deb
#      with the tests and benchmarks off) and two higher versions of it
#      (cpack -D CPACK_PACKAGE_VERSION=VERSION+1, +2);
#   2. dpkg -i: programs on the PATH, CAP_NET_RAW on /usr/bin/clusterd, the
#      user clusterd, /var/lib/clusterd and its folders (clusterd:clusterd 0750),
#      conffiles, boot links, man pages and the documents they point to,
#      crashtest's scenarios with lib.sh and their Python helpers;
#   3. two clusters (demo, spare) on four nodesims on loopback, pinged by TCP:
#      /etc/init.d/clusterd start runs them as user clusterd with CAP_NET_RAW,
#      clusterctl status shows them watching, restart with the nohup launcher
#      too, stop stops them;
#   4. demo running, spare stopped, dpkg -i VERSION+1 under this machine's
#      policy-rc.d (Docker's denies every action): demo keeps running on the old
#      binary; then VERSION+2 with clusterd's actions allowed (a policy-rc.d
#      bind-mounted in a private mount namespace, for dpkg alone): demo runs
#      again on the new binary, spare stays stopped, the CList, clusters/ and
#      Logs/ are untouched, the capability is back;
#   5. dpkg --purge: clusterd stopped by prerm, every file of `dpkg -L` gone
#      but the folders other packages share, no user or group clusterd, no
#      /var/lib/clusterd, no boot links, no process left.
# Cleans up on any exit (purges what it installed, kills its nodesims); refuses
# to run when clusterd is installed already (or its user, home or files exist
# without the package): the purge would take them. Exit 77 (skipped) when not
# root or under systemd.
#   deb_test.sh BUILD_DIR SOURCE_DIR       (JOBS=N: build jobs, default nproc)
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)

t0=$(date +%s.%N)
say() { printf '[%5ss] %s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" "$*"; }
fail() { say "FAIL: $*"; exit 1; }

if [[ $(id -u) != 0 ]]; then echo "deb_test: skipped: needs root (dpkg -i)"; exit 77; fi
if [[ -d /run/systemd/system ]]; then
  echo "deb_test: skipped: systemd runs here, and this test is about the init script"
  exit 77
fi
refuse() { echo "deb_test: refusing to run: $*; the test installs and purges clusterd itself" >&2; exit 2; }
pkg_state() { dpkg-query -W -f '${db:Status-Abbrev}' clusterd 2>/dev/null | cut -c1-2 || true; }
state=$(pkg_state)
[[ -z $state || $state == un ]] || refuse "the package clusterd is on this machine (dpkg status '$state'); dpkg --purge clusterd first if it may go"
for what in passwd group; do
  ! getent "$what" clusterd >/dev/null || refuse "a $what entry clusterd exists without the package (the purge would delete it)"
done
for f in /var/lib/clusterd /etc/init.d/clusterd /etc/default/clusterd /usr/bin/clusterd; do
  [[ ! -e $f ]] || refuse "$f exists without the package (the purge would delete it)"
done

work=$(mktemp -d /tmp/clusterd-deb-XXXXXX)
home=/var/lib/clusterd
installed=
sims=()
daemon_pids=()
policy=/usr/sbin/policy-rc.d
cleanup() {
  local rc=$? p
  set +e
  if [[ -n $installed && $(pkg_state) != un && -n $(pkg_state) ]]; then
    say "cleanup: dpkg --purge clusterd"
    dpkg_allowed dpkg --purge clusterd >"$work/cleanup.log" 2>&1 || sed 's/^/    | /' "$work/cleanup.log"
    [[ $(pkg_state) == un || -z $(pkg_state) ]] ||
      say "cleanup: clusterd is still installed: dpkg --purge clusterd by hand"
  fi
  for p in "${daemon_pids[@]}"; do kill "$p" 2>/dev/null; done  # only if the purge did not stop them
  for p in "${sims[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# dpkg with clusterd's service actions allowed: this machine's policy-rc.d
# (Docker's says 101, "no", to everything) is replaced, for this command and
# in a private mount namespace only, by one that says yes to clusterd and
# asks the original about anything else. Without a policy-rc.d: as is.
cp "$policy" "$work/policy-rc.d.orig" 2>/dev/null || true
cat >"$work/policy-rc.d" <<EOF
#!/bin/sh
for a; do case \$a in --*) ;; *) [ "\$a" = clusterd ] && exit 0; break ;; esac; done
exec $work/policy-rc.d.orig "\$@"
EOF
chmod 755 "$work/policy-rc.d"
dpkg_allowed() {
  if [[ -x $policy ]]; then
    # shellcheck disable=SC2016  # $1, $2, $@: the inner sh's own arguments
    unshare --mount --propagation private -- sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
      sh "$work/policy-rc.d" "$policy" "$@"
  else
    "$@"
  fi
}
export DEBIAN_FRONTEND=noninteractive

wait_for() {  # SECONDS DESCRIPTION CMD...
  local end=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < end )) || fail "no $what within $1 s"
    sleep 0.1
  done
}
# Runs CMD...; its output in $out (shown indented), its exit status in $rc.
run() { set +e; out=$("$@" 2>&1); rc=$?; set -e; [[ -z $out ]] || printf '%s\n' "$out" | sed 's/^/    | /'; }
expect_rc() { [[ $rc == "$1" ]] || fail "'$2' exited $rc, expected $1"; }
expect_out() { grep -qE -- "$1" <<<"$out" || fail "'$2' did not print /$1/"; }
alive() { local st; st=$(ps -o stat= -p "${1:-0}" 2>/dev/null) && [[ $st != Z* ]]; }
pid_of() { cat "$home/run/$1.pid" 2>/dev/null; }
watching() { grep -qE '^state +watch$' <<<"$(clusterctl status "$1" 2>/dev/null)"; }
# clusterd processes of the package, by command line (start-stop-daemon
# --exec /usr/bin/clusterd, or setpriv/nohup of the same path).
package_daemons() { pgrep -f '^/usr/bin/clusterd( |$)' | sort || true; }
has_net_raw() {  # PID: CAP_NET_RAW (bit 13) in its effective set
  local eff
  eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $eff ]] && (( (16#$eff >> 13) & 1 ))
}
# A running cluster as the package runs it: user clusterd, CAP_NET_RAW, watching.
check_daemon() {  # NAME PID
  alive "$2" || fail "$1: pid $2 is not alive"
  [[ $(ps -o user= -p "$2" | tr -d ' ') == clusterd ]] || fail "$1 runs as $(ps -o user= -p "$2"), not clusterd"
  [[ $(ps -o group= -p "$2" | tr -d ' ') == clusterd ]] || fail "$1 runs in group $(ps -o group= -p "$2"), not clusterd"
  has_net_raw "$2" || fail "$1 (pid $2) has no CAP_NET_RAW: $(grep Cap "/proc/$2/status" | tr '\n' ' ')"
  wait_for 15 "state watch in 'clusterctl status $1'" watching "$1"
}
# What an upgrade must not touch: the CList, clusters/, a file of Logs/, and
# demo.log up to its length before the upgrade (it is appended to, never cut).
checksums() {
  (cd "$home" && sha256sum CList clusters/*.toml Logs/operator-note && head -c "$loglen" Logs/demo.log | sha256sum)
}

# --- 1. the packages ---------------------------------------------------------
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$2/CMakeCache.txt"; }
if [[ $(cache_value CMAKE_INSTALL_PREFIX "$build") == /usr && $(cache_value CMAKE_INSTALL_SYSCONFDIR "$build") == /etc ]]; then
  pkgbuild=$build
else
  # clusterd has /usr/share/clusterd/scripts compiled in: a build for another
  # prefix cannot be repackaged for /usr (cmake/Package.cmake).
  pkgbuild=$build/deb
  if [[ ! -f $pkgbuild/CMakeCache.txt ]]; then
    say "configuring a packaging build for prefix /usr in $pkgbuild (no tests, no benchmarks)"
    cmake -S "$src" -B "$pkgbuild" -G "$(cache_value CMAKE_GENERATOR "$build")" \
      -DCMAKE_CXX_COMPILER="$(cache_value CMAKE_CXX_COMPILER "$build")" \
      -DCMAKE_BUILD_TYPE="$(cache_value CMAKE_BUILD_TYPE "$build")" \
      -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc \
      -DCLUSTERD_BUILD_TESTS=OFF -DCLUSTERD_BUILD_BENCH=OFF >"$work/configure.log" 2>&1 ||
      { tail -n 30 "$work/configure.log"; fail "configure $pkgbuild"; }
  fi
fi
say "cmake --build $pkgbuild --target package"
cmake --build "$pkgbuild" --target package -j "${JOBS:-$(nproc)}" >"$work/package.log" 2>&1 ||
  { tail -n 40 "$work/package.log"; fail "the package target"; }
version=$(cache_value CMAKE_PROJECT_VERSION "$pkgbuild")
arch=$(dpkg --print-architecture)
deb=$pkgbuild/clusterd_${version}_$arch.deb
[[ -f $deb ]] || fail "no $deb after the package target (found: $(find "$pkgbuild" -maxdepth 1 -name '*.deb' | sort | tr '\n' ' '))"
for n in 1 2; do
  cpack -G DEB --config "$pkgbuild/CPackConfig.cmake" -B "$work/up$n" -D CPACK_PACKAGE_VERSION="$version+$n" \
    >"$work/cpack$n.log" 2>&1 || { tail -n 30 "$work/cpack$n.log"; fail "cpack $version+$n"; }
  [[ -f $work/up$n/clusterd_${version}+${n}_$arch.deb ]] || fail "cpack made no clusterd_${version}+${n}_$arch.deb"
done
say "packages: ${deb##*/}, clusterd_${version}+1_$arch.deb, clusterd_${version}+2_$arch.deb"
dpkg-deb -f "$deb" Package Version Architecture Depends Recommends Suggests | sed 's/^/    | /'
depends=$(dpkg-deb -f "$deb" Depends)
for d in adduser libcap2-bin 'libc6 \(' 'libstdc\+\+6 \('; do
  grep -qE "(^|, )$d" <<<"$depends" || fail "Depends lacks /$d/ (dpkg-shlibdeps and the runtime tools): $depends"
done
grep -qE '^ *[0-9]+ bytes, +[0-9]+ lines +\* +postinst' <<<"$(dpkg-deb -I "$deb")" || fail "postinst is not executable in the package"
[[ $(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - --wildcards '*conffiles' | sort | tr '\n' ' ') == \
   "/etc/default/clusterd /etc/init.d/clusterd /etc/logrotate.d/clusterd " ]] || fail "conffiles"

# --- 2. install ---------------------------------------------------------------
say "dpkg -i ${deb##*/}"
installed=yes
run dpkg_allowed dpkg -i "$deb"
expect_rc 0 "dpkg -i"
[[ $(pkg_state) == ii ]] || fail "dpkg status '$(pkg_state)' after dpkg -i"
for p in clusterd clusterctl chatc nodesim; do
  [[ $(command -v "$p") == /usr/bin/$p ]] || fail "$p is not /usr/bin/$p on the PATH ($(command -v "$p"))"
done
[[ $(command -v crashtest) == /usr/sbin/crashtest ]] || fail "crashtest is not /usr/sbin/crashtest"
grep -qE 'cap_net_raw[=+]e?p' <<<"$(getcap /usr/bin/clusterd)" || fail "getcap /usr/bin/clusterd: '$(getcap /usr/bin/clusterd)'"
IFS=: read -r _ _ uid _ _ uhome ushell < <(getent passwd clusterd) || fail "no user clusterd"
(( uid < 1000 )) || fail "clusterd is not a system user (uid $uid)"
[[ $uhome == "$home" && $ushell == /usr/sbin/nologin ]] || fail "user clusterd: home $uhome, shell $ushell"
getent group clusterd >/dev/null || fail "no group clusterd"
[[ $(id -gn clusterd) == clusterd ]] || fail "clusterd's primary group is $(id -gn clusterd)"
grep -qx dialout <<<"$(id -Gn clusterd | tr ' ' '\n')" || fail "clusterd is not in group dialout"
for d in "" /clusters /scripts /Logs /run /state /spool; do
  [[ $(stat -c '%U:%G %a' "$home$d") == "clusterd:clusterd 750" ]] || fail "$home$d is $(stat -c '%U:%G %a' "$home$d")"
done
[[ $(man -w clusterd 2>/dev/null) == /usr/share/man/man8/clusterd.8* ]] || fail "man -w clusterd: '$(man -w clusterd 2>&1)'"
grep -q '^NAME' <<<"$(MANWIDTH=80 man -P cat clusterd 2>/dev/null)" || fail "man clusterd shows no NAME section"
for f in /etc/init.d/clusterd /etc/default/clusterd /etc/logrotate.d/clusterd /lib/systemd/system/clusterd@.service \
         /lib/systemd/system/clusterd.target /usr/share/clusterd/scripts/sparc-obp.chat \
         /usr/share/doc/clusterd/examples/CList.sample /usr/share/doc/clusterd/examples/clusters/demo.toml.sample \
         /usr/share/bash-completion/completions/clusterctl /usr/share/vim/vimfiles/syntax/chat.vim \
         /usr/share/man/man5/CList.5 /usr/share/clusterd/crashtest/scenarios/MANIFEST \
         /usr/share/doc/clusterd/config.md /usr/share/doc/clusterd/operator-manual.md \
         /usr/lib/clusterd/crashtest-kill-switch.so; do
  [[ -f $f ]] || fail "$f is not installed"
done
# crashtest's scenarios with what they run beside them: lib.sh and the Python
# helpers (*.py), executable where the source's are.
for f in "$src"/crashtest/scenarios/*.sh "$src"/crashtest/scenarios/*.py; do
  inst=/usr/share/clusterd/crashtest/scenarios/${f##*/}
  [[ -f $inst ]] || fail "$inst is not installed"
  [[ ! -x $f || -x $inst ]] || fail "$inst is not executable"
done
grep -qx /lib/systemd/system/clusterd@.service <<<"$(dpkg -L clusterd)" || fail "the units are not in /lib/systemd/system"
# The man pages point to the references installed under /usr/share/doc/clusterd
# (one source for each fact: docs/man/CMakeLists.txt): every /usr/share path a
# page names must be on this host.
pointers=0
while IFS= read -r page; do
  while IFS= read -r path; do
    [[ -e $path ]] || fail "${page##*/} names $path, which the package does not install"
    pointers=$((pointers + 1))
  done < <(sed -e 's/\\-/-/g' -e 's/\\%//g' -e 's/\\&//g' "$page" | grep -o '/usr/share/[A-Za-z0-9._/-]*' | sed 's/[.]$//' | sort -u)
done < <(grep '^/usr/share/man/man[1-9]/' <<<"$(dpkg -L clusterd)")
(( pointers > 0 )) || fail "no man page names a file under /usr/share (the pointers to the references are gone)"
ls /etc/rc2.d/S[0-9][0-9]clusterd >/dev/null 2>&1 || fail "no boot link /etc/rc2.d/S??clusterd (update-rc.d defaults)"
chatc check /usr/share/clusterd/scripts/sparc-obp.chat >/dev/null 2>&1 || fail "chatc check of the stock script"
# Idempotent: configuring again changes nothing and succeeds.
run /var/lib/dpkg/info/clusterd.postinst configure "$version"
expect_rc 0 "postinst configure, a second time"
[[ $(stat -c '%U:%G %a' "$home") == "clusterd:clusterd 750" && $(getent passwd clusterd | cut -d: -f3) == "$uid" ]] ||
  fail "a second configure changed the user or $home"
say "installed: programs, CAP_NET_RAW, user clusterd (system, dialout), $home 0750, conffiles, boot links, man pages and the $pointers /usr/share paths they name"

# --- 3. two clusters through the init script ------------------------------------
say "two clusters (demo, spare) on four nodesims; the stock script from /usr/share/clusterd/scripts"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
n=20
for cluster in demo spare; do
  sport=$(free_port)
  mkdir -p "$work/sim-$cluster"
  conf=()
  for node in alpha beta; do
    n=$((n + 1))
    NODESIM_DIR=$work/sim-$cluster /usr/bin/nodesim run --name "$node" --telnet 127.0.0.1:0 \
      --service-port "$sport" --service-addr "127.0.0.$n" --auto-boot "$([[ $node == alpha ]] && echo true || echo false)" \
      --ready-file "$work/sim-$cluster/$node.ready" >"$work/sim-$cluster/$node.out" 2>&1 &
    sims+=($!)
    wait_for 10 "nodesim $cluster/$node ready file" test -s "$work/sim-$cluster/$node.ready"
    tport=$(sed -n 's/.*telnet=\([0-9]*\).*/\1/p' "$work/sim-$cluster/$node.ready")
    conf+=("[nodes.$node]" "console = \"telnet://127.0.0.1:$tport\"" "address = \"127.0.0.$n\"")
  done
  # As an operator would: written by root, readable by clusterd.
  printf '%s\n' 'script = "sparc-obp.chat"' "${conf[@]}" '[ping]' 'method = "tcp"' "tcp_port = $sport" \
    >"$home/clusters/$cluster.toml"
done
printf '%s\n' '# name  config' 'demo    clusters/demo.toml' 'spare   clusters/spare.toml' >"$home/CList"
echo "kept across upgrades" >"$home/Logs/operator-note"

run /etc/init.d/clusterd check
expect_rc 0 "init.d check"
run /etc/init.d/clusterd start
expect_rc 0 "init.d start"
expect_out "clusterd demo: started \(pid [0-9]+\)" "init.d start"
expect_out "clusterd spare: started \(pid [0-9]+\)" "init.d start"
demo=$(pid_of demo) spare=$(pid_of spare)
daemon_pids+=("$demo" "$spare")
check_daemon demo "$demo"
check_daemon spare "$spare"
clusterctl status demo | sed 's/^/    | /'
run /etc/init.d/clusterd status
expect_rc 0 "init.d status"
[[ $(stat -c %U "$home/run/demo.sock") == clusterd ]] || fail "run/demo.sock is not clusterd's"
# The other launcher: nohup, with setpriv for the user.
run env CLUSTERD_LAUNCHER=nohup /etc/init.d/clusterd restart spare
expect_rc 0 "init.d restart spare (nohup)"
expect_out "spare: stopped \(pid $spare\)" "init.d restart spare (nohup)"
spare=$(pid_of spare)
daemon_pids+=("$spare")
check_daemon spare "$spare"
run /etc/init.d/clusterd stop
expect_rc 0 "init.d stop"
expect_out "demo: stopped \(pid $demo\)" "init.d stop"
expect_out "spare: stopped \(pid $spare\)" "init.d stop"
{ ! alive "$demo" && ! alive "$spare"; } || fail "a clusterd still runs after stop"
[[ -z $(package_daemons) ]] || fail "clusterd processes after stop: $(package_daemons | tr '\n' ' ')"
[[ -z $(ls "$home/run/"*.pid 2>/dev/null) ]] || fail "pid files left after stop: $(ls "$home/run")"
say "init.d: start (as clusterd, CAP_NET_RAW, watching), status, restart with nohup, stop"

# --- 4. upgrades over the running install ---------------------------------------
run /etc/init.d/clusterd start demo
expect_rc 0 "init.d start demo"
demo=$(pid_of demo)
daemon_pids+=("$demo")
check_daemon demo "$demo"
loglen=$(stat -c %s "$home/Logs/demo.log")
(( loglen > 0 )) || fail "demo wrote nothing to Logs/demo.log"
before=$(checksums)

up1=$work/up1/clusterd_${version}+1_$arch.deb
up2=$work/up2/clusterd_${version}+2_$arch.deb
set +e; "$policy" clusterd restart >/dev/null 2>&1; policy_rc=$?; set -e
if [[ -x $policy && $policy_rc == 101 ]]; then
  say "upgrade to $version+1 under this machine's policy-rc.d (it denies service actions)"
  run dpkg -i "$up1"
  expect_rc 0 "dpkg -i $version+1"
  expect_out "policy-rc.d denied execution of restart" "dpkg -i $version+1"
  { [[ $(pid_of demo) == "$demo" ]] && alive "$demo"; } || fail "demo was restarted against the policy"
  [[ $(readlink "/proc/$demo/exe") == *"(deleted)" ]] || fail "demo runs $(readlink "/proc/$demo/exe"), expected the replaced binary"
  grep -qE 'cap_net_raw[=+]e?p' <<<"$(getcap /usr/bin/clusterd)" || fail "no CAP_NET_RAW on /usr/bin/clusterd after the upgrade to $version+1"
  say "policy obeyed: demo (pid $demo) kept running on the old binary"
else
  say "this machine's policy-rc.d allows clusterd's actions (or there is none): no upgrade under a denying policy"
fi

say "upgrade to $version+2 with clusterd's actions allowed"
run dpkg_allowed dpkg -i "$up2"
expect_rc 0 "dpkg -i $version+2"
[[ $(dpkg-query -W -f '${Version}' clusterd) == "$version+2" ]] || fail "installed version $(dpkg-query -W -f '${Version}' clusterd)"
demo_replaced() { local p; p=$(pid_of demo); [[ -n $p && $p != "$demo" ]]; }
wait_for 15 "a new demo pid" demo_replaced
! alive "$demo" || fail "the old demo (pid $demo) still runs"
demo=$(pid_of demo)
daemon_pids+=("$demo")
check_daemon demo "$demo"
[[ $(readlink "/proc/$demo/exe") == /usr/bin/clusterd ]] || fail "demo runs $(readlink "/proc/$demo/exe"), not the new /usr/bin/clusterd"
[[ -z $(pid_of spare) ]] || fail "spare was started by the upgrade (it was stopped)"
[[ $(package_daemons) == "$demo" ]] || fail "clusterd processes after the upgrade: $(package_daemons | tr '\n' ' ')"
grep -qE 'cap_net_raw[=+]e?p' <<<"$(getcap /usr/bin/clusterd)" || fail "no CAP_NET_RAW on /usr/bin/clusterd after the upgrade"
[[ $(checksums) == "$before" ]] || fail "the upgrade changed the CList, clusters/ or Logs/: $(diff <(echo "$before") <(checksums))"
grep -q "starting clusterd demo" "$home/Logs/demo.stderr" || fail "Logs/demo.stderr lost its lines"
for d in "" /clusters /scripts /Logs /run /state /spool; do
  [[ $(stat -c '%U:%G %a' "$home$d") == "clusterd:clusterd 750" ]] || fail "$home$d is $(stat -c '%U:%G %a' "$home$d") after the upgrade"
done
say "upgraded: demo runs again (pid $demo, new binary), spare still stopped, CList/clusters/Logs untouched"

# --- 5. purge ----------------------------------------------------------------------
dpkg -L clusterd >"$work/files"
say "dpkg --purge clusterd ($(wc -l <"$work/files") paths in dpkg -L)"
run dpkg_allowed dpkg --purge clusterd
expect_rc 0 "dpkg --purge"
[[ $(pkg_state) == un || -z $(pkg_state) ]] || fail "dpkg status '$(pkg_state)' after the purge"
! alive "$demo" || fail "demo (pid $demo) still runs after the purge"
[[ -z $(package_daemons) ]] || fail "clusterd processes after the purge: $(package_daemons | tr '\n' ' ')"
! getent passwd clusterd >/dev/null || fail "the user clusterd is left"
! getent group clusterd >/dev/null || fail "the group clusterd is left"
[[ ! -e $home ]] || fail "$home is left: $(find "$home" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')"
! compgen -G '/etc/rc?.d/*clusterd' >/dev/null || fail "boot links left: $(compgen -G '/etc/rc?.d/*clusterd' | tr '\n' ' ')"
kept=()
while IFS= read -r f; do
  [[ $f == /. || -z $f ]] && continue
  if [[ -d $f ]]; then
    # A folder stays when another package has it too, or something else is in it.
    dpkg -S "$f" >/dev/null 2>&1 || [[ -n $(ls -A "$f") ]] || fail "empty folder left: $f"
    kept+=("$f")
  elif [[ -e $f || -L $f ]]; then
    fail "left after the purge: $f"
  fi
done <"$work/files"
say "purged: no file of the package left; folders kept (shared with other packages or not empty): ${#kept[@]}"
printf '    | %s\n' "${kept[@]}"
for p in "${sims[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
sims=()
for b in clusterd clusterctl chatc nodesim crashtest; do
  ! pgrep -f "^/usr/s?bin/$b( |$)" >/dev/null || fail "a /usr/bin/$b process is left: $(pgrep -af "^/usr/s?bin/$b( |$)")"
done
installed=
say "PASS: build, install, init.d as clusterd, upgrades (policy obeyed, restart of what ran), purge"
