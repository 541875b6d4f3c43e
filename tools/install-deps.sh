#!/usr/bin/env bash
# Installs every Debian package clusterd needs to build, test and benchmark.
# Idempotent: when everything is already there it only runs dpkg-query (about 0.1 s).
# Used by both README commands and by CI; add a package here when an issue needs one.
set -euo pipefail

PACKAGES=(
  # build
  cmake pkg-config g++ make ninja-build
  # libraries (DESIGN.md §1)
  libboost-dev libserialport-dev libssh-dev tao-pegtl-dev libspdlog-dev libgtest-dev
  libre2-dev libtelnet-dev libcurl4-openssl-dev libtomlplusplus-dev
  # fuzzing (libFuzzer ships with clang) and `chatc dot` pictures
  clang graphviz
  # benchmark peers (bench/README.md): Expect, pexpect, chat(8), GNU time
  expect ppp python3 python3-pexpect time
  # real peers for the transport and simulator tests (../shared/testbed-notes.md):
  # pty pairs, the terminal server, sshd, telnet client, SMTP sink, namespaces and
  # their packet filters, ping, strace as a BREAK oracle
  socat ser2net openssh-server libtelnet-utils python3-aiosmtpd iproute2 nftables iptables
  iputils-ping strace
  # the BMC lab (tools/bmcsim.sh): OpenIPMI's BMC simulator ipmi_sim and the real
  # ipmitool, for power with read-back and Serial-over-LAN
  openipmi ipmitool
  # operator hooks exercised by the tests: log rotation (etc/logrotate.d), Vim
  # for the chat syntax file (etc/vim), stress-ng for crashtest --load
  logrotate vim stress-ng
  # the house checks (tests/house): every shell script, every C++ file
  shellcheck clang-format
  # man pages: lint and render (tests/docs/man_lint.sh)
  mandoc man-db groff-base
  # the fleet of monitoring hosts (docs/fleet.md): a real 3-member etcd in its
  # tests and demo (etcd-server; etcdctl from etcd-client for the operator)
  etcd-server etcd-client
  # BCP mode (docs/bcp.md): the snapshot shipper's btrfs send/receive on loop
  # devices, rsync, and ZFS (zfs-fuse: the only ZFS Debian 12 builds without a
  # kernel module; its daemon is started by the tests that need it)
  btrfs-progs rsync zfs-fuse
  # the Debian package: CPack's dpkg-shlibdeps and file, and what its test and
  # maintainer scripts use (setcap/getcap, adduser, pgrep)
  dpkg-dev file libcap2-bin adduser procps
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! grep -q 'install ok installed' <<<"$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null)"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=
if [[ $(id -u) != 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
