// The journal: records survive a reopen, replay gives the roles and the
// failover step reached, and a record torn by a crash is never read as one.
#include "clusterd/journal.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace clusterd {
namespace {

namespace fs = std::filesystem;

struct TempFile {
  std::string path;
  TempFile() {
    char tmpl[] = "/tmp/clusterd-journal-XXXXXX";
    path = ::mkdtemp(tmpl);
    path += "/prod.journal";
  }
  ~TempFile() { fs::remove_all(fs::path(path).parent_path()); }
};

JournalRecord rec(std::int64_t t, JournalKind k, std::map<std::string, std::string> f) {
  return {t, k, std::move(f)};
}

constexpr std::int64_t kT = 1'795'000'000'000'000'000;

TEST(Journal, ReplayKnowsRolesFenceAndTheBootInFlight) {
  TempFile f;
  {
    auto j = Journal::open(f.path, nullptr);
    ASSERT_TRUE(j.ok()) << j.error().message;
    ASSERT_TRUE(
        (*j)->append(rec(kT, JournalKind::Roles, {{"active", "alpha"}, {"standby", "beta"}})).ok());
    ASSERT_TRUE((*j)->append(rec(kT + 1000000, JournalKind::FenceConfirmed,
                                 {{"node", "alpha"}, {"how", "auto-boot-false"}}))
                    .ok());
    ASSERT_TRUE((*j)->append(rec(kT + 2000000, JournalKind::BootSent, {{"node", "beta"}})).ok());
  }
  // Given clusterd killed after `boot sent`: the reopened journal says so.
  auto j = Journal::open(f.path, nullptr);
  ASSERT_TRUE(j.ok());
  const auto& s = (*j)->state();
  EXPECT_EQ(s.active, "alpha");
  EXPECT_EQ(s.standby, "beta");
  EXPECT_EQ(s.fenced.count("alpha"), 1u);
  EXPECT_TRUE(s.boot_in_flight());
  EXPECT_EQ(s.boot_sent_to, "beta");
  EXPECT_EQ(s.boot_sent_ns, kT + 2000000);  // stamps keep microseconds
}

TEST(Journal, TakeoverSwapsRolesAndEndsTheFailover) {
  JournalState s;
  apply(s, rec(kT, JournalKind::Roles, {{"active", "alpha"}, {"standby", "beta"}}));
  apply(s, rec(kT + 1000000, JournalKind::FenceConfirmed, {{"node", "alpha"}}));
  apply(s, rec(kT + 2000000, JournalKind::BootSent, {{"node", "beta"}}));
  apply(s, rec(kT + 3, JournalKind::Takeover, {{"active", "beta"}, {"standby", "alpha"}}));
  EXPECT_EQ(s.active, "beta");
  EXPECT_EQ(s.standby, "alpha");
  EXPECT_FALSE(s.boot_in_flight());
  EXPECT_TRUE(s.fenced.empty());
  EXPECT_EQ(s.takeovers, 1);
}

TEST(Journal, KindNamesRoundTrip) {
  for (auto k : {JournalKind::Roles, JournalKind::FenceConfirmed, JournalKind::BootSent,
                 JournalKind::Takeover, JournalKind::Note}) {
    EXPECT_EQ(journal_kind_from_name(journal_kind_name(k)), k) << journal_kind_name(k);
  }
  EXPECT_FALSE(journal_kind_from_name("boot_sent").has_value());
}

// The crash-test hook: the record is on disk, then the process is gone.
TEST(Journal, CrashAfterKillsTheProcessOnceTheRecordIsSynced) {
  TempFile f;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto j = Journal::open(f.path, nullptr);
    if (!j.ok()) ::_exit(3);
    (*j)->crash_after(JournalKind::BootSent);
    (void)(*j)->append(rec(kT, JournalKind::FenceConfirmed, {{"node", "alpha"}}));
    (void)(*j)->append(rec(kT + 1, JournalKind::BootSent, {{"node", "beta"}}));
    (void)(*j)->append(
        rec(kT + 2, JournalKind::Takeover, {{"active", "beta"}, {"standby", "alpha"}}));
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  auto j = Journal::open(f.path, nullptr);
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE((*j)->state().boot_in_flight());
  EXPECT_EQ((*j)->state().takeovers, 0);
}

TEST(Journal, TornLastRecordIsCutNotCompleted) {
  TempFile f;
  {
    auto j = Journal::open(f.path, nullptr);
    ASSERT_TRUE(
        (*j)->append(rec(kT, JournalKind::Roles, {{"active", "alpha"}, {"standby", "beta"}})).ok());
  }
  // A crash in the middle of write(2): half a boot-sent record.
  std::string full = format_journal_record(rec(kT + 5, JournalKind::BootSent, {{"node", "beta"}}));
  std::ofstream(f.path, std::ios::app) << full.substr(0, full.size() - 2);
  std::vector<std::string> warnings;
  auto j = Journal::open(f.path, &warnings);
  ASSERT_TRUE(j.ok());
  EXPECT_FALSE((*j)->state().boot_in_flight());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], f.path + ":2: incomplete last record ignored");
  ASSERT_TRUE((*j)->append(rec(kT + 9, JournalKind::Note, {{"text", "restarted"}})).ok());
  j.value().reset();
  warnings.clear();
  auto again = Journal::open(f.path, &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  EXPECT_FALSE((*again)->state().boot_in_flight()) << "the torn record came back to life";
}

TEST(Journal, ValuesWithBlanksAndControlBytesStayOneLine) {
  auto r = rec(kT, JournalKind::Note, {{"text", "fence of alpha\r\n NOT confirmed = \"x\""}});
  std::string line = format_journal_record(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto back = parse_journal_line(line);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->fields.at("text"), "fence of alpha\r\n NOT confirmed = \"x\"");
  EXPECT_EQ(back->time_ns, kT);
}

TEST(Journal, BadLinesAreReportedWithTheirNumberAndSkipped) {
  TempFile f;
  std::ofstream(f.path) << "# clusterd journal\n"
                        << format_journal_record(
                               rec(kT, JournalKind::Roles, {{"active", "a"}, {"standby", "b"}}))
                        << "\nyesterday roles active=b\n"
                        << "2026-11-22T01:02:03Z reboot node=a\n";
  std::vector<std::string> warnings;
  auto j = Journal::open(f.path, &warnings);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)->state().active, "a");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], f.path + ":3: bad time stamp 'yesterday'");
  EXPECT_EQ(warnings[1], f.path + ":4: unknown record kind 'reboot'");
}

}  // namespace
}  // namespace clusterd
