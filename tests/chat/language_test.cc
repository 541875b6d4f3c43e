// The promises of docs/chat-language.md that no other test held to: each
// test names the sentence it shows, and fails if the interpreter or the
// compiler stopped keeping it. docs/coverage.md lists every language form
// and the test that shows it.
#include <gtest/gtest.h>

#include "chat/interpreter.h"
#include "chat/replay.h"
#include "tests/support/chat_support.h"

namespace clusterd::chat {
namespace {

using namespace std::chrono_literals;
using testing::compile_ok;
using testing::diags;
using testing::RecordingActuator;
using testing::t0;

struct Script {
  explicit Script(const std::string& text,
                  InterpreterOptions options = {4096, 256, "alpha", "beta"})
      : script(compile_ok(text)) {
    in = std::make_unique<Interpreter>(*script->program, act, options);
  }
  std::shared_ptr<LoadedScript> script;
  RecordingActuator act;
  std::unique_ptr<Interpreter> in;
};

Event event(EventKind k, Channel ch = Channel::Active, int code = 0) { return Event{k, ch, code}; }

// "monitor.isolated / monitor.ok | level | the monitor's own reference
// address is unreachable / back": a level, so a state entered while the
// monitor is isolated sees it at once.
TEST(Language, MonitorIsolatedAndOkAreLevels) {
  Script r(
      "initial state watch { on monitor.isolated -> isolated\n after 1s -> busy }\n"
      "state busy { after 1h -> watch }\n"
      "state isolated { on monitor.ok -> watch }");
  r.in->start(t0);
  r.in->on_event(event(EventKind::MonitorIsolated), t0 + 100ms);
  EXPECT_EQ(r.in->state_name(), "isolated");
  r.in->on_event(event(EventKind::MonitorOk), t0 + 200ms);
  EXPECT_EQ(r.in->state_name(), "watch");
  // Isolated while in `busy`, which does not handle it: `watch` sees it on entry.
  r.in->advance_to(t0 + 1200ms);
  EXPECT_EQ(r.in->state_name(), "busy");
  r.in->on_event(event(EventKind::MonitorIsolated), t0 + 2s);
  EXPECT_EQ(r.in->state_name(), "busy");
  r.in->advance_to(t0 + 1200ms + 1h);
  EXPECT_EQ(r.in->state_name(), "isolated");
}

// "control.maintenance | edge | the operator toggled maintenance": fires in
// the state that handles it, and is gone when the current state does not.
TEST(Language, ControlMaintenanceIsAnEdge) {
  Script r(
      "initial state watch { on control.maintenance -> maint\n after 1s -> busy }\n"
      "state busy { after 1h -> watch }\n"
      "state maint { on control.maintenance -> watch }");
  r.in->start(t0);
  r.in->on_event(event(EventKind::ControlMaintenance), t0 + 100ms);
  EXPECT_EQ(r.in->state_name(), "maint");
  r.in->on_event(event(EventKind::ControlMaintenance), t0 + 200ms);
  EXPECT_EQ(r.in->state_name(), "watch");
  r.in->advance_to(t0 + 1200ms + 100ms);
  ASSERT_EQ(r.in->state_name(), "busy");
  r.in->on_event(event(EventKind::ControlMaintenance), t0 + 2s);  // not handled: gone
  r.in->advance_to(t0 + 1300ms + 1h);
  EXPECT_EQ(r.in->state_name(), "watch");
}

// "$trigger (the handler that fired last, e.g. `ping.down`, `active
// obp_prompt`, `after 20s`)"; "$reason (what `set reason` said; if never
// set, the last trigger)"; "$state".
TEST(Language, TriggerReasonAndStateBuiltins) {
  Script r(
      "pattern obp_prompt = /ok $/\n"
      "initial state watch { on ping.down -> a }\n"
      "state a { log \"$state: $trigger / $reason\"\n on active obp_prompt -> b }\n"
      "state b { log \"$state: $trigger\"\n after 20s -> c }\n"
      "state c { log \"$state: $trigger\" }");
  r.in->start(t0);
  r.in->on_event(event(EventKind::PingDown), t0);
  r.in->on_bytes(Channel::Active, "{0} ok ", t0 + 1s);
  r.in->advance_to(t0 + 21s);
  EXPECT_EQ(r.act.calls,
            (std::vector<std::string>{"log a: ping.down / ping.down", "log b: active obp_prompt",
                                      "log c: after 20s"}));
}

// "Inside strings used as actions' text, `$name`, `${name}` and `$0`…`$9`
// are replaced; write `\$` for a dollar."
TEST(Language, BracedNamesAndEscapedDollarsInActionText) {
  Script r(
      "param dev = \"disk\"\n"
      "initial state a { log \"${dev}1 $dev \\$dev \\$5\" }");
  r.in->start(t0);
  EXPECT_EQ(r.act.calls, std::vector<std::string>{"log disk1 disk $dev $5"});
}

// "Entering a state — also re-entering the same one with `-> itself` —
// forgets the console bytes received so far, restarts every `after` clock,
// and runs the entry actions."
TEST(Language, ReenteringTheSameStateForgetsBytesRestartsClocksAndRunsEntryActions) {
  Script r(
      "initial state a { log \"enter\"\n on active \"again\" -> a\n on active /login: $/ -> b\n"
      " after 10s -> c }\n"
      "state b {}\nstate c {}");
  r.in->start(t0);
  // "login" arrives before the re-entry and the rest after it: no match.
  r.in->on_bytes(Channel::Active, "console login", t0 + 8s);
  r.in->on_bytes(Channel::Active, "again", t0 + 9s);
  r.in->on_bytes(Channel::Active, ": ", t0 + 9500ms);
  EXPECT_EQ(r.in->state_name(), "a");
  EXPECT_EQ(r.act.calls, (std::vector<std::string>{"log enter", "log enter"}));
  // The `after 10s` clock restarted at t0+9s: not due at t0+10s.
  EXPECT_EQ(r.in->next_deadline(), t0 + 19s);
  r.in->advance_to(t0 + 18s);
  EXPECT_EQ(r.in->state_name(), "a");
  r.in->advance_to(t0 + 19s);
  EXPECT_EQ(r.in->state_name(), "c");
}

// "Without a target the script stays in the state (and its `after` clocks
// keep running)."
TEST(Language, AHandlerWithoutATargetKeepsTheStateAndItsClocks) {
  Script r(
      "initial state a { log \"enter\"\n on active \"tick\" { log \"tick\" }\n after 10s -> b }\n"
      "state b {}");
  r.in->start(t0);
  r.in->on_bytes(Channel::Active, "tick\r\n", t0 + 9s);
  EXPECT_EQ(r.in->state_name(), "a");
  EXPECT_EQ(r.in->next_deadline(), t0 + 10s);
  r.in->advance_to(t0 + 10s);
  EXPECT_EQ(r.in->state_name(), "b");
  EXPECT_EQ(r.act.calls, (std::vector<std::string>{"log enter", "log tick"}));
}

// "After a match that keeps the state, matching continues after it": the
// same bytes never match twice, and the next occurrence matches again.
TEST(Language, AfterAMatchThatKeepsTheStateMatchingContinuesAfterIt) {
  Script r("initial state a { on active \"ok\" { log \"$0\" } }");
  r.in->start(t0);
  r.in->on_bytes(Channel::Active, "ok ok", t0);
  r.in->on_bytes(Channel::Active, " x", t0 + 1s);
  r.in->on_bytes(Channel::Active, " ok", t0 + 2s);
  EXPECT_EQ(r.act.calls, (std::vector<std::string>{"log ok", "log ok", "log ok"}));
}

// "Ties. … an `after` deadline at the same time as console bytes or an
// event fires first."
TEST(Language, AnAfterDueWithBytesOrAnEventFiresFirst) {
  Script r(
      "initial state a { on active \"login:\" -> bytes\n after 5s -> timer }\n"
      "state bytes {}\nstate timer {}");
  r.in->start(t0);
  r.in->on_bytes(Channel::Active, "login:", t0 + 5s);
  EXPECT_EQ(r.in->state_name(), "timer");
  Script e(
      "initial state a { on ping.down -> event\n after 5s -> timer }\n"
      "state event {}\nstate timer {}");
  e.in->start(t0);
  e.in->on_event(event(EventKind::PingDown), t0 + 5s);
  EXPECT_EQ(e.in->state_name(), "timer");
}

// A pattern that takes the rest of its line "fires when the line ends, or
// after 500 ms (the runtime's `line_wait`) with what came, or at once when
// the line outgrows the window."
TEST(Language, ALineThatOutgrowsTheWindowFiresAtOnce) {
  Script r("initial state a { on active /^panic: .*/ { log \"fired\" } -> b }\nstate b {}",
           {64, 256, "alpha", "beta"});
  r.in->start(t0);
  r.in->on_bytes(Channel::Active, "\r\npanic: ", t0);
  EXPECT_TRUE(r.act.calls.empty());
  r.in->on_bytes(Channel::Active, std::string(100, 'x'), t0 + 10ms);
  EXPECT_EQ(r.in->state_name(), "b");
  EXPECT_EQ(r.act.calls, std::vector<std::string>{"log fired"});
}

// "`unless` is tested on the match's line, from its start (or from the
// state's first byte) to the end of the match": a look-alike after the
// match does not veto it, one before it on the line does.
TEST(Language, UnlessSeesTheLineUpToTheEndOfTheMatchOnly) {
  Script after("initial state a { on active \"panic\" unless \"grep\" -> b }\nstate b {}");
  after.in->start(t0);
  after.in->on_bytes(Channel::Active, "\r\npanic then grep\r\n", t0);
  EXPECT_EQ(after.in->state_name(), "b");
  Script before("initial state a { on active \"panic\" unless \"grep\" -> b }\nstate b {}");
  before.in->start(t0);
  before.in->on_bytes(Channel::Active, "\r\ngrep panic\r\n", t0);
  EXPECT_EQ(before.in->state_name(), "a");
  // From the state's first byte: a look-alike received before the state was
  // entered is not on the line the state sees.
  Script entered(
      "initial state w { on active \"go\" -> a }\n"
      "state a { on active \"panic\" unless \"grep\" -> b }\nstate b {}");
  entered.in->start(t0);
  entered.in->on_bytes(Channel::Active, "\r\ngrep go", t0);
  ASSERT_EQ(entered.in->state_name(), "a");
  entered.in->on_bytes(Channel::Active, " panic\r\n", t0 + 1s);
  EXPECT_EQ(entered.in->state_name(), "b");
}

// "A pattern that names `\n` or `\r` (or holds a newline or CR in a quoted
// literal) is an error."
TEST(Language, APatternNamingACarriageReturnIsAnError) {
  auto re = diags("initial state a { on active /a\\rb/ -> a }");
  ASSERT_EQ(re.size(), 1u);
  EXPECT_NE(re[0].find("error: a pattern cannot match"), std::string::npos) << re[0];
  auto lit = diags("initial state a { on active \"a\\rb\" -> a }");
  ASSERT_EQ(lit.size(), 1u);
  EXPECT_NE(lit[0].find("error: a pattern cannot contain"), std::string::npos) << lit[0];
}

// "`alarm SEVERITY "text"` | raises an alarm: `notice`, `warning` or
// `critical`"; another word is an error.
TEST(Language, AlarmTakesNoticeWarningOrCritical) {
  Script r("initial state a { alarm notice \"n\"\n alarm warning \"w\"\n alarm critical \"c\" }");
  r.in->start(t0);
  EXPECT_EQ(r.act.calls,
            (std::vector<std::string>{"alarm notice n", "alarm warning w", "alarm critical c"}));
  auto bad = diags("initial state a { alarm severe \"x\" }");
  ASSERT_FALSE(bad.empty());
  EXPECT_NE(bad[0].find("error:"), std::string::npos) << bad[0];
}

// "Checker messages": duplicate vars and patterns are errors (states and
// params: compiler_test.cc); a pattern defined in an included file and used
// by no handler is a warning too.
TEST(Language, DuplicateVarsAndPatternsAreErrorsAndAnUnusedIncludedPatternWarns) {
  EXPECT_EQ(diags("var v = 1\nvar v = 2\npattern p = \"a\"\npattern p = \"b\"\n"
                  "initial state a { on active p { set v = 3 } }"),
            (std::vector<std::string>{
                "<input>:2:5: error: duplicate var 'v' (first declared at <input>:1)",
                "<input>:4:9: error: duplicate pattern 'p' (first declared at <input>:3)"}));
  MemoryLoader files;
  files.files["lib.chat"] = "pattern unused = \"zz\"\n";
  EXPECT_EQ(diags("include \"lib.chat\"\ninitial state a { after 1s -> a }", &files),
            std::vector<std::string>{
                "lib.chat:1:9: warning: pattern 'unused' is defined but no handler uses it"});
}

// --- docs/formats.md: what a replay makes of its inputs ------------------------

std::string replayed(const std::string& script, const std::string& active,
                     const std::string& standby, const std::string& events) {
  auto s = compile_ok(script);
  ReplayInput in;
  if (!active.empty()) in.active = *read_transcript(active, "a");
  if (!standby.empty()) in.standby = *read_transcript(standby, "s");
  if (!events.empty()) in.events = *read_events(events, "e");
  ReplayOptions o;
  o.interpreter.active_name = "alpha";
  o.interpreter.standby_name = "beta";
  return format_timeline(replay(*s->program, in, o), false);
}

// "`>` and `!` are what the recorded clusterd did and are not replayed."
TEST(Formats, SentAndBreakRecordsAreNotReplayed) {
  std::string out = replayed(
      "initial state a { on active \"login:\" -> matched\n on console.lost active -> lost }\n"
      "state matched {}\nstate lost {}",
      "+1 > login:\n+2 ! iac\n+3 < quiet\n", "", "+10s end\n");
  EXPECT_EQ(out.find("state    matched"), std::string::npos) << out;
  EXPECT_EQ(out.find("state    lost"), std::string::npos) << out;
  EXPECT_EQ(out.find("break"), std::string::npos) << out;
}

// "A transcript given to `chatc replay` counts as connected from the start
// unless its first record is `* lost`."
TEST(Formats, ATranscriptIsConnectedFromTheStartUnlessItBeginsLost) {
  const char* script =
      "initial state a { on console.up active -> up\n on console.lost active -> lost }\n"
      "state up {}\nstate lost {}";
  EXPECT_NE(replayed(script, "+5 < x\n", "", "").find("+0.000s    state    up"), std::string::npos);
  std::string lost = replayed(script, "+0 * lost refused: nts1\n+5 * up\n", "", "");
  EXPECT_NE(lost.find("+0.000s    state    lost"), std::string::npos) << lost;
}

// "At the same time, events go before the active's console, then the
// standby's"; an event line may end in " #" and a comment.
TEST(Formats, AtOneInstantEventsThenTheActiveThenTheStandby) {
  std::string out = replayed(
      "initial state a { on ping.down -> b\n on active \"x\" -> wrong\n on standby \"y\" -> "
      "wrong }\n"
      "state b { on active \"x\" -> c\n on standby \"y\" -> wrong }\n"
      "state c { on standby \"y\" -> d }\nstate d {}\nstate wrong {}",
      "+1 < x\n", "+1 < y\n", "+1s ping.down # the switch port went dark\n");
  EXPECT_NE(out.find("+1.000s    state    d"), std::string::npos) << out;
  EXPECT_EQ(out.find("wrong"), std::string::npos) << out;
}

}  // namespace
}  // namespace clusterd::chat
