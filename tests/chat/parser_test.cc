// Grammar and parser: valid and invalid snippets with the exact diagnostic
// text a user sees, includes, string escapes.
#include "chat/parser.h"

#include <gtest/gtest.h>

#include "tests/support/chat_support.h"

namespace clusterd::chat {
namespace {

using testing::diags;

TEST(Grammar, AnalyzeFindsNoLoopingRules) { EXPECT_EQ(analyze_grammar(), 0u); }

TEST(Parser, AcceptsEveryConstruct) {
  const char* const kValid[] = {
      "initial state a {}",
      "initial state a { after 20s -> a }",
      "param p = \"x\"\nparam d = 250ms\nparam n = 3\ninitial state a { after $d -> a }",
      "var v = \"\"\ninitial state a { on ping.down { set v = \"y$active\" } }",
      "initial state a { send active \"\\r\\n\\t\\e\\0\\x7f\\\\\\\"\\$\" }",
      "initial state a { on active \"ok \" | /x+y/ unless /grep/ -> a }",
      "pattern p = /a/ | \"b\" unless /c/ | \"d\"\ninitial state a { on standby p -> a }",
      "initial state a { on console.lost active -> a\n on sh.exit 2 -> a\n on sh.exit -> a }",
      "initial state a { on ping.down { mark fenced active presumed; takeover } -> a on "
      "fence.refused -> a }",
      "initial state a { exec \"/bin/true\" \"$0\" \"x\"\n log \"l\" alarm critical \"c\" power "
      "standby cycle }",
      "initial state a { send active secret \"console_password\" break standby }",
      "# comment\ninitial state a { } # trailing\nstate b extends a { after 1h30m -> a }",
      "initial state a{on ping.up->a}",
  };
  for (const char* text : kValid) {
    auto p = parse_text(text);
    EXPECT_TRUE(p.diagnostics.empty()) << text << "\n -> " << format_line(p.diagnostics.at(0));
  }
}

struct Bad {
  const char* text;
  const char* message;
};

TEST(Parser, RejectsWithExactPosition) {
  const Bad kBad[] = {
      {"initial state a { send active \"x }",
       "<input>:1:35: error: unterminated string (a string ends on its line)"},
      {"initial state a { on active /x }",
       "<input>:1:33: error: unterminated regex (a regex ends on its line)"},
      {"initial state a { sned active \"x\" }",
       "<input>:1:19: error: expected an action, a handler ('on', 'after') or '}' to close the "
       "state"},
      {"initial state a { on ping.down -> }",
       "<input>:1:35: error: expected a state name (or $param) after '->'"},
      {"initial state a { after soon -> a }",
       "<input>:1:25: error: expected a duration (250ms, 20s, 10m, 1h) or a $param after 'after'"},
      {"initial state a { on -> a }",
       "<input>:1:22: error: expected an event (ping.down, …) or a channel and a pattern after "
       "'on'"},
      {"initial state a { on active -> a }",
       "<input>:1:29: error: expected a pattern (\"literal\", /regex/ or a pattern name)"},
      {"param x 3", "<input>:1:9: error: expected '='"},
      {"param x = ",
       "<input>:1:11: error: expected a value: \"string\", integer or duration (250ms, 20s, 10m, "
       "1h)"},
      {"statee a {}",
       "<input>:1:1: error: expected a declaration: state, initial state, param, var, pattern or "
       "include"},
      {"initial state a { mark active }", "<input>:1:24: error: expected 'fenced' after 'mark'"},
      {"initial state a { alarm critical }", "<input>:1:34: error: expected a \"string\""},
      {"initial state a { on ping.down { send active \"x\" -> a }",
       "<input>:1:50: error: expected an action (send, boot, break, alarm, exec, log, set, mark, "
       "takeover, power) or '}'"},
      {"initial state a { boot }", "<input>:1:24: error: expected a channel (active, standby)"},
      {"initial state a { boot standby }", "<input>:1:32: error: expected a \"string\""},
      {"initial state a {",
       "<input>:1:18: error: expected an action, a handler ('on', 'after') or '}' to close the "
       "state"},
      {"pattern p = | /x/", "<input>:1:13: error: expected a pattern: \"literal\" or /regex/"},
      {"initial state a { on active \"x\" | }",
       "<input>:1:35: error: expected a pattern: \"literal\" or /regex/"},
      {"initial state a { send active \"\\q\" }",
       "<input>:1:32: error: unknown escape '\\q' (known: \\r \\n \\t \\e \\0 \\\\ \\\" \\$ "
       "\\xHH)"},
      {"initial state a { send active \"\\x4\" }", "<input>:1:32: error: \\x needs two hex digits"},
      {"initial state a { log \"cost $ 5\" }",
       "<input>:1:29: error: '$' must be followed by a name, a digit or {…} (write \\$ for a "
       "dollar)"},
      {"initial state a { after 1000000000h -> a }",
       "<input>:1:25: error: duration out of range (at most 10000h): 1000000000h"},
      {"state b extends {}", "<input>:1:17: error: expected the name of the state to extend"},
  };
  for (const auto& b : kBad) {
    auto got = diags(b.text);
    ASSERT_FALSE(got.empty()) << b.text;
    EXPECT_EQ(got[0], b.message) << b.text;
  }
}

TEST(Parser, DecodesStringsIntoSegments) {
  auto p = parse_text("initial state a { log \"x\\r$active ${reason}y $3\\$\" }");
  ASSERT_TRUE(p.diagnostics.empty());
  const auto& segs = p.script.states.at(0).entry.at(0).text.segments;
  ASSERT_EQ(segs.size(), 7u);
  EXPECT_EQ(segs[0].text, "x\r");
  EXPECT_EQ(segs[1].text, "active");
  EXPECT_EQ(segs[2].text, " ");
  EXPECT_EQ(segs[3].text, "reason");
  EXPECT_EQ(segs[4].text, "y ");
  EXPECT_EQ(segs[5].kind, ast::Text::Segment::Kind::Capture);
  EXPECT_EQ(segs[5].capture, 3);
  EXPECT_EQ(segs[6].text, "$");  // "\$" is a literal dollar
}

TEST(Parser, LiteralPatternsKeepDollarsAndRegexesUnescapeSlashes) {
  auto p = parse_text("initial state a { on active \"$5 ok\" -> a\n on active /a\\/b\\d/ -> a }");
  ASSERT_TRUE(p.diagnostics.empty());
  EXPECT_EQ(p.script.states[0].handlers[0].pattern.any[0].source, "$5 ok");
  EXPECT_EQ(p.script.states[0].handlers[1].pattern.any[0].source, "a/b\\d");
}

TEST(Parser, IncludesRelativeToTheIncludingFileOnce) {
  MemoryLoader files;
  files.files["dir/main.chat"] =
      "include \"lib/p.chat\"\ninclude \"lib/p.chat\"\ninitial state a { on active p -> a }";
  files.files["dir/lib/p.chat"] = "pattern p = \"ok \"";
  auto p = parse_file("dir/main.chat", files);
  EXPECT_TRUE(p.diagnostics.empty());
  ASSERT_EQ(p.script.patterns.size(), 1u);
  EXPECT_EQ(p.script.patterns[0].name.loc.file, "dir/lib/p.chat");
  EXPECT_EQ(p.script.sources.size(), 2u);
}

TEST(Parser, ReportsIncludeCyclesAndMissingFiles) {
  MemoryLoader files;
  files.files["a.chat"] = "include \"b.chat\"\ninitial state s {}";
  files.files["b.chat"] = "include \"a.chat\"";
  auto p = parse_file("a.chat", files);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(format_line(p.diagnostics[0]),
            "b.chat:1:1: error: include cycle: a.chat -> b.chat -> a.chat");

  files.files["c.chat"] = "include \"nope.chat\"";
  auto q = parse_file("c.chat", files);
  ASSERT_EQ(q.diagnostics.size(), 1u);
  EXPECT_EQ(
      format_line(q.diagnostics[0]),
      "c.chat:1:9: error: cannot include \"nope.chat\": nope.chat: No such file or directory");
}

TEST(Parser, ErrorsInIncludedFilesNameThatFile) {
  MemoryLoader files;
  files.files["m.chat"] = "include \"x.chat\"\ninitial state s {}";
  files.files["x.chat"] = "\n\npattern p = /unterminated";
  auto p = parse_file("m.chat", files);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(format_line(p.diagnostics[0]),
            "x.chat:3:26: error: unterminated regex (a regex ends on its line)");
}

TEST(Diagnostic, TextFormatShowsTheLineAndACaret) {
  auto s = load_script_text("initial state a {\n\tafter 1s -> nowhere\n}");
  ASSERT_EQ(s.diagnostics.size(), 1u);
  EXPECT_EQ(format_text(s.diagnostics[0]),
            "<input>:2:14: error: unknown state 'nowhere'\n"
            "    \tafter 1s -> nowhere\n"
            "    \t            ^\n");
}

TEST(Diagnostic, JsonEscapesAndListsEveryField) {
  Diagnostics ds{{{"a\"b.chat", 1, 2}, Severity::Warning, "say \"hi\"\n", {}}};
  EXPECT_EQ(format_json(ds),
            "[\n  {\"file\": \"a\\\"b.chat\", \"line\": 1, \"col\": 2, \"severity\": \"warning\", "
            "\"message\": \"say \\\"hi\\\"\\\\x0a\"}\n]\n");  // escape_text's \x0a, then JSON's
  EXPECT_EQ(format_json({}), "[]\n");
}

}  // namespace
}  // namespace clusterd::chat
