#include "alarm/service.h"

#include <chrono>
#include <map>

namespace clusterd::alarm {

namespace {
BookPolicy policy_of(const AlarmConfig& cfg, std::uint32_t seed, bool heartbeat) {
  BookPolicy p;
  p.reminder = cfg.reminder;
  p.escalate_after = cfg.escalate_to.empty() ? Duration{} : cfg.escalate_after;
  p.rate_limit = cfg.rate_limit;
  p.rate_window = cfg.rate_window;
  p.heartbeat = heartbeat ? cfg.heartbeat_interval : Duration{};
  p.id_seed = seed;
  return p;
}

// One summary per alarm id over its notifications, pending ones first.
std::string summarize(const std::vector<const Envelope*>& envs, bool any_channel) {
  std::string failed;
  for (const Envelope* e : envs) {
    if (!e->finished()) return "pending";
    for (const auto& c : e->channels)
      if (c.status == ChannelStatus::Failed && failed.empty())
        failed = c.channel + ": " + c.last_error;
  }
  if (envs.empty())
    return any_channel ? "not sent (rate limited)" : "logged only (no alarm channel configured)";
  return failed.empty() ? "delivered" : "failed: " + failed;
}
}  // namespace

Result<std::unique_ptr<AlarmService>> AlarmService::create(const AlarmConfig& cfg,
                                                           const SecretSource& secrets,
                                                           ServiceOptions options, TimePoint now) {
  auto channels = make_channels(cfg, secrets);
  if (!channels) return channels.error();
  std::optional<Spool> spool;
  if (!options.spool_dir.empty()) {
    auto s = Spool::open(options.spool_dir);
    if (!s) return s.error();
    spool = std::move(*s);
  }
  return std::make_unique<AlarmService>(cfg, std::move(*channels), make_heartbeat_channels(cfg),
                                        std::move(spool), std::move(options), now);
}

AlarmService::AlarmService(const AlarmConfig& cfg, std::vector<std::unique_ptr<Channel>> channels,
                           std::vector<std::unique_ptr<Channel>> heartbeat,
                           std::optional<Spool> spool, ServiceOptions options, TimePoint now)
    : cfg_(cfg),
      options_(std::move(options)),
      book_(policy_of(cfg, options_.id_seed, !heartbeat.empty()), now) {
  for (auto& c : channels) alarm_channels_.push_back(c->name());
  for (auto& c : heartbeat) heartbeat_channels_.push_back(c->name());
  for (auto& c : heartbeat) channels.push_back(std::move(c));
  deliverer_ = std::make_unique<Deliverer>(
      std::move(channels), std::move(spool),
      RetryPolicy{.first = cfg.retry_first, .cap = cfg.retry_cap, .retry_for = cfg.retry_for},
      options_.on_event);
}

AlarmService::~AlarmService() { stop(); }

std::vector<std::string> AlarmService::start() { return deliverer_->start(); }
void AlarmService::stop() { deliverer_->stop(); }

std::int64_t AlarmService::wall() const {
  if (options_.wall_clock) return options_.wall_clock();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AlarmService::send(BookOutput out) {
  std::int64_t t = wall();
  for (Notification& n : out.send) {
    n.time_ns = t;
    // A spool error is reported through on_event; delivery goes on from memory.
    (void)deliverer_->submit(std::move(n), alarm_channels_);
  }
  if (out.heartbeat && !heartbeat_channels_.empty()) {
    Notification hb;
    hb.kind = NoticeKind::Heartbeat;
    hb.time_ns = t;
    hb.alarm.cluster = safe_token(cfg_.cluster);
    hb.alarm.id = "heartbeat-" + std::to_string(++heartbeats_);
    hb.alarm.severity = Severity::Notice;
    hb.alarm.text = "monitor alive";
    hb.alarm.time_ns = t;
    hb.message_id = hb.alarm.id + "@" + hb.alarm.cluster + ".clusterd";
    // Heartbeats are never spooled, so submit() cannot fail for them.
    (void)deliverer_->submit(std::move(hb), heartbeat_channels_);
  }
}

std::string AlarmService::raise(Alarm a, TimePoint now) {
  if (a.cluster.empty()) a.cluster = cfg_.cluster;
  if (a.time_ns == 0) a.time_ns = wall();
  std::string id;
  send(book_.raise(std::move(a), now, &id));
  return id;
}

void AlarmService::clear(std::string_view key, TimePoint now) { send(book_.clear(key, now)); }

bool AlarmService::ack(std::string_view id, TimePoint now) { return book_.ack(id, now); }

void AlarmService::tick(TimePoint now) { send(book_.advance_to(now)); }

std::optional<TimePoint> AlarmService::next_deadline() const { return book_.next_deadline(); }

std::vector<AlarmListing> AlarmService::list() const {
  std::vector<Envelope> pending = deliverer_->pending(), done = deliverer_->finished();
  std::map<std::string, std::vector<const Envelope*>> by_alarm;
  for (const auto& e : pending) by_alarm[e.notification.alarm.id].push_back(&e);
  for (const auto& e : done) by_alarm[e.notification.alarm.id].push_back(&e);
  std::vector<AlarmListing> out;
  for (const AlarmStatus& s : book_.list()) {
    auto it = by_alarm.find(s.alarm.id);
    out.push_back({s, summarize(it == by_alarm.end() ? std::vector<const Envelope*>{} : it->second,
                                !alarm_channels_.empty())});
  }
  for (const auto& e : pending) {
    if (book_.find(e.notification.alarm.id) || e.notification.kind == NoticeKind::Heartbeat)
      continue;
    if (!out.empty() && out.back().status.alarm.id == e.notification.alarm.id) continue;
    AlarmListing l;
    l.status.alarm = e.notification.alarm;
    l.delivery = "pending (from an earlier run)";
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<ChannelResult> AlarmService::test_alarm() {
  Notification n;
  n.kind = NoticeKind::Test;
  n.time_ns = wall();
  n.alarm.cluster = safe_token(cfg_.cluster);
  n.alarm.id = "test-" + std::to_string(n.time_ns / 1'000'000);
  n.alarm.severity = Severity::Notice;
  n.alarm.text = "test alarm from clusterd --test-alarm";
  n.alarm.time_ns = n.time_ns;
  n.message_id = n.alarm.id + ".test@" + n.alarm.cluster + ".clusterd";
  std::vector<ChannelResult> out;
  for (const auto& name : deliverer_->channel_names())
    out.push_back({name, deliverer_->channel(name)->send(n)});
  return out;
}

}  // namespace clusterd::alarm
