// Interpreter in virtual time: entry actions, `after` deadlines, ties,
// captures, params, include, level events, the runtime's fence rules.
#include "chat/interpreter.h"

#include <gtest/gtest.h>

#include "tests/support/chat_support.h"

namespace clusterd::chat {
namespace {

using namespace std::chrono_literals;
using testing::compile_ok;
using testing::RecordingActuator;
using testing::t0;

struct Script {
  explicit Script(const std::string& text, std::map<std::string, std::string> params = {},
                  MemoryLoader* loader = nullptr)
      : script(compile_ok(text, params, loader)) {
    in = std::make_unique<Interpreter>(*script->program, act,
                                       InterpreterOptions{4096, 256, "alpha", "beta"});
  }
  std::shared_ptr<LoadedScript> script;
  RecordingActuator act;
  std::unique_ptr<Interpreter> in;
};

TEST(Interpreter, AfterFiresAtDeadlineNotBefore) {
  Script r("initial state a { after 20s -> b }\nstate b { after 1h -> a }");
  r.in->start(t0);
  EXPECT_EQ(r.in->next_deadline(), t0 + 20s);
  r.in->advance_to(t0 + 19s);
  EXPECT_EQ(r.in->state_name(), "a");
  r.in->advance_to(t0 + 20s);
  EXPECT_EQ(r.in->state_name(), "b");
  EXPECT_EQ(r.in->next_deadline(), t0 + 20s + 1h);
}

TEST(Interpreter, ChainedAftersFireAtTheirOwnDeadlinesInOneAdvance) {
  Script r(
      "initial state a { after 1s -> b }\nstate b { log \"b at $elapsed\"\n after 2s -> c }\n"
      "state c { log \"c at $elapsed\"\n after 1h -> a }");
  r.in->start(t0);
  r.in->advance_to(t0 + 10s);
  EXPECT_EQ(r.in->state_name(), "c");
  EXPECT_EQ(r.act.calls, (std::vector<std::string>{"log b at 0.0s", "log c at 2.0s"}));
}

TEST(Interpreter, EntryActionsRunInOrder) {
  Script r(
      "initial state a { send active \"1\"\n break standby\n alarm warning \"w $active/$standby\"\n"
      " exec \"/bin/echo\" \"two words\" \"$state\"\n log \"done\" }");
  r.in->start(t0);
  EXPECT_EQ(r.act.calls, (std::vector<std::string>{
                             "send active \"1\"", "break standby", "alarm warning w alpha/beta",
                             "exec [/bin/echo] [two words] [a]", "log done"}));
}

// Given a clusterd restarted after its journal said `boot-sent` in state
// boot: resuming there must not send the boot again, and the takeover the
// login leads to must be allowed (the active was fenced before the crash).
TEST(Interpreter, ResumeSkipsEntryActionsAndKeepsTheFence) {
  Script r(
      "initial state watch { on ping.down { mark fenced active } -> boot }\n"
      "state boot { boot standby \"boot\\r\"\n on standby \"login: \" { takeover } -> watch }");
  ASSERT_TRUE(r.in->resume("boot", true, t0));
  EXPECT_EQ(r.in->state_name(), "boot");
  EXPECT_TRUE(r.act.calls.empty()) << r.act.calls[0];
  r.in->on_bytes(Channel::Standby, "beta console login: ", t0 + 1s);
  EXPECT_EQ(r.act.calls, (std::vector<std::string>{"takeover"}));
  EXPECT_TRUE(r.act.faults.empty());
  EXPECT_FALSE(Interpreter(*r.script->program, r.act).resume("nosuch", true, t0));
}

TEST(Interpreter, ResumeWithoutTheFenceStillRefusesTakeover) {
  Script r(
      "initial state watch { on ping.down { mark fenced active } -> boot }\n"
      "state boot { on standby \"login: \" { takeover } -> watch }");
  ASSERT_TRUE(r.in->resume("boot", false, t0));
  r.in->on_bytes(Channel::Standby, "login: ", t0 + 1s);
  EXPECT_TRUE(r.act.calls.empty());
  ASSERT_EQ(r.act.faults.size(), 1u);
}

TEST(Interpreter, TiesGoToTheFirstDeclaredHandler) {
  Script r("initial state a { after 5s -> b\n after 5s -> c }\nstate b {}\nstate c {}");
  r.in->start(t0);
  r.in->advance_to(t0 + 5s);
  EXPECT_EQ(r.in->state_name(), "b");
}

TEST(Interpreter, OnlyBytesAfterEnteringTheStateCount) {
  // Given a login prompt received in `a`, when `b` is entered and sends CR,
  // then the old prompt does not satisfy `b`; only a new one does.
  Script r(
      "initial state a { on active \"go\" -> b }\n"
      "state b { send active \"\\r\"\n on active /login: $/ -> c\n after 10s -> a }\nstate c {}");
  r.in->start(t0);
  r.in->on_bytes(Channel::Active, "console login: ", t0 + 1s);
  r.in->on_bytes(Channel::Active, "\r\ngo", t0 + 2s);
  EXPECT_EQ(r.in->state_name(), "b");
  r.in->on_bytes(Channel::Active, "\r\n", t0 + 3s);
  EXPECT_EQ(r.in->state_name(), "b");
  r.in->on_bytes(Channel::Active, "console login: ", t0 + 4s);
  EXPECT_EQ(r.in->state_name(), "c");
}

TEST(Interpreter, BytesAfterAMatchBelongToTheNextState) {
  Script r(
      "initial state a { on active /Type 'go'/ -> b }\nstate b { on active /ok $/ -> c\n after 1s "
      "-> a }\n"
      "state c {}");
  r.in->start(t0);
  r.in->on_bytes(Channel::Active, "\r\nType 'go' to resume\r\n{0} ok ", t0 + 1s);
  EXPECT_EQ(r.in->state_name(), "c");
}

TEST(Interpreter, CapturesReachTheHandlersActions) {
  Script r(
      "initial state a { on active /panic\\[cpu(\\d+)\\]/ { alarm critical \"cpu $1: $0\" } -> b "
      "}\nstate b {}");
  r.in->start(t0);
  r.in->on_bytes(Channel::Active, "panic[cpu7]/thread=", t0);
  EXPECT_EQ(r.act.calls, std::vector<std::string>{"alarm critical cpu 7: panic[cpu7]"});
}

// A real console trickles a panic line a few bytes per read. A pattern that
// takes the rest of its line (`.*`) waits for the line's end, so the alarm
// quotes the whole line, not the piece the first read brought; a line that
// does not end within line_wait (500 ms) fires with what came.
TEST(Interpreter, APatternThatTakesItsLineWaitsForTheLineEnd) {
  Script r(
      "initial state a { on active /^panic\\[cpu\\d+\\]: .*/ { alarm critical \"$0\" } -> b "
      "}\nstate b {}");
  r.in->start(t0);
  const std::string line = "\r\n\rpanic[cpu0]: BAD TRAP: type=31 rp=2a100547450\r\n";
  for (std::size_t i = 0; i < line.size(); i += 3)
    r.in->on_bytes(Channel::Active, line.substr(i, 3), t0 + 1ms * i);  // 9600 baud: ~1 ms a byte
  EXPECT_EQ(r.act.calls, std::vector<std::string>{
                             "alarm critical panic[cpu0]: BAD TRAP: type=31 rp=2a100547450"});
  // A line that stops short fires after line_wait with what it has.
  Script q(
      "initial state a { on active /^panic\\[cpu\\d+\\]: .*/ { alarm critical \"$0\" } -> b "
      "}\nstate b {}");
  q.in->start(t0);
  q.in->on_bytes(Channel::Active, "\r\npanic[cpu1]: half", t0 + 1s);
  EXPECT_TRUE(q.act.calls.empty());
  EXPECT_EQ(q.in->next_deadline(), t0 + 1500ms);
  q.in->advance_to(t0 + 1500ms);
  EXPECT_EQ(q.act.calls, std::vector<std::string>{"alarm critical panic[cpu1]: half"});
  EXPECT_EQ(q.in->state_name(), "b");
  // A prompt (no `.*`) never waits: it has no line end to wait for.
  Script p("initial state a { on active /^ok $/ -> b }\nstate b {}");
  p.in->start(t0);
  p.in->on_bytes(Channel::Active, "\r\nok ", t0);
  EXPECT_EQ(p.in->state_name(), "b");
}

TEST(Interpreter, ParamsTakeTheirOverrides) {
  Script r(
      "param dev = \"disk\"\nparam t = 10s\ninitial state a { send standby \"setenv boot-device "
      "$dev\\r\"\n "
      "after $t -> b }\n"
      "state b {}",
      {{"dev", "shared"}, {"t", "3s"}});
  r.in->start(t0);
  r.in->advance_to(t0 + 3s);
  EXPECT_EQ(r.act.calls, std::vector<std::string>{"send standby \"setenv boot-device shared\\r\""});
  EXPECT_EQ(r.in->state_name(), "b");
}

TEST(Interpreter, VarsAndReasonCanBeSet) {
  Script r(
      "var n = 0\nvar s = \"\"\ninitial state a { on ping.down { set n = 2; set s = \"x$active\"; "
      "set reason = \"why\" } -> b }\n"
      "state b { log \"$n $s $reason\" }");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::PingDown, Channel::Active, 0}, t0);
  EXPECT_EQ(r.act.calls, std::vector<std::string>{"log 2 xalpha why"});
  EXPECT_EQ(r.in->value("n")->integer, 2);
}

TEST(Interpreter, IncludedPatternsWork) {
  MemoryLoader files;
  files.files["lib.chat"] = "pattern prompt = /^ok $/";
  Script r("include \"lib.chat\"\ninitial state a { on standby prompt -> b }\nstate b {}", {},
           &files);
  r.in->start(t0);
  r.in->on_bytes(Channel::Standby, "\nok ", t0);
  EXPECT_EQ(r.in->state_name(), "b");
}

TEST(Interpreter, LevelEventsFireOnEntryWhenTheyAlreadyHold) {
  // ping went down while in `a`, which does not handle it; `b` does.
  Script r(
      "initial state a { after 1s -> b }\nstate b { on ping.down -> c\n after 1h -> a }\nstate c "
      "{}");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::PingDown, Channel::Active, 0}, t0 + 500ms);
  EXPECT_EQ(r.in->state_name(), "a");
  r.in->advance_to(t0 + 1s);
  EXPECT_EQ(r.in->state_name(), "c");
}

TEST(Interpreter, HandlersThatStayFireOnlyWhenTheLevelChanges) {
  Script r(
      "initial state a { on console.up standby { log \"up\" }\n on console.lost standby { log "
      "\"lost\" }\n after 1s -> a }");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::ConsoleLost, Channel::Standby, 0}, t0);
  r.in->on_event(Event{EventKind::ConsoleLost, Channel::Standby, 0},
                 t0);         // a repeat changes nothing
  r.in->advance_to(t0 + 3s);  // re-entering `a` three times does not repeat it
  r.in->on_event(Event{EventKind::ConsoleUp, Channel::Standby, 0}, t0 + 3s);
  EXPECT_EQ(r.act.calls, (std::vector<std::string>{"log lost", "log up"}));
}

TEST(Interpreter, EdgeEventsAreLostWhenNotHandled) {
  Script r(
      "initial state a { after 1s -> b }\nstate b { on control.switchover -> c\n after 1h -> a "
      "}\nstate c {}");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::ControlSwitchover, Channel::Active, 0}, t0);
  r.in->advance_to(t0 + 1s);
  EXPECT_EQ(r.in->state_name(), "b");
}

TEST(Interpreter, ShExitMatchesItsCode) {
  Script r("initial state a { on sh.exit 0 -> ok\n on sh.exit -> bad }\nstate ok {}\nstate bad {}");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::ShExit, Channel::Sh, 3}, t0);
  EXPECT_EQ(r.in->state_name(), "bad");
}

TEST(Interpreter, TakeoverSwapsRolesAndNames) {
  Script r(
      "initial state a { on ping.down { mark fenced active; takeover; log \"$active/$standby\" } "
      "-> a }");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::PingDown, Channel::Active, 0}, t0);
  EXPECT_EQ(r.act.calls, (std::vector<std::string>{"fenced active", "takeover", "log beta/alpha"}));
  EXPECT_EQ(r.in->active_name(), "beta");
}

TEST(Interpreter, RefusedPresumedFenceRaisesFenceRefusedAndSkipsTheRest) {
  Script r(
      "initial state a { after 1s { mark fenced active presumed; log \"not reached\" } -> boot\n"
      " on fence.refused -> failed }\nstate boot { takeover }\nstate failed {}");
  r.act.accept_presumed = false;
  r.in->start(t0);
  r.in->advance_to(t0 + 1s);
  EXPECT_EQ(r.in->state_name(), "failed");
  EXPECT_EQ(r.act.calls, std::vector<std::string>{"fenced active presumed REFUSED"});
}

TEST(Interpreter, RuntimeRefusesTakeoverWithoutFenceWhateverTheScript) {
  // Compiled without the checker, as a script that slipped past it would be.
  auto parsed =
      parse_text("initial state a { on ping.down { takeover; log \"after\" } -> b }\nstate b {}");
  auto compiled = compile(parsed.script);
  ASSERT_TRUE(compiled.program);
  RecordingActuator act;
  Interpreter in(*compiled.program, act);
  in.start(t0);
  in.on_event(Event{EventKind::PingDown, Channel::Active, 0}, t0);
  EXPECT_TRUE(act.calls.empty());
  ASSERT_EQ(act.faults.size(), 1u);
  EXPECT_EQ(act.faults[0], "takeover refused: the active node 'active' is not marked fenced");
  EXPECT_EQ(in.state_name(), "a");
}

// `boot standby` is the act the runtime journals: it reaches Actuator::boot,
// never send(), with its text expanded.
TEST(Interpreter, BootCallsTheActuatorsBootWithTheExpandedText) {
  Script r(
      "param dev = \"shared\"\n"
      "initial state watch { on ping.down { mark fenced active } -> boot }\n"
      "state boot { boot standby \"boot $dev\\r\"\n on standby \"login: \" { takeover } -> watch "
      "}");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::PingDown, Channel::Active, 0}, t0 + 1s);
  EXPECT_EQ(r.in->state_name(), "boot");
  EXPECT_EQ(r.act.calls,
            (std::vector<std::string>{"fenced active", "boot standby \"boot shared\\r\""}));
  EXPECT_TRUE(r.act.faults.empty());
}

TEST(Interpreter, RuntimeRefusesBootWithoutFenceWhateverTheScript) {
  // Compiled without the checker, as a script that slipped past it would be.
  auto parsed = parse_text(
      "initial state a { on ping.down { boot standby \"boot\\r\"; log \"after\" } -> b }\n"
      "state b {}");
  auto compiled = compile(parsed.script);
  ASSERT_TRUE(compiled.program);
  RecordingActuator act;
  Interpreter in(*compiled.program, act);
  in.start(t0);
  in.on_event(Event{EventKind::PingDown, Channel::Active, 0}, t0);
  EXPECT_TRUE(act.calls.empty()) << act.calls[0];
  ASSERT_EQ(act.faults.size(), 1u);
  EXPECT_EQ(act.faults[0],
            "boot of the standby 'standby' refused: the active node 'active' is not marked fenced");
  EXPECT_EQ(in.state_name(), "a");
}

TEST(Interpreter, ALoopAtOneInstantStopsTheScript) {
  Script r("initial state a { on ping.down -> b }\nstate b { on ping.down -> a }");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::PingDown, Channel::Active, 0}, t0);
  EXPECT_TRUE(r.in->stopped());
  ASSERT_EQ(r.act.faults.size(), 1u);
  EXPECT_NE(r.act.faults[0].find("transitions at one instant"), std::string::npos);
  EXPECT_FALSE(r.in->next_deadline().has_value());
}

TEST(Interpreter, ManyTransitionsOverTimeAreNotALoop) {
  Script r("initial state a { after 1s -> b }\nstate b { after 1s -> a }");
  r.in->start(t0);
  r.in->advance_to(t0 + 10h);
  EXPECT_FALSE(r.in->stopped());
  EXPECT_EQ(r.in->state_name(), "a");
}

TEST(Interpreter, SecretsAreSentByName) {
  Script r("initial state a { send active secret \"console_password\" }");
  r.in->start(t0);
  EXPECT_EQ(r.act.calls, std::vector<std::string>{"secret active console_password"});
}

TEST(Interpreter, ElapsedCountsFromLeavingTheInitialState) {
  Script r(
      "initial state w { on ping.down -> f }\nstate f { after 30s { log \"$elapsed\" } -> w }");
  r.in->start(t0);
  r.in->on_event(Event{EventKind::PingDown, Channel::Active, 0}, t0 + 100s);
  r.in->on_event(Event{EventKind::PingUp, Channel::Active, 0}, t0 + 120s);  // else `w` re-fences
  r.in->advance_to(t0 + 200s);
  EXPECT_EQ(r.act.calls, std::vector<std::string>{"log 30.0s"});
}

}  // namespace
}  // namespace clusterd::chat
