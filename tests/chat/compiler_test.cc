// Compiler: name resolution, types, regexes, params — with the exact message
// and position a user sees.
#include "chat/compiler.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "chat/suggest.h"
#include "chat/value_compiler.h"
#include "tests/support/chat_support.h"

namespace clusterd::chat {
namespace {

using testing::diags;

struct Case {
  const char* text;
  const char* first;
};

TEST(Compiler, ReportsNameAndTypeErrorsExactly) {
  const Case kCases[] = {
      {"initial state watch { on ping.down -> fense }\nstate fence { after 1s -> watch }",
       "<input>:1:39: error: unknown state 'fense'; did you mean 'fence'?"},
      {"initial state a {}\nstate a {}",
       "<input>:2:7: error: duplicate state 'a' (first declared at <input>:1)"},
      {"state a {}",
       "<input>:1:7: error: no initial state: mark the state to start in with 'initial state'"},
      {"initial state a {}\ninitial state b {}",
       "<input>:2:15: error: second initial state 'b' (the first is 'a' at <input>:1)"},
      {"initial state a { send console \"x\" }",
       "<input>:1:24: error: unknown channel 'console' (expected active, standby)"},
      {"initial state a { on ping.dwn -> a }",
       "<input>:1:22: error: unknown event 'ping.dwn'; did you mean 'ping.down'?"},
      {"initial state a { on console.lost -> a }",
       "<input>:1:22: error: 'console.lost' needs a channel: active or standby"},
      {"initial state a { on ping.up 3 -> a }", "<input>:1:30: error: 'ping.up' takes no argument"},
      {"initial state a { after $wait -> a }", "<input>:1:25: error: unknown param '$wait'"},
      {"param wait = \"x\"\ninitial state a { after $wait -> a }",
       "<input>:2:25: error: 'after $wait' needs a duration; 'wait' is a string"},
      {"initial state a { log \"$activ\" }",
       "<input>:1:24: error: unknown variable '$activ'; did you mean 'active'?"},
      {"initial state a { on active /a(\\d)\\1/ -> a }",
       "<input>:1:29: error: bad regex /a(\\d)\\1/: invalid escape sequence: \\1"},
      {"initial state a { on active /x*/ -> a }",
       "<input>:1:29: error: regex /x*/ matches the empty string, so it would match anything"},
      {"initial state a { on active \"\" -> a }",
       "<input>:1:29: error: empty pattern: it would match anything"},
      {"initial state a { on active /a\\nb/ -> a }",
       "<input>:1:29: error: a pattern cannot match a newline (\\n): matches never span lines"},
      {"initial state a { on active \"a\\nb\" -> a }",
       "<input>:1:29: error: a pattern cannot contain a newline: matches never span lines"},
      {"initial state a { on active /ok\\r/ -> a }",
       "<input>:1:29: error: a pattern cannot match a CR (\\r): on a console CR ends a line, and "
       "matches never span lines (`.*` already stops at the line's end)"},
      {"initial state a { on active \"ok\\r\" -> a }",
       "<input>:1:29: error: a pattern cannot contain a CR: on a console CR ends a line, and "
       "matches never span lines"},
      {"initial state a { on active /(x)y/ { log \"$2\" } -> a }",
       "<input>:1:43: error: $2 but the pattern has 1 capture group"},
      {"initial state a { on active \"x\" { log \"$1\" } -> a }",
       "<input>:1:40: error: $1 but the pattern has no capture groups"},
      {"param p = 1\ninitial state a { set p = 2 }",
       "<input>:2:23: error: 'p' is a param, which 'set' cannot change (declare it with 'var')"},
      {"var v = 1\ninitial state a { set v = \"x\" }",
       "<input>:2:27: error: 'v' holds an integer, not a string"},
      {"initial state a { alarm urgent \"x\" }",
       "<input>:1:25: error: unknown severity 'urgent' (expected notice, warning, critical)"},
      {"initial state a { boot active \"boot\\r\" }",
       "<input>:1:24: error: 'boot' boots the standby only (write 'boot standby \"…\"'), not "
       "'active'"},
      {"initial state a { on ping.down { boot sh \"boot\\r\" } -> a }",
       "<input>:1:39: error: 'boot' boots the standby only (write 'boot standby \"…\"'), not 'sh'"},
      {"initial state a { boot standby \"boot $dev\" }",
       "<input>:1:38: error: unknown variable '$dev'"},
      {"initial state a { power active reboot }",
       "<input>:1:32: error: unknown power operation 'reboot' (expected off, on, cycle)"},
      {"initial state a { on active nope -> a }", "<input>:1:29: error: unknown pattern 'nope'"},
      {"param x = 1\nparam x = 2\ninitial state a {}",
       "<input>:2:7: error: duplicate param 'x' (first declared at <input>:1)"},
      {"param reason = \"x\"\ninitial state a {}",
       "<input>:1:7: error: param 'reason' shadows the builtin $reason"},
      {"initial state a extends b {}",
       "<input>:1:25: error: unknown state 'b' to extend; did you mean 'a'?"},
      {"initial state a extends a {}", "<input>:1:25: error: state 'a' extends itself through 'a'"},
      {"initial state a { on sh.exit 99999999999 -> a }",
       "<input>:1:30: error: exit status out of range: 99999999999"},
      {"param n = 99999999999999999999\ninitial state a {}",
       "<input>:1:11: error: integer out of range: 99999999999999999999"},
      {"initial state a { on sh.exit active -> a }",
       "<input>:1:30: error: 'sh.exit' takes an exit status, not a channel"},
      {"initial state a { after 1s -> $next }",
       "<input>:1:31: error: unknown param '$next' (a '->' target names a state or a param)"},
      {"param n = 3\ninitial state a { after 1s -> $n }",
       "<input>:2:31: error: '-> $n' needs a string param naming a state; 'n' is an integer"},
      {"param n = \"fense\"\ninitial state a { after 1s -> $n }\nstate fence {}",
       "<input>:2:31: error: '-> $n': param 'n' is 'fense', which is not a state; did you mean "
       "'fence'?"},
      {"var n = \"a\"\ninitial state a { after 1s -> $n }",
       "<input>:2:31: error: '-> $n': 'n' is a var, which changes at run time; a target takes a "
       "param"},
  };
  for (const auto& c : kCases) {
    auto got = diags(c.text);
    ASSERT_FALSE(got.empty()) << c.text;
    EXPECT_EQ(got[0], c.first) << c.text;
  }
}

// `boot standby "TEXT"` compiles to a Boot action on the standby, its text a
// template like send's.
TEST(Compiler, BootCompilesToABootOfTheStandby) {
  auto s = testing::compile_ok(
      "param dev = \"shared\"\ninitial state a { on ping.down { mark fenced active } -> b }\n"
      "state b { boot standby \"boot $dev\\r\"\n after 1m -> a }");
  ASSERT_TRUE(s->program);
  const State& b = s->program->states.at(1);
  ASSERT_EQ(b.entry.size(), 1u);
  EXPECT_EQ(b.entry[0].kind, Action::Kind::Boot);
  EXPECT_EQ(b.entry[0].channel, Channel::Standby);
  EXPECT_EQ(b.entry[0].loc.line, 3);
  EXPECT_EQ(b.entry[0].loc.col, 11);
  ASSERT_EQ(b.entry[0].text.segments.size(), 3u);
  EXPECT_EQ(b.entry[0].text.segments[0].literal, "boot ");
  EXPECT_EQ(b.entry[0].text.segments[1].kind, Template::Segment::Kind::Value);
}

TEST(Compiler, ParamOverridesAreTypedAndMustExist) {
  const char* text =
      "param t = 20s\nparam n = 3\nparam s = \"a\"\nvar v = 1\ninitial state a { after $t -> a }";
  EXPECT_TRUE(diags(text, nullptr, {{"t", "250ms"}, {"n", "7"}, {"s", "b"}}).empty());
  EXPECT_EQ(diags(text, nullptr, {{"t", "soon"}}),
            std::vector<std::string>{
                "<params>: error: param 't' is a duration; 'soon' is not (e.g. 250ms, 20s, 10m)"});
  EXPECT_EQ(diags(text, nullptr, {{"n", "3x"}}),
            std::vector<std::string>{"<params>: error: param 'n' is an integer; '3x' is not"});
  EXPECT_EQ(diags(text, nullptr, {{"zz", "1"}}),
            std::vector<std::string>{
                "<params>: error: no param 'zz' in the script (cannot set it to '1')"});
  EXPECT_EQ(diags(text, nullptr, {{"v", "1"}}),
            std::vector<std::string>{
                "<params>: error: no param 'v' in the script (cannot set it to '1')"});
  auto s = testing::compile_ok(text, {{"t", "1m30s"}, {"n", " +12"}});
  ASSERT_TRUE(s->ok());
  EXPECT_EQ(s->program->values[1].integer, 12);
  EXPECT_EQ(s->program->states[0].handlers[0].after, std::chrono::seconds(90));
  EXPECT_EQ(s->program->states[0].handlers[0].trigger, "after $t (1m30s)");
}

// Overrides are read as strtoll reads a number (blanks before it, a sign),
// but the whole text, and without an exception for the ones that are not.
TEST(ValueCompiler, ParseIntegerTakesTheWholeTextOrNothing) {
  EXPECT_EQ(parse_integer("7"), 7);
  EXPECT_EQ(parse_integer("  -7"), -7);
  EXPECT_EQ(parse_integer("+7"), 7);
  EXPECT_EQ(parse_integer("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", " ", "+", "-", "+-7", "7 ", "7x", "0x10", "9223372036854775808"}) {
    EXPECT_FALSE(parse_integer(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(Suggester, SuggestsTheClosestNameWithinTwoEditsAndStopsAtItsBudget) {
  EXPECT_EQ(edit_distance("fense", "fence"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  Suggester s(2);
  const std::vector<std::string> names{"fence", "fence_again", "watch"};
  EXPECT_EQ(s.suggest("fense", names), "; did you mean 'fence'?");
  EXPECT_EQ(s.suggest("nothing", names), "");
  EXPECT_EQ(s.suggest("fense", names), "") << "past its budget";
}

// A policy from the cluster config picks a branch: the param names the state,
// resolved at compile time, so the checker proves the branch the config chose.
TEST(Compiler, ATargetParamNamesTheStateAndTheConfigCanChangeIt) {
  const char* text =
      "param on_loss = \"fence\"\ninitial state watch { on ping.down -> $on_loss }\n"
      "state fence { after 1s -> watch }\nstate alarm_only { after 1s -> watch }";
  auto d = testing::compile_ok(text);
  ASSERT_TRUE(d->ok());
  EXPECT_EQ(d->program->states[0].handlers[0].target, d->program->find_state("fence"));
  auto o = testing::compile_ok(text, {{"on_loss", "alarm_only"}});
  ASSERT_TRUE(o->ok());
  EXPECT_EQ(o->program->states[0].handlers[0].target, o->program->find_state("alarm_only"));
  EXPECT_EQ(diags(text, nullptr, {{"on_loss", "nowhere"}}),
            std::vector<std::string>{"<input>:2:39: error: '-> $on_loss': param 'on_loss' is "
                                     "'nowhere', which is not a state"});
}

TEST(Compiler, ExtendsAppendsTheParentsHandlersAfterItsOwn) {
  auto s = testing::compile_ok(
      "initial state base { on ping.down -> b\n after 60s -> child }\n"
      "state child extends base { after 5s -> base }\nstate b { after 1s -> base }");
  ASSERT_TRUE(s->ok());
  const auto& child = s->program->states[static_cast<std::size_t>(s->program->find_state("child"))];
  ASSERT_EQ(child.handlers.size(), 3u);
  EXPECT_EQ(child.handlers[0].trigger, "after 5s");
  EXPECT_EQ(child.handlers[1].trigger, "ping.down");
  EXPECT_EQ(child.handlers[2].trigger, "after 1m");
}

TEST(StockScript, ChecksCleanEvenStrict) {
  FileLoader loader;
  auto s = load_script(std::string(CLUSTERD_SOURCE_DIR) + "/scripts/sparc-obp.chat", loader);
  EXPECT_TRUE(s.ok());
  for (const auto& d : s.diagnostics) ADD_FAILURE() << format_line(d);
}

}  // namespace
}  // namespace clusterd::chat
