#include "probe/detector.h"

namespace clusterd::probe {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

PingDetector::PingDetector(asio::io_context& io, std::unique_ptr<Prober> node,
                           std::unique_ptr<Prober> reference, DetectorConfig config,
                           EventHandler on_event)
    : io_(io),
      node_(std::move(node)),
      reference_(std::move(reference)),
      watch_(config.node, reference_
                              ? std::optional<TrackerConfig>(config.reference.value_or(config.node))
                              : std::nullopt),
      on_event_(std::move(on_event)),
      timer_(io) {
  // The probers call back from the io_context only; the token keeps a
  // callback that is already queued from reaching a destroyed detector.
  auto hook = [this](Which which) {
    return ProberHandlers{
        [w = std::weak_ptr<int>(token_), this, which](const ProbeReply& r) {
          if (!w.expired()) on_reply(which, r);
        },
        [w = std::weak_ptr<int>(token_), this, which](std::uint16_t seq, const std::string& why) {
          if (!w.expired()) on_failed(which, seq, why);
        }};
  };
  node_->set_handlers(hook(Which::Node));
  if (reference_) reference_->set_handlers(hook(Which::Reference));
}

PingDetector::~PingDetector() {
  token_.reset();
  node_->close();
  if (reference_) reference_->close();
}

ReachTracker* PingDetector::tracker(Which which) {
  if (which == Which::Node) return &watch_.node();
  return watch_.reference();
}

void PingDetector::start(std::vector<asio::ip::address> node_targets,
                         std::vector<asio::ip::address> reference_targets) {
  node_->set_targets(std::move(node_targets));
  if (reference_) reference_->set_targets(std::move(reference_targets));
  running_ = true;
  watch_.start(SteadyClock::now());
  last_node_ = last_ref_ = Last{};
  arm();
}

void PingDetector::stop() {
  running_ = false;
  watch_.stop();
  timer_.cancel();
}

void PingDetector::retarget(std::vector<asio::ip::address> node_targets) {
  node_->set_targets(std::move(node_targets));
  last_node_ = Last{};
  if (!running_) return;
  watch_.retarget(SteadyClock::now());
  arm();  // the new node's first probe is due now
}

void PingDetector::arm() {
  auto deadline = watch_.next_deadline();
  if (!running_ || !deadline) return;
  timer_.expires_at(*deadline);
  timer_.async_wait([w = std::weak_ptr<int>(token_), this](const boost::system::error_code& ec) {
    if (ec || w.expired() || !running_) return;
    tick();
  });
}

void PingDetector::tick() {
  TimePoint now = SteadyClock::now();
  Watch::Expired expired = watch_.advance_to(now);
  for (auto seq : expired.node) node_->forget(seq);
  if (reference_) {
    for (auto seq : expired.reference) reference_->forget(seq);
  }
  // The reference first: at an instant where both are due, its probe is out
  // (and its miss counted) no later than the node's.
  if (reference_) send_if_due(Which::Reference, now);
  send_if_due(Which::Node, now);
  report(now);
  arm();
}

void PingDetector::send_if_due(Which which, TimePoint now) {
  ReachTracker* t = tracker(which);
  if (!t || !t->send_due(now)) return;
  std::uint16_t seq = ++seq_;
  (which == Which::Node ? node_ : reference_)->send(seq);
  t->on_sent(seq, now);
}

void PingDetector::on_reply(Which which, const ProbeReply& r) {
  if (!running_) return;
  TimePoint now = SteadyClock::now();
  Last& last = which == Which::Node ? last_node_ : last_ref_;
  last.from = r.from;
  last.how = r.how;
  tracker(which)->on_reply(r.seq, now, r.rtt);
  report(now);
}

void PingDetector::on_failed(Which which, std::uint16_t seq, const std::string& why) {
  if (!running_) return;
  TimePoint now = SteadyClock::now();
  (which == Which::Node ? last_node_ : last_ref_).why = why;
  tracker(which)->on_timeout(seq, now);
  report(now);
}

void PingDetector::report(TimePoint now) {
  for (const Change& c : watch_.take_events(now)) {
    if (!running_ || !on_event_) return;  // a handler may stop us
    std::weak_ptr<int> alive = token_;
    on_event_(c.event, describe(c));
    if (alive.expired()) return;  // or destroy us
  }
}

std::string PingDetector::describe(const Change& c) const {
  bool node = c.event == ProbeEvent::PingDown || c.event == ProbeEvent::PingUp;
  const Prober& p = node ? *node_ : *reference_;
  const Last& last = node ? last_node_ : last_ref_;
  const TrackerConfig& cfg = node ? watch_.node().config() : watch_.reference()->config();
  std::string who = node ? "" : "reference ";
  std::string s;
  if (c.event == ProbeEvent::PingUp || c.event == ProbeEvent::MonitorOk) {
    s = who + last.from.to_string() + " answers (" + p.describe() + ": " + last.how + ")";
    if (c.rtt) s += ", rtt " + format_rtt(*c.rtt);
    return s;
  }
  s = who + join_addresses(p.targets()) + ": " + std::to_string(c.misses) + " probes unanswered (" +
      p.describe() + ", every " + format_duration(cfg.interval) + ", timeout " +
      format_duration(cfg.timeout) + ")";
  if (!last.why.empty()) s += "; last error: " + last.why;
  if (c.rtt) s += "; last rtt " + format_rtt(*c.rtt);
  if (c.event == ProbeEvent::MonitorIsolated)
    s += "; this monitor's own network is down: no fencing";
  if (c.held) s += "; reported late: the reference address was not answering";
  return s;
}

}  // namespace clusterd::probe
