#!/usr/bin/python3
"""rusage_run.py LOG FIELDS -- CMD [ARG...]

Runs CMD (stdin, stdout and stderr inherited), then appends one line to LOG:
  FIELDS wall_s=W user_s=U sys_s=S cpu_s=C maxrss_kb=M exit=E
wall from a monotonic clock around spawn and wait; user/sys/maxrss from
wait4(), i.e. CMD and every child it waited for. Used by run_transports.sh for
every client, ours and the peers alike, instead of /usr/bin/time -f: that
prints CPU in 10 ms steps, and a 100 MB loopback run costs 30-200 ms.
Exits with CMD's status (128 + signal if it was killed).
"""
import os
import sys
import time


def main(argv):
    if len(argv) < 5 or argv[3] != "--":
        sys.exit(__doc__)
    log, fields, cmd = argv[1], argv[2], argv[4:]
    t0 = time.monotonic()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code
    with open(log, "a", encoding="ascii") as f:
        f.write("%s wall_s=%.4f user_s=%.4f sys_s=%.4f cpu_s=%.4f maxrss_kb=%d exit=%d\n" % (
            fields, wall, ru.ru_utime, ru.ru_stime, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, code))
    sys.exit(code)


if __name__ == "__main__":
    main(sys.argv)
