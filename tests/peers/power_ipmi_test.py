#!/usr/bin/python3
"""clusterd's power actions against a real BMC: the real daemon runs the real
ipmitool (IPMI 2.0 RMCP+, the password in a file) against the OpenIPMI BMC
simulator (tools/bmcsim.sh) in front of an x86 nodesim node, on 127.0.0.1.
A small chat script turns operator requests into power actions:
  - `power active off`: power_off, then power_status until it reads off; only
    then does `mark fenced active by power` pass, journaled how=power, and the
    node is really off;
  - `power active cycle` (unfenced): off, read back off, on, read back on, and
    the node boots again; after a fence by power the same is refused until
    the takeover (a server boots on power-on);
  - a wrong password: ipmitool exits 1, power.failed with its words, and a fence
    by power asked for then is refused;
  - a BMC that does not answer (SIGSTOP): power.failed, nothing fenced;
  - a power off the status never confirms (bmcsim stuck-on): power.failed after
    [timeouts] power, the fence refused, the node still running.
Run by ctest as: power_ipmi_test.py BINDIR SRCDIR. Every wait polls a
condition with a generous bound."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

BIN = None
SRC = None
FAST = ["--t-post", "300ms", "--t-boot", "2s", "--t-mount", "1s", "--write-interval", "100ms"]

SCRIPT = r"""# Operator requests become power actions (tests/peers/power_ipmi_test.py).
initial state watch {
    on control.switchover -> off
    on control.maintenance -> on
}
state off {
    power active off
    on power.off active { mark fenced active by power; log "FENCED BY POWER" } -> watch
    on power.failed active { log "POWER FAILED: $reason"; mark fenced active by power } -> watch
    on fence.refused { log "FENCE REFUSED" } -> watch
}
state on {
    power active cycle
    on power.on active { log "POWERED ON" } -> watch
    on power.failed active { log "POWER FAILED: $reason" } -> watch
}
"""


def wait_for(what, cond, limit=60.0):
    end = time.monotonic() + limit
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("no %s within %.0f s" % (what, limit))
        time.sleep(0.1)


class PowerThroughARealBmc(unittest.TestCase):
    def setUp(self):
        for tool in ("ipmi_sim", "ipmitool"):
            self.assertIsNotNone(shutil.which(tool), tool + " is missing: tools/install-deps.sh")
        self.dir = tempfile.mkdtemp(prefix="power-ipmi-test-")
        self.nodesim = os.path.join(BIN, "nodesim")
        self.bmcsim = os.path.join(SRC, "tools/bmcsim.sh")
        self.ctl = os.path.join(self.dir, "alpha.ctl")
        self.pty = os.path.join(self.dir, "alpha.pty")
        self.bmc = os.path.join(self.dir, "bmc")
        self.daemon = None
        env = dict(os.environ, NODESIM_DIR=self.dir)
        self.node = subprocess.Popen(
            [self.nodesim, "run", "--name", "alpha", "--platform", "x86", "--powered", "true",
             "--pty", self.pty, "--ctl", self.ctl,
             "--ledger", os.path.join(self.dir, "alpha.ledger"),
             "--disk", os.path.join(self.dir, "shared.img"),
             "--ready-file", os.path.join(self.dir, "ready")] + FAST,
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("nodesim ready file", lambda: os.path.exists(os.path.join(self.dir, "ready")))
        r = self.run_cmd([self.bmcsim, "start", self.bmc, "--ctl", self.ctl, "--pty", self.pty,
                          "--nodesim", self.nodesim])
        self.assertEqual(r.returncode, 0, r.stdout)
        bmc = dict(line.split("=", 1) for line in
                   self.run_cmd([self.bmcsim, "env", self.bmc]).stdout.split())
        wait_for("alpha running", lambda: self.node_state() == "RUNNING")

        # The cluster home: alpha's power method is the real ipmitool.
        self.home = os.path.join(self.dir, "home")
        os.makedirs(os.path.join(self.home, "clusters"))
        self.pwfile = os.path.join(self.home, "bmc.pw")
        self.set_password(bmc["BMC_PASS"])
        ipmi = ("[\"ipmitool\", \"-I\", \"lanplus\", \"-H\", \"%s\", \"-p\", \"%s\", \"-U\", \"%s\", "
                "\"-f\", \"%s\", \"-C\", \"3\", \"chassis\", \"power\", "
                % (bmc["BMC_ADDR"], bmc["BMC_PORT"], bmc["BMC_USER"], self.pwfile))
        with open(os.path.join(self.home, "CList"), "w") as f:
            f.write("lab clusters/lab.toml\n")
        with open(os.path.join(self.home, "clusters/lab.chat"), "w") as f:
            f.write(SCRIPT)
        with open(os.path.join(self.home, "clusters/lab.toml"), "w") as f:
            f.write("script = \"lab.chat\"\n"
                    "[nodes.alpha]\nconsole = \"pty:%s\"\naddress = \"127.0.0.1\"\n"
                    "power_off = %s\"off\"]\npower_on = %s\"on\"]\npower_status = %s\"status\"]\n"
                    "[nodes.beta]\nconsole = \"exec:sleep 100000\"\naddress = \"127.0.0.2\"\n"
                    "[ping]\nmethod = \"tcp\"\ntcp_port = 9\ninterval = \"1s\"\n"
                    "[alarms]\npage = [\"exec:/bin/true\"]\n"
                    "[timeouts]\npower = \"8s\"\n"
                    % (self.pty, ipmi, ipmi, ipmi))
        r = self.run_cmd([os.path.join(BIN, "clusterd"), "--cluster", "lab", "--home", self.home,
                          "--check"])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.daemon = subprocess.Popen(
            [os.path.join(BIN, "clusterd"), "--cluster", "lab", "--home", self.home],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("the control socket", lambda: os.path.exists(
            os.path.join(self.home, "run/lab.sock")))

    def tearDown(self):
        if self.daemon is not None:
            self.daemon.terminate()
            self.daemon.wait(timeout=20)
        subprocess.run([self.bmcsim, "thaw", self.bmc], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        subprocess.run([self.bmcsim, "stop", self.bmc], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        self.node.terminate()
        self.node.wait(timeout=10)
        if not os.environ.get("KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def run_cmd(argv):
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60, check=False)

    def set_password(self, password):
        fd = os.open(self.pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")

    def node_state(self):
        s = self.run_cmd([self.nodesim, "ctl", self.ctl, "status"]).stdout
        return s.split(" state=")[1].split()[0] if " state=" in s else "?"

    def log(self):
        try:
            with open(os.path.join(self.home, "Logs/lab.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def journal(self):
        with open(os.path.join(self.home, "state/lab.journal")) as f:
            return f.read()

    def ctl_request(self, what):
        r = self.run_cmd([os.path.join(BIN, "clusterctl"), "--home", self.home, what, "lab"])
        self.assertEqual(r.returncode, 0, r.stdout)

    def until_logged(self, text, count=1, limit=60.0):
        wait_for("'%s' in the log" % text, lambda: self.log().count(text) >= count, limit)

    def test_cycle_then_off_read_back_before_the_fence(self):
        self.ctl_request("maintenance")
        self.until_logged("POWERED ON")
        log = self.log()
        self.assertIn("power_status alpha reads off; powering it on (cycle)", log)
        self.assertIn("power alpha read back on", log)
        wait_for("alpha running again", lambda: self.node_state() == "RUNNING")

        self.ctl_request("switchover")
        self.until_logged("FENCED BY POWER")
        log = self.log()
        self.assertIn("power_off alpha exited 0: \"Chassis Power Control: Down/Off\"", log)
        self.assertIn("power alpha read back off", log)
        self.assertIn("fenced alpha (by power: power_status read it back off)", log)
        # The read-back came before the fence, the fence before its log line.
        self.assertLess(log.index("power alpha read back off"), log.index("fenced alpha (by power"))
        self.assertIn("how=power", self.journal())
        self.assertEqual(self.node_state(), "OFF")

        # Fenced: never powered on again before a takeover.
        self.ctl_request("maintenance")
        self.until_logged("POWER FAILED: power cycle alpha failed: refused, nothing run")
        self.assertEqual(self.node_state(), "OFF")

    def test_wrong_password_fails_and_the_fence_is_refused(self):
        self.set_password("not-the-password")
        self.ctl_request("switchover")
        self.until_logged("FENCE REFUSED")
        log = self.log()
        self.assertIn("POWER FAILED: power off alpha failed: power_off alpha exited 1", log)
        self.assertIn("Unable to establish IPMI v2 / RMCP+ session", log)
        self.assertIn("power fence of alpha refused", log)
        self.assertNotIn("how=power", self.journal())
        self.assertEqual(self.node_state(), "RUNNING")

    def test_a_bmc_that_does_not_answer_fails_within_the_power_timeout(self):
        r = self.run_cmd([self.bmcsim, "freeze", self.bmc])
        self.assertEqual(r.returncode, 0, r.stdout)
        start = time.monotonic()
        self.ctl_request("switchover")
        self.until_logged("FENCE REFUSED")
        # [timeouts] power is 8 s: one command killed after it (or ipmitool
        # giving up by itself before), never more than a few times that.
        self.assertLess(time.monotonic() - start, 40)
        self.assertIn("POWER FAILED: power off alpha failed: power_off alpha", self.log())
        self.assertNotIn("how=power", self.journal())

    def test_a_power_off_the_status_never_confirms_is_never_a_fence(self):
        r = self.run_cmd([self.bmcsim, "stuck-on", self.bmc, "on"])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.ctl_request("switchover")
        self.until_logged("FENCE REFUSED")
        log = self.log()
        self.assertIn("power_off alpha exited 0", log)
        self.assertIn("not read back off within [timeouts] power 8s (power_status said: "
                      "\"Chassis Power is on\")", log)
        self.assertIn("power fence of alpha refused", log)
        self.assertNotIn("how=power", self.journal())
        self.assertEqual(self.node_state(), "RUNNING")


if __name__ == "__main__":
    BIN, SRC = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])
