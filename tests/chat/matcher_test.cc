// Streaming matcher: matches across read boundaries, prompts without newline,
// bounded windows on hostile input, linear-time regexes, any byte value.
#include "chat/matcher.h"

#include <gtest/gtest.h>

#include <re2/re2.h>

namespace clusterd::chat {
namespace {

std::unique_ptr<PatternSet> set_of(std::vector<PatternSource> p) {
  auto s = PatternSet::compile(std::move(p));
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return std::move(*s);
}
PatternSource lit(const std::string& s) { return {RE2::QuoteMeta(s), {}}; }
PatternSource re(const std::string& s, std::vector<std::string> unless = {}) {
  return {s, std::move(unless)};
}

// Feeds `chunks` one by one; returns every match as "index:matched text".
std::vector<std::string> run(const PatternSet& set, const std::vector<std::string>& chunks,
                             std::size_t window = 4096) {
  StreamWindow w(window);
  std::vector<std::string> out;
  for (const auto& c : chunks) {
    w.append(c);
    Match m;
    while (w.next(set, m))
      out.push_back(std::to_string(m.index) + ":" + std::string(m.captures[0]));
    EXPECT_LE(w.text().size(), window + 1) << "window must stay bounded";
  }
  return out;
}

TEST(Matcher, FindsAPatternSplitAtEveryByteOffset) {
  auto set = set_of({re("panic\\[cpu\\d+\\]"), lit("{0} ok ")});
  const std::string text = "noise line\r\npanic[cpu12]/thread=1\r\nmore\r\n{0} ok ";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    auto got = run(*set, {text.substr(0, cut), text.substr(cut)});
    EXPECT_EQ(got, (std::vector<std::string>{"0:panic[cpu12]", "1:{0} ok "})) << "cut at " << cut;
  }
  // And one byte at a time.
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  EXPECT_EQ(run(*set, bytes), (std::vector<std::string>{"0:panic[cpu12]", "1:{0} ok "}));
}

// A CR ends a line as a LF does. The Solaris kernel prints its panic line as
// "\n\rpanic[cpu%d]/thread=%p: " (illumos usr/src/uts/common/os/panic.c);
// through a tty's onlcr the wire carries "\r\n\rpanic…". Prompts are redrawn
// after a bare CR. `^` must see all of them as line starts, at any split.
TEST(Matcher, ACrStartsALineWhateverTheLineEndsAround) {
  auto set =
      set_of({re("^panic\\[cpu\\d+\\]/thread=[0-9a-f]+: BAD TRAP"), re("^(\\{\\d+\\} )?ok $")});
  const std::string text =
      "\r\n\rpanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31\r\n\r\rdone\r{0} ok \n\rok \r\n";
  const std::vector<std::string> want{"0:panic[cpu0]/thread=2a100547ca0: BAD TRAP", "1:{0} ok ",
                                      "1:ok "};
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    auto got = run(*set, {text.substr(0, cut), text.substr(cut)});
    if (cut > 0 && cut < text.size() && (text[cut - 1] == ' ' || text[cut] == ' '))
      continue;  // `$` at a read's end
    EXPECT_EQ(got, want) << "cut at " << cut;
  }
  // $0 never holds a CR, and a match never spans one.
  auto span = set_of({re("a.b")});
  EXPECT_TRUE(run(*span, {"a\rb"}).empty());
}

TEST(Matcher, APromptMatchesWithoutATrailingNewline) {
  auto set = set_of({re("console login: ?$")});
  EXPECT_EQ(run(*set, {"\r\nalpha console login: "}),
            std::vector<std::string>{"0:console login: "});
  // Not when something follows on the same line: `$` is the end of the bytes so far.
  EXPECT_TRUE(run(*set, {"console login: x"}).empty());
}

TEST(Matcher, TheMatchThatStartsFirstWinsAndTiesGoToTheFirstDeclared) {
  auto set = set_of({lit("ok"), lit("look ok"), re("o+k")});
  EXPECT_EQ(run(*set, {"look ok"}), (std::vector<std::string>{"1:look ok"}));
  auto tie = set_of({re("ab?"), lit("ab")});
  EXPECT_EQ(run(*tie, {"ab"}), (std::vector<std::string>{"0:ab"}));
}

TEST(Matcher, AMatchNeverSpansALine) {
  auto set = set_of({re("a\\s+b"), re("x[^y]z")});
  EXPECT_TRUE(run(*set, {"a\nb", "x\nz"}).empty());
  EXPECT_EQ(run(*set, {"a  b"}), std::vector<std::string>{"0:a  b"});
}

TEST(Matcher, UnlessVetoesAMatchOnItsLineOnly) {
  auto set = set_of({re("Kernel panic", {"grep"})});
  EXPECT_TRUE(run(*set, {"$ grep 'Kernel panic' /var/log/messages\r\n"}).empty());
  EXPECT_EQ(run(*set, {"grep done\r\n", "Kernel panic - not syncing\r\n"}),
            std::vector<std::string>{"0:Kernel panic"});
  // A vetoed match does not hide a later one on the next line.
  EXPECT_EQ(run(*set, {"grep Kernel panic\nKernel panic\n"}),
            std::vector<std::string>{"0:Kernel panic"});
}

TEST(Matcher, NulAndHighBytesAreOrdinaryCharacters) {
  auto set = set_of({lit(std::string("\xff\x00ok", 4)), re("\\x01.\\x02")});
  EXPECT_EQ(run(*set, {std::string("junk\xff", 5), std::string("\x00ok\x01\xfe\x02", 6)}),
            (std::vector<std::string>{std::string("0:\xff\x00ok", 6), "1:\x01\xfe\x02"}));
}

TEST(Matcher, TenMegabytesWithNoNewlineStayInTheWindow) {
  auto set = set_of({lit("never-there"), re("(x+x+)+y")});
  StreamWindow w(4096);
  std::string chunk(4096, 'x');
  Match m;
  for (int i = 0; i < 10 * 256; ++i) {  // 10 MiB
    w.append(chunk);
    ASSERT_FALSE(w.next(*set, m));
    ASSERT_LE(w.text().size(), 4097u);
  }
  // A pattern that appears after the flood is still found.
  w.append("xxy");
  ASSERT_TRUE(w.next(*set, m));
  EXPECT_EQ(m.index, 1);
  EXPECT_EQ(m.captures[0].back(), 'y');
  EXPECT_LE(m.captures[0].size(), 4096u + 3u);  // the kept window plus the new bytes
}

TEST(Matcher, BacktrackingBombsRunInLinearTime) {
  // Each of these takes exponential time in a backtracking engine on this
  // input; RE2 answers in one pass. A regression would hang, not fail slowly.
  auto set = set_of({re("(a+)+b"), re("(a|aa)+c"), re("(a*)*d"), re("(.*a){12}e")});
  std::string evil(64 * 1024, 'a');
  StreamWindow w(1 << 17);
  w.append(evil);
  Match m;
  EXPECT_FALSE(w.next(*set, m));
  w.append("b");
  ASSERT_TRUE(w.next(*set, m));
  EXPECT_EQ(m.index, 0);
}

TEST(Matcher, ResetForgetsOldBytesButKeepsLineContext) {
  auto set = set_of({re("^ok $")});
  StreamWindow w;
  w.append("\r\nok ");
  w.reset();  // entered a new state: the old prompt does not count
  Match m;
  EXPECT_FALSE(w.next(*set, m));
  w.append("\r\nok ");
  EXPECT_TRUE(w.next(*set, m));
  // `^` after a reset mid-line does not match: the context byte says so.
  StreamWindow v;
  v.append("xx");
  v.reset();
  v.append("ok ");
  EXPECT_FALSE(v.next(*set, m));
}

TEST(Matcher, CapturesAreThePatternsOwnGroups) {
  auto set = set_of({re("(x)(y)"), re("panic\\[cpu(\\d+)\\] (\\w+)")});
  StreamWindow w;
  w.append("panic[cpu3] BAD");
  Match m;
  ASSERT_TRUE(w.next(*set, m));
  EXPECT_EQ(m.index, 1);
  EXPECT_EQ(m.groups, 2);
  EXPECT_EQ(m.captures[1], "3");
  EXPECT_EQ(m.captures[2], "BAD");
  EXPECT_TRUE(m.captures[3].empty());
}

TEST(Matcher, CompileNamesTheRegexRE2Refuses) {
  auto s = PatternSet::compile({re("(a)\\1")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "bad pattern /(a)\\1/: invalid escape sequence: \\1");
}

}  // namespace
}  // namespace clusterd::chat
