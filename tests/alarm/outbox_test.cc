// Outbox in virtual time: retry backoff, permanent refusals, giving up, and
// one attempt per (notification, channel) at a time.
#include <gtest/gtest.h>

#include "alarm/outbox.h"

namespace clusterd::alarm {
namespace {

using namespace std::chrono_literals;
const TimePoint t0{std::chrono::hours(1000)};
const RetryPolicy kRetry{.first = 10s, .cap = 60s, .retry_for = 1h};

Envelope envelope(std::string id, std::vector<std::string> channels) {
  Envelope e;
  e.notification.message_id = std::move(id);
  for (auto& c : channels) e.channels.push_back({.channel = std::move(c)});
  return e;
}

const Delivery kTemp{Outcome::Temporary, "451 try later"};
const Delivery kPerm{Outcome::Permanent, "550 no"};
const Delivery kOk{Outcome::Accepted, "250 ok"};

TEST(Outbox, TemporaryFailureIsRetriedAfterBackoff) {
  Outbox box(kRetry);
  box.add(envelope("m1", {"email"}), t0);
  ASSERT_TRUE(box.take("email", t0));
  auto fx = box.on_result("m1", "email", kTemp, t0 + 1s);
  ASSERT_TRUE(fx);
  EXPECT_FALSE(fx->finished);
  EXPECT_EQ(fx->retry_at, t0 + 11s);
  EXPECT_EQ(fx->envelope.channels[0].attempts, 1);
  EXPECT_EQ(fx->envelope.channels[0].last_error, "451 try later");
  EXPECT_EQ(box.next_deadline("email"), t0 + 11s);
  EXPECT_FALSE(box.take("email", t0 + 10s));
  ASSERT_TRUE(box.take("email", t0 + 11s));
  fx = box.on_result("m1", "email", kOk, t0 + 12s);
  EXPECT_TRUE(fx->finished);
  EXPECT_EQ(box.size(), 0u);
}

TEST(Outbox, InFlightNotificationIsNotTakenTwice) {
  Outbox box(kRetry);
  box.add(envelope("m1", {"email"}), t0);
  EXPECT_TRUE(box.take("email", t0));
  EXPECT_FALSE(box.take("email", t0 + 1h));
  EXPECT_EQ(box.next_deadline("email"), std::nullopt);
}

TEST(Outbox, ChannelsProgressIndependently) {
  Outbox box(kRetry);
  box.add(envelope("m1", {"email", "webhook-1"}), t0);
  box.take("email", t0);
  box.on_result("m1", "email", kTemp, t0);
  ASSERT_TRUE(box.take("webhook-1", t0));
  auto fx = box.on_result("m1", "webhook-1", kOk, t0);
  EXPECT_FALSE(fx->finished) << "email still pending";
  EXPECT_EQ(box.find("m1")->channels[1].status, ChannelStatus::Accepted);
}

TEST(Outbox, PermanentRefusalEndsTheChannelAtOnce) {
  Outbox box(kRetry);
  box.add(envelope("m1", {"email"}), t0);
  box.take("email", t0);
  auto fx = box.on_result("m1", "email", kPerm, t0);
  EXPECT_TRUE(fx->failed_for_good);
  EXPECT_TRUE(fx->finished);
  EXPECT_EQ(fx->envelope.channels[0].status, ChannelStatus::Failed);
  EXPECT_EQ(fx->retry_at, std::nullopt);
}

TEST(Outbox, GivesUpAfterRetryFor) {
  Outbox box(kRetry);
  box.add(envelope("m1", {"email"}), t0);
  TimePoint t = t0;
  std::optional<ResultEffect> fx;
  int attempts = 0;
  while (true) {
    ASSERT_TRUE(box.take("email", t));
    fx = box.on_result("m1", "email", kTemp, t);
    ++attempts;
    if (!fx->retry_at) break;
    t = *fx->retry_at;
  }
  EXPECT_TRUE(fx->failed_for_good);
  EXPECT_GE(t - t0, 1h);
  EXPECT_LT(attempts, 70);
  EXPECT_EQ(fx->envelope.channels[0].last_error, "451 try later (gave up after 1h)");
}

TEST(Outbox, NoRetryEntryFailsOnFirstTemporaryFailure) {
  Outbox box(kRetry);
  box.add(envelope("hb", {"heartbeat-url"}), t0, /*retry=*/false);
  box.take("heartbeat-url", t0);
  auto fx = box.on_result("hb", "heartbeat-url", kTemp, t0);
  EXPECT_TRUE(fx->finished);
}

TEST(Outbox, OldestDueNotificationGoesFirst) {
  Outbox box(kRetry);
  box.add(envelope("b-second", {"email"}), t0);
  box.add(envelope("a-third", {"email"}), t0 + 1s);
  auto n = box.take("email", t0 + 2s);
  EXPECT_EQ(n->message_id, "b-second");
}

}  // namespace
}  // namespace clusterd::alarm
