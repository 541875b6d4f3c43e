#!/bin/bash
# tools/zfs-fuse-daemon.sh — the zfs-fuse daemon for the project's ZFS tests
# (tests/repl/zfs_test.sh, crashtest's BCP_MODE=zfs; docs/bcp.md). One
# daemon serves a whole machine.
#
#   zfs-fuse-daemon.sh start PIDFILE   a daemon answers when it exits 0; prints
#                                      "started" when it started one (with PIDFILE),
#                                      "running" when one already answered
#   zfs-fuse-daemon.sh stop PIDFILE    stops the daemon PIDFILE names, waits until it is gone
#
# Pools for tests: `zpool create -o cachefile=none`, so that a test that dies
# leaves no pool for the next daemon to import.
# Started with the FUSE attribute and entry caches off (-a 0 -e 0): with the
# package's 3600 s, a file read right after a `zfs receive` can show its old
# content. A daemon that is still exiting (it takes seconds) is waited for
# first: its socket would refuse the new one.
set -u
die() { echo "zfs-fuse-daemon.sh: $*" >&2; exit 1; }
answers() { zpool list >/dev/null 2>&1; }
wait_for() {  # SECONDS CMD...
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.1; done
}
gone() { ! pgrep -x zfs-fuse >/dev/null; }
case "${1:-}" in
  start)
    [ $# -eq 2 ] || die "start PIDFILE"
    command -v zfs-fuse >/dev/null || die "no zfs-fuse (tools/install-deps.sh installs it)"
    if pid=$(pgrep -x zfs-fuse); then
      # Its mounts are made in its own mount namespace: one started elsewhere
      # (ip netns exec makes a new one) mounts where we cannot see.
      [ "$(readlink "/proc/${pid%%$'\n'*}/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] ||
        die "zfs-fuse ($pid) runs in another mount namespace: its mounts are not seen here; stop it first"
      # One runs, or is exiting: use it if it answers, else wait for it to go.
      if wait_for 3 answers; then echo running; exit 0; fi
      wait_for 30 gone || die "a zfs-fuse daemon neither answers nor exits"
    fi
    rm -f "$2"
    zfs-fuse --pidfile "$2" -a 0 -e 0 || die "zfs-fuse would not start"
    wait_for 20 answers || die "zfs-fuse does not answer"
    echo started ;;
  stop)
    [ $# -eq 2 ] || die "stop PIDFILE"
    [ -s "$2" ] || exit 0
    pid=$(cat "$2")
    kill "$pid" 2>/dev/null || exit 0
    stopped() { ! kill -0 "$pid" 2>/dev/null; }
    wait_for 30 stopped || die "zfs-fuse $pid did not exit"
    rm -f "$2" ;;
  -h|--help) sed -n '2,16s/^# \{0,1\}//p' "$0" ;;
  *) die "start|stop PIDFILE (--help)" ;;
esac
