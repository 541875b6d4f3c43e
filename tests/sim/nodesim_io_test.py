#!/usr/bin/python3
"""nodesim through real I/O: the telnet port (IAC BRK, RFC 2217 SET-CONTROL),
the pty, the real ser2net in front of the pty (alternate break), the control
socket CLI, the service port and an end-to-end split-brain caught by
`nodesim check`. Run by ctest as: nodesim_io_test.py NODESIM_BINARY.
Uses /usr/bin/python3 and the standard library only; every process it starts
is killed in tearDown. Bounds are generous: the machine is shared."""

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

NODESIM = None
IAC, DONT, DO, WONT, WILL, SB, SE, BRK = 255, 254, 253, 252, 251, 250, 240, 243
COM_PORT = 44
FAST = ["--t-post", "200ms", "--t-boot", "1s", "--t-mount", "500ms", "--write-interval", "100ms"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Telnet:
    """A raw-socket telnet client that keeps data and IAC commands apart."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.data = b""
        self.cmds = []      # (cmd, opt) and ("SB", bytes)
        self._raw = b""

    def send(self, b):
        self.sock.sendall(b)

    def _parse(self):
        raw, i = self._raw, 0
        while i < len(raw):
            c = raw[i]
            if c != IAC:
                self.data += bytes([c])
                i += 1
                continue
            if i + 1 >= len(raw):
                break
            cmd = raw[i + 1]
            if cmd == IAC:
                self.data += b"\xff"
                i += 2
            elif cmd in (DO, DONT, WILL, WONT):
                if i + 2 >= len(raw):
                    break
                self.cmds.append((cmd, raw[i + 2]))
                i += 3
            elif cmd == SB:
                end = raw.find(bytes([IAC, SE]), i)
                if end < 0:
                    break
                self.cmds.append(("SB", raw[i + 2:end]))
                i = end + 2
            else:
                self.cmds.append((cmd, None))
                i += 2
        self._raw = raw[i:]

    def pump(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if r:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self._raw += chunk
            self._parse()

    def expect(self, needle, timeout=5.0):
        deadline = time.monotonic() + timeout
        while needle not in self.data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timeout waiting for %r; got %r" % (needle, self.data[-300:]))
            self.pump(left)
        at = self.data.index(needle) + len(needle)
        before, self.data = self.data[:at], self.data[at:]
        return before

    def expect_cmd(self, cmd, timeout=5.0):
        deadline = time.monotonic() + timeout
        while cmd not in self.cmds:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timeout waiting for %r; got %r" % (cmd, self.cmds))
            self.pump(left)

    def close(self):
        self.sock.close()


class NodesimCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nodesim-io-")
        self.env = dict(os.environ, NODESIM_DIR=self.dir)
        self.procs = []
        self.files = []     # log files and telnet clients, closed in tearDown

    def tearDown(self):
        for f in self.files:
            f.close()
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, name, *args):
        ready = os.path.join(self.dir, name + ".ready")
        log = open(os.path.join(self.dir, name + ".stderr"), "w")
        self.files.append(log)
        p = subprocess.Popen([NODESIM, "run", "--name", name, "--ready-file", ready] + FAST + list(args),
                             env=self.env, stdout=log, stderr=log)
        self.procs.append(p)
        deadline = time.monotonic() + 5
        while not os.path.exists(ready):
            if p.poll() is not None or time.monotonic() > deadline:
                self.fail("nodesim %s did not start: %s" % (name, open(log.name).read()))
            time.sleep(0.02)
        with open(ready) as f:
            return dict(kv.split("=", 1) for kv in f.read().split())

    def telnet(self, port):
        t = Telnet(port)
        self.files.append(t)
        return t

    def ctl(self, node, *cmd):
        r = subprocess.run([NODESIM, "ctl", node] + list(cmd), env=self.env,
                           capture_output=True, text=True, timeout=5)
        return r.returncode, r.stdout.strip() + r.stderr.strip()

    def wait_state(self, node, state, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            rc, out = self.ctl(node, "status")
            if " state=%s " % state in out:
                return out
            if time.monotonic() > deadline:
                self.fail("%s never reached %s: %s" % (node, state, out))
            time.sleep(0.05)

    def ledger(self, node):
        with open(os.path.join(self.dir, node + ".ledger")) as f:
            return f.read()


class TelnetPort(NodesimCase):
    def running_over_telnet(self):
        f = self.start("alpha", "--telnet", "0", "--auto-boot", "true")
        self.wait_state("alpha", "RUNNING")
        t = self.telnet(int(f["telnet"]))
        t.expect_cmd((WILL, 1))      # WILL ECHO: character mode for a plain client
        t.send(b"\r")
        t.expect(b"alpha console login: ")
        return t

    def test_iac_brk_halts_running_node_at_ok(self):
        t = self.running_over_telnet()
        t.send(bytes([IAC, BRK]))
        t.expect(b"\r\nType 'go' to resume\r\n{0} ok ")
        self.assertIn('"ev":"break","via":"telnet-brk","effect":"halted"', self.ledger("alpha"))
        t.send(b"go\r")
        self.wait_state("alpha", "RUNNING")

    def test_rfc2217_set_control_break_on_halts_and_is_answered(self):
        t = self.running_over_telnet()
        t.send(bytes([IAC, WILL, COM_PORT]))
        t.expect_cmd((DO, COM_PORT))
        t.send(bytes([IAC, SB, COM_PORT, 5, 5, IAC, SE]))    # SET-CONTROL BREAK ON
        t.expect(b"Type 'go' to resume\r\n{0} ok ")
        t.send(bytes([IAC, SB, COM_PORT, 5, 6, IAC, SE]))    # BREAK OFF: no second halt
        t.expect_cmd(("SB", bytes([COM_PORT, 105, 5])))
        t.expect_cmd(("SB", bytes([COM_PORT, 105, 6])))
        self.assertEqual(self.ledger("alpha").count('"ev":"break"'), 1)
        self.assertIn('"via":"rfc2217"', self.ledger("alpha"))

    def test_break_queued_while_stopped_is_handled_before_any_write(self):
        # A9: SIGSTOP a running node, queue a BREAK, SIGCONT: the BREAK comes
        # before any record the overdue write timer would add.
        f = self.start("alpha", "--telnet", "0", "--auto-boot", "true")
        self.wait_state("alpha", "RUNNING")
        t = self.telnet(int(f["telnet"]))
        t.expect_cmd((WILL, 1))
        node = self.procs[-1]
        node.send_signal(signal.SIGSTOP)
        stopped_ns = time.monotonic_ns()
        t.send(bytes([IAC, BRK]))
        time.sleep(0.5)
        node.send_signal(signal.SIGCONT)
        t.expect(b"{0} ok ")
        after = [l for l in self.ledger("alpha").splitlines()
                 if int(l.split('"t_ns":')[1].split(",")[0]) > stopped_ns]
        self.assertIn('"ev":"break"', after[0])
        self.assertNotIn('"ev":"write"', "\n".join(after))

    def test_obp_dialogue_setenv_readback_and_nvram_file(self):
        t = self.running_over_telnet()
        t.send(bytes([IAC, BRK]))
        t.expect(b"{0} ok ")
        t.send(b"setenv auto-boot? false\r\n")        # telnet clients send CR LF
        t.expect(b"auto-boot? =          false\r\n{0} ok ")
        t.send(b"printenv auto-boot?\r\0")            # ... or CR NUL
        t.expect(b"printenv auto-boot?\r\nauto-boot? =          false\r\n{0} ok ")
        t.send(b"frob\r")
        t.expect(b"Unknown command: frob\r\n{0} ok ")
        with open(os.path.join(self.dir, "alpha.nvram")) as f:
            self.assertIn("auto-boot?=false", f.read())
        t.send(b"reset-all\r")
        t.expect(b"Resetting ... ")
        t.expect(b"Sun Fire V240, No Keyboard\r\n")
        t.expect(b"{0} ok ", timeout=5)

    def test_two_clients_both_see_output_and_panic_text(self):
        f = self.start("alpha", "--telnet", "0", "--auto-boot", "false")
        a, b = self.telnet(int(f["telnet"])), self.telnet(int(f["telnet"]))
        self.wait_state("alpha", "OK")
        a.send(b"boot\r")
        for t in (a, b):
            t.expect(b"Boot device: /pci@1c,600000/scsi@2/disk@0,0:a  File and args: \r\n")
            t.expect(b"alpha console login: ")
        self.assertEqual(self.ctl("alpha", "panic")[0], 0)
        b.expect(b"\r\n\rpanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31")
        b.expect(b"{0} ok ", timeout=6)   # auto-boot? false: back at ok after the dump


class PtyAndSer2net(NodesimCase):
    def test_pty_console_and_alternate_break(self):
        link = os.path.join(self.dir, "alpha.pty")
        self.start("alpha", "--pty", link, "--auto-boot", "true")
        self.assertTrue(os.path.islink(link))
        self.wait_state("alpha", "RUNNING")
        fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, b"\r")
            out = b""
            deadline = time.monotonic() + 5
            while b"Type 'go' to resume\r\n{0} ok " not in out and time.monotonic() < deadline:
                if b"console login: " in out and b"~" not in out:
                    os.write(fd, b"\r~\x02")
                    out += b"~"   # marker: sent once
                r, _, _ = select.select([fd], [], [], 0.2)
                if r:
                    out += os.read(fd, 4096)
            self.assertIn(b"Type 'go' to resume\r\n{0} ok ", out)
        finally:
            os.close(fd)
        self.assertIn('"via":"alt-break","effect":"halted"', self.ledger("alpha"))

    def test_output_nobody_reads_is_lost_like_on_a_real_line(self):
        link = os.path.join(self.dir, "alpha.pty")
        self.start("alpha", "--pty", link, "--auto-boot", "false")
        self.wait_state("alpha", "OK")
        self.ctl("alpha", "type", "banner\\r")     # printed while nobody listens
        time.sleep(1.0)
        fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, b"\r")
            out, deadline = b"", time.monotonic() + 3
            while not out.endswith(b"{0} ok ") and time.monotonic() < deadline:
                r, _, _ = select.select([fd], [], [], 0.2)
                if r:
                    out += os.read(fd, 4096)
            self.assertEqual(out, b"\r\n{0} ok ")
        finally:
            os.close(fd)

    def ser2net(self, connector):
        exe = shutil.which("ser2net") or "/usr/sbin/ser2net"
        if not os.path.exists(exe):
            self.fail("ser2net is not installed (tools/install-deps.sh installs it)")
        port = free_port()
        conf = os.path.join(self.dir, "ser2net.yaml")
        with open(conf, "w") as f:
            f.write("%%YAML 1.1\n---\nconnection: &alpha\n"
                    "    accepter: telnet(rfc2217),tcp,127.0.0.1,%d\n    enable: on\n"
                    "    options:\n      kickolduser: true\n"
                    "    connector: %s\n" % (port, connector))
        log = open(os.path.join(self.dir, "ser2net.log"), "w")
        self.files.append(log)
        p = subprocess.Popen([exe, "-n", "-d", "-u", "-c", conf, "-P", os.path.join(self.dir, "ser2net.pid")],
                             stdout=log, stderr=log)
        self.procs.append(p)
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or p.poll() is not None:
                    self.fail("ser2net did not listen: " + open(log.name).read())
                time.sleep(0.05)
        return port

    def test_real_ser2net_passes_the_alternate_break_but_not_iac_brk(self):
        link = os.path.join(self.dir, "alpha.pty")
        self.start("alpha", "--pty", link, "--auto-boot", "true")
        port = self.ser2net("serialdev,%s,115200n81,local" % link)
        self.wait_state("alpha", "RUNNING")
        t = self.telnet(port)
        t.send(b"\r")
        t.expect(b"alpha console login: ")
        # ser2net turns IAC BRK into tcsendbreak() on the pty, where it is lost.
        t.send(bytes([IAC, BRK]))
        time.sleep(0.5)
        self.assertIn(" state=RUNNING ", self.ctl("alpha", "status")[1])
        t.send(b"\r~\x02")
        t.expect(b"Type 'go' to resume\r\n{0} ok ")
        t.send(b"printenv auto-boot?\r")
        t.expect(b"auto-boot? =          true\r\n{0} ok ")
        self.assertIn('"via":"alt-break","effect":"halted"', self.ledger("alpha"))


    def test_ser2net_rfc2217_connector_to_the_telnet_port_passes_data_and_breaks(self):
        # The terminal-server chain of A16: ser2net talks RFC 2217 to nodesim's
        # telnet port, which must accept COM-PORT or ser2net passes nothing.
        f = self.start("alpha", "--telnet", "0", "--auto-boot", "true")
        port = self.ser2net("telnet(rfc2217),tcp,127.0.0.1,%s" % f["telnet"])
        self.wait_state("alpha", "RUNNING")
        t = self.telnet(port)
        t.send(b"\r")
        t.expect(b"alpha console login: ")
        t.send(bytes([IAC, BRK]))
        t.expect(b"Type 'go' to resume\r\n{0} ok ")
        t.send(b"go\r")
        self.wait_state("alpha", "RUNNING")
        t.send(bytes([IAC, SB, COM_PORT, 5, 5, IAC, SE]))
        t.expect(b"Type 'go' to resume\r\n{0} ok ")
        led = self.ledger("alpha")
        self.assertIn('"via":"telnet-brk","effect":"halted"', led)
        self.assertIn('"via":"rfc2217","effect":"halted"', led)


class ControlCli(NodesimCase):
    def test_help_on_every_subcommand(self):
        for args in (["--help"], ["run", "--help"], ["ctl", "--help"], ["check", "--help"], ["disk", "--help"]):
            r = subprocess.run([NODESIM] + args, capture_output=True, text=True, timeout=5)
            self.assertEqual(r.returncode, 0, args)
            self.assertIn("usage: nodesim", r.stdout)
        r = subprocess.run([NODESIM, "run", "--help"], capture_output=True, text=True)
        for flag in ("--t-boot", "--t-mount", "--telnet", "--pty", "--netns", "--battery-dead",
                     "--os", "--linux-break", "--kbd-abort", "--boot-panic", "--sp", "--t-shutdown"):
            self.assertIn(flag, r.stdout)

    def test_exit_codes_and_bad_options(self):
        self.start("alpha")
        self.assertEqual(self.ctl("alpha", "status")[0], 0)
        rc, out = self.ctl("alpha", "frobnicate")
        self.assertEqual((rc, out), (1, "error: unknown command 'frobnicate' (try help)"))
        rc, out = self.ctl("nosuchnode", "status")
        self.assertEqual(rc, 2)
        self.assertIn("cannot reach", out)
        r = subprocess.run([NODESIM, "run", "--t-boot", "soon"], capture_output=True, text=True, env=self.env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--t-boot: expected a duration", r.stderr)

    def test_config_file_and_power_cycle_with_dead_battery(self):
        conf = os.path.join(self.dir, "alpha.conf")
        with open(conf, "w") as f:
            f.write("# a node\nname = alpha\nauto-boot = false\nt-post = 100ms\n")
        self.start("alpha", "--config", conf)
        self.wait_state("alpha", "OK")
        self.assertEqual(self.ctl("alpha", "battery-dead")[0], 0)
        self.assertEqual(self.ctl("alpha", "power-cycle")[0], 0)
        self.wait_state("alpha", "RUNNING")   # defaults: auto-boot? true
        with open(os.path.join(self.dir, "alpha.nvram")) as f:
            self.assertIn("auto-boot?=true", f.read())

    def test_service_port_answers_only_while_running_and_cabled(self):
        port = free_port()
        self.start("alpha", "--auto-boot", "true", "--service-port", str(port))
        self.wait_state("alpha", "RUNNING")
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            self.assertEqual(s.recv(100), b"alpha service\r\n")
        self.assertEqual(self.ctl("alpha", "cable-pull")[0], 0)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        self.ctl("alpha", "cable-plug")
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        rc, out = self.ctl("alpha", "icmp-loss", "30")
        self.assertEqual(rc, 1)
        self.assertIn("needs --netns", out)


class OsSessionAndSp(NodesimCase):
    """The OS personality, the console session, a quoted panic and the
    service processor through a real nodesim process and its telnet port."""

    def test_linux_takes_two_iac_brk_to_reach_ok(self):
        f = self.start("alpha", "--os", "linux", "--telnet", "0", "--auto-boot", "true")
        self.wait_state("alpha", "RUNNING")
        t = self.telnet(int(f["telnet"]))
        t.send(b"\r")
        t.expect(b"\r\nalpha login: ")
        t.send(bytes([IAC, BRK]))
        time.sleep(0.3)
        self.assertIn(" state=RUNNING ", self.ctl("alpha", "status")[1])
        self.assertIn('"via":"telnet-brk","effect":"sysrq-armed"', self.ledger("alpha"))
        t.send(bytes([IAC, BRK]))
        t.expect(b"\r\n\r\nType 'go' to resume\r\n{0} ok ")
        self.assertEqual(self.ctl("alpha", "panic")[0], 1)   # no OS at ok
        t.send(b"go\r")
        self.wait_state("alpha", "RUNNING")
        self.assertEqual(self.ctl("alpha", "panic")[0], 0)
        t.expect(b"Press Stop-A (L1-A) from sun keyboard or send break\r\n"
                 b"twice on console to return to the boot prom\r\n")

    def test_session_quote_panic_sp_and_knobs_from_the_control_cli(self):
        f = self.start("alpha", "--telnet", "0", "--auto-boot", "true")
        self.wait_state("alpha", "RUNNING")
        t = self.telnet(int(f["telnet"]))
        self.assertEqual(self.ctl("alpha", "session", "root"), (0, "ok"))
        t.expect(b"Generic Patch   January 2005\r\n# ")
        self.assertEqual(self.ctl("alpha", "quote-panic"), (0, "ok"))
        t.expect(b"alpha \rpanic[cpu0]/thread=2a100547ca0: \r\n")
        t.expect(b"NULL pointer dereference\r\n# ")
        self.assertIn(" state=RUNNING ", self.ctl("alpha", "status")[1])
        self.assertEqual(self.ctl("alpha", "sp-park", "alom"), (0, "ok"))
        t.expect(b"\r\nsc> ")
        t.send(b"boot\r")
        t.expect(b"boot\r\nError: Invalid command: boot")
        t.send(bytes([IAC, BRK]))
        self.assertEqual(self.ctl("alpha", "sp-unpark"), (0, "ok"))
        t.expect(b"console\r\nEnter #. to return to ALOM.\r\n")
        self.assertIn(" state=RUNNING ", self.ctl("alpha", "status")[1])
        self.assertIn('"effect":"at-sp"', self.ledger("alpha"))
        self.assertEqual(self.ctl("alpha", "kbd-abort", "disable"), (0, "ok"))
        self.wait_state("alpha", "BREAK_DISABLED")
        self.assertEqual(self.ctl("alpha", "boot-panic"), (0, "ok"))
        self.assertIn(" boot-panic=once", self.ctl("alpha", "status")[1])
        for bad in (["session", "x"], ["kbd-abort", "x"], ["os", "x"], ["sp-park", "x"],
                    ["boot-panic", "x"], ["linux-break", "x"]):
            self.assertEqual(self.ctl("alpha", *bad)[0], 1, bad)

    def test_os_and_console_options_on_the_command_line_and_in_a_config_file(self):
        conf = os.path.join(self.dir, "alpha.conf")
        with open(conf, "w") as f:
            f.write("os = linux\nlinux-break = direct\nsp = ilom\nkbd-abort = alternate\n")
        self.start("alpha", "--config", conf, "--boot-panic", "once")
        out = self.wait_state("alpha", "OK")
        for kv in ("os=linux", "linux-break=direct", "sp=ilom", "kbd-abort=alternate",
                   "boot-panic=once"):
            self.assertIn(" " + kv, out)
        r = subprocess.run([NODESIM, "run", "--os", "vms"], capture_output=True, text=True,
                           env=self.env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--os: expected solaris|linux, got 'vms'", r.stderr)


class SplitBrainEndToEnd(NodesimCase):
    def test_booting_the_standby_while_the_primary_runs_is_reported_with_its_overlap(self):
        self.start("alpha", "--auto-boot", "true")
        self.start("beta", "--auto-boot", "false")
        self.wait_state("alpha", "RUNNING")
        self.wait_state("beta", "OK")
        self.assertEqual(self.ctl("beta", "type", "boot\\r")[0], 0)
        self.wait_state("beta", "RUNNING")
        time.sleep(0.3)
        self.ctl("beta", "power-off")
        self.assertIn('"ev":"split_brain","other":"alpha"', self.ledger("beta"))
        self.assertIn('"ev":"overlap","other":"alpha"', self.ledger("beta"))
        r = subprocess.run([NODESIM, "check", os.path.join(self.dir, "alpha.ledger"),
                            os.path.join(self.dir, "beta.ledger")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("split-brain: alpha and beta held the disk together for", r.stdout)
        ms = float(r.stdout.split("overlap: ")[1].split(" ms")[0])
        self.assertGreater(ms, 700)   # 500 ms of boot after the mount + 300 ms
        self.assertLess(ms, 5000)

    def test_clean_shutdown_over_the_control_socket_then_the_standby_checks_clean(self):
        f = self.start("alpha", "--auto-boot", "true", "--telnet", "0", "--t-shutdown", "1s")
        self.start("beta", "--auto-boot", "false")
        self.wait_state("alpha", "RUNNING")
        t = self.telnet(int(f["telnet"]))
        t.expect_cmd((WILL, 1))
        self.assertEqual(self.ctl("beta", "shutdown"), (1, "error: shutdown needs a running OS, not OK"))
        self.assertEqual(self.ctl("alpha", "shutdown"), (0, "ok"))
        self.assertIn(" state=STOPPING ", self.ctl("alpha", "status")[1])
        t.expect(b"svc.startd: The system is coming down.  Please wait.\r\n")
        t.expect(b"svc.startd: The system is down.\r\nsyncing file systems... done\r\n"
                 b"Program terminated\r\n{0} ok ")
        out = self.wait_state("alpha", "OK")
        self.assertIn(" auto-boot?=true ", out)   # a halt leaves NVRAM alone
        self.assertIn(" lease=free ", out)
        self.ctl("beta", "type", "boot\\r")
        self.wait_state("beta", "RUNNING")
        r = subprocess.run([NODESIM, "check", os.path.join(self.dir, "alpha.ledger"),
                            os.path.join(self.dir, "beta.ledger")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("overlap: 0.0 ms", r.stdout)
        self.assertIn('"ev":"service_stop","why":"shutdown"', self.ledger("alpha"))
        self.assertNotIn('"ev":"break"', self.ledger("alpha"))

    def test_correct_failover_checks_clean(self):
        self.start("alpha", "--auto-boot", "true")
        self.start("beta", "--auto-boot", "false")
        self.wait_state("alpha", "RUNNING")
        self.ctl("alpha", "break")
        self.ctl("alpha", "type", "setenv auto-boot? false\\r")
        self.ctl("beta", "type", "boot\\r")
        self.wait_state("beta", "RUNNING")
        r = subprocess.run([NODESIM, "check", os.path.join(self.dir, "alpha.ledger"),
                            os.path.join(self.dir, "beta.ledger")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("overlap: 0.0 ms", r.stdout)


if __name__ == "__main__":
    NODESIM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
