// The one diagnostic format, for scripts and configs alike: gcc-style first
// line with the severity word, then the source line and a caret.
#include "base/diagnostic.h"

#include <gtest/gtest.h>

namespace clusterd {
namespace {

TEST(Diagnostic, LineHasFileLineColSeverityMessage) {
  struct Case {
    Diagnostic d;
    std::string want;
  };
  const Case cases[] = {
      {{{"x.chat", 12, 9}, Severity::Error, "unknown state 'fense'", ""},
       "x.chat:12:9: error: unknown state 'fense'"},
      {{{"x.chat", 3, 1}, Severity::Warning, "pattern 'p' is never used", ""},
       "x.chat:3:1: warning: pattern 'p' is never used"},
      {{{"CList", 3, 0}, Severity::Error, "cluster 'a' is already listed at line 1", ""},
       "CList:3: error: cluster 'a' is already listed at line 1"},
      {{{"prod.toml", 0, 0}, Severity::Error, "no such cluster file", ""},
       "prod.toml: error: no such cluster file"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_line(c.d), c.want);
}

TEST(Diagnostic, TextAddsTheSourceLineAndACaretUnderTheColumn) {
  Diagnostic d{{"prod.toml", 7, 11},
               Severity::Error,
               "nodes.alpha.console: bad port",
               "console = \"telnet://nts1:70x1\""};
  EXPECT_EQ(format_text(d),
            "prod.toml:7:11: error: nodes.alpha.console: bad port\n"
            "    console = \"telnet://nts1:70x1\"\n"
            "              ^\n");
}

TEST(Diagnostic, WholeLineHasNoCaretAndNoSourceLineNoSecondLine) {
  Diagnostic whole{{"CList", 2, 0}, Severity::Error, "dup", "alpha clusters/b.toml"};
  EXPECT_EQ(format_text(whole), "CList:2: error: dup\n    alpha clusters/b.toml\n");
  Diagnostic bare{{"x.chat", 1, 1}, Severity::Error, "m", ""};
  EXPECT_EQ(format_text(Diagnostics{bare, bare}), "x.chat:1:1: error: m\nx.chat:1:1: error: m\n");
}

// Tabs are kept so the caret lines up under tab-indented text; an escaped
// byte is four columns, a UTF-8 character one.
TEST(Diagnostic, CaretCountsPrintedColumns) {
  Diagnostic d{{"x.chat", 1, 6}, Severity::Error, "here", "\t\x01\xc3\xa9 x"};
  EXPECT_EQ(format_text(d), "x.chat:1:6: error: here\n    \t\\x01\xc3\xa9 x\n    \t      ^\n");
}

TEST(Diagnostic, CountsBySeverity) {
  Diagnostics ds{{{"a", 1, 1}, Severity::Error, "e", ""},
                 {{"a", 2, 1}, Severity::Warning, "w", ""},
                 {{"a", 3, 1}, Severity::Error, "e", ""}};
  EXPECT_EQ(count(ds, Severity::Error), 2);
  EXPECT_EQ(count(ds, Severity::Warning), 1);
  EXPECT_EQ(format_json({}), "[]\n");
}

}  // namespace
}  // namespace clusterd
