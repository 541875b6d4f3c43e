// AlarmService with fake channels: raise() never waits for a channel, a
// refusal is reported through the other channels, the spool carries pending
// notifications across a restart, and test_alarm() answers per channel.
// Real threads, no network; bounds are generous.
#include <gtest/gtest.h>

#include <condition_variable>

#include <atomic>
#include <mutex>
#include <thread>

#include "alarm/service.h"
#include "tests/support/fault_env.h"
#include "tests/support/peers.h"

namespace clusterd::alarm {
namespace {

using namespace std::chrono_literals;
using clusterd::testing::TempDir;
using clusterd::testing::wait_until;

/// Records every notification and answers with `outcome`. A held channel
/// blocks in send() until released: a mail server that hangs, without a
/// clock in the test.
class FakeChannel : public Channel {
 public:
  FakeChannel(std::string name, Outcome outcome) : outcome_(outcome), name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  Delivery send(const Notification& n) override {
    std::unique_lock lk(mu_);
    gate_.wait(lk, [&] { return !held_; });
    seen_.push_back(n);
    return {outcome_.load(), outcome_ == Outcome::Accepted ? "ok" : "550 refused"};
  }
  std::vector<Notification> seen() const {
    std::lock_guard lk(mu_);
    return seen_;
  }
  void hold() {
    std::lock_guard lk(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lk(mu_);
      held_ = false;
    }
    gate_.notify_all();
  }
  std::atomic<Outcome> outcome_;

 private:
  std::string name_;
  mutable std::mutex mu_;
  std::condition_variable gate_;
  bool held_ = false;
  std::vector<Notification> seen_;
};

AlarmConfig config() {
  AlarmConfig c;
  c.cluster = "c1";
  c.retry_first = 50ms;
  c.retry_cap = 200ms;
  return c;
}

Alarm fencing() {
  return {
      .cluster = "c1", .node = "alpha", .severity = Severity::Critical, .text = "fencing alpha"};
}

struct Fakes {
  FakeChannel* email;
  FakeChannel* pager;
  std::vector<std::unique_ptr<Channel>> list;
};
Fakes fakes(Outcome email, Outcome pager) {
  Fakes f;
  auto e = std::make_unique<FakeChannel>("email", email);
  auto p = std::make_unique<FakeChannel>("webhook-1", pager);
  f.email = e.get();
  f.pager = p.get();
  f.list.push_back(std::move(e));
  f.list.push_back(std::move(p));
  return f;
}

TEST(AlarmService, RaiseReturnsWhileTheMailServerHangs) {
  TempDir dir;
  Fakes f = fakes(Outcome::Accepted, Outcome::Accepted);
  f.email->hold();  // the mail server hangs until the end of the test
  AlarmService svc(config(), std::move(f.list), {}, Spool::open(dir.path()).value(), {}, {});
  svc.start();
  // Returns at all while the email channel hangs: raise() did not wait for it.
  svc.raise(fencing(), std::chrono::steady_clock::now());
  // The pager is not held up behind the hanging mail server either.
  EXPECT_TRUE(wait_until([&] { return f.pager->seen().size() == 1; }, 30s));
  EXPECT_TRUE(f.email->seen().empty());
  f.email->release();
  svc.stop();  // waits for the email attempt in progress
}

TEST(AlarmService, PermanentRefusalIsReportedThroughTheOtherChannels) {
  Fakes f = fakes(Outcome::Permanent, Outcome::Accepted);
  AlarmService svc(config(), std::move(f.list), {}, std::nullopt, {}, {});
  svc.start();
  std::string id = svc.raise(fencing(), {});
  ASSERT_TRUE(svc.deliverer().wait_idle(5s));
  auto pages = f.pager->seen();
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[1].kind, NoticeKind::DeliveryFailed);
  EXPECT_EQ(pages[1].alarm.id, id);
  EXPECT_NE(pages[1].note.find("email refused raised notification"), std::string::npos)
      << pages[1].note;
  EXPECT_EQ(f.email->seen().size(), 1u) << "the refusal report does not go back to email";
  auto listing = svc.list();
  ASSERT_EQ(listing.size(), 1u);
  EXPECT_EQ(listing[0].delivery, "failed: email: 550 refused");
}

// No channel configured: the alarm is listed as logged only, not as held
// back by a rate limit it never met.
TEST(AlarmService, WithoutChannelsAnAlarmIsListedAsLoggedOnly) {
  AlarmService svc(config(), {}, {}, std::nullopt, {}, {});
  svc.start();
  svc.raise(fencing(), {});
  ASSERT_TRUE(svc.deliverer().wait_idle(5s));
  auto listing = svc.list();
  ASSERT_EQ(listing.size(), 1u);
  EXPECT_EQ(listing[0].delivery, "logged only (no alarm channel configured)");
  svc.stop();
}

TEST(AlarmService, TemporaryFailureIsRetriedUntilAccepted) {
  Fakes f = fakes(Outcome::Temporary, Outcome::Accepted);
  std::mutex mu;
  std::vector<DeliveryEvent> events;
  ServiceOptions o;
  o.on_event = [&](const DeliveryEvent& e) {
    std::lock_guard lk(mu);
    events.push_back(e);
  };
  AlarmService svc(config(), std::move(f.list), {}, std::nullopt, o, {});
  svc.start();
  svc.raise(fencing(), {});
  ASSERT_TRUE(wait_until([&] { return f.email->seen().size() >= 3; }, 5s));
  f.email->outcome_ = Outcome::Accepted;
  ASSERT_TRUE(svc.deliverer().wait_idle(5s));
  std::lock_guard lk(mu);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back().outcome, Outcome::Accepted);
  EXPECT_TRUE(events.back().final);
  EXPECT_EQ(svc.list()[0].delivery, "delivered");
}

TEST(AlarmService, PendingNotificationsSurviveARestartWithTheirMessageId) {
  TempDir dir;
  std::string message_id;
  {
    Fakes f = fakes(Outcome::Temporary, Outcome::Accepted);
    AlarmService svc(config(), std::move(f.list), {}, Spool::open(dir.path()).value(), {}, {});
    svc.start();
    svc.raise(fencing(), {});
    ASSERT_TRUE(
        wait_until([&] { return !f.email->seen().empty() && !f.pager->seen().empty(); }, 2s));
    message_id = f.email->seen()[0].message_id;
    svc.stop();
  }
  auto left = Spool::open(dir.path())->load().envelopes;
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].channels[1].status, ChannelStatus::Accepted);  // webhook-1 done, email pending
  Fakes f = fakes(Outcome::Accepted, Outcome::Accepted);
  AlarmService svc(config(), std::move(f.list), {}, Spool::open(dir.path()).value(), {}, {});
  EXPECT_TRUE(svc.start().empty());
  ASSERT_TRUE(svc.deliverer().wait_idle(5s));
  auto mails = f.email->seen();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].message_id, message_id);
  EXPECT_TRUE(f.pager->seen().empty()) << "the pager had accepted it before the restart";
  EXPECT_TRUE(Spool::open(dir.path())->load().envelopes.empty());
}

// docs/operator-manual.md, "Alarms and acknowledging": the delivery states
// `clusterctl alarms` shows besides delivered, failed and logged only:
// `pending`, `not sent (rate limited)` and `pending (from an earlier run)`.
TEST(AlarmService, ListsPendingRateLimitedAndFromAnEarlierRun) {
  TempDir dir;
  {
    Fakes f = fakes(Outcome::Accepted, Outcome::Accepted);
    f.email->hold();
    AlarmConfig c = config();
    c.rate_limit = 1;
    c.rate_window = 10min;
    AlarmService svc(c, std::move(f.list), {}, std::nullopt, {}, {});
    svc.start();
    auto now = std::chrono::steady_clock::now();
    svc.raise({.cluster = "c1", .severity = Severity::Warning, .text = "first"}, now);
    svc.raise({.cluster = "c1", .severity = Severity::Warning, .text = "second"}, now);
    auto listing = svc.list();
    ASSERT_EQ(listing.size(), 2u);
    EXPECT_EQ(listing[0].delivery, "pending");
    EXPECT_EQ(listing[1].delivery, "not sent (rate limited)");
    f.email->release();
    svc.stop();
  }
  {
    Fakes f = fakes(Outcome::Temporary, Outcome::Accepted);
    AlarmConfig c = config();
    c.retry_first = 10min;  // still pending when this run stops
    c.retry_cap = 10min;
    AlarmService svc(c, std::move(f.list), {}, Spool::open(dir.path()).value(), {}, {});
    svc.start();
    svc.raise(fencing(), {});
    ASSERT_TRUE(wait_until([&] { return !f.email->seen().empty(); }, 5s));
    svc.stop();
  }
  Fakes f = fakes(Outcome::Accepted, Outcome::Accepted);
  f.email->hold();  // the next run has not sent it yet
  AlarmService svc(config(), std::move(f.list), {}, Spool::open(dir.path()).value(), {}, {});
  svc.start();
  auto listing = svc.list();
  ASSERT_EQ(listing.size(), 1u);
  EXPECT_EQ(listing[0].delivery, "pending (from an earlier run)");
  EXPECT_EQ(listing[0].status.alarm.text, "fencing alpha");
  f.email->release();
  svc.stop();
}

// --- Spool errors reach on_event (FaultEnv) -------------------------------------

using clusterd::testing::FaultEnv;

struct EventLog {
  std::mutex mu;
  std::vector<DeliveryEvent> all;
  EventFn fn() {
    return [this](const DeliveryEvent& e) {
      std::lock_guard lk(mu);
      all.push_back(e);
    };
  }
  std::vector<DeliveryEvent> spool_errors() {
    std::lock_guard lk(mu);
    std::vector<DeliveryEvent> out;
    for (const auto& e : all)
      if (e.type == DeliveryEvent::Type::SpoolError) out.push_back(e);
    return out;
  }
};

// Given a full disk, when an alarm is raised: the spool write fails, the
// failure is a SpoolError event naming the notification, and the alarm is
// still delivered from memory.
TEST(AlarmService, SpoolWriteErrorIsAnEventAndDeliveryGoesOn) {
  FaultEnv env;
  Fakes f = fakes(Outcome::Accepted, Outcome::Accepted);
  EventLog ev;
  ServiceOptions o;
  o.on_event = ev.fn();
  AlarmService svc(config(), std::move(f.list), {}, Spool::open("/spool/c1", env).value(), o, {});
  svc.start();
  env.inject({.op = FaultEnv::Op::Append, .path_ends_with = ".tmp", .error = ENOSPC});
  std::string id = svc.raise(fencing(), {});
  ASSERT_TRUE(svc.deliverer().wait_idle(5s));
  auto errors = ev.spool_errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].alarm_id, id);
  EXPECT_EQ(errors[0].kind, NoticeKind::Raised);
  EXPECT_TRUE(errors[0].channel.empty());
  EXPECT_NE(errors[0].detail.find("No space left on device"), std::string::npos)
      << errors[0].detail;
  EXPECT_EQ(f.email->seen().size(), 1u);
  EXPECT_EQ(f.pager->seen().size(), 1u);
}

// The spool file of a delivered notification cannot be removed: an event,
// not a silence (the restart would send it again).
TEST(AlarmService, SpoolRemoveErrorAfterDeliveryIsAnEvent) {
  FaultEnv env;
  Fakes f = fakes(Outcome::Accepted, Outcome::Accepted);
  EventLog ev;
  ServiceOptions o;
  o.on_event = ev.fn();
  AlarmService svc(config(), std::move(f.list), {}, Spool::open("/spool/c1", env).value(), o, {});
  svc.start();
  env.inject({.op = FaultEnv::Op::Remove, .path_ends_with = ".alarm"});
  svc.raise(fencing(), {});
  ASSERT_TRUE(svc.deliverer().wait_idle(5s));
  auto errors = ev.spool_errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].detail.find("cannot remove /spool/c1/"), std::string::npos)
      << errors[0].detail;
}

// A torn spool file found at start: start() returns the problem (the daemon
// puts it in the timeline), the file is set aside, nothing garbled goes out.
TEST(AlarmService, TornSpoolFileAtStartIsReturnedNotDelivered) {
  FaultEnv env;
  const std::string path = "/spool/c1/x.raised.1@c1.clusterd.alarm";
  const std::string torn = "clusterd-alarm-spool 2\nmessage_id: x.raised.1@c1.clusterd\nkind: rai";
  env.put(path, torn);
  Fakes f = fakes(Outcome::Accepted, Outcome::Accepted);
  AlarmService svc(config(), std::move(f.list), {}, Spool::open("/spool/c1", env).value(), {}, {});
  auto problems = svc.start();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], path + ": line 3: truncated (renamed to .bad)");
  EXPECT_EQ(env.file(path + ".bad"), torn);
  ASSERT_TRUE(svc.deliverer().wait_idle(5s));
  EXPECT_TRUE(f.email->seen().empty());
  EXPECT_TRUE(svc.list().empty());
}

TEST(AlarmService, TickSendsEscalationAndHeartbeat) {
  AlarmConfig c = config();
  c.escalate_to = {"boss@example.com"};
  c.escalate_after = 15min;
  c.heartbeat_interval = 5min;
  Fakes f = fakes(Outcome::Accepted, Outcome::Accepted);
  std::vector<std::unique_ptr<Channel>> hb;
  auto beat = std::make_unique<FakeChannel>("heartbeat-url", Outcome::Accepted);
  FakeChannel* beat_ptr = beat.get();
  hb.push_back(std::move(beat));
  const TimePoint t0{std::chrono::hours(1)};
  AlarmService svc(c, std::move(f.list), std::move(hb), std::nullopt, {}, t0);
  svc.start();
  svc.tick(t0);
  svc.raise(fencing(), t0);
  EXPECT_EQ(svc.next_deadline(), t0 + 5min);
  svc.tick(t0 + 15min);
  ASSERT_TRUE(svc.deliverer().wait_idle(5s));
  auto mails = f.email->seen();
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].kind, NoticeKind::Escalation);
  auto beats = beat_ptr->seen();
  ASSERT_EQ(beats.size(), 2u);
  EXPECT_EQ(beats[0].kind, NoticeKind::Heartbeat);
  EXPECT_EQ(beats[0].alarm.cluster, "c1");
}

TEST(AlarmService, TestAlarmAnswersForEveryChannel) {
  Fakes f = fakes(Outcome::Accepted, Outcome::Permanent);
  AlarmService svc(config(), std::move(f.list), {}, std::nullopt, {}, {});
  auto results = svc.test_alarm();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].channel, "email");
  EXPECT_EQ(results[0].delivery.outcome, Outcome::Accepted);
  EXPECT_EQ(results[1].channel, "webhook-1");
  EXPECT_EQ(results[1].delivery.outcome, Outcome::Permanent);
  EXPECT_EQ(f.email->seen()[0].kind, NoticeKind::Test);
}

TEST(AlarmConfigTest, PageTargetsAreWebhooksOrCommands) {
  auto w = parse_page_target("https://hooks.example/alert");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->url, "https://hooks.example/alert");
  auto c = parse_page_target("exec:/usr/local/bin/page-oncall  --team ops");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->argv, (std::vector<std::string>{"/usr/local/bin/page-oncall", "--team", "ops"}));
  EXPECT_FALSE(parse_page_target("exec:").ok());
  EXPECT_EQ(parse_page_target("mailto:x@y").error().message,
            "page target 'mailto:x@y' is neither http(s)://URL nor exec:COMMAND");
}

TEST(AlarmConfigTest, MissingSmtpSecretIsAnError) {
  AlarmConfig c = config();
  c.email = {"oncall@example.com"};
  c.smtp_user = "clusterd";
  c.smtp_secret = "smtp-password";
  auto r = AlarmService::create(c, SecretMap{}, {}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("smtp-password"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace clusterd::alarm
