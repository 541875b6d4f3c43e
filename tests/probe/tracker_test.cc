// The reachability trackers in virtual time: exact probe schedules, the
// probe after which the level changes, and what is ignored.
#include "probe/tracker.h"

#include <gtest/gtest.h>

namespace clusterd::probe {
namespace {

using namespace std::chrono_literals;
const TimePoint t0{std::chrono::hours(1)};

TrackerConfig every_second(int misses = 3) { return TrackerConfig{1s, misses, Duration::zero()}; }

// Sends the probe due at `at` (asserting one is due) and returns its seq.
std::uint16_t send(ReachTracker& t, std::uint16_t seq, TimePoint at) {
  EXPECT_TRUE(t.send_due(at));
  t.on_sent(seq, at);
  return seq;
}

TEST(PingTracker, FirstProbeIsDueAtStartAndNextOneIntervalAfterEachSend) {
  PingTracker t(every_second());
  EXPECT_EQ(t.next_deadline(), std::nullopt);  // not started
  t.start(t0);
  EXPECT_EQ(t.next_deadline(), t0);
  EXPECT_TRUE(t.send_due(t0));
  t.on_sent(1, t0);
  EXPECT_FALSE(t.send_due(t0 + 999ms));
  EXPECT_TRUE(t.send_due(t0 + 1s));
  EXPECT_EQ(t.next_deadline(), t0 + 1s);  // the send and probe 1's timeout coincide
}

TEST(PingTracker, FirstReplyReportsUpWithItsRtt) {
  PingTracker t(every_second());
  t.start(t0);
  send(t, 1, t0);
  t.on_reply(1, t0 + 2ms, 2ms);
  auto c = t.take_changes();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].event, ProbeEvent::PingUp);
  EXPECT_EQ(c[0].at, t0 + 2ms);
  EXPECT_EQ(c[0].rtt, Duration(2ms));
  EXPECT_EQ(t.level(), Reach::Up);
  EXPECT_EQ(t.last_rtt(), Duration(2ms));
  EXPECT_TRUE(t.take_changes().empty());  // taken once
}

TEST(PingTracker, DownExactlyAtTheTimeoutOfTheThirdConsecutiveMiss) {
  // Given an answered probe at 0s and silence after, probes 2, 3, 4 (sent at
  // 1s, 2s, 3s) time out at 2s, 3s, 4s: down at 4s with 3 misses.
  PingTracker t(every_second());
  t.start(t0);
  send(t, 1, t0);
  t.on_reply(1, t0 + 1ms, 1ms);
  t.take_changes();
  for (std::uint16_t seq = 2; seq <= 4; ++seq) {
    TimePoint at = t0 + (seq - 1) * 1s;
    EXPECT_EQ(t.next_deadline(), at);
    auto expired = t.advance_to(at);
    if (seq > 2) {
      EXPECT_EQ(expired, std::vector<std::uint16_t>{static_cast<std::uint16_t>(seq - 1)});
    }
    send(t, seq, at);
    EXPECT_TRUE(t.take_changes().empty()) << "seq " << seq;
  }
  EXPECT_EQ(t.consecutive_misses(), 2);
  EXPECT_EQ(t.advance_to(t0 + 4s - 1ns), std::vector<std::uint16_t>{});
  EXPECT_EQ(t.advance_to(t0 + 4s), std::vector<std::uint16_t>{4});
  auto c = t.take_changes();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].event, ProbeEvent::PingDown);
  EXPECT_EQ(c[0].at, t0 + 4s);
  EXPECT_EQ(c[0].misses, 3);
  EXPECT_EQ(c[0].rtt, Duration(1ms));  // the last one seen
  EXPECT_EQ(t.level(), Reach::Down);
}

TEST(PingTracker, AReplyResetsTheMissCount) {
  PingTracker t(every_second());
  t.start(t0);
  send(t, 1, t0);
  t.on_reply(1, t0 + 1ms, 1ms);
  send(t, 2, t0 + 1s);
  t.advance_to(t0 + 2s);
  send(t, 3, t0 + 2s);
  t.advance_to(t0 + 3s);
  EXPECT_EQ(t.consecutive_misses(), 2);
  send(t, 4, t0 + 3s);
  t.on_reply(4, t0 + 3s + 1ms, 1ms);
  EXPECT_EQ(t.consecutive_misses(), 0);
  send(t, 5, t0 + 4s);
  t.advance_to(t0 + 5s);
  send(t, 6, t0 + 5s);
  t.advance_to(t0 + 6s);
  auto c = t.take_changes();
  ASSERT_EQ(c.size(), 1u);  // only the first up: 2 + 2 misses never made 3 in a row
  EXPECT_EQ(c[0].event, ProbeEvent::PingUp);
}

TEST(PingTracker, UpAgainAfterOneReply) {
  PingTracker t(every_second(1));
  t.start(t0);
  send(t, 1, t0);
  t.advance_to(t0 + 1s);
  send(t, 2, t0 + 1s);
  t.on_reply(2, t0 + 1s + 3ms, 3ms);
  auto c = t.take_changes();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].event, ProbeEvent::PingDown);  // from unknown: one miss (misses = 1)
  EXPECT_EQ(c[0].at, t0 + 1s);
  EXPECT_EQ(c[0].rtt, std::nullopt);
  EXPECT_EQ(c[1].event, ProbeEvent::PingUp);
  EXPECT_EQ(c[1].at, t0 + 1s + 3ms);
}

TEST(PingTracker, LateDuplicateAndStrayRepliesChangeNothing) {
  PingTracker t(every_second(1));
  t.start(t0);
  send(t, 1, t0);
  t.advance_to(t0 + 1s);                 // probe 1 missed: down
  t.on_reply(1, t0 + 1s + 1ms, 1001ms);  // late
  t.on_reply(77, t0 + 1s + 2ms, 1ms);    // never sent
  EXPECT_EQ(t.level(), Reach::Down);
  send(t, 2, t0 + 1s);
  t.on_reply(2, t0 + 1s + 5ms, 5ms);
  t.on_reply(2, t0 + 1s + 6ms, 6ms);  // a second answer (another target)
  auto c = t.take_changes();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].event, ProbeEvent::PingUp);
  EXPECT_EQ(t.last_rtt(), Duration(5ms));
}

TEST(PingTracker, AFailureReportedByTheProberIsAMissAtOnceAndCountedOnce) {
  PingTracker t(every_second(2));
  t.start(t0);
  send(t, 1, t0);
  t.on_timeout(1, t0 + 1ms);  // "no route to host" straight away
  EXPECT_EQ(t.consecutive_misses(), 1);
  EXPECT_EQ(t.advance_to(t0 + 1s), std::vector<std::uint16_t>{});  // not counted again
  send(t, 2, t0 + 1s);
  t.on_timeout(2, t0 + 1s + 1ms);
  t.on_timeout(2, t0 + 1s + 2ms);  // twice: still one miss
  auto c = t.take_changes();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].event, ProbeEvent::PingDown);
  EXPECT_EQ(c[0].at, t0 + 1s + 1ms);
  EXPECT_EQ(c[0].misses, 2);
}

TEST(PingTracker, ShortTimeoutExpiresBeforeTheNextSend) {
  PingTracker t(TrackerConfig{1s, 2, 300ms});
  t.start(t0);
  send(t, 1, t0);
  EXPECT_EQ(t.next_deadline(), t0 + 300ms);
  t.on_reply(1, t0 + 301ms, 301ms);  // after its timeout, though before the timer ran: late
  EXPECT_EQ(t.level(), Reach::Unknown);
  EXPECT_EQ(t.advance_to(t0 + 301ms), std::vector<std::uint16_t>{1});
  EXPECT_EQ(t.consecutive_misses(), 1);
  EXPECT_EQ(t.next_deadline(), t0 + 1s);
}

TEST(PingTracker, LongTimeoutKeepsSeveralProbesWaitingAndANewerReplySettlesOlderOnes) {
  // Given timeout 3s and interval 1s, probes 1..3 wait together; the answer
  // to 3 settles 1 and 2, which are then never counted as misses.
  PingTracker t(TrackerConfig{1s, 2, 3s});
  t.start(t0);
  send(t, 1, t0);
  send(t, 2, t0 + 1s);
  send(t, 3, t0 + 2s);
  EXPECT_EQ(t.next_deadline(), t0 + 3s);  // send 4 and probe 1's timeout
  t.on_reply(3, t0 + 2s + 1ms, 1ms);
  EXPECT_EQ(t.advance_to(t0 + 10s), std::vector<std::uint16_t>{});
  EXPECT_EQ(t.consecutive_misses(), 0);
  EXPECT_EQ(t.level(), Reach::Up);
}

TEST(PingTracker, StartAgainForgetsLevelMissesAndWaitingProbes) {
  PingTracker t(every_second(1));
  t.start(t0);
  send(t, 1, t0);
  t.advance_to(t0 + 1s);
  EXPECT_EQ(t.level(), Reach::Down);
  send(t, 2, t0 + 1s);
  t.start(t0 + 1500ms);  // re-targeted
  EXPECT_EQ(t.level(), Reach::Unknown);
  EXPECT_EQ(t.consecutive_misses(), 0);
  EXPECT_EQ(t.next_deadline(), t0 + 1500ms);
  EXPECT_EQ(t.advance_to(t0 + 2s), std::vector<std::uint16_t>{});  // probe 2 is gone
  t.on_reply(2, t0 + 2s, 1s);                                      // and so is its answer
  EXPECT_EQ(t.level(), Reach::Unknown);
}

TEST(PingTracker, StopSchedulesNothing) {
  PingTracker t(every_second());
  t.start(t0);
  send(t, 1, t0);
  t.stop();
  EXPECT_EQ(t.next_deadline(), std::nullopt);
  EXPECT_FALSE(t.send_due(t0 + 1h));
  EXPECT_EQ(t.advance_to(t0 + 1h), std::vector<std::uint16_t>{});
  t.on_reply(1, t0 + 1ms, 1ms);
  EXPECT_TRUE(t.take_changes().empty());
}

TEST(PingTracker, NonsenseConfigIsMadeSafe) {
  PingTracker t(TrackerConfig{Duration::zero(), 0, Duration::zero()});
  EXPECT_EQ(t.config().interval, Duration(1s));
  EXPECT_EQ(t.config().misses, 1);
  EXPECT_EQ(t.config().timeout, Duration(1s));  // zero timeout = the interval
}

TEST(ReferenceTracker, ReportsMonitorIsolatedAndOk) {
  ReferenceTracker t(TrackerConfig{500ms, 2, Duration::zero()});
  t.start(t0);
  send(t, 1, t0);
  t.on_reply(1, t0 + 1ms, 1ms);
  send(t, 2, t0 + 500ms);
  t.advance_to(t0 + 1s);
  send(t, 3, t0 + 1s);
  t.advance_to(t0 + 1500ms);
  send(t, 4, t0 + 1500ms);
  t.on_reply(4, t0 + 1500ms + 2ms, 2ms);
  auto c = t.take_changes();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_STREQ(probe_event_name(c[0].event), "monitor.ok");
  EXPECT_STREQ(probe_event_name(c[1].event), "monitor.isolated");
  EXPECT_EQ(c[1].at, t0 + 1500ms);
  EXPECT_EQ(c[1].misses, 2);
  EXPECT_STREQ(probe_event_name(c[2].event), "monitor.ok");
}

TEST(ProbeEvent, NamesAreTheChatEventNames) {
  EXPECT_STREQ(probe_event_name(ProbeEvent::PingDown), "ping.down");
  EXPECT_STREQ(probe_event_name(ProbeEvent::PingUp), "ping.up");
  EXPECT_STREQ(probe_event_name(ProbeEvent::MonitorIsolated), "monitor.isolated");
  EXPECT_STREQ(probe_event_name(ProbeEvent::MonitorOk), "monitor.ok");
}

TEST(FormatRtt, ReadableAtEveryScale) {
  EXPECT_EQ(format_rtt(41us), "0.041ms");
  EXPECT_EQ(format_rtt(12300us), "12.3ms");
  EXPECT_EQ(format_rtt(1204ms), "1.204s");
}

}  // namespace
}  // namespace clusterd::probe
