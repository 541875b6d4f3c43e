#!/usr/bin/python3
"""The BMC lab (tools/bmcsim.sh) with a real x86 nodesim behind the real
ipmi_sim, driven by the real ipmitool over IPMI 2.0 RMCP+ (lanplus, cipher
suite 3) on 127.0.0.1: power status, power off (the node stops, its lease is
released, it writes no more), power on with a SOL session open (SeaBIOS, GRUB,
the kernel and the login prompt arrive over SOL, a key typed over SOL reaches
the node, ipmitool's ~B does not), power cycle and reset, the stuck-on knob (power off accepted, status stays on, the
node runs on), a wrong password (rc 1 and the RMCP+ error) and a frozen BMC.
Run by ctest as: bmcsim_test.py NODESIM BMCSIM. Needs ipmi_sim and ipmitool
(tools/install-deps.sh) and python3-pexpect (SOL needs a tty). Every wait polls a
condition with a generous bound; everything started is stopped in tearDown."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import pexpect

NODESIM = None
BMCSIM = None
FAST = ["--t-post", "300ms", "--t-boot", "2s", "--t-mount", "1s", "--write-interval", "100ms"]


def wait_for(what, cond, limit=30.0):
    end = time.monotonic() + limit
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("no %s within %.0f s" % (what, limit))
        time.sleep(0.1)


class BmcLabTest(unittest.TestCase):
    def setUp(self):
        for tool in ("ipmi_sim", "ipmitool"):
            self.assertIsNotNone(shutil.which(tool), tool + " is missing: tools/install-deps.sh")
        self.dir = tempfile.mkdtemp(prefix="bmcsim-test-")
        self.ctl = os.path.join(self.dir, "alpha.ctl")
        self.pty = os.path.join(self.dir, "alpha.pty")
        self.ledger = os.path.join(self.dir, "alpha.ledger")
        self.bmc = os.path.join(self.dir, "bmc")
        self.sol = None
        env = dict(os.environ, NODESIM_DIR=self.dir)
        self.node = subprocess.Popen(
            [NODESIM, "run", "--name", "alpha", "--platform", "x86", "--powered", "false",
             "--pty", self.pty, "--ctl", self.ctl, "--ledger", self.ledger,
             "--disk", os.path.join(self.dir, "shared.img"),
             "--ready-file", os.path.join(self.dir, "ready")] + FAST,
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("nodesim ready file", lambda: os.path.exists(os.path.join(self.dir, "ready")))
        r = self.run_cmd([BMCSIM, "start", self.bmc, "--ctl", self.ctl, "--pty", self.pty,
                          "--nodesim", NODESIM])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.env = dict(line.split("=", 1) for line in
                        self.run_cmd([BMCSIM, "env", self.bmc]).stdout.split())

    def tearDown(self):
        if self.sol is not None:
            self.sol.close(force=True)
        subprocess.run([BMCSIM, "stop", self.bmc], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        self.node.terminate()
        self.node.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def run_cmd(argv):
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60, check=False)

    def ipmi(self, *args, password="pass"):
        return self.run_cmd(["ipmitool", "-I", "lanplus", "-H", self.env["BMC_ADDR"],
                             "-p", self.env["BMC_PORT"], "-U", "admin", "-P", password,
                             "-C", "3"] + list(args))

    def node_status(self):
        return self.run_cmd([NODESIM, "ctl", self.ctl, "status"]).stdout

    def state(self):
        s = self.node_status()
        return s.split(" state=")[1].split()[0] if " state=" in s else "?"

    def ledger_events(self):
        with open(self.ledger) as f:
            return [line for line in f]

    def power_status(self):
        return self.ipmi("chassis", "power", "status").stdout.strip()

    def test_power_and_sol_through_the_real_ipmitool(self):
        self.assertEqual(self.power_status(), "Chassis Power is off")
        # SOL first: what a node prints while no session is open is lost.
        self.sol = pexpect.spawn(
            "ipmitool", ["-I", "lanplus", "-H", self.env["BMC_ADDR"], "-p", self.env["BMC_PORT"],
                         "-U", "admin", "-P", "pass", "-C", "3", "sol", "activate"],
            timeout=30)
        self.sol.expect_exact("[SOL Session operational.  Use ~? for help]")
        r = self.ipmi("chassis", "power", "on")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("Chassis Power Control: Up/On", r.stdout)
        self.sol.expect_exact("SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n")
        self.sol.expect_exact("Booting from Hard Disk...\r\n  Booting `Debian GNU/Linux'\r\n")
        self.sol.expect_exact("] Linux version 6.1.0-31-amd64 ")
        self.sol.expect_exact("\r\nDebian GNU/Linux 12 alpha ttyS0\r\n\r\nalpha login: ")
        self.assertEqual(self.state(), "RUNNING")
        self.assertEqual(self.power_status(), "Chassis Power is on")
        # Typed over SOL, reaches the node's getty.
        self.sol.send("\r")
        self.sol.expect_exact("\r\nalpha login: ")
        # ipmitool's ~B is a SOL BREAK: ipmi_sim's tcsendbreak() on a pty
        # carries nothing, so the node never sees it (as documented).
        self.sol.send("\r~B")
        self.sol.expect_exact("\r\nalpha login: ")
        self.sol.send("\r")
        self.sol.expect_exact("\r\nalpha login: ")
        self.assertFalse(any('"ev":"break"' in l for l in self.ledger_events()))
        wait_for("a write to the shared disk", lambda: any('"ev":"write"' in l for l in self.ledger_events()))

        # Power off: confirmed by the status, the node is off at once.
        r = self.ipmi("chassis", "power", "off")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("Chassis Power Control: Down/Off", r.stdout)
        self.assertEqual(self.power_status(), "Chassis Power is off")
        self.assertEqual(self.state(), "OFF")
        self.assertIn(" lease=free ", self.node_status())
        evs = self.ledger_events()
        off = max(i for i, l in enumerate(evs) if '"to":"OFF"' in l)
        self.assertTrue(any('"ev":"lease_release"' in l and '"why":"power-off"' in l for l in evs[:off + 1]))
        # The SOL session outlives the power: the next power-on boots on it again.
        r = self.ipmi("chassis", "power", "on")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.sol.expect_exact("alpha login: ")
        evs = self.ledger_events()
        on = max(i for i, l in enumerate(evs) if '"from":"OFF","to":"POST"' in l)
        self.assertFalse(any('"ev":"write"' in l for l in evs[off:on]), "a write while powered off")
        self.sol.send("~.")
        self.sol.expect(pexpect.EOF)

    def test_cycle_and_reset_power_the_node_off_and_on(self):
        self.ipmi("chassis", "power", "on")
        wait_for("alpha RUNNING", lambda: self.state() == "RUNNING")
        for verb, why in (("cycle", '"to":"OFF","why":"power-off"'),
                          ("reset", '"to":"OFF","why":"power-cycle"')):
            before = len(self.ledger_events())
            r = self.ipmi("chassis", "power", verb)
            self.assertEqual(r.returncode, 0, r.stdout)
            wait_for("a power-off by " + verb,
                     lambda: any(why in l for l in self.ledger_events()[before:]))
            wait_for("alpha RUNNING after " + verb, lambda: self.state() == "RUNNING")
            self.assertEqual(self.power_status(), "Chassis Power is on")

    def test_stuck_on_accepts_power_off_and_keeps_reading_on(self):
        self.ipmi("chassis", "power", "on")
        wait_for("alpha RUNNING", lambda: self.state() == "RUNNING")
        self.assertEqual(self.run_cmd([BMCSIM, "stuck-on", self.bmc, "on"]).returncode, 0)
        r = self.ipmi("chassis", "power", "off")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("Chassis Power Control: Down/Off", r.stdout)
        for _ in range(5):  # read back as a power fence would: it never says off
            self.assertEqual(self.power_status(), "Chassis Power is on")
        self.assertEqual(self.state(), "RUNNING")
        self.assertIn(" lease=held ", self.node_status())
        self.assertEqual(self.run_cmd([BMCSIM, "stuck-on", self.bmc, "off"]).returncode, 0)
        self.ipmi("chassis", "power", "off")
        self.assertEqual(self.power_status(), "Chassis Power is off")
        self.assertEqual(self.state(), "OFF")
        with open(os.path.join(self.bmc, "chassis.log")) as f:
            self.assertIn("stuck-on: power off accepted, nothing done", f.read())

    def test_wrong_password_is_rc_1_with_the_rmcp_plus_error(self):
        r = self.ipmi("chassis", "power", "status", password="wrong")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("Error: Unable to establish IPMI v2 / RMCP+ session", r.stdout)
        r = self.run_cmd([BMCSIM, "ipmitool", self.bmc, "-P", "wrong", "chassis", "power", "on"])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertEqual(self.state(), "OFF", "a refused session changes nothing")

    def test_a_frozen_bmc_does_not_answer_until_thawed(self):
        self.assertEqual(self.run_cmd([BMCSIM, "freeze", self.bmc]).returncode, 0)
        r = self.ipmi("-N", "1", "-R", "1", "chassis", "power", "on")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertNotIn("Chassis Power Control", r.stdout)
        self.assertEqual(self.state(), "OFF")
        self.assertEqual(self.run_cmd([BMCSIM, "thaw", self.bmc]).returncode, 0)
        wait_for("the thawed BMC answering",
                 lambda: self.power_status() == "Chassis Power is off")


if __name__ == "__main__":
    NODESIM = os.path.abspath(sys.argv.pop(1))
    BMCSIM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
