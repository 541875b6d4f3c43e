// ClusterRuntime with the stock script, FakeConsoles and virtual time: the
// failover reaches the journal in the right order, a restart mid-failover
// never sends a second boot, and a restart while healthy sends nothing. The
// boot is the script's `boot standby`: refused without a journaled fence,
// journaled before its bytes (each attempt), never guessed from a send.
#include "clusterd/runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/escape.h"
#include "chat/parser.h"
#include "chat/script.h"
#include "tests/support/driven_commands.h"
#include "tests/support/fake_console.h"
#include "tests/support/fault_env.h"

namespace clusterd {
namespace {

using namespace std::chrono_literals;
using chat::TimePoint;
using testing::FakeConsole;
using testing::FaultEnv;

const TimePoint t0{};

struct RecordingAlarms : AlarmSink {
  std::vector<std::string> raised;
  void raise(chat::AlarmSeverity s, const std::string& text, const std::string&) override {
    raised.push_back(std::string(chat::severity_name(s)) + " " + text);
  }
};
struct RecordingCommands : CommandRunner {
  std::vector<std::vector<std::string>> runs;
  bool start(std::uint64_t, const std::vector<std::string>& argv, std::string&) override {
    runs.push_back(argv);
    return true;
  }
  void kill(std::uint64_t) override {}
};

// One cluster: the stock script, alpha active on a FakeConsole, beta standby.
struct Cluster {
  explicit Cluster(const std::string& journal_path, FileEnv& env = FileEnv::posix(),
                   RuntimeOptions options = {}) {
    chat::FileLoader loader;
    script =
        chat::load_script(std::string(CLUSTERD_SOURCE_DIR) + "/scripts/sparc-obp.chat", loader);
    EXPECT_TRUE(script.ok());
    auto j = Journal::open(journal_path, &journal_warnings, env);
    EXPECT_TRUE(j.ok()) << j.error().message;
    journal = std::move(j.value());
    runtime = std::make_unique<ClusterRuntime>(
        *script.program, *journal,
        std::array<NodeSetup, 2>{NodeSetup{"alpha", &alpha, {}, {}},
                                 NodeSetup{"beta", &beta, {}, {}}},
        alarms, commands, nullptr, std::move(options), [this](TimePoint at, std::string_view text) {
          timeline.push_back(
              std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(at - t0).count()) +
              "ms " + std::string(text));
        });
    alpha.bring_up();
    beta.bring_up();
  }
  void feed(FakeConsole& c, std::string_view name, std::string_view bytes, TimePoint at) {
    c.feed(bytes);
    runtime->on_console_bytes(name, bytes, at);
  }
  std::string timeline_text() const {
    std::string s;
    for (const auto& l : timeline) s += l + "\n";
    return s;
  }

  chat::LoadedScript script;
  std::vector<std::string> journal_warnings;
  std::unique_ptr<Journal> journal;
  FakeConsole alpha{tty::parse_endpoint("telnet://nts1:7001").value(), {}};
  FakeConsole beta{tty::parse_endpoint("telnet://nts1:7002").value(), {}};
  RecordingAlarms alarms;
  RecordingCommands commands;
  std::vector<std::string> timeline;
  std::unique_ptr<ClusterRuntime> runtime;
};

using testing::TempDir;

std::vector<std::string> journal_kinds_in(std::istream& in) {
  std::vector<std::string> kinds;
  for (std::string line; std::getline(in, line);) {
    auto r = parse_journal_line(line);
    if (r.ok())
      kinds.push_back(journal_kind_name(r->kind) +
                      (r->fields.count("node") ? " " + r->fields.at("node") : ""));
  }
  return kinds;
}
std::vector<std::string> journal_kinds(const std::string& path) {
  std::ifstream in(path);
  return journal_kinds_in(in);
}

// The boot-sent records of the journal at `path`, each as its fields.
std::vector<std::map<std::string, std::string>> boots(const std::string& path) {
  std::vector<std::map<std::string, std::string>> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto r = parse_journal_line(line);
    if (r.ok() && r->kind == JournalKind::BootSent) out.push_back(r->fields);
  }
  return out;
}

bool has_line(const std::vector<std::string>& lines, std::string_view part) {
  for (const auto& l : lines) {
    if (l.find(part) != std::string::npos) return true;
  }
  return false;
}

// The panic conversation of tests/chat/golden/primary_panic, up to the boot.
void panic_until_boot(Cluster& c) {
  c.runtime->start(t0);
  c.feed(c.alpha, "alpha",
         "\r\npanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31 rp=2a100546f80 addr=0\r\n",
         t0 + 12s);
  c.feed(c.alpha, "alpha", "\r\nType 'go' to resume\r\n{0} ok ", t0 + 13s);
  c.feed(c.alpha, "alpha", "setenv auto-boot? false\r\n{0} ok ", t0 + 13200ms);
  c.feed(c.alpha, "alpha", "printenv auto-boot?\r\nauto-boot? =          false\r\n{0} ok ",
         t0 + 13400ms);
}

TEST(ClusterRuntime, PanicFencesJournalsThenBootsThenTakesOver) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  Cluster c(jp);
  panic_until_boot(c);
  EXPECT_EQ(c.alpha.breaks, 1) << c.timeline_text();
  EXPECT_NE(c.alpha.written.find("setenv auto-boot? false\r"), std::string::npos);
  EXPECT_EQ(c.beta.written, "boot shared\r") << c.timeline_text();
  EXPECT_EQ(c.runtime->state(), "boot_standby");
  // The fence and the boot are on disk, in that order, before the takeover.
  EXPECT_EQ(journal_kinds(jp),
            (std::vector<std::string>{"roles", "fence-confirmed alpha", "boot-sent beta"}));
  EXPECT_EQ(boots(jp).at(0), (std::map<std::string, std::string>{
                                 {"node", "beta"}, {"state", "boot_standby"}, {"attempt", "1"}}));
  c.feed(c.beta, "beta", "\r\nbeta console login: ", t0 + 58s);
  EXPECT_EQ(c.runtime->active(), "beta");
  EXPECT_EQ(c.runtime->standby(), "alpha");
  EXPECT_EQ(journal_kinds(jp).back(), "takeover");
  EXPECT_EQ(c.alarms.raised.size(), 2u) << c.timeline_text();
}

// Fleet mode (docs/fleet.md): a monitor whose owner check fails writes
// nothing to a node, runs nothing, and says so once by a critical alarm; the
// failover goes on when the check passes again.
TEST(ClusterRuntime, NotTheOwnerWritesNothingAndAlarmsOnce) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  bool owner = false;
  RuntimeOptions ro;
  ro.owner_check = [&]() -> Result<void> {
    if (owner) return {};
    return Error::io("lease deadline passed 3000 ms ago");
  };
  ro.journal_intents = true;
  Cluster c(jp, FileEnv::posix(), ro);
  panic_until_boot(c);
  EXPECT_EQ(c.alpha.breaks, 0) << c.timeline_text();
  EXPECT_EQ(c.alpha.written, "") << c.timeline_text();
  EXPECT_EQ(c.beta.written, "") << c.timeline_text();
  EXPECT_EQ(journal_kinds(jp), (std::vector<std::string>{})) << "no record: no intent, no fence";
  int alarms = 0;
  for (const auto& a : c.alarms.raised)
    alarms +=
        a.find("may no longer act for the cluster (lease deadline passed") != std::string::npos;
  EXPECT_EQ(alarms, 1) << c.timeline_text();
  EXPECT_TRUE(has_line(c.timeline, "NOT DONE, not the owner: BREAK alpha")) << c.timeline_text();
  EXPECT_FALSE(c.runtime->owner_ok(t0 + 20s));
  owner = true;
  EXPECT_TRUE(c.runtime->owner_ok(t0 + 21s));
  EXPECT_TRUE(has_line(c.timeline, "may act for the cluster again")) << c.timeline_text();
}

// With the owner check passing, a fleet's BREAK is journaled as an intent
// first (refused to a stale owner by etcd), then sent.
TEST(ClusterRuntime, AFleetBreakIsJournaledAsAnIntentFirst) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  RuntimeOptions ro;
  ro.owner_check = []() -> Result<void> { return {}; };
  ro.journal_intents = true;
  Cluster c(jp, FileEnv::posix(), ro);
  panic_until_boot(c);
  EXPECT_EQ(c.alpha.breaks, 1) << c.timeline_text();
  EXPECT_EQ(
      journal_kinds(jp),
      (std::vector<std::string>{"roles", "note alpha", "fence-confirmed alpha", "boot-sent beta"}));
  std::ifstream in(jp);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find("note intent=break node=alpha"), std::string::npos) << all;
}

// $0 in an alarm is console text: an ESC sequence or a CR from the node
// never reaches the timeline (and `clusterctl timeline`'s terminal) raw.
TEST(ClusterRuntime, ConsoleBytesInAnAlarmAreEscapedInTheTimeline) {
  TempDir d;
  Cluster c(d.path + "/prod.journal");
  c.runtime->start(t0);
  c.feed(c.alpha, "alpha", "\r\npanic[cpu0]/thread=1: \x1b]0;owned\x07 BAD TRAP\r\n", t0 + 12s);
  c.runtime->advance_to(t0 + 13s);  // past panic_confirm: no prompt followed the line
  std::string t = c.timeline_text();
  EXPECT_NE(t.find("alarm critical \"fencing alpha: panic on alpha: panic[cpu0]/thread=1: "
                   "\\e]0;owned\\x07 BAD TRAP"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find('\x1b'), std::string::npos) << "a raw ESC in the timeline";
  EXPECT_EQ(t.find('\x07'), std::string::npos) << "a raw BEL in the timeline";
}

TEST(ClusterRuntime, RestartAfterBootSentWaitsForThatBootAndNeverSendsAnother) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  {
    Cluster c(jp);
    panic_until_boot(c);
    ASSERT_EQ(c.beta.written, "boot shared\r");
  }  // clusterd killed here: boot sent, no takeover yet
  Cluster c(jp);
  c.runtime->start(t0 + 20s);
  EXPECT_EQ(c.runtime->state(), "boot_standby") << c.timeline_text();
  // Only a CR asking for the prompt (the boot may have ended while no
  // clusterd watched); never a second boot.
  EXPECT_EQ(c.beta.written, "\r") << "a second boot went to the standby";
  EXPECT_EQ(c.alpha.breaks + c.beta.breaks, 0) << "BREAK on restart";
  // The boot the dead process sent shows its text: not a rogue boot to stop.
  c.feed(c.beta, "beta",
         "boot shared\r\nBoot device: /pci@1f,0/scsi@8/disk@1,0  File and args:\r\n", t0 + 21s);
  c.feed(c.beta, "beta", "SunOS Release 5.10 Version Generic_147147-26 64-bit\r\n", t0 + 22s);
  EXPECT_EQ(c.beta.breaks, 0) << c.timeline_text();
  c.feed(c.beta, "beta", "\r\nbeta console login: ", t0 + 60s);
  EXPECT_EQ(c.runtime->active(), "beta") << c.timeline_text();
  EXPECT_EQ(c.beta.written, "\r");
}

// Given the standby finished booting while clusterd was dead (its login
// prompt went to nobody): the CR asked on resume brings the prompt back and
// the takeover completes at once instead of after boot_timeout.
TEST(ClusterRuntime, ResumedBootThatEndedWhileDownCompletesOnTheReprintedPrompt) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  {
    Cluster c(jp);
    panic_until_boot(c);
  }
  Cluster c(jp);
  c.runtime->start(t0 + 90s);
  ASSERT_EQ(c.beta.written, "\r");
  c.feed(c.beta, "beta", "\r\nbeta console login: ", t0 + 90s + 5ms);
  EXPECT_EQ(c.runtime->active(), "beta") << c.timeline_text();
}

TEST(ClusterRuntime, RestartWhileHealthySendsNothingAndKeepsTheRoles) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  {
    ASSERT_TRUE(Journal::open(jp, nullptr)
                    .value()
                    ->append({1, JournalKind::Roles, {{"active", "beta"}, {"standby", "alpha"}}})
                    .ok());
  }
  Cluster c(jp);
  c.runtime->start(t0);
  c.runtime->on_console_up("alpha", t0 + 1s);
  c.runtime->on_console_up("beta", t0 + 1s);
  c.runtime->on_ping(true, t0 + 2s);
  c.runtime->advance_to(t0 + 30s);
  EXPECT_EQ(c.runtime->active(), "beta");
  EXPECT_EQ(c.alpha.breaks + c.beta.breaks, 0);
  // Nothing that changes a node's state: at most a CR to ask a prompt.
  for (const auto* w : {&c.alpha.written, &c.beta.written}) {
    EXPECT_EQ(w->find("boot"), std::string::npos) << escape(*w);
    EXPECT_EQ(w->find("setenv"), std::string::npos) << escape(*w);
  }
}

// Given a script (or a bug) that boots while the journal records no fence of
// the active: nothing reaches the standby, and an operator hears why.
TEST(ClusterRuntime, BootWithoutAJournaledFenceIsRefusedAndSendsNothing) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  Cluster c(jp);
  c.runtime->start(t0);
  c.runtime->boot(chat::Channel::Standby, "boot shared\r");
  EXPECT_EQ(c.beta.written, "") << c.timeline_text();
  EXPECT_EQ(journal_kinds(jp), std::vector<std::string>{"roles"});
  EXPECT_TRUE(has_line(c.timeline,
                       "FAULT boot of beta refused, nothing sent: the journal does "
                       "not record the active alpha fenced"))
      << c.timeline_text();
  EXPECT_TRUE(has_line(c.alarms.raised, "critical script fault: boot of beta refused"))
      << ::testing::PrintToString(c.alarms.raised);
}

// The journal no longer guesses that the first send after a fence is the
// boot: a CR (or any text) sent to the standby with `send` journals nothing.
TEST(ClusterRuntime, PlainSendToTheStandbyAfterTheFenceJournalsNothing) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  Cluster c(jp);
  ASSERT_TRUE(c.journal->append({1, JournalKind::FenceConfirmed, {{"node", "alpha"}}}).ok());
  c.runtime->start(t0);
  c.runtime->send(chat::Channel::Standby, "\r");
  c.runtime->send(chat::Channel::Standby, "boot shared\r");
  EXPECT_EQ(c.beta.written, "\rboot shared\r");
  EXPECT_EQ(journal_kinds(jp), (std::vector<std::string>{"fence-confirmed alpha", "roles"}));
  EXPECT_FALSE(c.journal->state().boot_in_flight());
}

// Given the stock script's retry (a boot error, beta back at ok, boot_again):
// the retry is journaled as attempt 2 in its own state, so a clusterd killed
// after it resumes in boot_again and sends nothing but the CR that asks.
TEST(ClusterRuntime, RetryBootIsJournaledAsAttemptTwoAndARestartResumesInIt) {
  TempDir d;
  std::string jp = d.path + "/prod.journal";
  {
    Cluster c(jp);
    panic_until_boot(c);
    c.feed(c.beta, "beta",
           "boot shared\r\nBoot device: /pci@1f,0/scsi@8/disk@1,0  File and args:\r\n"
           "Bad magic number in disk label\r\n",
           t0 + 15s);
    ASSERT_EQ(c.runtime->state(), "boot_error_seen") << c.timeline_text();
    c.feed(c.beta, "beta", "Can't open boot device\r\n\r\n{0} ok ", t0 + 16s);
    ASSERT_EQ(c.runtime->state(), "boot_again") << c.timeline_text();
    EXPECT_EQ(c.beta.written, "boot shared\rboot shared\r");
    EXPECT_TRUE(has_line(c.timeline, "send beta \"boot shared\\r\" (boot, attempt 2)"))
        << c.timeline_text();
    ASSERT_EQ(boots(jp).size(), 2u);
    EXPECT_EQ(boots(jp)[1], (std::map<std::string, std::string>{
                                {"node", "beta"}, {"state", "boot_again"}, {"attempt", "2"}}));
  }  // clusterd killed here: the retry sent, no takeover yet
  Cluster c(jp);
  EXPECT_EQ(c.journal->state().boot_state, "boot_again");
  EXPECT_EQ(c.journal->state().boot_attempts, 2);
  c.runtime->start(t0 + 30s);
  EXPECT_EQ(c.runtime->state(), "boot_again") << c.timeline_text();
  EXPECT_EQ(c.beta.written, "\r") << "a boot went to the standby on restart";
  c.feed(c.beta, "beta", "\r\nbeta console login: ", t0 + 70s);
  EXPECT_EQ(c.runtime->active(), "beta") << c.timeline_text();
  EXPECT_EQ(boots(jp).size(), 2u);
}

TEST(ClusterRuntime, PresumedFenceNeedsThePolicysEvidence) {
  TempDir d;
  Cluster c(d.path + "/prod.journal");
  chat::FenceEvidence strong;
  strong.console_up = strong.ping_down = strong.break_sent = strong.probed = true;
  strong.since_probe = strong.silent_for = 30s;
  chat::FenceEvidence weak = strong;
  weak.ping_down = false;  // ping still up
  EXPECT_FALSE(c.runtime->mark_fenced(chat::Channel::Active, chat::FenceHow::Presumed, weak));
  chat::FenceEvidence answered = strong;  // the node answered the CR after its BREAK
  answered.answered = true;
  EXPECT_FALSE(c.runtime->mark_fenced(chat::Channel::Active, chat::FenceHow::Presumed, answered));
  chat::FenceEvidence unprobed = strong;  // silent, but never asked after the BREAK
  unprobed.probed = false;
  EXPECT_FALSE(c.runtime->mark_fenced(chat::Channel::Active, chat::FenceHow::Presumed, unprobed));
  EXPECT_EQ(c.journal->state().fenced.count("alpha"), 0u);
  EXPECT_TRUE(c.runtime->mark_fenced(chat::Channel::Active, chat::FenceHow::Presumed, strong));
  EXPECT_EQ(c.journal->state().fenced.count("alpha"), 1u);
}

// A console refused for its identity (ssh host key changed, login refused)
// raises the runtime's own critical alarm once, whatever the script does with
// console.lost; again only after the console was up in between. An ordinary
// loss (the terminal server restarting) raises none of its own.
TEST(ClusterRuntime, ConsoleRefusedForItsIdentityRaisesOneCriticalAlarmUntilItIsBack) {
  TempDir d;
  Cluster c(d.path + "/prod.journal");
  c.runtime->start(t0);
  auto critical_refused = [&] {
    int n = 0;
    for (const auto& a : c.alarms.raised)
      n += a.rfind("critical console of alpha (active) refused", 0) == 0;
    return n;
  };
  c.runtime->on_console_lost("alpha", "closed: reset by peer", t0 + 1s);
  EXPECT_EQ(critical_refused(), 0);
  c.runtime->on_console_up("alpha", t0 + 2s);
  c.runtime->on_console_lost("alpha", "host-key: changed (offered SHA256:abc)", t0 + 3s, true);
  c.runtime->on_console_lost("alpha", "host-key: changed (offered SHA256:abc)", t0 + 33s, true);
  EXPECT_EQ(critical_refused(), 1) << c.timeline_text();
  std::string all;
  for (const auto& a : c.alarms.raised) all += a + "\n";
  EXPECT_NE(
      all.find(
          "refused: host-key: changed (offered SHA256:abc); not used until an operator fixes it"),
      std::string::npos)
      << all;
  c.runtime->on_console_up("alpha", t0 + 40s);
  c.runtime->on_console_lost("alpha", "auth-failed: password refused", t0 + 50s, true);
  EXPECT_EQ(critical_refused(), 2) << c.timeline_text();
  EXPECT_EQ(c.alpha.breaks, 0);
  EXPECT_EQ(c.runtime->active(), "alpha");
}

// --- Journal faults (FaultEnv): a step whose record is not on disk is not taken.

constexpr const char* kJournal = "/state/prod.journal";

// The journal's records as the env holds them now: "roles", "fence-confirmed alpha", ...
std::vector<std::string> env_kinds(const FaultEnv& env) {
  std::istringstream in(env.file(kJournal).value_or(""));
  return journal_kinds_in(in);
}

void make_state_dir(FaultEnv& env) { ASSERT_TRUE(env.make_dir("/state", 0750).ok()); }

struct StepFault {
  const char* name;
  FaultEnv::Op op;
  int error;
};
const StepFault kStepFaults[] = {{"write EIO", FaultEnv::Op::Append, EIO},
                                 {"disk full", FaultEnv::Op::Append, ENOSPC},
                                 {"fdatasync EIO", FaultEnv::Op::Sync, EIO}};

// Given a panic on alpha, when the fence's record cannot be written: alpha
// is not marked fenced, nothing is booted, and a critical alarm says why.
TEST(ClusterRuntime, FenceWhoseRecordFailsIsNotMarkedAndNothingIsBooted) {
  for (const StepFault& f : kStepFaults) {
    SCOPED_TRACE(f.name);
    FaultEnv env;
    make_state_dir(env);
    Cluster c(kJournal, env);
    env.inject({.op = f.op,
                .path_ends_with = ".journal",
                .data_contains = "fence-confirmed",
                .error = f.error});
    panic_until_boot(c);
    EXPECT_TRUE(c.journal->state().fenced.empty()) << c.timeline_text();
    EXPECT_EQ(c.beta.written.find("boot"), std::string::npos) << escape(c.beta.written);
    EXPECT_EQ(c.runtime->active(), "alpha");
    EXPECT_EQ(env_kinds(env), std::vector<std::string>{"roles"});
    EXPECT_NE(c.timeline_text().find("JOURNAL WRITE FAILED"), std::string::npos)
        << c.timeline_text();
    bool alarmed = false;
    for (const auto& a : c.alarms.raised)
      alarmed |= a.rfind("critical journal write failed", 0) == 0;
    EXPECT_TRUE(alarmed) << c.timeline_text();
  }
}

// Given alpha fenced, when the boot's record cannot be written: no byte of
// the boot reaches beta's console.
TEST(ClusterRuntime, BootWhoseRecordFailsSendsNoBootBytes) {
  for (const StepFault& f : kStepFaults) {
    SCOPED_TRACE(f.name);
    FaultEnv env;
    make_state_dir(env);
    Cluster c(kJournal, env);
    env.inject(
        {.op = f.op, .path_ends_with = ".journal", .data_contains = "boot-sent", .error = f.error});
    panic_until_boot(c);
    EXPECT_EQ(c.journal->state().fenced.count("alpha"), 1u) << c.timeline_text();
    EXPECT_FALSE(c.journal->state().boot_in_flight());
    EXPECT_EQ(c.beta.written.find("boot"), std::string::npos) << escape(c.beta.written);
    EXPECT_EQ(env_kinds(env), (std::vector<std::string>{"roles", "fence-confirmed alpha"}));
  }
}

// Given the power fails in the middle of the boot's record (its first k
// bytes on disk): the restart warns about that line, ignores it, and
// resumes from the fence alone.
TEST(ClusterRuntime, TornBootRecordIsReportedAndIgnoredAfterARestart) {
  for (std::size_t k : {1u, 20u, 40u}) {
    SCOPED_TRACE("k=" + std::to_string(k));
    FaultEnv env;
    make_state_dir(env);
    {
      Cluster c(kJournal, env);
      env.inject({.op = FaultEnv::Op::Append,
                  .path_ends_with = ".journal",
                  .data_contains = "boot-sent",
                  .keep_bytes = k,
                  .power_cut = true});
      panic_until_boot(c);
    }
    env.restart();
    Cluster c(kJournal, env);
    ASSERT_EQ(c.journal_warnings.size(), 1u);
    EXPECT_EQ(c.journal_warnings[0], std::string(kJournal) + ":3: incomplete last record ignored");
    EXPECT_EQ(c.journal->state().fenced.count("alpha"), 1u);
    EXPECT_FALSE(c.journal->state().boot_in_flight());
  }
}

// The failover of PanicFencesJournalsThenBootsThenTakesOver, with the power
// cut after each of its file operations in turn: what a restart replays is
// always the records synced before the cut, in order, and nothing else.
TEST(ClusterRuntime, PowerCutAtEveryJournalOperationReplaysTheSyncedPrefix) {
  auto failover = [](FaultEnv& env, std::optional<int> cut_after) {
    if (cut_after) env.power_cut_after(*cut_after);
    Cluster c(kJournal, env);
    panic_until_boot(c);
    c.feed(c.beta, "beta", "\r\nbeta console login: ", t0 + 58s);
    return c.runtime->active();
  };
  FaultEnv whole;
  make_state_dir(whole);
  ASSERT_EQ(failover(whole, std::nullopt), "beta");
  const std::vector<std::string> records = env_kinds(whole);
  ASSERT_EQ(records, (std::vector<std::string>{"roles", "fence-confirmed alpha", "boot-sent beta",
                                               "takeover"}));
  const std::vector<std::string> ops = whole.log();
  for (std::size_t n = 0; n <= ops.size(); ++n) {
    SCOPED_TRACE("power cut after operation " + std::to_string(n));
    FaultEnv env;
    make_state_dir(env);
    std::size_t synced = 0;  // records whose fdatasync came before the cut
    for (std::size_t i = 0; i < n; ++i) synced += ops[i] == std::string("sync ") + kJournal;
    (void)failover(env, static_cast<int>(n));
    env.restart();
    Cluster c(kJournal, env);
    EXPECT_TRUE(c.journal_warnings.empty()) << c.journal_warnings[0];
    EXPECT_EQ(env_kinds(env),
              std::vector<std::string>(records.begin(),
                                       records.begin() + static_cast<std::ptrdiff_t>(synced)));
    const JournalState& s = c.journal->state();
    EXPECT_EQ(s.fenced.count("alpha"), synced == 2 || synced == 3 ? 1u : 0u);
    EXPECT_EQ(s.boot_in_flight(), synced == 3);
    EXPECT_EQ(s.takeovers, synced == 4 ? 1 : 0);
  }
}

}  // namespace
}  // namespace clusterd
