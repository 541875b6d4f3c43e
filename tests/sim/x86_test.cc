// The x86 personality in virtual time: power-on straight through SeaBIOS,
// GRUB and the kernel to the login prompt (no firmware prompt), the shared
// disk taken at T_mount exactly as on SPARC, the x86 panic that spins,
// power-off that stops everything at once, a BREAK that at most arms SysRq,
// and a boot disk SeaBIOS cannot read.
#include <gtest/gtest.h>

#include "base/escape.h"
#include "sim/console_text.h"
#include "sim/x86_text.h"
#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;

class X86Test : public SimTest {
 protected:
  NodeConfig x86_config(std::string name) {
    NodeConfig c = test_config(std::move(name));
    c.platform = Platform::X86;
    c.knobs.os = Os::Linux;
    return c;
  }
  // A powered-off x86 node, as a standby behind its BMC.
  std::unique_ptr<Node> off(std::string name = "alpha") {
    NodeConfig c = x86_config(name);
    c.start_powered = false;
    return make(name, false, &c);
  }
  std::unique_ptr<Node> booted() {
    auto n = off();
    EXPECT_EQ(n->m->control("power-on", now), "ok");
    run_for(6s, {n.get()});
    EXPECT_EQ(n->m->state(), State::Running);
    n->fx.take();
    return n;
  }
};

TEST_F(X86Test, PowerOnBootsThroughSeaBiosGrubAndTheKernelToALoginPrompt) {
  auto n = off();
  EXPECT_EQ(n->m->state(), State::Off);
  EXPECT_EQ(n->fx.take(), "") << "powered off: silent";
  // auto-boot? false in NVRAM does not matter: a PC boots at every power-on.
  EXPECT_EQ(n->m->control("power-on", now), "ok");
  EXPECT_EQ(n->m->state(), State::Post);
  run_for(500ms, {n.get()});
  EXPECT_NE(n->fx.take().find("SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n"), std::string::npos);
  run_for(500ms, {n.get()});  // POST 1 s
  EXPECT_EQ(n->m->state(), State::Booting);
  EXPECT_EQ(n->fx.take(),
            "Booting from Hard Disk...\r\n"
            "  Booting `Debian GNU/Linux'\r\n\r\n"
            "Loading Linux 6.1.0-31-amd64 ...\r\n"
            "Loading initial ramdisk ...\r\n");
  run_for(1s, {n.get()});
  std::string k = n->fx.take();
  EXPECT_TRUE(
      k.starts_with("[    0.000000] Linux version 6.1.0-31-amd64 "
                    "(debian-kernel@lists.debian.org)"))
      << escape(k);
  EXPECT_NE(k.find("[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-31-amd64 "),
            std::string::npos);
  EXPECT_FALSE(n->m->holds_lease());
  run_for(2s, {n.get()});  // T_mount 3 s after the boot began
  EXPECT_TRUE(n->m->holds_lease());
  EXPECT_EQ(n->fx.events("lease_acquire").size(), 1u);
  EXPECT_EQ(n->fx.events("lease_acquire")[0].get("why"), "mount");
  run_for(2s, {n.get()});  // T_boot 5 s
  EXPECT_EQ(n->m->state(), State::Running);
  std::string out = n->fx.take();
  EXPECT_TRUE(out.ends_with("\r\nDebian GNU/Linux 12 alpha ttyS0\r\n\r\nalpha login: "))
      << escape(out);
  EXPECT_EQ(out.find("ok "), std::string::npos) << "no OpenBoot anywhere";
  EXPECT_EQ(out.find("Sun"), std::string::npos);
  EXPECT_EQ(type(*n, "\r"), "\r\nalpha login: ");
  EXPECT_EQ(n->fx.net, (std::vector<bool>{true})) << "network up while RUNNING only";
  EXPECT_NE(n->m->status().find(" platform=x86"), std::string::npos);
  EXPECT_NE(n->m->status().find(" booted-os=linux "), std::string::npos);
  run_for(1s, {n.get()});
  EXPECT_GE(n->fx.events("write").size(), 4u) << "it writes to the shared disk like any node";
}

TEST_F(X86Test, PanicPrintsTheX86KernelPanicAndSpinsWithoutTheDisk) {
  auto n = booted();
  auto writes = n->fx.events("write").size();
  EXPECT_EQ(n->m->control("panic", now), "ok");
  EXPECT_EQ(n->m->state(), State::Panic);
  EXPECT_FALSE(n->m->holds_lease());
  std::string out = n->fx.take();
  EXPECT_TRUE(
      out.starts_with("[  412.031248] Kernel panic - not syncing: Attempted to kill init! "
                      "exitcode=0x00000009\r\n"))
      << escape(out);
  EXPECT_NE(out.find("] Kernel Offset: 0x2a00000 from 0xffffffff81000000 (relocation range: "
                     "0xffffffff80000000-0xffffffffbfffffff)\r\n"),
            std::string::npos);
  EXPECT_TRUE(
      out.ends_with("] ---[ end Kernel panic - not syncing: Attempted to kill init! "
                    "exitcode=0x00000009 ]---\r\n"))
      << escape(out);
  EXPECT_EQ(out.find("Stop-A"), std::string::npos) << "the SPARC lines are SPARC's";
  EXPECT_EQ(n->fx.net.back(), false) << "no ping";
  run_for(120s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Panic) << "panic=0: no reboot";
  EXPECT_EQ(n->fx.take(), "");
  EXPECT_EQ(n->fx.events("write").size(), writes) << "no write after the panic";
}

TEST_F(X86Test, PowerOffStopsEverythingAtOnceAndPowerOnBootsAgain) {
  auto n = booted();
  EXPECT_EQ(n->m->control("power-off", now), "ok");
  EXPECT_EQ(n->m->state(), State::Off);
  EXPECT_FALSE(n->m->holds_lease());
  auto rel = n->fx.events("lease_release");
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(rel[0].get("why"), "power-off");
  auto writes = n->fx.events("write").size();
  n->fx.take();
  run_for(30s, {n.get()});
  EXPECT_EQ(n->fx.events("write").size(), writes);
  EXPECT_EQ(n->fx.take(), "");
  EXPECT_EQ(n->m->next_deadline(), std::nullopt) << "nothing scheduled while off";
  EXPECT_EQ(n->m->control("power-on", now), "ok");
  run_for(6s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_TRUE(n->fx.take().ends_with("alpha login: "));
}

TEST_F(X86Test, ABreakArmsSysrqAtMostAndNeverStopsTheNode) {
  auto n = off();
  n->m->on_break(BreakVia::TelnetBrk, now);
  n->m->control("power-on", now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Post) << "SeaBIOS ignores it";
  run_for(6s, {n.get()});
  n->fx.take();
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_TRUE(n->m->sysrq_armed());
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_TRUE(n->m->holds_lease());
  EXPECT_EQ(n->fx.take(), "");
  // Sending BREAK twice is a normal BREAK: nothing.
  n->m->on_break(BreakVia::Control, now);
  EXPECT_FALSE(n->m->sysrq_armed());
  EXPECT_EQ(n->m->state(), State::Running);
  // BREAK then a key within 5 s: the SysRq key, eaten (not run by nodesim).
  n->m->on_break(BreakVia::Rfc2217, now);
  EXPECT_EQ(type(*n, "b"), "");
  EXPECT_EQ(n->fx.events("sysrq").size(), 1u);
  EXPECT_EQ(n->m->state(), State::Running);
  // The alternate break is Solaris's: plain data here.
  type(*n, "\r~\x02");
  EXPECT_EQ(n->m->state(), State::Running);
  n->m->control("panic", now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Panic) << "no PROM to return to";
  std::vector<std::string> effects;
  for (const auto& b : n->fx.events("break")) effects.push_back(b.get("effect"));
  EXPECT_EQ(effects, (std::vector<std::string>{"ignored", "ignored", "sysrq-armed", "ignored",
                                               "sysrq-armed", "sysrq-armed", "ignored"}));
  EXPECT_EQ(n->fx.events("lease_release").size(), 1u) << "released by the panic only";
  EXPECT_EQ(n->m->fenced(), false);
}

TEST_F(X86Test, SeaBiosRetriesAnUnreadableBootDiskEveryMinute) {
  auto n = off();
  ASSERT_TRUE(disk.set_power(false));
  n->m->control("power-on", now);
  run_for(1s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Post);
  std::string out = n->fx.take();
  EXPECT_TRUE(
      out.ends_with("Booting from Hard Disk...\r\n"
                    "Boot failed: could not read the boot disk\r\n\r\n"
                    "No bootable device.  Retrying in 60 seconds.\r\n"))
      << escape(out);
  EXPECT_EQ(n->fx.events("disk_error").size(), 1u);
  ASSERT_TRUE(disk.set_power(true));
  run_for(61s, {n.get()});
  EXPECT_NE(n->fx.take().find("Rebooting.\r\n"), std::string::npos);
  run_for(5s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
}

TEST_F(X86Test, BootPanicIsBeforeTheMountAndTheNodeHasNoServiceProcessorOrSolaris) {
  auto n = off();
  EXPECT_EQ(n->m->control("boot-panic once", now), "ok");
  n->m->control("power-on", now);
  run_for(6s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Panic);
  EXPECT_TRUE(n->fx.events("lease_acquire").empty());
  EXPECT_NE(n->fx.take().find("[    2.031248] Kernel panic - not syncing: VFS: Unable to mount "
                              "root fs on unknown-block(8,1)\r\n"),
            std::string::npos);
  EXPECT_EQ(n->m->control("os solaris", now), "error: an x86 node runs Linux only");
  EXPECT_EQ(n->m->control("sp-park ilom", now),
            "error: an x86 node has no ALOM/ILOM (its BMC is tools/bmcsim.sh)");
  EXPECT_EQ(n->m->control("power-cycle", now), "ok");
  run_for(6s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running) << "boot-panic once";
}

TEST_F(X86Test, TwoX86NodesShareTheDiskLikeSparcOnes) {
  // The standby powered on while the active runs: the ledger shows it.
  auto a = booted();
  NodeConfig cb = x86_config("beta");
  cb.start_powered = false;
  auto b = make("beta", false, &cb);
  b->m->control("power-on", now);
  run_for(4s, {a.get(), b.get()});  // POST 1 s + T_mount 3 s
  EXPECT_EQ(b->fx.events("split_brain").size(), 1u);
  run_for(2s, {a.get(), b.get()});
  a->m->control("power-off", now);
  auto ov = a->fx.events("overlap");
  ASSERT_EQ(ov.size(), 1u);
  EXPECT_EQ(ov[0].get("overlap_ms"), "2000.000");
}

// `systemctl poweroff` (control `shutdown`): the service stops first (its last
// write is on the disk), systemd's and the kernel's power-off text byte for
// byte (x86_text.h cites it), the disk let go before "reboot: Power down", and
// the node powers itself off: OFF, nothing scheduled, no BREAK, not fenced.
TEST_F(X86Test, ShutdownIsACleanPowerOffThatEndsWithTheNodeOff) {
  auto n = booted();
  run_for(1s, {n.get()});
  std::uint64_t before = n->m->writes();
  ASSERT_GT(before, 0u);
  n->fx.take();
  EXPECT_EQ(n->m->control("shutdown", now), "ok");
  EXPECT_EQ(n->m->state(), State::Stopping);
  run_for(2s - 1ms, {n.get()});
  EXPECT_EQ(n->m->state(), State::Stopping);
  run_for(1ms, {n.get()});
  EXPECT_EQ(n->m->state(), State::Off);
  std::string expected =
      "[  OK  ] Stopped target getty.target - Login Prompts.\r\n"
      "[  OK  ] Stopped target multi-user.target - Multi-User System.\r\n"
      "[  OK  ] Reached target shutdown.target - System Shutdown.\r\n"
      "[  OK  ] Reached target final.target - Late Shutdown Services.\r\n"
      "[  OK  ] Finished systemd-poweroff.service - System Power Off.\r\n"
      "[  OK  ] Reached target poweroff.target - System Power Off.\r\n"
      "[  413.718429] systemd-shutdown[1]: Syncing filesystems and block devices.\r\n"
      "[  413.722611] systemd-shutdown[1]: Unmounting file systems.\r\n"
      "[  413.729255] systemd-shutdown[1]: Powering off.\r\n"
      "[  413.729916] sd 0:0:0:0: [sda] Synchronizing SCSI cache\r\n"
      "[  413.734826] ACPI: PM: Preparing to enter system sleep state S5\r\n"
      "[  413.735593] reboot: Power down\r\n";
  std::string out = n->fx.take();
  ASSERT_TRUE(out.starts_with(expected)) << escape(out);
  // Then only the UART's noise as the power goes (as at every power-off).
  EXPECT_EQ(out.size(), expected.size() + 4) << escape(out);
  EXPECT_EQ(n->m->writes(), before) << "no write after the service stopped";
  auto stop = n->fx.events("service_stop");
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].get("last_seq"), std::to_string(before));
  auto rel = n->fx.events("lease_release");
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(rel[0].get("why"), "shutdown");
  EXPECT_GT(rel[0].t_ns, stop[0].t_ns);
  auto st = n->fx.events("state");
  EXPECT_EQ(st.back().get("to"), "OFF");
  EXPECT_EQ(st.back().get("why"), "poweroff (shutdown)");
  EXPECT_LT(rel[0].t_ns, st.back().t_ns) << "the disk let go before the power went";
  EXPECT_EQ(disk.records().size(), before) << "every acknowledged write is on the disk";
  EXPECT_EQ(n->fx.net.back(), false);
  EXPECT_TRUE(n->fx.events("break").empty());
  EXPECT_FALSE(n->m->fenced());
  EXPECT_EQ(n->m->next_deadline(), std::nullopt) << "off: nothing scheduled";
  EXPECT_NE(n->m->status().find("state=OFF "), std::string::npos) << "what the BMC reads";
  // A power-off by the BMC afterwards changes nothing.
  EXPECT_EQ(n->m->control("power-off", now), "ok");
  EXPECT_EQ(n->fx.events("state").size(), st.size());
  // The next power-on boots it again.
  EXPECT_EQ(n->m->control("power-on", now), "ok");
  run_for(6s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
}

TEST_F(X86Test, AShutdownThatHangsStopsTheServiceAndKeepsTheDiskUntilPoweredOff) {
  auto n = booted();
  run_for(1s, {n.get()});
  std::uint64_t before = n->m->writes();
  n->fx.take();
  EXPECT_EQ(n->m->control("shutdown bogus", now), "error: shutdown [hang]");
  EXPECT_EQ(n->m->control("shutdown hang", now), "ok");
  run_for(10min, {n.get()});
  EXPECT_EQ(n->m->state(), State::Stopping);
  EXPECT_EQ(n->fx.take(),
            "[  OK  ] Stopped target getty.target - Login Prompts.\r\n"
            "[  OK  ] Stopped target multi-user.target - Multi-User System.\r\n");
  EXPECT_TRUE(n->m->holds_lease());
  EXPECT_EQ(n->m->writes(), before);
  EXPECT_EQ(n->m->control("power-off", now), "ok");
  auto rel = n->fx.events("lease_release");
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(rel[0].get("why"), "power-off");
  EXPECT_EQ(disk.records().size(), before);
}

TEST_F(X86Test, ShutdownNeedsARunningOs) {
  auto n = off();
  EXPECT_EQ(n->m->control("shutdown", now), "error: shutdown needs a running OS, not OFF");
}

}  // namespace
}  // namespace clusterd::sim::testing
