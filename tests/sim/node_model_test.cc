// NodeModel in virtual time: every state transition, every OpenBoot word,
// BREAK by each path, NVRAM and the dead battery, disk faults, console load.
#include <gtest/gtest.h>

#include "base/escape.h"
#include "sim/console_text.h"
#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;

class NodeModelTest : public SimTest {};

// --- power and POST ----------------------------------------------------------------

TEST_F(NodeModelTest, PowerOnGoesThroughPostBannerToOkWhenAutoBootFalse) {
  auto n = make("alpha", false);
  EXPECT_EQ(n->m->state(), State::Post);
  run_for(999ms, {n.get()});
  EXPECT_EQ(n->m->state(), State::Post);
  run_for(1ms, {n.get()});
  EXPECT_EQ(n->m->state(), State::Ok);
  std::string out = n->fx.take();
  EXPECT_NE(out.find("\r\nSun Fire V240, No Keyboard\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nOpenBoot 4.16.4, 2048 MB memory installed"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n{0} ok ")) << escape(out);
  EXPECT_EQ(out[0], '\0') << "power-on junk starts with a NUL";
}

TEST_F(NodeModelTest, AutoBootTrueBootsToLoginAfterTBootAndBringsNetworkUp) {
  auto n = make("alpha", true);
  run_for(1s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Booting);
  run_for(5s - 1ms, {n.get()});
  EXPECT_EQ(n->m->state(), State::Booting);
  EXPECT_TRUE(n->fx.net.empty());
  run_for(1ms, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
  std::string out = n->fx.take();
  EXPECT_NE(out.find("Boot device: /pci@1c,600000/scsi@2/disk@0,0:a  File and args: \r\n"),
            std::string::npos);
  EXPECT_NE(out.find("SunOS Release 5.10 Version"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\nalpha console login: "));
  EXPECT_EQ(n->fx.net, std::vector<bool>{true});
}

TEST_F(NodeModelTest, BootTakesTheSharedDiskAtTMountNotBefore) {
  auto n = at_ok();
  type(*n, "boot\r");
  run_for(3s - 1ms, {n.get()});
  EXPECT_FALSE(n->m->holds_lease());
  run_for(1ms, {n.get()});
  EXPECT_TRUE(n->m->holds_lease());
  ASSERT_EQ(n->fx.events("lease_acquire").size(), 1u);
  EXPECT_EQ(n->fx.events("lease_acquire")[0].get("why"), "mount");
  EXPECT_EQ(disk.holders().size(), 1u);
}

TEST_F(NodeModelTest, OffIsSilentIgnoresInputAndEmitsJunkAtTransitions) {
  auto n = running();
  EXPECT_EQ(n->m->control("power-off", now), "ok");
  EXPECT_EQ(n->m->state(), State::Off);
  std::string junk = n->fx.take();
  EXPECT_FALSE(junk.empty());
  EXPECT_NE(junk.find('\0'), std::string::npos);
  EXPECT_FALSE(n->m->holds_lease());
  EXPECT_EQ(n->fx.net.back(), false);
  type(*n, "boot\r");
  n->m->on_break(BreakVia::TelnetBrk, now);
  run_for(60s, {n.get()});
  EXPECT_EQ(n->fx.take(), "");
  EXPECT_EQ(n->m->next_deadline(), std::nullopt);
  EXPECT_EQ(n->m->control("power-on", now), "ok");
  EXPECT_EQ(n->m->state(), State::Post);
}

TEST_F(NodeModelTest, StartUnpoweredStaysOff) {
  NodeConfig c = test_config("alpha");
  c.start_powered = false;
  auto n = make("alpha", true, &c);
  EXPECT_EQ(n->m->state(), State::Off);
  EXPECT_EQ(n->fx.take(), "");
}

// --- OpenBoot words ---------------------------------------------------------------

TEST_F(NodeModelTest, PrintenvAutoBootReadsBackInObp4Format) {
  auto n = at_ok();
  EXPECT_EQ(type(*n, "printenv auto-boot?\r"),
            "printenv auto-boot?\r\nauto-boot? =          false\r\n{0} ok ");
}

TEST_F(NodeModelTest, SetenvChangesNvramSavesItAndEchoesTheValue) {
  auto n = make("alpha", true);
  run_for(100ms, {n.get()});
  n->m->on_break(BreakVia::Control, now);  // stop auto-boot during POST
  n->fx.take();
  EXPECT_EQ(type(*n, "setenv auto-boot? false\r"),
            "setenv auto-boot? false\r\nauto-boot? =          false\r\n{0} ok ");
  EXPECT_FALSE(n->m->nvram().auto_boot);
  EXPECT_EQ(n->fx.saves, 1);
  EXPECT_FALSE(n->fx.saved.auto_boot);
  EXPECT_EQ(type(*n, "printenv auto-boot?\r"),
            "printenv auto-boot?\r\nauto-boot? =          false\r\n{0} ok ");
  EXPECT_EQ(type(*n, "setenv boot-device net disk\r"),
            "setenv boot-device net disk\r\nboot-device =         net disk\r\n{0} ok ");
  EXPECT_EQ(n->fx.saved.boot_device, "net disk");
}

TEST_F(NodeModelTest, SetenvRejectsBadValuesAndUnknownOptions) {
  auto n = at_ok();
  EXPECT_EQ(type(*n, "setenv auto-boot? maybe\r"),
            "setenv auto-boot? maybe\r\nInvalid value: maybe\r\n{0} ok ");
  EXPECT_EQ(type(*n, "setenv diag-level max\r"),
            "setenv diag-level max\r\nUnknown option: diag-level\r\n{0} ok ");
  EXPECT_EQ(type(*n, "setenv\r"), "setenv\r\nUsage: setenv <option> <value>\r\n{0} ok ");
  EXPECT_EQ(n->fx.saves, 0);
}

TEST_F(NodeModelTest, PrintenvWithoutArgumentsListsCurrentAndDefault) {
  auto n = at_ok();
  std::string out = type(*n, "printenv\r");
  EXPECT_NE(out.find("Variable Name           Value                          Default Value\r\n"),
            std::string::npos);
  EXPECT_NE(out.find("\r\nauto-boot?              false                          true\r\n"),
            std::string::npos);
  EXPECT_NE(out.find("\r\nboot-device             disk                           disk\r\n"),
            std::string::npos);
  EXPECT_TRUE(out.ends_with("{0} ok "));
}

TEST_F(NodeModelTest, UnknownWordAnswersUnknownCommand) {
  auto n = at_ok();
  EXPECT_EQ(type(*n, "fsck\r"), "fsck\r\nUnknown command: fsck\r\n{0} ok ");
  EXPECT_EQ(type(*n, "printenv foo\r"), "printenv foo\r\nUnknown option: foo\r\n{0} ok ");
}

TEST_F(NodeModelTest, EmptyLineAndCrLfGiveOnePromptEach) {
  auto n = at_ok();
  EXPECT_EQ(type(*n, "\r"), "\r\n{0} ok ");
  EXPECT_EQ(type(*n, "\r\n"), "\r\n{0} ok ");
  EXPECT_EQ(type(*n, "\r\0"sv), "\r\n{0} ok ");
  EXPECT_EQ(type(*n, "\n"), "\r\n{0} ok ");
}

TEST_F(NodeModelTest, BackspaceEditsTheLineBeforeItRuns) {
  auto n = at_ok();
  std::string out = type(*n, "bx\x7f\bbanner\r");
  EXPECT_NE(out.find("\r\nSun Fire V240, No Keyboard\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("{0} ok "));
  auto cmds = n->fx.events("command");
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].get("line"), "banner");
}

TEST_F(NodeModelTest, ResetAllGoesThroughPostAndAutoBootsWhenTrue) {
  auto n = at_ok();
  type(*n, "setenv auto-boot? true\r");
  EXPECT_TRUE(type(*n, "reset-all\r").ends_with("\r\nResetting ... \r\n\r\n"));
  EXPECT_EQ(n->m->state(), State::Post);
  run_for(1s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Booting);
  EXPECT_NE(n->fx.take().find("Sun Fire V240, No Keyboard"), std::string::npos);
}

TEST_F(NodeModelTest, GoWithNothingSuspendedIsAnError) {
  auto n = at_ok();
  EXPECT_EQ(type(*n, "go\r"), "go\r\nERROR: go: no program to resume\r\n{0} ok ");
  EXPECT_EQ(n->m->state(), State::Ok);
}

TEST_F(NodeModelTest, BootOfUnknownDeviceCannotOpenIt) {
  auto n = at_ok();
  EXPECT_EQ(type(*n, "boot cdrom\r"), "boot cdrom\r\nCan't open boot device\r\n\r\n{0} ok ");
  EXPECT_EQ(n->m->state(), State::Ok);
}

TEST_F(NodeModelTest, BootNetTimesOutBackToOk) {
  auto n = at_ok();
  type(*n, "boot net\r");
  EXPECT_EQ(n->m->state(), State::Booting);
  run_for(2s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_TRUE(n->fx.take().ends_with("Timeout waiting for ARP/RARP packet\r\n\r\n{0} ok "));
  EXPECT_FALSE(n->m->holds_lease());
}

TEST_F(NodeModelTest, PowerOffWordAtOkPowersOff) {
  auto n = at_ok();
  type(*n, "power-off\r");
  EXPECT_EQ(n->m->state(), State::Off);
}

TEST_F(NodeModelTest, ReplyDelayHoldsTheAnswerAndPrompt) {
  NodeConfig c = test_config("alpha");
  c.t.reply = 500ms;
  auto n = make("alpha", false, &c);
  run_for(1s, {n.get()});
  n->fx.take();
  EXPECT_EQ(type(*n, "printenv auto-boot?\r"), "printenv auto-boot?\r\n");
  run_for(499ms, {n.get()});
  EXPECT_EQ(n->fx.take(), "");
  run_for(1ms, {n.get()});
  EXPECT_EQ(n->fx.take(), "auto-boot? =          false\r\n{0} ok ");
}

// --- RUNNING --------------------------------------------------------------------------

TEST_F(NodeModelTest, LoginPromptAnswersCrAndRefusesLogins) {
  auto n = running();
  EXPECT_EQ(type(*n, "\r"), "\r\nalpha console login: ");
  EXPECT_EQ(type(*n, "root\r"), "root\r\nPassword: ");
  EXPECT_EQ(type(*n, "secret\r"), "\r\nLogin incorrect\r\n\r\nalpha console login: ");
  for (const auto& c : n->fx.events("command")) EXPECT_NE(c.get("line"), "secret");
}

TEST_F(NodeModelTest, RunningWritesOneRecordPerInterval) {
  auto n = running();
  run_for(1s, {n.get()});
  EXPECT_EQ(n->m->writes(), 5u);
  EXPECT_EQ(n->fx.events("write").size(), 5u);
  EXPECT_EQ(disk.records().size(), 5u);
  EXPECT_TRUE(n->fx.events("write_after_fence").empty());
}

TEST_F(NodeModelTest, ZeroWriteIntervalMeansNoWrites) {
  NodeConfig c = test_config("alpha");
  c.t.write_interval = 0s;
  auto n = make("alpha", true, &c);
  run_for(10s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_EQ(n->m->writes(), 0u);
  EXPECT_EQ(n->m->next_deadline(), std::nullopt);
}

TEST_F(NodeModelTest, ChatterAndFloodOnlyWhileRunningAndCappedAtLineSpeed) {
  NodeConfig c = test_config("alpha");
  c.t.chatter_interval = 1s;
  c.line_bps = 1000;
  auto n = make("alpha", true, &c);
  run_for(6s, {n.get()});
  n->fx.take();
  run_for(3s, {n.get()});
  EXPECT_NE(n->fx.take().find("alpha syslogd: [ID 702911 daemon.notice] heartbeat 3\r\n"),
            std::string::npos);
  EXPECT_EQ(n->m->control("flood 5000", now), "ok capped at line speed 1000");
  run_for(1s, {n.get()});
  std::size_t bytes = n->fx.take().size();
  EXPECT_GE(bytes, 900u);
  EXPECT_LE(bytes, 1200u);
  n->m->on_break(BreakVia::Control, now);
  n->fx.take();
  run_for(2s, {n.get()});
  EXPECT_EQ(n->fx.take(), "");
}

TEST_F(NodeModelTest, GarbageEmitsExactlyThatManyBytes) {
  auto n = at_ok();
  EXPECT_EQ(n->m->control("garbage 300", now), "ok");
  EXPECT_EQ(n->fx.take().size(), 300u);
  EXPECT_EQ(n->m->control("garbage lots", now).rfind("error:", 0), 0u);
}

// --- BREAK ------------------------------------------------------------------------------

class BreakPathTest : public NodeModelTest, public ::testing::WithParamInterface<BreakVia> {};

TEST_P(BreakPathTest, BreakOnRunningStopsAtOkWithTypeGoToResume) {
  auto n = running();
  n->m->on_break(GetParam(), now);
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_EQ(n->fx.take(), "\r\nType 'go' to resume\r\n{0} ok ");
  auto b = n->fx.events("break");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].get("via"), to_string(GetParam()));
  EXPECT_EQ(b[0].get("effect"), "halted");
  EXPECT_FALSE(n->m->holds_lease());
  EXPECT_TRUE(n->m->fenced());
  EXPECT_EQ(n->fx.net.back(), false);
}

INSTANTIATE_TEST_SUITE_P(EveryPath, BreakPathTest,
                         ::testing::Values(BreakVia::TelnetBrk, BreakVia::Rfc2217,
                                           BreakVia::AltBreak, BreakVia::Control));

TEST_F(NodeModelTest, AltBreakInBandHaltsRunningEvenSplitAcrossReads) {
  auto n = running();
  type(*n, "\r");
  type(*n, "~");
  type(*n, "\x02");
  EXPECT_EQ(n->m->state(), State::Ok);
  auto b = n->fx.events("break");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].get("via"), "alt-break");
}

TEST_F(NodeModelTest, AltBreakNeedsTheCrFirstAndCanBeSwitchedOff) {
  auto n = running();
  type(*n, "x~\x02");
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_EQ(n->m->control("alt-break off", now), "ok");
  type(*n, "\r~\x02");
  EXPECT_EQ(n->m->state(), State::Running);
}

TEST_F(NodeModelTest, BreakAtOkOrOffIsIgnoredAndRecorded) {
  auto n = at_ok();
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->fx.take(), "");
  ASSERT_EQ(n->fx.events("break").size(), 1u);
  EXPECT_EQ(n->fx.events("break")[0].get("effect"), "ignored");
}

TEST_F(NodeModelTest, GoResumesRunningAndRetakesTheLease) {
  auto n = running();
  n->m->on_break(BreakVia::TelnetBrk, now);
  n->fx.take();
  run_for(1s, {n.get()});
  EXPECT_EQ(n->fx.take(), "");
  type(*n, "go\r");
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_TRUE(n->m->holds_lease());
  EXPECT_EQ(n->fx.events("lease_acquire").back().get("why"), "resume");
}

TEST_F(NodeModelTest, BreakDuringBootBeforeMountTakesNoLeaseAndGoContinuesTheBoot) {
  // T_halt_rogue: a standby caught at its banner never reaches the disk.
  auto n = at_ok();
  type(*n, "boot\r");
  run_for(2s, {n.get()});
  n->m->on_break(BreakVia::AltBreak, now);
  EXPECT_EQ(n->m->state(), State::Ok);
  run_for(30s, {n.get()});
  EXPECT_TRUE(n->fx.events("lease_acquire").empty());
  type(*n, "go\r");
  EXPECT_EQ(n->m->state(), State::Booting);
  run_for(1s - 1ms, {n.get()});
  EXPECT_FALSE(n->m->holds_lease());
  run_for(1ms, {n.get()});
  EXPECT_TRUE(n->m->holds_lease());
  run_for(2s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
}

TEST_F(NodeModelTest, BreakDuringPostStopsAutoBoot) {
  auto n = make("alpha", true);
  run_for(600ms, {n.get()});
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Ok);
  run_for(10s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_TRUE(n->fx.events("lease_acquire").empty());
}

TEST_F(NodeModelTest, BreakDisabledRunningIgnoresEveryBreak) {
  auto n = running();
  EXPECT_EQ(n->m->control("break-disable", now), "ok");
  EXPECT_EQ(n->m->state_name(), "BREAK_DISABLED");
  n->m->on_break(BreakVia::TelnetBrk, now);
  type(*n, "\r~\x02");
  EXPECT_EQ(n->m->state(), State::Running);
  auto b = n->fx.events("break");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].get("effect"), "ignored");
  EXPECT_EQ(b[0].get("in"), "BREAK_DISABLED");
  n->m->control("break-enable", now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Ok);
}

TEST_F(NodeModelTest, HungIsSilentOffTheNetworkAndStopsWriting) {
  auto n = running();
  EXPECT_EQ(n->m->control("hang", now), "ok");
  EXPECT_EQ(n->m->state(), State::Hung);
  EXPECT_EQ(n->fx.net.back(), false);
  std::uint64_t w = n->m->writes();
  type(*n, "\r");
  run_for(5s, {n.get()});
  EXPECT_EQ(n->fx.take(), "");
  EXPECT_EQ(n->m->writes(), w);
  EXPECT_TRUE(n->m->holds_lease()) << "a hung OS still has the disk mounted";
  EXPECT_EQ(n->m->control("unhang", now), "ok");
  EXPECT_EQ(n->m->state(), State::Running);
  run_for(1s, {n.get()});
  EXPECT_EQ(n->m->writes(), w + 5);
}

TEST_F(NodeModelTest, HungBreakWorksOrNotByKnob) {
  auto n = running();
  n->m->control("hang", now);
  n->m->control("hang-break off", now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Hung);
  n->m->control("hang-break on", now);
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_EQ(n->fx.take(), "\r\nType 'go' to resume\r\n{0} ok ");
  EXPECT_FALSE(n->m->holds_lease());
}

// --- PANIC ------------------------------------------------------------------------------

TEST_F(NodeModelTest, PanicPrintsSolarisPanicDumpsAndRebootsWhenAutoBootTrue) {
  auto n = running();
  EXPECT_EQ(n->m->control("panic", now), "ok");
  EXPECT_EQ(n->m->state(), State::Panic);
  EXPECT_FALSE(n->m->holds_lease());
  std::string out = n->fx.take();
  EXPECT_TRUE(out.starts_with("\r\n\rpanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31"));
  run_for(2s, {n.get()});
  out = n->fx.take();
  EXPECT_NE(out.find("dump succeeded\r\n"), std::string::npos);
  EXPECT_NE(out.find("rebooting...\r\n\r\nResetting ... \r\n"), std::string::npos);
  EXPECT_EQ(n->m->state(), State::Post);
  run_for(1s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Booting);
  EXPECT_NE(n->fx.take().find("Rebooting with command: boot\r\nBoot device: "), std::string::npos);
}

TEST_F(NodeModelTest, SolarisPanicFollowsPanicsysOrderByteForByte) {
  // panicsys(): "\n\rpanic[cpu%d]/thread=%p: " msg "\n\n", showregs, "\n",
  // traceback, "\n", "syncing file systems..." " done\n"; dumpsys(): "dumping
  // to …", "\rdumping: …", "\n", "\r100% done: … dump succeeded\n";
  // reboot_machine(): "rebooting...\n". Every "\n" is "\r\n" on the wire.
  auto n = running();
  n->m->control("panic", now);
  std::string out = n->fx.take();
  const std::string line =
      "\r\n\rpanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31 rp=2a100547450 addr=0 "
      "mmu_fsr=9 occurred in module \"unix\" due to a NULL pointer dereference\r\n\r\n";
  ASSERT_TRUE(out.starts_with(line)) << escape(out);
  std::string rest = out.substr(line.size());
  EXPECT_TRUE(
      rest.starts_with("sched: trap type = 0x31\r\n"
                       "pid=0, pc=0x1011c8c, sp=0x2a100546cf1, tstate=0x4480001600, "
                       "context=0x0\r\ng1-g7: "))
      << escape(rest);
  EXPECT_NE(rest.find("\r\n\r\n000002a100547170 unix:die+9c (31, 2a100547450, 0, 9, "
                      "2a100547450, 1)\r\n  %l0-3: "),
            std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\nsyncing file systems... done\r\n")) << escape(out);
  run_for(2s, {n.get()});
  out = n->fx.take();
  EXPECT_EQ(out.substr(0, out.find("Resetting")),
            "dumping to /dev/dsk/c1t0d0s1, offset 65536, content: kernel\r\n"
            "\rdumping:  0:00   0% done"
            "\rdumping:  0:01 100% done\r\n"
            "\r100% done: 8347 pages dumped, dump succeeded\r\n"
            "rebooting...\r\n\r\n");
}

TEST_F(NodeModelTest, PanicStopsAtOkWhenAutoBootFalse) {
  auto n = running();
  n->m->control("panic", now);
  type(*n, "\r~\x02");  // alt break is off in PANIC: the OS is gone
  EXPECT_EQ(n->m->state(), State::Panic);
  n->m->on_break(BreakVia::Control, now);
  EXPECT_EQ(n->m->state(), State::Ok) << "BREAK during the dump stops the reboot";
  auto n2 = make("beta", true);
  run_for(6s, {n2.get()});
  n2->m->on_break(BreakVia::Control, now);
  n2->fx.take();
  n2->m->on_input("setenv auto-boot? false\rgo\r", now);
  n2->m->control("panic", now);
  run_for(3s, {n2.get()});
  EXPECT_EQ(n2->m->state(), State::Ok);
  EXPECT_TRUE(n2->fx.take().ends_with(".\r\n\r\n{0} ok "));
}

TEST_F(NodeModelTest, PanicAndHangNeedAnOs) {
  auto n = at_ok();
  EXPECT_EQ(n->m->control("panic", now).rfind("error:", 0), 0u);
  EXPECT_EQ(n->m->control("hang", now).rfind("error:", 0), 0u);
  EXPECT_EQ(n->m->control("unhang", now).rfind("error:", 0), 0u);
}

// --- NVRAM and the battery -----------------------------------------------------------------

TEST_F(NodeModelTest, DeadBatteryResetsNvramToDefaultsAtPowerOn) {
  auto n = at_ok();
  EXPECT_FALSE(n->m->nvram().auto_boot);
  n->m->control("power-off", now);
  n->m->control("power-on", now);
  EXPECT_FALSE(n->m->nvram().auto_boot) << "a good battery keeps NVRAM";
  n->m->control("battery-dead", now);
  n->m->control("power-cycle", now);
  EXPECT_TRUE(n->m->nvram().auto_boot);
  EXPECT_EQ(n->m->nvram().boot_device, "disk");
  EXPECT_TRUE(n->fx.saved.auto_boot);
  run_for(1s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Booting) << "defaults mean auto-boot";
}

// --- disk faults ---------------------------------------------------------------------------

TEST_F(NodeModelTest, DiskOffAnswersCantOpenBootDevice) {
  auto n = at_ok();
  EXPECT_EQ(n->m->control("disk-off", now), "ok");
  EXPECT_EQ(type(*n, "boot\r"),
            "boot\r\nBoot device: /pci@1c,600000/scsi@2/disk@0,0:a  File and args: \r\n"
            "Can't open boot device\r\n\r\n{0} ok ");
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_EQ(n->fx.events("disk_error")[0].get("error"), "unreadable");
  n->m->control("disk-on", now);
  type(*n, "boot\r");
  EXPECT_EQ(n->m->state(), State::Booting);
}

TEST_F(NodeModelTest, CorruptLabelAnswersBadMagicNumber) {
  auto n = at_ok();
  n->m->control("disk-label-corrupt", now);
  EXPECT_TRUE(
      type(*n, "boot shared\r")
          .ends_with("Bad magic number in disk label\r\nCan't open disk label package\r\n\r\n"
                     "Can't open boot device\r\n\r\n{0} ok "));
  EXPECT_NE(n->m->status().find("disk=bad-label"), std::string::npos);
}

TEST_F(NodeModelTest, AutoBootFromPostWithDiskOffEndsAtOk) {
  auto n = make("alpha", true);
  n->m->control("disk-off", now);
  run_for(2s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_TRUE(n->fx.take().ends_with("Can't open boot device\r\n\r\n{0} ok "));
}

TEST_F(NodeModelTest, DiskLostWhileRunningShowsScsiTimeoutOnce) {
  auto n = running();
  n->m->control("disk-off", now);
  run_for(1s, {n.get()});
  std::string out = n->fx.take();
  EXPECT_EQ(out, std::string(text::kDiskTimeout));
  EXPECT_EQ(n->fx.events("disk_error").size(), 5u);
}

// --- banner, KEYBOARD_ABORT, boot panic ------------------------------------------------

TEST_F(NodeModelTest, BannerWordPrintsThePowerOnBannerWithoutAPowerOn) {
  auto n = at_ok();
  std::size_t lines = n->fx.lines.size();
  EXPECT_EQ(type(*n, "banner\r"),
            "banner\r\n" +
                text::banner("Sun Fire V240, No Keyboard", "0:3:ba:29:a1:f0", "8329a1f0") +
                "{0} ok ");
  EXPECT_EQ(n->m->state(), State::Ok);
  // One ledger line: the command. No state change, no POST.
  ASSERT_EQ(n->fx.lines.size(), lines + 1);
  auto c = parse_ledger_line(n->fx.lines.back());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ev, "command");
  EXPECT_EQ(c->get("line"), "banner");
  EXPECT_EQ(c->get("in"), "OK");
}

TEST_F(NodeModelTest, KbdAbortDisableIgnoresBreakAndAlternateBreakLikeBreakDisable) {
  // kbd(1): "disable  Disables the default/alternate effect and ignores
  // keyboard abort sequences."
  auto n = running();
  EXPECT_EQ(n->m->control("kbd-abort disable", now), "ok");
  EXPECT_EQ(n->m->state_name(), "BREAK_DISABLED");
  n->m->on_break(BreakVia::TelnetBrk, now);
  type(*n, "\r~\x02");
  n->m->control("hang", now);
  n->m->on_break(BreakVia::Control, now);  // a hung OS keeps the setting
  EXPECT_EQ(n->m->state(), State::Hung);
  for (const auto& b : n->fx.events("break")) EXPECT_EQ(b.get("effect"), "ignored");
  EXPECT_EQ(n->fx.events("break").size(), 3u);
  EXPECT_TRUE(n->m->holds_lease());
}

TEST_F(NodeModelTest, KbdAbortAlternateTakesOnlyTheAlternateSequenceAndEnableOnlyBreak) {
  auto n = running();
  EXPECT_EQ(n->m->control("kbd-abort alternate", now), "ok");
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Running);
  type(*n, "\r~\x02");
  EXPECT_EQ(n->m->state(), State::Ok);
  type(*n, "go\r");
  EXPECT_EQ(n->m->control("kbd-abort enable", now), "ok");
  type(*n, "\r~\x02");
  EXPECT_EQ(n->m->state(), State::Running);
  n->m->on_break(BreakVia::Rfc2217, now);
  EXPECT_EQ(n->m->state(), State::Ok);
  auto b = n->fx.events("break");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].get("effect"), "ignored");
  EXPECT_EQ(b[1].get("via"), "alt-break");
  EXPECT_EQ(b[1].get("effect"), "halted");
  EXPECT_EQ(b[2].get("effect"), "halted");
}

TEST_F(NodeModelTest, BootPanicStandbyPanicsAfterSunOsResetsAndStopsAtOkWithoutLease) {
  auto n = at_ok();
  EXPECT_EQ(n->m->control("boot-panic", now), "ok");
  type(*n, "boot\r");
  run_for(5s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Ok) << "auto-boot? false: ok after the reset";
  std::string out = n->fx.take();
  std::size_t sunos = out.find("SunOS Release 5.10");
  std::size_t panic =
      out.find("\r\n\rpanic[cpu0]/thread=140a000: vfs_mountroot: cannot mount root");
  std::size_t reboot = out.find(
      "skipping system dump - no dump device configured\r\n"
      "rebooting...\r\n\r\nResetting ... \r\n");
  std::size_t banner = out.find("Sun Fire V240, No Keyboard");
  ASSERT_NE(sunos, std::string::npos) << escape(out);
  ASSERT_NE(panic, std::string::npos) << escape(out);
  ASSERT_NE(reboot, std::string::npos) << escape(out);
  EXPECT_LT(sunos, panic);
  EXPECT_LT(panic, reboot);
  EXPECT_LT(reboot, banner);
  EXPECT_TRUE(out.ends_with("{0} ok "));
  EXPECT_EQ(out.find("login:"), std::string::npos);
  EXPECT_EQ(out.find("mounted on /shared"), std::string::npos);
  EXPECT_TRUE(n->fx.events("lease_acquire").empty());
  EXPECT_FALSE(n->m->holds_lease());
  // "once": the next boot is a good one.
  type(*n, "boot\r");
  run_for(5s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Running);
}

TEST_F(NodeModelTest, BootPanicOnWithAutoBootPanicsEveryBootAndNeverTakesTheDisk) {
  auto n = make("alpha", true);
  EXPECT_EQ(n->m->control("boot-panic on", now), "ok");
  run_for(30s, {n.get()});
  EXPECT_GE(n->fx.events("state").size(), 8u);
  EXPECT_TRUE(n->fx.events("lease_acquire").empty());
  EXPECT_NE(n->fx.take().find("Rebooting with command: boot\r\n"), std::string::npos);
  EXPECT_EQ(n->m->control("boot-panic off", now), "ok");
}

// --- the control socket's own words -------------------------------------------------------

TEST_F(NodeModelTest, ControlTypeUnescapesAndIsLedgeredAsControl) {
  auto n = at_ok();
  EXPECT_EQ(n->m->control("type \"boot\\r\"", now), "ok BOOTING");
  auto c = n->fx.events("command");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].get("via"), "control");
  EXPECT_EQ(n->m->control("type bad\\q", now), "error: bad escape in TEXT");
  EXPECT_EQ(n->m->control("frobnicate", now), "error: unknown command 'frobnicate' (try help)");
}

TEST_F(NodeModelTest, StatusIsOneLineWithStateAndNvram) {
  auto n = running();
  EXPECT_EQ(n->m->control("status", now),
            "ok node=alpha state=RUNNING auto-boot?=true boot-device=disk lease=held fenced=no "
            "writes=0 disk=ok battery=ok break=enabled hang-break=works flood=0 os=solaris "
            "booted-os=solaris session=login console=host sp=none kbd-abort=both "
            "linux-break=sysrq sysrq=idle boot-panic=off platform=sparc");
}

}  // namespace
}  // namespace clusterd::sim::testing
