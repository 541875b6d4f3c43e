// AlarmBook in virtual time: de-duplication, reminders, resolved notices,
// escalation and acknowledgement, the rate limit and the heartbeat.
#include <gtest/gtest.h>

#include "alarm/book.h"

namespace clusterd::alarm {
namespace {

using namespace std::chrono_literals;
const TimePoint t0{std::chrono::hours(1000)};

Alarm standby_silent() {
  return {.key = "standby.silent",
          .cluster = "c1",
          .node = "beta",
          .severity = Severity::Warning,
          .text = "standby beta does not answer",
          .time_ns = 1'795'309'323'000'000'000};
}
Alarm fencing() {
  return {.cluster = "c1",
          .node = "alpha",
          .severity = Severity::Critical,
          .text = "fencing alpha: panic",
          .time_ns = 1'795'309'323'000'000'000};
}

BookPolicy policy() {
  return {.reminder = 10min, .escalate_after = 15min, .rate_limit = 0, .rate_window = 10min};
}

std::vector<NoticeKind> kinds(const BookOutput& out) {
  std::vector<NoticeKind> k;
  for (const auto& n : out.send) k.push_back(n.kind);
  return k;
}

TEST(AlarmBook, ConditionRepeatingEveryMinuteRaisesOneAlarm) {
  AlarmBook book(policy(), t0);
  std::string first, again;
  EXPECT_EQ(kinds(book.raise(standby_silent(), t0, &first)), std::vector{NoticeKind::Raised});
  for (int i = 1; i <= 9; ++i) {
    EXPECT_TRUE(book.raise(standby_silent(), t0 + i * 1min, &again).send.empty());
    EXPECT_EQ(again, first);
  }
  ASSERT_EQ(book.list().size(), 1u);
  EXPECT_EQ(book.list()[0].repeats, 9);
}

TEST(AlarmBook, AssignsIdFromRaiseTimeAndCounter) {
  AlarmBook book({.id_seed = 0x2a}, t0);
  std::string id;
  book.raise(standby_silent(), t0, &id);
  EXPECT_EQ(id, "20261122-010203-002a");
  auto out = book.raise(fencing(), t0, &id);
  EXPECT_EQ(id, "20261122-010203-002b");
  EXPECT_EQ(out.send[0].message_id, "20261122-010203-002b.raised.1@c1.clusterd");
}

TEST(AlarmBook, SameEventIdRaisedTwiceIsOneAlarm) {
  AlarmBook book(policy(), t0);
  Alarm a = fencing();
  a.id = "journal-17";
  EXPECT_EQ(book.raise(a, t0).send.size(), 1u);
  EXPECT_TRUE(book.raise(a, t0 + 1s).send.empty());
}

TEST(AlarmBook, RemindersComeAtTheIntervalWhileTheConditionLasts) {
  AlarmBook book(policy(), t0);
  book.raise(standby_silent(), t0);
  EXPECT_EQ(book.next_deadline(), t0 + 10min);
  EXPECT_TRUE(book.advance_to(t0 + 10min - 1ms).send.empty());
  auto r1 = book.advance_to(t0 + 10min);
  ASSERT_EQ(kinds(r1), std::vector{NoticeKind::Reminder});
  EXPECT_EQ(r1.send[0].note, "still present after 10m");
  EXPECT_EQ(r1.send[0].message_id.find(".reminder.2@"), 20u);
  EXPECT_EQ(book.next_deadline(), t0 + 20min);
  // A host that slept through three intervals sends one reminder, not three.
  EXPECT_EQ(book.advance_to(t0 + 55min).send.size(), 1u);
  EXPECT_EQ(book.next_deadline(), t0 + 60min);
}

TEST(AlarmBook, ClearSendsResolvedAndStopsReminders) {
  AlarmBook book(policy(), t0);
  book.raise(standby_silent(), t0);
  book.raise(standby_silent(), t0 + 1min);
  auto out = book.clear("standby.silent", t0 + 2min);
  ASSERT_EQ(kinds(out), std::vector{NoticeKind::Resolved});
  EXPECT_EQ(out.send[0].alarm.severity, Severity::Notice);
  EXPECT_EQ(out.send[0].note, "cleared after 1 repeats");
  EXPECT_EQ(book.next_deadline(), std::nullopt);
  EXPECT_TRUE(book.clear("standby.silent", t0 + 3min).send.empty()) << "cleared twice";
  EXPECT_EQ(book.list()[0].state, AlarmState::Resolved);
}

TEST(AlarmBook, ConditionBackAfterResolvedIsANewAlarm) {
  AlarmBook book(policy(), t0);
  std::string a, b;
  book.raise(standby_silent(), t0, &a);
  book.clear("standby.silent", t0 + 1min);
  EXPECT_EQ(book.raise(standby_silent(), t0 + 2min, &b).send.size(), 1u);
  EXPECT_NE(a, b);
}

TEST(AlarmBook, UnacknowledgedCriticalEscalatesOnce) {
  AlarmBook book(policy(), t0);
  book.raise(fencing(), t0);
  EXPECT_EQ(book.next_deadline(), t0 + 15min);  // one-shot: no reminders, only escalation
  EXPECT_TRUE(book.advance_to(t0 + 14min).send.empty());
  auto out = book.advance_to(t0 + 15min);
  ASSERT_EQ(kinds(out), std::vector{NoticeKind::Escalation});
  EXPECT_EQ(out.send[0].note, "not acknowledged within 15m");
  EXPECT_TRUE(book.list()[0].escalated);
  EXPECT_TRUE(book.advance_to(t0 + 2h).send.empty());
}

TEST(AlarmBook, AckStopsEscalationAndReminders) {
  AlarmBook book(policy(), t0);
  std::string crit, warn;
  book.raise(fencing(), t0, &crit);
  book.raise(standby_silent(), t0, &warn);
  EXPECT_TRUE(book.ack(crit, t0 + 5min));
  EXPECT_TRUE(book.ack(warn, t0 + 5min));
  EXPECT_FALSE(book.ack(crit, t0 + 6min)) << "already acknowledged";
  EXPECT_FALSE(book.ack("no-such-id", t0 + 6min));
  EXPECT_TRUE(book.advance_to(t0 + 1h).send.empty());
  // The acknowledged condition still gets its resolved notice.
  EXPECT_EQ(kinds(book.clear("standby.silent", t0 + 2h)), std::vector{NoticeKind::Resolved});
}

TEST(AlarmBook, WarningAndNoticeNeverEscalate) {
  AlarmBook book(policy(), t0);
  Alarm a = fencing();
  a.severity = Severity::Warning;
  book.raise(a, t0);
  EXPECT_EQ(book.next_deadline(), std::nullopt);
}

TEST(AlarmBook, RateLimitHoldsBackThenSaysHowMany) {
  BookPolicy p = policy();
  p.reminder = {};
  p.rate_limit = 2;
  AlarmBook book(p, t0);
  for (int i = 0; i < 5; ++i) {
    Alarm a = standby_silent();
    a.key = "flap." + std::to_string(i);
    a.text = "flap " + std::to_string(i);
    EXPECT_EQ(book.raise(a, t0 + i * 1s).send.size(), i < 2 ? 1u : 0u) << i;
  }
  // The window frees up 10 minutes after the first send: one summary then.
  EXPECT_EQ(book.next_deadline(), t0 + 10min);
  auto out = book.advance_to(t0 + 10min);
  ASSERT_EQ(kinds(out), std::vector{NoticeKind::Suppressed});
  EXPECT_EQ(out.send[0].alarm.text, "3 notifications held back by the rate limit");
  EXPECT_NE(out.send[0].note.find("flap 2"), std::string::npos) << out.send[0].note;
}

TEST(AlarmBook, CriticalAlarmIsNeverRateLimited) {
  BookPolicy p = policy();
  p.rate_limit = 1;
  AlarmBook book(p, t0);
  Alarm w = standby_silent();
  EXPECT_EQ(book.raise(w, t0).send.size(), 1u);
  w.key = "other";
  EXPECT_TRUE(book.raise(w, t0).send.empty());
  EXPECT_EQ(kinds(book.raise(fencing(), t0)), std::vector{NoticeKind::Raised});
}

TEST(AlarmBook, HeartbeatIsDueAtStartThenEveryInterval) {
  AlarmBook book({.heartbeat = 5min}, t0);
  EXPECT_EQ(book.next_deadline(), t0);
  EXPECT_TRUE(book.advance_to(t0).heartbeat);
  EXPECT_EQ(book.next_deadline(), t0 + 5min);
  EXPECT_FALSE(book.advance_to(t0 + 4min).heartbeat);
  EXPECT_TRUE(book.advance_to(t0 + 5min).heartbeat);
}

TEST(AlarmBook, NextDeadlineIsTheEarliestOfEverything) {
  BookPolicy p = policy();
  p.heartbeat = 1h;
  AlarmBook book(p, t0);
  book.advance_to(t0);                      // heartbeat next at t0 + 1h
  book.raise(fencing(), t0 + 1min);         // escalation at t0 + 16min
  book.raise(standby_silent(), t0 + 2min);  // reminder at t0 + 12min
  EXPECT_EQ(book.next_deadline(), t0 + 12min);
}

TEST(AlarmBook, ConsoleTextIsSanitizedOnRaise) {
  AlarmBook book(policy(), t0);
  Alarm a = fencing();
  a.text = "panic\r\nBcc: evil@x\x1b[0m";
  auto out = book.raise(a, t0);
  EXPECT_EQ(out.send[0].alarm.text, "panic\\r\\nBcc: evil@x");
}

}  // namespace
}  // namespace clusterd::alarm
