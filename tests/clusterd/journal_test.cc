// The journal: records survive a reopen, replay gives the roles and the
// failover step reached, a record torn by a crash is never read as one, and
// a record that could not be written leaves no trace (FaultEnv).
#include "clusterd/journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/fault_env.h"

namespace clusterd {
namespace {

namespace fs = std::filesystem;
using testing::FaultEnv;

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

// The stock script's retry: a second boot-sent in the same failover. A
// restart resumes in the state of the latest boot; the count starts again
// after the takeover.
TEST(Journal, TheLatestBootNamesTheStateAndAttemptsCountUntilTheTakeover) {
  JournalState s;
  apply(s, rec(kT, JournalKind::FenceConfirmed, {{"node", "alpha"}}));
  apply(s, rec(kT + 1, JournalKind::BootSent,
               {{"node", "beta"}, {"state", "boot_standby"}, {"attempt", "1"}}));
  EXPECT_EQ(s.boot_attempts, 1);
  apply(s, rec(kT + 2, JournalKind::BootSent,
               {{"node", "beta"}, {"state", "boot_again"}, {"attempt", "2"}}));
  EXPECT_TRUE(s.boot_in_flight());
  EXPECT_EQ(s.boot_state, "boot_again");
  EXPECT_EQ(s.boot_sent_ns, kT + 2);
  EXPECT_EQ(s.boot_attempts, 2);
  apply(s, rec(kT + 3, JournalKind::Takeover, {{"active", "beta"}, {"standby", "alpha"}}));
  EXPECT_EQ(s.boot_attempts, 0);
  EXPECT_TRUE(s.boot_state.empty());
}

TEST(Journal, KindNamesRoundTrip) {
  for (auto k : {JournalKind::Roles, JournalKind::FenceConfirmed, JournalKind::BootSent,
                 JournalKind::Takeover, JournalKind::Note}) {
    EXPECT_EQ(journal_kind_from_name(journal_kind_name(k)), k) << journal_kind_name(k);
  }
  EXPECT_FALSE(journal_kind_from_name("boot_sent").has_value());
}

// Given a journal with the roles, when the fence's record cannot be written
// (a write error, a full disk that took half the line, a failed fdatasync),
// append() says so, the state is as before, and the file holds nothing of it:
// the next record replays alone, not glued to half a line.
struct FailedAppend {
  const char* name;
  FaultEnv::Fault fault;
};

void PrintTo(const FailedAppend& f, std::ostream* os) { *os << f.name; }

class JournalFault : public ::testing::TestWithParam<FailedAppend> {};

TEST_P(JournalFault, FailedAppendLeavesStateAndFileAsTheyWere) {
  FaultEnv env;
  env.put("/state/prod.journal", "");
  auto j = Journal::open("/state/prod.journal", nullptr, env);
  ASSERT_TRUE(j.ok()) << j.error().message;
  ASSERT_TRUE(
      (*j)->append(rec(kT, JournalKind::Roles, {{"active", "alpha"}, {"standby", "beta"}})).ok());
  const std::string before = *env.file("/state/prod.journal");
  env.inject(GetParam().fault);
  auto r = (*j)->append(rec(kT + 1, JournalKind::FenceConfirmed, {{"node", "alpha"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/state/prod.journal"), std::string::npos) << r.error().message;
  EXPECT_TRUE((*j)->state().fenced.empty());
  EXPECT_EQ((*j)->state().active, "alpha");
  EXPECT_EQ(env.file("/state/prod.journal"), before);
  ASSERT_TRUE((*j)->append(rec(kT + 2, JournalKind::Note, {{"text", "later"}})).ok());
  j.value().reset();
  env.restart();
  std::vector<std::string> warnings;
  auto again = Journal::open("/state/prod.journal", &warnings, env);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  EXPECT_TRUE((*again)->state().fenced.empty());
  EXPECT_EQ(env.file("/state/prod.journal")->find("fence-confirmed"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Append, JournalFault,
    ::testing::Values(FailedAppend{"WriteEio", {.op = FaultEnv::Op::Append, .error = EIO}},
                      FailedAppend{"DiskFullAfterHalfTheLine",
                                   {.op = FaultEnv::Op::Append, .error = ENOSPC, .keep_bytes = 30}},
                      FailedAppend{"FdatasyncFails", {.op = FaultEnv::Op::Sync, .error = EIO}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// The partial line cannot be cut off: no record may follow it.
TEST(Journal, PartialLineThatCannotBeCutRefusesEveryLaterRecord) {
  FaultEnv env;
  env.put("/state/prod.journal", "");
  auto j = Journal::open("/state/prod.journal", nullptr, env);
  env.inject({.op = FaultEnv::Op::Append, .error = ENOSPC, .keep_bytes = 30});
  env.inject({.op = FaultEnv::Op::Truncate});
  EXPECT_FALSE((*j)->append(rec(kT, JournalKind::BootSent, {{"node", "beta"}})).ok());
  auto later = (*j)->append(rec(kT + 1, JournalKind::Note, {{"text", "x"}}));
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error().message.find("could not be cut off"), std::string::npos)
      << later.error().message;
  EXPECT_EQ(env.file("/state/prod.journal")->size(), 30u) << "nothing was glued to it";
}

// Given a crash in the middle of the boot's record (its first k bytes on
// disk, for every k): the replay warns about that line, ignores it and
// knows only the fence.
TEST(Journal, TornRecordIsReportedByLineAndIgnoredOnReplay) {
  const std::string boot =
      format_journal_record(rec(kT + 2, JournalKind::BootSent, {{"node", "beta"}})) + "\n";
  for (std::size_t k = 1; k < boot.size(); ++k) {
    FaultEnv env;
    env.put("/state/prod.journal", "# clusterd journal\n");
    {
      auto j = Journal::open("/state/prod.journal", nullptr, env);
      ASSERT_TRUE(j.ok());
      ASSERT_TRUE((*j)->append(rec(kT, JournalKind::FenceConfirmed, {{"node", "alpha"}})).ok());
      env.inject({.op = FaultEnv::Op::Append, .keep_bytes = k, .power_cut = true});
      EXPECT_FALSE((*j)->append(rec(kT + 2, JournalKind::BootSent, {{"node", "beta"}})).ok());
    }
    env.restart();
    ASSERT_EQ(env.file("/state/prod.journal")->size(),
              std::string("# clusterd journal\n").size() +
                  format_journal_record(rec(kT, JournalKind::FenceConfirmed, {{"node", "alpha"}}))
                      .size() +
                  1 + k);
    std::vector<std::string> warnings;
    auto j = Journal::open("/state/prod.journal", &warnings, env);
    ASSERT_TRUE(j.ok());
    ASSERT_EQ(warnings.size(), 1u) << "k=" << k;
    EXPECT_EQ(warnings[0], "/state/prod.journal:3: incomplete last record ignored") << "k=" << k;
    EXPECT_FALSE((*j)->state().boot_in_flight()) << "k=" << k;
    EXPECT_EQ((*j)->state().fenced, std::set<std::string>{"alpha"}) << "k=" << k;
  }
}

// A new journal: its name is synced with it, so its first synced record
// survives a power cut right after.
TEST(Journal, FirstRecordOfANewJournalSurvivesAPowerCut) {
  FaultEnv env;
  ASSERT_TRUE(env.make_dir("/state", 0750).ok());
  {
    auto j = Journal::open("/state/prod.journal", nullptr, env);
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE((*j)->append(rec(kT, JournalKind::BootSent, {{"node", "beta"}})).ok());
  }
  env.restart();  // the power cut: only what was synced, under synced names, is left
  auto j = Journal::open("/state/prod.journal", nullptr, env);
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE((*j)->state().boot_in_flight());
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
