// What a running OS does with its console, in virtual time: Linux's boot,
// login prompt, panic and BREAK (magic SysRq arming), root shells parked at
// the console (`session`), and an old panic quoted on a healthy node.
#include <gtest/gtest.h>

#include "base/escape.h"
#include "sim/console_text.h"
#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;

class OsConsoleTest : public SimTest {};

// --- Linux: boot, login, panic ---------------------------------------------------------

TEST_F(OsConsoleTest, LinuxBootsThroughSiloToAGettyLoginPrompt) {
  NodeConfig c = test_config("alpha");
  EXPECT_EQ(c.knobs.os, Os::Solaris) << "Solaris is the default";
  c.knobs.os = Os::Linux;
  auto n = make("alpha", true, &c);
  run_for(6s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_EQ(n->m->booted_os(), Os::Linux);
  std::string out = n->fx.take();
  EXPECT_NE(out.find("Boot device: /pci@1c,600000/scsi@2/disk@0,0:a  File and args: \r\n"
                     "SILO Version 1.4.13\r\nboot: \r\n"
                     "Allocated 8 Megs of memory at 0x40000000 for kernel\r\n"),
            std::string::npos)
      << escape(out);
  EXPECT_NE(out.find("Remapping the kernel... done.\r\nBooting Linux...\r\n"), std::string::npos);
  EXPECT_EQ(out.find("SunOS"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\nDebian GNU/Linux 4.0 alpha ttyS0\r\n\r\nalpha login: "))
      << escape(out);
  EXPECT_TRUE(n->m->holds_lease());
  EXPECT_EQ(type(*n, "\r"), "\r\nalpha login: ");
}

TEST_F(OsConsoleTest, OsKnobTakesEffectAtTheNextBoot) {
  auto n = running();
  EXPECT_EQ(n->m->control("os linux", now), "ok (at the next boot)");
  EXPECT_EQ(type(*n, "\r"), "\r\nalpha console login: ");
  n->m->on_break(BreakVia::Control, now);
  type(*n, "boot\r");
  run_for(5s, {n.get()});
  EXPECT_TRUE(n->fx.take().ends_with("\r\nalpha login: "));
  EXPECT_NE(n->m->status().find(" os=linux booted-os=linux "), std::string::npos);
  EXPECT_EQ(n->m->control("os hpux", now), "error: os solaris|linux");
}

TEST_F(OsConsoleTest, LinuxPanicPrintsKernelPanicAndTheSparcStopALinesThenWaits) {
  auto n = running_linux();
  EXPECT_EQ(n->m->control("panic", now), "ok");
  EXPECT_EQ(n->m->state(), State::Panic);
  EXPECT_FALSE(n->m->holds_lease());
  EXPECT_EQ(n->fx.take(),
            "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\r\n"
            "Press Stop-A (L1-A) from sun keyboard or send break\r\n"
            "twice on console to return to the boot prom\r\n"
            "---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009 "
            "]---\r\n");
  run_for(60s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Panic) << "panic=0: no reboot, the kernel spins";
  EXPECT_EQ(n->fx.take(), "");
}

// --- Linux: BREAK ------------------------------------------------------------------

TEST_F(OsConsoleTest, LinuxFirstBreakOnlyArmsSysrqTheSecondDropsToOk) {
  // uart_handle_break(): the first BREAK sets port->sysrq and is swallowed;
  // the next one clears it and reaches sun_do_break().
  auto n = running_linux();
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_TRUE(n->m->holds_lease());
  EXPECT_TRUE(n->m->sysrq_armed());
  EXPECT_EQ(n->fx.take(), "");
  run_for(4s, {n.get()});
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_FALSE(n->m->holds_lease());
  EXPECT_TRUE(n->m->fenced());
  EXPECT_EQ(n->fx.take(), "\r\n\r\nType 'go' to resume\r\n{0} ok ");
  auto b = n->fx.events("break");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].get("effect"), "sysrq-armed");
  EXPECT_EQ(b[0].get("in"), "RUNNING");
  EXPECT_EQ(b[1].get("effect"), "halted");
  type(*n, "go\r");
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_FALSE(n->m->sysrq_armed());
}

TEST_F(OsConsoleTest, LinuxCharacterAfterABreakIsEatenAsSysrqKeyAndDisarms) {
  auto n = running_linux();
  n->m->on_break(BreakVia::Rfc2217, now);
  run_for(1s, {n.get()});
  EXPECT_EQ(type(*n, "h"), "") << "within SYSRQ_TIMEOUT: the SysRq command key";
  ASSERT_EQ(n->fx.events("sysrq").size(), 1u);
  EXPECT_EQ(n->fx.events("sysrq")[0].get("key"), "h");
  EXPECT_FALSE(n->m->sysrq_armed());
  n->m->on_break(BreakVia::Rfc2217, now);  // armed again, not halted
  EXPECT_EQ(n->m->state(), State::Running);
  run_for(6s, {n.get()});
  EXPECT_EQ(type(*n, "\r"), "\r\nalpha login: ") << "after 5 s a char disarms and is delivered";
  n->m->on_break(BreakVia::Rfc2217, now);
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_EQ(n->fx.events("break").back().get("effect"), "sysrq-armed");
}

TEST_F(OsConsoleTest, LinuxTwoBreaksBringAPanickedLinuxToOkAndGoReturnsToThePanic) {
  auto n = running_linux();
  n->m->control("panic", now);
  n->fx.take();
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Panic);
  n->m->on_break(BreakVia::TelnetBrk, now + 1s);
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_EQ(n->fx.take(), "\r\n\r\nType 'go' to resume\r\n{0} ok ");
  type(*n, "go\r");
  EXPECT_EQ(n->m->state(), State::Panic);
  EXPECT_TRUE(n->fx.events("lease_acquire").size() == 1u) << "only the first mount";
}

TEST_F(OsConsoleTest, LinuxDirectDriverDropsToOkOnEveryBreak) {
  // sunsu (the V240's UART) notes the BREAK before uart_handle_break().
  auto n = running_linux(LinuxBreak::Direct);
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_EQ(n->fx.events("break")[0].get("effect"), "halted");
}

TEST_F(OsConsoleTest, LinuxStopADisabledIgnoresBreaksExceptInAPanic) {
  // sun_do_break() returns while stop_a_enabled is 0; panic() sets it to 1.
  auto n = running_linux();
  n->m->control("break-disable", now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_EQ(n->fx.events("break")[1].get("effect"), "ignored");
  n->m->control("panic", now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Ok);
}

TEST_F(OsConsoleTest, LinuxHasNoAlternateBreakSequence) {
  auto n = running_linux();
  type(*n, "\r~\x02");
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_TRUE(n->fx.events("break").empty());
}

TEST_F(OsConsoleTest, LinuxBootPanicWaitsInThePanicWithoutTheDisk) {
  NodeConfig c = test_config("alpha");
  c.knobs.os = Os::Linux;
  c.knobs.boot_panic = BootPanic::Once;
  auto n = make("alpha", true, &c);
  run_for(20s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Panic);
  EXPECT_NE(n->fx.take().find("Booting Linux...\r\nKernel panic - not syncing: VFS: Unable to "
                              "mount root fs on unknown-block(8,1)\r\n"),
            std::string::npos);
  EXPECT_TRUE(n->fx.events("lease_acquire").empty());
}

// --- sessions --------------------------------------------------------------------------

TEST_F(OsConsoleTest, SessionRootLogsInAndACrGetsTheRootPromptBack) {
  auto n = running();
  EXPECT_EQ(n->m->control("session root", now), "ok");
  EXPECT_EQ(n->fx.take(),
            "root\r\nPassword: \r\nLast login: Tue Mar  3 09:12:44 on console\r\n"
            "Oracle Corporation      SunOS 5.10      Generic Patch   January 2005\r\n# ");
  EXPECT_EQ(type(*n, "\r"), "\r\n# ");
  EXPECT_EQ(type(*n, "ls\r"), "ls\r\n# ");
  EXPECT_EQ(n->m->session(), Session::Root);
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_NE(n->m->status().find(" session=root "), std::string::npos);
  EXPECT_EQ(n->fx.events("session").back().get("to"), "root");
}

TEST_F(OsConsoleTest, SessionBashShowsTheBash32PromptAndExitWalksBack) {
  auto n = running();
  n->m->control("session bash", now);
  EXPECT_TRUE(n->fx.take().ends_with("# bash\r\nbash-3.2# "));
  EXPECT_EQ(type(*n, "\r"), "\r\nbash-3.2# ");
  EXPECT_EQ(type(*n, "exit\r"), "exit\r\n# ");
  EXPECT_EQ(type(*n, "exit\r"), "exit\r\n\r\nalpha console login: ");
  EXPECT_EQ(n->m->session(), Session::Login);
  EXPECT_EQ(type(*n, "\r"), "\r\nalpha console login: ") << "a CR at the login prompt";
}

TEST_F(OsConsoleTest, SessionLoginLogsOutAndARebootLogsOutToo) {
  auto n = running();
  n->m->control("session root", now);
  n->fx.take();
  EXPECT_EQ(n->m->control("session login", now), "ok");
  EXPECT_EQ(n->fx.take(), "exit\r\n\r\nalpha console login: ");
  n->m->control("session bash", now);
  n->m->control("panic", now);
  run_for(10s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_EQ(n->m->session(), Session::Login);
  EXPECT_EQ(n->m->control("session shell", now), "error: session login|root|bash");
  n->m->on_break(BreakVia::Control, now);
  EXPECT_EQ(n->m->control("session root", now).rfind("error: no OS", 0), 0u);
}

TEST_F(OsConsoleTest, LinuxRootSessionHasTheDebianBashPrompt) {
  auto n = running_linux();
  n->m->control("session root", now);
  EXPECT_TRUE(n->fx.take().ends_with("on ttyS0\r\nroot@alpha:~# "));
  EXPECT_EQ(type(*n, "\r"), "\r\nroot@alpha:~# ");
}

// --- a quoted panic --------------------------------------------------------------------

TEST_F(OsConsoleTest, QuotePanicShowsMessagesLinesWithTheCrBeforePanicAndChangesNothing) {
  auto n = running();
  n->m->control("session root", now);
  n->fx.take();
  std::size_t states = n->fx.events("state").size();
  std::uint64_t writes = n->m->writes();
  EXPECT_EQ(n->m->control("quote-panic", now), "ok");
  EXPECT_EQ(n->fx.take(),
            "grep panic /var/adm/messages\r\n"
            "Mar  2 23:41:07 alpha \rpanic[cpu0]/thread=2a100547ca0: \r\n"
            "Mar  2 23:44:31 alpha savecore: [ID 570001 auth.error] reboot after panic: BAD "
            "TRAP: type=31 rp=2a100547450 addr=0 mmu_fsr=9 occurred in module \"unix\" due to "
            "a NULL pointer dereference\r\n"
            "# ");
  run_for(1s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_TRUE(n->m->holds_lease());
  EXPECT_EQ(n->m->writes(), writes + 5);
  EXPECT_EQ(n->fx.events("state").size(), states);
  EXPECT_TRUE(n->fx.net.back());
}

TEST_F(OsConsoleTest, QuotePanicFromTheLoginPromptLogsInFirstAndNeedsARunningOs) {
  auto n = running();
  EXPECT_EQ(n->m->control("quote-panic", now), "ok");
  std::string out = n->fx.take();
  EXPECT_TRUE(out.starts_with("root\r\nPassword: \r\nLast login: ")) << escape(out);
  EXPECT_NE(out.find("# grep panic /var/adm/messages\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n# "));
  n->m->on_break(BreakVia::Control, now);
  EXPECT_EQ(n->m->control("quote-panic", now).rfind("error:", 0), 0u);
}

TEST_F(OsConsoleTest, LinuxQuotePanicGrepsKernLog) {
  auto n = running_linux();
  n->m->control("session root", now);
  n->fx.take();
  n->m->control("quote-panic", now);
  EXPECT_EQ(n->fx.take(),
            "grep -i panic /var/log/kern.log\r\n"
            "Mar  2 23:41:07 alpha kernel: Kernel panic - not syncing: Attempted to kill init! "
            "exitcode=0x00000009\r\nroot@alpha:~# ");
  EXPECT_EQ(n->m->state(), State::Running);
}

}  // namespace
}  // namespace clusterd::sim::testing
