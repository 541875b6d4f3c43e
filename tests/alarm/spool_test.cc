// Spool on a real file system (a temp dir): round trip, atomic replace,
// crash leftovers, and files that cannot be read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "alarm/spool.h"
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

}  // namespace
}  // namespace clusterd::alarm
