// The CList reader: one `NAME CONFIG-PATH` a line; every bad line is one
// `CList:LINE: error: message` and the good lines are still listed.
#include "clist/clist.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/diagnostic.h"
#include "tests/support/peers.h"

namespace clusterd::clist {
namespace {

using clusterd::testing::TempDir;

void write(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A $CLUSTER_HOME with clusters/a.toml and clusters/b.toml present.
class CListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(home_.file("clusters"));
    write(home_.file("clusters/a.toml"), "");
    write(home_.file("clusters/b.toml"), "");
  }
  CListResult parse(std::string_view text) { return parse_clist(text, "CList", home_.path()); }
  std::vector<std::string> messages(const CListResult& r) {
    std::vector<std::string> out;
    for (const Diagnostic& d : r.diagnostics) out.push_back(format_line(d));
    return out;
  }
  TempDir home_;
};

TEST_F(CListTest, SkipsCommentsAndBlankLines) {
  auto r = parse(
      "# clusters on this host\n\n   \t\nalpha clusters/a.toml   # production\n  # indented "
      "comment\n"
      "beta\tclusters/b.toml\n");
  EXPECT_TRUE(r.ok()) << format_text(r.diagnostics);
  ASSERT_EQ(r.clist.clusters.size(), 2u);
  EXPECT_EQ(r.clist.clusters[0].name, "alpha");
  EXPECT_EQ(r.clist.clusters[0].line, 4);
  EXPECT_EQ(r.clist.clusters[1].name, "beta");
  EXPECT_EQ(r.clist.clusters[1].line, 6);
}

TEST_F(CListTest, ResolvesRelativePathsAgainstClusterHome) {
  auto r = parse("alpha clusters/a.toml\nbeta " + home_.file("clusters/b.toml") + "\n");
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  EXPECT_EQ(r.clist.clusters[0].config, "clusters/a.toml");
  EXPECT_EQ(r.clist.clusters[0].config_path, home_.file("clusters/a.toml"));
  EXPECT_EQ(r.clist.clusters[1].config_path, home_.file("clusters/b.toml"));
  ASSERT_NE(r.clist.find("beta"), nullptr);
  EXPECT_EQ(r.clist.find("beta")->line, 2);
  EXPECT_EQ(r.clist.find("gamma"), nullptr);
}

TEST_F(CListTest, AcceptsCrlfLineEnds) {
  auto r = parse("alpha clusters/a.toml\r\n");
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  EXPECT_EQ(r.clist.clusters[0].config_path, home_.file("clusters/a.toml"));
}

// A NUL would cut the path short ("a.toml\0.bak" read as a.toml); an ESC
// would reach the terminal. Any control byte refuses the line, at its column.
TEST_F(CListTest, RefusesControlBytesAtTheirColumn) {
  auto r = parse(std::string("alpha clusters/a.toml\0.bak\nbeta clusters/\x1b[2Jb.toml\n", 52));
  EXPECT_EQ(messages(r), (std::vector<std::string>{
                             "CList:1:22: error: control byte \\x00 in the line: a CList line is "
                             "NAME CONFIG-PATH in printable text",
                             "CList:2:15: error: control byte \\e in the line: a CList line is "
                             "NAME CONFIG-PATH in printable text"}));
  EXPECT_TRUE(r.clist.clusters.empty());
}

TEST_F(CListTest, RejectsDuplicateNameAndKeepsTheFirst) {
  auto r = parse("alpha clusters/a.toml\n\nalpha clusters/b.toml\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{
                             "CList:3: error: cluster 'alpha' is already listed at line 1"});
  ASSERT_EQ(r.clist.clusters.size(), 1u);
  EXPECT_EQ(r.clist.clusters[0].config, "clusters/a.toml");
}

TEST_F(CListTest, RejectsTwoClustersSharingOneConfig) {
  auto r = parse("alpha clusters/a.toml\nbeta clusters/../clusters/a.toml\n");
  EXPECT_EQ(
      messages(r),
      std::vector<std::string>{
          "CList:2: error: cluster 'beta': config clusters/../clusters/a.toml is already used by "
          "cluster 'alpha' (line 1); each cluster needs its own file"});
}

TEST_F(CListTest, RejectsMissingConfigFile) {
  auto r = parse("alpha clusters/a.toml\ngamma clusters/c.toml\n");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{
                "CList:2: error: cluster 'gamma': config clusters/c.toml does not exist "
                "(looked for " +
                home_.file("clusters/c.toml") + ")"});
  EXPECT_EQ(r.clist.clusters.size(), 1u);
}

TEST_F(CListTest, RejectsConfigThatIsADirectory) {
  auto r = parse("alpha clusters\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{
                             "CList:1: error: cluster 'alpha': config clusters is not a regular "
                             "file (" +
                             home_.file("clusters") + ")"});
}

TEST_F(CListTest, RejectsBadNameCharacters) {
  const std::string rule =
      "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";
  auto r = parse(
      "a/b clusters/a.toml\n-x clusters/a.toml\n.hidden clusters/a.toml\nprod!1 clusters/a.toml\n" +
      std::string(65, 'n') + " clusters/a.toml\nok-1.2_x clusters/a.toml\n");
  EXPECT_EQ(messages(r),
            (std::vector<std::string>{
                "CList:1: error: cluster name 'a/b' is not valid: " + rule,
                "CList:2: error: cluster name '-x' is not valid: " + rule,
                "CList:3: error: cluster name '.hidden' is not valid: " + rule,
                "CList:4: error: cluster name 'prod!1' is not valid: " + rule,
                "CList:5: error: cluster name '" + std::string(65, 'n') + "' is not valid: " + rule,
            }));
  ASSERT_EQ(r.clist.clusters.size(), 1u);
  EXPECT_EQ(r.clist.clusters[0].name, "ok-1.2_x");
}

TEST_F(CListTest, RejectsLineWithoutConfigPath) {
  auto r = parse("alpha   # no path\n");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"CList:1: error: cluster 'alpha' has no CONFIG-PATH (one "
                                     "cluster a line: NAME CONFIG-PATH)"});
}

TEST_F(CListTest, RejectsExtraWordAfterConfigPath) {
  auto r = parse("alpha clusters/a.toml standby\n");
  EXPECT_EQ(
      messages(r),
      std::vector<std::string>{
          "CList:1: error: cluster 'alpha': unexpected 'standby' after CONFIG-PATH (one cluster a "
          "line: NAME CONFIG-PATH [hosts=H1,H2]; a path has no blanks)"});
}

// The fleet's placement (docs/fleet.md): which monitoring hosts may watch it.
TEST_F(CListTest, HostsNameTheFleetHostsThatMayWatchACluster) {
  auto r = parse("alpha clusters/a.toml hosts=mon1,mon-2\nbeta clusters/b.toml\n");
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  EXPECT_EQ(r.clist.clusters[0].hosts, (std::vector<std::string>{"mon1", "mon-2"}));
  EXPECT_TRUE(r.clist.clusters[1].hosts.empty());
  EXPECT_EQ(messages(parse("alpha clusters/a.toml hosts=\n")),
            std::vector<std::string>{"CList:1: error: cluster 'alpha': hosts= names no host "
                                     "(hosts=mon1,mon2)"});
  EXPECT_EQ(messages(parse("alpha clusters/a.toml hosts=mon1,/x\n")),
            std::vector<std::string>{
                "CList:1: error: cluster 'alpha': host '/x' in hosts= is not valid: use 1-64 "
                "letters, digits, '.', '_' or '-', starting with a letter or digit"});
  EXPECT_EQ(messages(parse("alpha clusters/a.toml hosts=mon1 x\n")),
            std::vector<std::string>{
                "CList:1: error: cluster 'alpha': unexpected 'x' after hosts= (one cluster a line: "
                "NAME CONFIG-PATH [hosts=H1,H2]; a path has no blanks)"});
}

TEST_F(CListTest, ReportsEveryBadLineNotJustTheFirst) {
  auto r = parse("a/b clusters/a.toml\nalpha\nbeta clusters/b.toml\nbeta clusters/a.toml\n");
  EXPECT_EQ(r.diagnostics.size(), 3u);
  EXPECT_EQ(r.clist.clusters.size(), 1u);
}

TEST_F(CListTest, PrintsTheLineWithoutACaret) {
  auto r = parse("alpha clusters/a.toml\nalpha clusters/b.toml\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(
      format_text(r.diagnostics[0]),
      "CList:2: error: cluster 'alpha' is already listed at line 1\n    alpha clusters/b.toml\n");
}

TEST_F(CListTest, ReadClistReadsTheFileUnderClusterHome) {
  write(home_.file("CList"), "alpha clusters/a.toml\nalpha clusters/b.toml\n");
  auto r = read_clist(home_.path());
  EXPECT_EQ(r.clist.path, home_.file("CList"));
  EXPECT_EQ(messages(r),
            std::vector<std::string>{home_.file("CList") +
                                     ":2: error: cluster 'alpha' is already listed at line 1"});
}

TEST_F(CListTest, ReadClistReportsAMissingList) {
  auto r = read_clist(home_.file("nowhere"));
  EXPECT_EQ(messages(r), std::vector<std::string>{
                             home_.file("nowhere/CList") +
                             ": error: no cluster list (one cluster a line: NAME CONFIG-PATH)"});
}

TEST(IsValidName, AcceptsLettersDigitsDotUnderscoreDash) {
  EXPECT_TRUE(is_valid_name("prod-db1.site_a"));
  EXPECT_TRUE(is_valid_name("9"));
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name("_x"));
  EXPECT_FALSE(is_valid_name("a b"));
  EXPECT_FALSE(is_valid_name("é"));
}

}  // namespace
}  // namespace clusterd::clist
