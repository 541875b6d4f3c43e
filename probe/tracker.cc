#include "probe/tracker.h"

#include <algorithm>
#include <cstdio>

namespace clusterd::probe {

const char* probe_event_name(ProbeEvent e) {
  switch (e) {
    case ProbeEvent::PingDown:
      return "ping.down";
    case ProbeEvent::PingUp:
      return "ping.up";
    case ProbeEvent::MonitorIsolated:
      return "monitor.isolated";
    case ProbeEvent::MonitorOk:
      return "monitor.ok";
  }
  return "?";
}

const char* reach_name(Reach r) {
  switch (r) {
    case Reach::Unknown:
      return "unknown";
    case Reach::Up:
      return "up";
    case Reach::Down:
      return "down";
  }
  return "?";
}

std::string format_rtt(Duration rtt) {
  double us =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(rtt).count()) / 1e3;
  char buf[32];
  if (us < 1000.0) {
    std::snprintf(buf, sizeof buf, "%.3fms", us / 1e3);
  } else if (us < 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fms", us / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.3fs", us / 1e6);
  }
  return buf;
}

ReachTracker::ReachTracker(TrackerConfig config, ProbeEvent up, ProbeEvent down)
    : config_(config), up_(up), down_(down) {
  config_.misses = std::max(config_.misses, 1);
  if (config_.interval <= Duration::zero()) config_.interval = std::chrono::seconds(1);
  if (config_.timeout <= Duration::zero()) config_.timeout = config_.interval;
}

void ReachTracker::start(TimePoint now) {
  running_ = true;
  level_ = Reach::Unknown;
  misses_ = 0;
  last_miss_at_.reset();
  next_send_ = now;
  waiting_.clear();
}

void ReachTracker::stop() {
  running_ = false;
  waiting_.clear();
}

bool ReachTracker::send_due(TimePoint now) const { return running_ && now >= next_send_; }

void ReachTracker::on_sent(std::uint16_t seq, TimePoint at) {
  if (!running_) return;
  // A sequence number still waiting (wrapped after 65536 probes, or reused by
  // a confused caller) is replaced: its old answer could not be told apart.
  std::erase_if(waiting_, [seq](const Waiting& w) { return w.seq == seq; });
  waiting_.push_back({seq, at + config_.timeout});
  next_send_ = at + config_.interval;
}

void ReachTracker::on_reply(std::uint16_t seq, TimePoint at, Duration rtt) {
  auto it = std::find_if(waiting_.begin(), waiting_.end(),
                         [seq](const Waiting& w) { return w.seq == seq; });
  if (!running_ || it == waiting_.end()) return;  // late, duplicate or stray
  // Past its timeout but not yet expired (the reply's handler ran before the
  // timer's): still late. advance_to will count it.
  if (at > it->deadline) return;
  // Older probes still waiting are settled too: the target answered a newer
  // one, so counting them as misses later would fake a failure.
  waiting_.erase(waiting_.begin(), it + 1);
  misses_ = 0;
  last_rtt_ = rtt;
  if (level_ != Reach::Up) {
    level_ = Reach::Up;
    changes_.push_back({up_, at, 0, rtt, false});
  }
}

void ReachTracker::on_timeout(std::uint16_t seq, TimePoint at) {
  auto it = std::find_if(waiting_.begin(), waiting_.end(),
                         [seq](const Waiting& w) { return w.seq == seq; });
  if (!running_ || it == waiting_.end()) return;
  waiting_.erase(it);
  miss(at);
}

std::vector<std::uint16_t> ReachTracker::advance_to(TimePoint now) {
  std::vector<std::uint16_t> expired;
  // Deadlines grow with the send order (one timeout for all), so the front
  // is always the next to expire.
  while (running_ && !waiting_.empty() && waiting_.front().deadline <= now) {
    Waiting w = waiting_.front();
    waiting_.pop_front();
    expired.push_back(w.seq);
    miss(w.deadline);
  }
  return expired;
}

void ReachTracker::miss(TimePoint at) {
  ++misses_;
  last_miss_at_ = at;
  if (misses_ >= config_.misses && level_ != Reach::Down) {
    level_ = Reach::Down;
    changes_.push_back({down_, at, misses_, last_rtt_, false});
  }
}

std::optional<TimePoint> ReachTracker::next_deadline() const {
  if (!running_) return std::nullopt;
  TimePoint t = next_send_;
  if (!waiting_.empty()) t = std::min(t, waiting_.front().deadline);
  return t;
}

std::vector<Change> ReachTracker::take_changes() {
  std::vector<Change> out;
  out.swap(changes_);
  return out;
}

}  // namespace clusterd::probe
