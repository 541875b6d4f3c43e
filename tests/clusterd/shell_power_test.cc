// The runtime's local shell and power methods in virtual time, with a
// command runner the test drives: exec output reaches `on sh`, its end
// raises `sh.exit N` (127 not started, 256 killed by [timeouts] exec), execs
// run one at a time; `power CH off` runs power_off then power_status until it
// reads off, and only then does `mark fenced CH by power` pass; cycle = off,
// read back, on, read back; [timeouts] power is enforced on each command and
// on each read-back; `power standby on` is the standby's boot (journaled,
// refused without a fenced active). Real processes and a real BMC:
// child_runner_test.cc and tests/peers (ipmi_sim).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "chat/script.h"
#include "clusterd/runtime.h"
#include "tests/support/driven_commands.h"
#include "tests/support/fake_console.h"

namespace clusterd {
namespace {

using namespace std::chrono_literals;
using chat::TimePoint;
using testing::DrivenCommands;
using testing::FakeConsole;
using testing::NoAlarms;
using testing::TempDir;

const TimePoint t0{};

struct Records : tty::TranscriptSink {
  std::vector<std::string> lines;
  void record(Direction d, std::string_view data) override {
    lines.push_back((d == Direction::In     ? "< "
                     : d == Direction::Note ? "* "
                                            : "> ") +
                    std::string(data));
  }
};

const char* kIpmiOff[] = {"ipmitool", "chassis", "power", "off"};
const char* kIpmiOn[] = {"ipmitool", "chassis", "power", "on"};
const char* kIpmiStatus[] = {"ipmitool", "chassis", "power", "status"};
std::vector<std::string> argv_of(const char* const (&a)[4]) { return {a, a + 4}; }

struct Rig {
  explicit Rig(const std::string& script_text, bool with_power = true) {
    script = chat::load_script_text(script_text, "t.chat");
    EXPECT_TRUE(script.ok()) << (script.diagnostics.empty() ? "" : script.diagnostics[0].message);
    auto j = Journal::open(dir.path + "/j", nullptr);
    EXPECT_TRUE(j.ok());
    journal = std::move(j.value());
    NodeSetup a{"alpha", &alpha, {}, {}, {}}, b{"beta", &beta, {}, {}, {}};
    if (with_power) {
      for (NodeSetup* n : {&a, &b}) {
        n->power_off = argv_of(kIpmiOff);
        n->power_on = argv_of(kIpmiOn);
        n->power_status = argv_of(kIpmiStatus);
      }
    }
    RuntimeOptions o;
    o.exec_timeout = 30s;
    o.power_timeout = 10s;
    o.sh_transcript = &sh;
    runtime = std::make_unique<ClusterRuntime>(
        *script.program, *journal, std::array<NodeSetup, 2>{a, b}, alarms, commands, nullptr, o,
        [this](TimePoint, std::string_view text) { timeline.emplace_back(text); });
    alpha.bring_up();
    beta.bring_up();
    runtime->start(t0);
  }
  // Advances to `t`, firing every deadline on the way, as the daemon does.
  void run_to(TimePoint t) {
    while (auto d = runtime->next_deadline()) {
      if (*d > t) break;
      now = *d;
      runtime->advance_to(now);
    }
    now = t;
    runtime->advance_to(t);
  }
  void output(std::string_view bytes) {
    runtime->on_command_output(commands.last().id, bytes, now);
  }
  void exit(int status) { runtime->on_command_exit(commands.last().id, status, now); }
  bool said(std::string_view part) const {
    for (const auto& l : timeline) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }
  std::string state() const { return std::string(runtime->state()); }
  std::string all() const {
    std::string s;
    for (const auto& l : timeline) s += l + "\n";
    return s;
  }

  TempDir dir;
  chat::LoadedScript script;
  std::unique_ptr<Journal> journal;
  FakeConsole alpha{tty::parse_endpoint("telnet://nts1:7001").value(), {}};
  FakeConsole beta{tty::parse_endpoint("telnet://nts1:7002").value(), {}};
  NoAlarms alarms;
  DrivenCommands commands;
  Records sh;
  std::vector<std::string> timeline;
  std::unique_ptr<ClusterRuntime> runtime;
  TimePoint now = t0;
};

TEST(Shell, ExecOutputIsMatchedOnShAndItsExitIsRaised) {
  Rig r(R"(initial state wait {
  exec "check-disk" "$active"
  on sh /disk (\w+) ok/ { log "disk $1 ok" } -> done
  after 1m -> wait
}
state done { on sh.exit 3 -> three
  on sh.exit -> other }
state three { after 1h -> wait }
state other { after 1h -> wait }
)");
  ASSERT_EQ(r.commands.started.size(), 1u);
  EXPECT_EQ(r.commands.last().argv, (std::vector<std::string>{"check-disk", "alpha"}));
  r.now = t0 + 1s;
  r.output("checking...\ndisk c1t0 ");
  EXPECT_EQ(r.state(), "wait");  // a match never spans reads' ends it has not seen
  r.output("ok\n");
  EXPECT_EQ(r.state(), "done");
  EXPECT_TRUE(r.said("log disk c1t0 ok"));
  EXPECT_TRUE(r.said("sh | checking..."));
  r.exit(3);
  EXPECT_EQ(r.state(), "three");
  EXPECT_TRUE(r.said("sh.exit 3"));
  // The sh transcript: the command, its bytes as read, its end.
  ASSERT_GE(r.sh.lines.size(), 4u);
  EXPECT_EQ(r.sh.lines.front(), "* start [check-disk] [alpha]");
  EXPECT_EQ(r.sh.lines[1], "< checking...\ndisk c1t0 ");
  EXPECT_EQ(r.sh.lines.back(), "* exit 3");
}

TEST(Shell, ExecsRunOneAtATimeAndOutliveTheStateThatStartedThem) {
  Rig r(R"(initial state start { after 1s { exec "first"; exec "second" } -> next }
state next {
  on sh.exit 0 -> after_first
  after 1h -> start
}
state after_first { on sh.exit 1 -> both_done
  after 1h -> start }
state both_done { after 1h -> start }
)");
  r.run_to(t0 + 1s);
  ASSERT_EQ(r.commands.started.size(), 1u) << "the second waits behind the first";
  EXPECT_EQ(r.commands.last().argv[0], "first");
  EXPECT_TRUE(r.said("exec [second] queued behind first"));
  r.exit(0);
  EXPECT_EQ(r.state(), "after_first");
  ASSERT_EQ(r.commands.started.size(), 2u);
  EXPECT_EQ(r.commands.last().argv[0], "second");
  r.exit(1);
  EXPECT_EQ(r.state(), "both_done");
}

TEST(Shell, ExecPastItsTimeoutIsKilledAndEndsWith256) {
  Rig r(R"(initial state start { after 1s { exec "hang" } -> wait }
state wait { on sh.exit 256 -> timed_out
  on sh.exit -> other
  after 1h -> start }
state timed_out { after 1h -> start }
state other { after 1h -> start }
)");
  r.run_to(t0 + 1s);
  const auto id = r.commands.last().id;
  r.run_to(t0 + 30s);
  EXPECT_TRUE(r.commands.killed.empty());
  r.run_to(t0 + 31s);
  ASSERT_EQ(r.commands.killed, std::vector<std::uint64_t>{id});
  EXPECT_EQ(r.state(), "wait") << "the kill is reported when the process group is gone";
  r.exit(128 + 9);  // what the runner says of a SIGKILLed child
  EXPECT_EQ(r.state(), "timed_out");
  EXPECT_TRUE(r.said("sh.exit 256 (killed: [timeouts] exec 30s passed)"));
}

TEST(Shell, AnExitHandlerWithoutAStatusNamesTheOneThatCameInTrigger) {
  Rig r(R"(initial state start { after 1s { exec "ssh" } -> wait }
state wait { on sh.exit { alarm warning "ssh failed: $trigger" } -> start
  after 1h -> start }
)");
  r.run_to(t0 + 1s);
  r.exit(255);
  ASSERT_FALSE(r.alarms.raised.empty());
  EXPECT_EQ(r.alarms.raised.back(), "warning ssh failed: sh.exit 255");
  EXPECT_TRUE(r.said("state start <- sh.exit 255")) << r.all();
}

TEST(Shell, ExecThatCannotStartEndsWith127) {
  // Programs are looked up when started: make this one missing and restart.
  Rig r2(R"(initial state start { after 1s { exec "no-such-program" } -> wait }
state wait { on sh.exit 127 -> missing
  after 1h -> start }
state missing { after 1h -> start }
)");
  r2.commands.missing.insert("no-such-program");
  r2.run_to(t0 + 1s);
  EXPECT_EQ(r2.state(), "missing");
  EXPECT_TRUE(r2.said("failed to start: No such file or directory; sh.exit 127"));
}

// The fence by power: power_off, power_status until off, then the fence.
const char* kPowerFence = R"(initial state watch { on ping.down -> fence }
state fence {
  power active off
  on power.off active { mark fenced active by power } -> boot
  on power.failed active { alarm critical "power fence failed: $reason" } -> stuck
  after 5m -> stuck
}
state boot {
  power standby on
  on power.on standby { takeover } -> watch
  on power.failed standby -> stuck
  after 5m -> stuck
}
state stuck {
  on fence.refused -> stuck2
  after 1h -> watch
}
state stuck2 { after 1h -> watch }
)";

TEST(Power, OffIsReadBackBeforeTheFenceThenTheStandbyIsPoweredOn) {
  Rig r(kPowerFence);
  r.now = t0 + 1s;
  r.runtime->on_ping(false, r.now);
  ASSERT_EQ(r.commands.started.size(), 1u);
  EXPECT_EQ(r.commands.last().argv, argv_of(kIpmiOff));
  r.output("Chassis Power Control: Down/Off\n");
  r.exit(0);
  ASSERT_EQ(r.commands.started.size(), 2u);
  EXPECT_EQ(r.commands.last().argv, argv_of(kIpmiStatus));
  // A BMC reports the old state for a while: polled again, no fence yet.
  r.output("Chassis Power is on\n");
  r.exit(0);
  EXPECT_EQ(r.state(), "fence");
  EXPECT_EQ(r.journal->state().fenced.count("alpha"), 0u);
  r.run_to(t0 + 2s);
  ASSERT_EQ(r.commands.started.size(), 3u);
  EXPECT_EQ(r.commands.last().argv, argv_of(kIpmiStatus));
  r.output("Chassis Power is off\n");
  r.exit(0);
  EXPECT_EQ(r.state(), "boot");
  EXPECT_EQ(r.journal->state().fenced.count("alpha"), 1u);
  EXPECT_TRUE(r.said("fenced alpha (by power: power_status read it back off)"));
  // Powering the standby on is its boot: journaled before power_on runs.
  EXPECT_TRUE(r.journal->state().boot_in_flight());
  ASSERT_EQ(r.commands.started.size(), 4u);
  EXPECT_EQ(r.commands.last().argv, argv_of(kIpmiOn));
  r.exit(0);
  r.output("Chassis Power is on\n");
  r.exit(0);
  EXPECT_EQ(r.state(), "watch");
  EXPECT_EQ(r.runtime->active(), "beta");
}

// clusterd killed after journaling the power-on of the standby: the next one
// reads the standby's power back and powers it on only if it reads off (the
// journaled boot never ran), never a second boot of a node that is on.
void fence_until_power_on_journaled(Rig& r) {
  r.now = t0 + 1s;
  r.runtime->on_ping(false, r.now);
  r.exit(0);
  r.output("Chassis Power is off\n");
  r.exit(0);
  ASSERT_TRUE(r.journal->state().boot_in_flight());
  ASSERT_EQ(r.commands.last().argv, argv_of(kIpmiOn));  // started, its end never seen
}

TEST(Power, AResumedBootByPowerPowersOnOnlyAStandbyThatReadsOff) {
  for (bool was_on : {false, true}) {
    SCOPED_TRACE(was_on ? "power_on had run" : "killed before power_on ran");
    Rig r(kPowerFence);
    fence_until_power_on_journaled(r);
    // A new runtime on the same journal (the old one is gone, as after kill -9).
    DrivenCommands fresh;
    std::vector<std::string> tl;
    NodeSetup a{"alpha", &r.alpha, argv_of(kIpmiOff), argv_of(kIpmiOn), argv_of(kIpmiStatus)};
    NodeSetup b{"beta", &r.beta, argv_of(kIpmiOff), argv_of(kIpmiOn), argv_of(kIpmiStatus)};
    auto again = std::make_unique<ClusterRuntime>(
        *r.script.program, *r.journal, std::array<NodeSetup, 2>{a, b}, r.alarms, fresh, nullptr,
        RuntimeOptions{}, [&](TimePoint, std::string_view text) { tl.emplace_back(text); });
    again->start(t0 + 60s);
    EXPECT_EQ(again->state(), "boot");
    ASSERT_EQ(fresh.started.size(), 1u);
    EXPECT_EQ(fresh.last().argv, argv_of(kIpmiStatus)) << "read back first";
    again->on_command_output(fresh.last().id,
                             was_on ? "Chassis Power is on\n" : "Chassis Power is off\n", t0 + 61s);
    again->on_command_exit(fresh.last().id, 0, t0 + 61s);
    if (was_on) {
      EXPECT_EQ(fresh.started.size(), 1u) << "a standby that is on is booting: no second power-on";
      EXPECT_EQ(again->state(), "watch") << "power.on standby: the takeover";
    } else {
      ASSERT_EQ(fresh.started.size(), 2u);
      EXPECT_EQ(fresh.last().argv, argv_of(kIpmiOn));
      EXPECT_EQ(r.journal->state().boot_attempts, 1) << "the same boot, not a new attempt";
    }
  }
}

TEST(Power, WrongPasswordFailsThePowerActionWithTheToolsWords) {
  Rig r(kPowerFence);
  r.runtime->on_ping(false, t0);
  r.output("Error: Unable to establish IPMI v2 / RMCP+ session\n");
  r.exit(1);
  EXPECT_EQ(r.state(), "stuck");
  EXPECT_EQ(r.commands.started.size(), 1u) << "no read-back after a failed power_off";
  EXPECT_TRUE(r.said("power_off alpha exited 1: \"Error: Unable to establish IPMI v2 / RMCP+"));
  ASSERT_FALSE(r.alarms.raised.empty());
  EXPECT_NE(r.alarms.raised.back().find("power fence failed: power off alpha failed: power_off "
                                        "alpha exited 1"),
            std::string::npos)
      << r.alarms.raised.back();
  EXPECT_EQ(r.journal->state().fenced.count("alpha"), 0u);
}

TEST(Power, ABmcThatDoesNotAnswerIsKilledAfterThePowerTimeout) {
  Rig r(kPowerFence);
  r.runtime->on_ping(false, t0);
  const auto id = r.commands.last().id;
  r.run_to(t0 + 10s);
  ASSERT_EQ(r.commands.killed, std::vector<std::uint64_t>{id});
  r.exit(128 + 9);
  EXPECT_EQ(r.state(), "stuck");
  EXPECT_TRUE(r.said("did not end within [timeouts] power"));
}

TEST(Power, AStatusThatNeverReadsOffFailsAndNoFenceIsRecorded) {
  Rig r(kPowerFence);
  r.runtime->on_ping(false, t0);
  r.exit(0);  // power_off says it worked
  for (int i = 0; i < 20 && r.state() == "fence"; ++i) {
    r.output("Chassis Power is on\n");
    r.exit(0);
    r.run_to(r.now + 1s);
  }
  EXPECT_EQ(r.state(), "stuck");
  EXPECT_TRUE(
      r.said("not read back off within [timeouts] power 10s (power_status said: "
             "\"Chassis Power is on\")"))
      << r.all();
  EXPECT_EQ(r.journal->state().fenced.count("alpha"), 0u);
}

TEST(Power, AFenceByPowerThatWasNotReadBackIsRefused) {
  Rig r(R"(initial state watch { on ping.down -> fence }
state fence {
  power active off
  after 1s { mark fenced active by power } -> boot
  on fence.refused -> refused
}
state boot { boot standby "boot\r"
  after 1h -> watch }
state refused { after 1h -> watch }
)");
  r.runtime->on_ping(false, t0);
  r.exit(0);  // power_off ran; its read-back has not said off yet
  r.run_to(t0 + 1s);
  EXPECT_EQ(r.state(), "refused");
  EXPECT_TRUE(r.said("power fence of alpha refused: a power action on it is still running"));
  EXPECT_EQ(r.journal->state().fenced.count("alpha"), 0u);
  EXPECT_EQ(r.beta.written, "");
}

TEST(Power, ANodeReadingOnIsNeverFencedByPower) {
  // The status says on, with exit 0: the fence is refused even when the
  // script asks after the power action gave up.
  Rig r(R"(initial state watch { on ping.down -> fence }
state fence {
  power active off
  on power.failed active { mark fenced active by power } -> boot
  on fence.refused -> refused
  after 1h -> watch
}
state boot { boot standby "boot\r"
  after 1h -> watch }
state refused { after 1h -> watch }
)");
  r.runtime->on_ping(false, t0);
  r.exit(0);
  while (r.state() == "fence" && r.now < t0 + 1min) {
    r.output("Chassis Power is on\n");
    r.exit(0);
    r.run_to(r.now + 1s);
  }
  EXPECT_EQ(r.state(), "refused");
  EXPECT_TRUE(r.said("power fence of alpha refused: its power was not read back off"));
  EXPECT_EQ(r.beta.written, "");
}

TEST(Power, CycleIsOffReadBackOnReadBack) {
  Rig r(R"(initial state watch { on ping.down { power active cycle } -> cycling }
state cycling { on power.on active -> done
  on power.failed active -> failed
  after 1h -> watch }
state done { after 1h -> watch }
state failed { after 1h -> watch }
)");
  r.runtime->on_ping(false, t0);
  std::vector<std::string> seen;
  auto step = [&](std::string_view out, int status) {
    seen.push_back(r.commands.last().argv[3]);
    r.output(out);
    r.exit(status);
  };
  step("", 0);                        // off
  step("Chassis Power is off\n", 0);  // status: off
  step("", 0);                        // on
  step("Chassis Power is on\n", 0);   // status: on
  EXPECT_EQ(seen, (std::vector<std::string>{"off", "status", "on", "status"}));
  EXPECT_EQ(r.state(), "done");
}

TEST(Power, NoPowerMethodFailsAtOnceWithAReason) {
  Rig r(R"(initial state watch { on ping.down { power active off } -> wait }
state wait { on power.failed active { log "$reason" } -> failed
  after 1h -> watch }
state failed { after 1h -> watch }
)",
        /*with_power=*/false);
  r.runtime->on_ping(false, t0);
  EXPECT_EQ(r.state(), "failed");
  EXPECT_TRUE(r.said("log power off alpha failed: no power method configured (power_off)"));
  EXPECT_TRUE(r.commands.started.empty());
}

// A read-back off is evidence about one node in one failover: after a
// takeover the fences start again (the journal's too), so a node that comes
// back as the active is not fenced by power on the strength of the power-off
// that ended its earlier term.
TEST(Power, AReadBackOffDoesNotOutliveATakeover) {
  Rig r(R"(initial state watch { on ping.down -> fence }
state fence {
  power active off
  on power.off active { mark fenced active by power } -> boot
  after 5m -> watch
}
state boot { boot standby "boot\r"
  after 1s { takeover } -> back }
state back { after 1s { mark fenced active; boot standby "boot\r"; takeover } -> again }
state again { after 1s { mark fenced active by power } -> fenced
  on fence.refused -> refused }
state fenced { after 1h -> watch }
state refused { after 1h -> watch }
)");
  r.runtime->on_ping(false, t0);
  r.exit(0);
  r.output("Chassis Power is off\n");
  r.exit(0);
  ASSERT_EQ(r.state(), "boot");
  r.run_to(t0 + 1s);
  ASSERT_EQ(r.runtime->active(), "beta");
  r.run_to(t0 + 2s);  // beta fenced at its prompt, alpha booted: alpha is the active again
  ASSERT_EQ(r.runtime->active(), "alpha");
  r.run_to(t0 + 3s);
  EXPECT_EQ(r.state(), "refused") << r.all();
  EXPECT_EQ(r.journal->state().fenced.count("alpha"), 0u);
}

// A power result that could not wait for the interpreter (a command that
// cannot start) is handed over after the actions around it: when one of
// them is the takeover, the event names the node by its role at that time.
TEST(Power, AResultHandedOverAfterATakeoverNamesTheNodesNewRole) {
  Rig r(R"(initial state watch {
  on ping.down { mark fenced active; power standby on; takeover } -> after
}
state after {
  on power.failed active { log "beta: $reason" } -> right
  on power.failed standby -> wrong
  after 1h -> watch
}
state right { after 1h -> watch }
state wrong { after 1h -> watch }
)");
  r.commands.missing.insert("ipmitool");
  r.runtime->on_ping(false, t0);
  ASSERT_EQ(r.runtime->active(), "beta");
  EXPECT_EQ(r.state(), "right") << r.all();
  EXPECT_TRUE(r.said("log beta: power on beta failed: power_on could not start")) << r.all();
}

// A read-back gives up [timeouts] power after its command ended (docs/
// chat-language.md, *Power*): a power_status still running then is killed,
// it does not get a [timeouts] power of its own beyond that bound.
TEST(Power, AReadBackEndsAtItsBoundEvenWithAStatusRunning) {
  Rig r(kPowerFence);
  r.runtime->on_ping(false, t0);
  r.exit(0);  // power_off at t0: the read-back ends by t0+10s
  while (r.now < t0 + 9s) {
    r.output("Chassis Power is on\n");
    r.exit(0);
    r.run_to(r.now + 1s);
  }
  const auto id = r.commands.last().id;  // started at t0+9s; its BMC does not answer
  ASSERT_EQ(r.commands.last().argv, argv_of(kIpmiStatus));
  r.run_to(t0 + 10s);
  ASSERT_EQ(r.commands.killed, std::vector<std::uint64_t>{id}) << r.all();
  r.exit(128 + 9);
  EXPECT_EQ(r.state(), "stuck");
  EXPECT_TRUE(r.said("not read back off within [timeouts] power 10s")) << r.all();
}

// The active's fence holds until the takeover: powering it on again (an x86
// server boots from the shared disk on power-on) while the standby may be
// booting from it is refused, as booting the standby without the fence is.
TEST(Power, AFencedActiveIsNotPoweredOnBeforeTheTakeover) {
  for (const char* op : {"on", "cycle"}) {
    SCOPED_TRACE(op);
    Rig r(std::string(R"(initial state watch { on ping.down -> fence }
state fence {
  power active off
  on power.off active { mark fenced active by power } -> boot
  after 5m -> watch
}
state boot {
  power standby on
  after 1s { power active )") +
          op + R"( } -> waiting
}
state waiting { on power.failed active { log "told: $reason" } -> told
  after 1h -> watch }
state told { after 1h -> watch }
)");
    r.runtime->on_ping(false, t0);
    r.exit(0);
    r.output("Chassis Power is off\n");
    r.exit(0);
    ASSERT_EQ(r.state(), "boot");
    ASSERT_EQ(r.commands.last().argv, argv_of(kIpmiOn));  // the standby's power-on
    const std::size_t started = r.commands.started.size();
    r.run_to(t0 + 1s);
    EXPECT_EQ(r.commands.started.size(), started) << "nothing run on the fenced active\n"
                                                  << r.all();
    EXPECT_TRUE(r.said("refused, nothing run: the journal records the active alpha fenced"))
        << r.all();
    // The script hears of it as of any power action that failed.
    EXPECT_EQ(r.state(), "told") << r.all();
    EXPECT_TRUE(r.said("log told: power " + std::string(op) + " alpha failed: refused")) << r.all();
  }
}

}  // namespace
}  // namespace clusterd
