// Spool on a real file system (a temp dir): round trip, atomic replace,
// crash leftovers, and files that cannot be read; then through FaultEnv:
// every failed write step returned, torn files set aside, power cuts.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "alarm/spool.h"
#include "tests/support/fault_env.h"
#include "tests/support/peers.h"

namespace clusterd::alarm {
namespace {

using clusterd::testing::TempDir;

Envelope sample() {
  Envelope e;
  Notification& n = e.notification;
  n.message_id = "20261122-010203-0001.raised.1@c1.clusterd";
  n.kind = NoticeKind::Raised;
  n.note = "note with spaces";
  n.time_ns = 42;
  n.alarm = {.id = "20261122-010203-0001",
             .key = "standby.silent",
             .cluster = "c1",
             .node = "beta",
             .severity = Severity::Critical,
             .text = std::string("hostile: \\ \r\n\x1b[0m\x00\xff end", 24),
             .time_ns = 1'795'309'323'000'000'000,
             .state = "fence",
             .trigger = "after 30s",
             .timeline = "line one\nline two: \"quoted\"\n"};
  e.channels = {{.channel = "email",
                 .status = ChannelStatus::Pending,
                 .attempts = 2,
                 .last_error = "451 4.3.0 try later"},
                {.channel = "webhook-1", .status = ChannelStatus::Accepted, .attempts = 1}};
  return e;
}

void expect_same(const Envelope& a, const Envelope& b) {
  EXPECT_EQ(encode_envelope(a), encode_envelope(b));
  EXPECT_EQ(a.notification.alarm.text, b.notification.alarm.text);
  EXPECT_EQ(a.notification.alarm.timeline, b.notification.alarm.timeline);
  ASSERT_EQ(a.channels.size(), b.channels.size());
  EXPECT_EQ(a.channels[0].last_error, b.channels[0].last_error);
  EXPECT_EQ(a.channels[1].status, b.channels[1].status);
}

TEST(Spool, EnvelopeRoundTripsEveryFieldAndByte) {
  Envelope e = sample();
  auto back = decode_envelope(encode_envelope(e));
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_same(e, *back);
  EXPECT_EQ(back->notification.time_ns, 42);
}

TEST(Spool, WrittenEnvelopeIsLoadedAfterRestart) {
  TempDir dir;
  std::string sd = dir.file("spool/c1");
  {
    auto s = Spool::open(sd);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_TRUE(s->write(sample()).ok());
  }
  struct stat st {};
  ASSERT_EQ(::stat(sd.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto s = Spool::open(sd);  // "after restart": a fresh object over the same directory
  auto loaded = s->load();
  EXPECT_TRUE(loaded.errors.empty());
  ASSERT_EQ(loaded.envelopes.size(), 1u);
  expect_same(sample(), loaded.envelopes[0]);
}

TEST(Spool, RewriteReplacesAndRemoveDeletes) {
  TempDir dir;
  auto s = Spool::open(dir.path());
  Envelope e = sample();
  ASSERT_TRUE(s->write(e).ok());
  e.channels[0].status = ChannelStatus::Accepted;
  ASSERT_TRUE(s->write(e).ok());
  auto loaded = s->load();
  ASSERT_EQ(loaded.envelopes.size(), 1u);
  EXPECT_EQ(loaded.envelopes[0].channels[0].status, ChannelStatus::Accepted);
  ASSERT_TRUE(s->remove(e.notification.message_id).ok());
  EXPECT_TRUE(s->load().envelopes.empty());
  EXPECT_TRUE(s->remove(e.notification.message_id).ok()) << "removing twice is fine";
}

TEST(Spool, CrashLeftoversAreDroppedAndBadFilesSetAside) {
  TempDir dir;
  auto s = Spool::open(dir.path());
  ASSERT_TRUE(s->write(sample()).ok());
  std::ofstream(dir.file("x.alarm.tmp")) << "half a fi";
  std::ofstream(dir.file("junk.alarm")) << "not a spool file\n";
  auto loaded = s->load();
  EXPECT_EQ(loaded.envelopes.size(), 1u);
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_NE(loaded.errors[0].find("junk.alarm: not a clusterd alarm spool file"), std::string::npos)
      << loaded.errors[0];
  EXPECT_FALSE(
      clusterd::testing::wait_for_path(dir.file("x.alarm.tmp"), std::chrono::milliseconds(0)));
  EXPECT_TRUE(
      clusterd::testing::wait_for_path(dir.file("junk.alarm.bad"), std::chrono::milliseconds(0)));
}

TEST(Spool, MessageIdBecomesASafeFileName) {
  TempDir dir;
  auto s = Spool::open(dir.path());
  EXPECT_EQ(s->path_of("../../etc/passwd"), dir.path() + "/_.._.._etc_passwd.alarm");
  EXPECT_EQ(s->path_of("a.raised.1@c1.clusterd"), dir.path() + "/a.raised.1@c1.clusterd.alarm");
}

// --- Faults between the spool and the disk (FaultEnv) --------------------------

using clusterd::testing::FaultEnv;

constexpr const char* kDir = "/spool/c1";

Spool spool_on(FaultEnv& env) {
  auto s = Spool::open(kDir, env);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s.value());
}

// Given a spooled envelope, when any step of its rewrite fails: write()
// returns the error, naming the step, and the old version is what loads.
TEST(Spool, EveryFailedStepOfAWriteIsReturnedAndTheOldFileStands) {
  struct Case {
    FaultEnv::Fault fault;
    const char* says;
  };
  const Case cases[] = {
      {{.op = FaultEnv::Op::Open, .path_ends_with = ".tmp"}, "cannot create"},
      {{.op = FaultEnv::Op::Append, .error = EIO}, "cannot write"},
      {{.op = FaultEnv::Op::Append, .error = ENOSPC, .keep_bytes = 40}, "No space left on device"},
      {{.op = FaultEnv::Op::Sync}, "cannot sync"},
      {{.op = FaultEnv::Op::Rename}, "cannot rename"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    FaultEnv env;
    Spool s = spool_on(env);
    Envelope e = sample();
    ASSERT_TRUE(s.write(e).ok());
    e.channels[0].status = ChannelStatus::Accepted;
    env.inject(c.fault);
    Result<void> st = s.write(e);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find(c.says), std::string::npos) << st.error().message;
    EXPECT_EQ(env.file(s.path_of(e.notification.message_id) + ".tmp"), std::nullopt)
        << "the temporary file was left behind";
    auto loaded = s.load();
    EXPECT_TRUE(loaded.errors.empty()) << loaded.errors[0];
    ASSERT_EQ(loaded.envelopes.size(), 1u);
    EXPECT_EQ(loaded.envelopes[0].channels[0].status, ChannelStatus::Pending);
  }
}

TEST(Spool, FailedDirectorySyncAndRemoveAreReturned) {
  FaultEnv env;
  Spool s = spool_on(env);
  env.inject({.op = FaultEnv::Op::SyncDir});
  Result<void> st = s.write(sample());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "cannot sync spool directory: /spool/c1: fsync: Input/output error");
  env.inject({.op = FaultEnv::Op::Remove, .path_ends_with = ".alarm"});
  st = s.remove(sample().notification.message_id);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("cannot remove /spool/c1/"), std::string::npos)
      << st.error().message;
}

// A spool file cut after any byte, at a line's end too (which only the
// "end" line tells from a whole file), is set aside and reported: never
// loaded with fields or channels missing.
TEST(Spool, FileTornAfterAnyByteIsSetAsideAndReported) {
  const std::string whole = encode_envelope(sample());
  ASSERT_TRUE(whole.ends_with("\nend\n"));
  for (std::size_t k = 1; k < whole.size(); ++k) {
    FaultEnv env;
    Spool s = spool_on(env);
    std::string path = s.path_of(sample().notification.message_id);
    env.put(path, whole.substr(0, k));
    auto loaded = s.load();
    EXPECT_TRUE(loaded.envelopes.empty()) << "k=" << k << ": loaded a torn file";
    ASSERT_EQ(loaded.errors.size(), 1u) << "k=" << k;
    EXPECT_EQ(loaded.errors[0].rfind(path + ": ", 0), 0u) << loaded.errors[0];
    EXPECT_TRUE(loaded.errors[0].ends_with(" (renamed to .bad)")) << loaded.errors[0];
    EXPECT_EQ(env.file(path + ".bad"), whole.substr(0, k)) << "k=" << k;
  }
}

// A file an older clusterd wrote (version 1, no "end" line) still loads.
TEST(Spool, VersionOneFileWithoutEndLineStillLoads) {
  std::string v2 = encode_envelope(sample());
  std::string v1 =
      "clusterd-alarm-spool 1\n" + v2.substr(v2.find('\n') + 1, v2.size() - v2.find('\n') - 1 - 4);
  ASSERT_TRUE(v1.ends_with("\n")) << v1;
  auto e = decode_envelope(v1);
  ASSERT_TRUE(e.ok()) << e.error().message;
  expect_same(sample(), *e);
}

// The power cut after each operation of a rewrite: the restart finds the old
// version or the new one, whole, and no error.
TEST(Spool, PowerCutAtEveryStepOfARewriteLeavesTheOldOrTheNewFile) {
  Envelope old_e = sample(), new_e = sample();
  new_e.channels[0].status = ChannelStatus::Accepted;
  int steps = 0;
  {
    FaultEnv env;
    Spool s = spool_on(env);
    ASSERT_TRUE(s.write(old_e).ok());
    int before = env.operations();
    ASSERT_TRUE(s.write(new_e).ok());
    steps = env.operations() - before;
  }
  ASSERT_GE(steps, 5);  // create, write, sync, rename, sync the directory
  for (int n = 0; n <= steps; ++n) {
    SCOPED_TRACE("power cut after step " + std::to_string(n) + " of the rewrite");
    FaultEnv env;
    Spool s = spool_on(env);
    ASSERT_TRUE(s.write(old_e).ok());
    env.power_cut_after(env.operations() + n);
    (void)s.write(new_e);
    env.restart();
    auto loaded = s.load();
    EXPECT_TRUE(loaded.errors.empty()) << loaded.errors[0];
    ASSERT_EQ(loaded.envelopes.size(), 1u);
    std::string got = encode_envelope(loaded.envelopes[0]);
    EXPECT_TRUE(got == encode_envelope(old_e) || got == encode_envelope(new_e));
    if (n == steps) {
      EXPECT_EQ(got, encode_envelope(new_e));
    }
  }
}

}  // namespace
}  // namespace clusterd::alarm
