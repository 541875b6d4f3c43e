#include "clusterd/ports.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "clusterd/metrics_probe.h"
#include "probe/detector.h"
#include "probe/icmp_prober.h"
#include "probe/tcp_prober.h"

namespace clusterd {

namespace asio = boost::asio;

namespace {

// The PingDetector with a CountingProber between it and the active node's
// real prober (ICMP, which needs CAP_NET_RAW or ping_group_range, or TCP).
class DetectorPing : public PingSource {
 public:
  static Result<std::unique_ptr<PingSource>> open(asio::io_context& io,
                                                  const clist::PingConfig& cfg, Handler on_event) {
    std::unique_ptr<probe::Prober> node, reference;
    if (cfg.method == clist::PingMethod::Tcp) {
      node = std::make_unique<probe::TcpConnectProber>(io, cfg.tcp_port);
    } else {
      auto p = probe::IcmpProber::open(io);
      if (!p.ok()) return p.error();
      node = std::move(p.value());
    }
    auto counting = std::make_unique<CountingProber>(std::move(node));
    CountingProber* counted = counting.get();
    probe::DetectorConfig dc;
    dc.node = {cfg.interval, cfg.misses, cfg.timeout};
    if (!cfg.reference.empty()) {
      auto p = probe::IcmpProber::open(io);
      if (!p.ok()) return Error::invalid("[ping] reference: " + p.error().message);
      reference = std::move(p.value());
      dc.reference = dc.node;
    }
    auto detector = std::make_unique<probe::PingDetector>(
        io, std::move(counting), std::move(reference), dc, std::move(on_event));
    return std::unique_ptr<PingSource>(new DetectorPing(std::move(detector), counted));
  }

  void start(std::vector<asio::ip::address> node,
             std::vector<asio::ip::address> reference) override {
    detector_->start(std::move(node), std::move(reference));
  }
  void retarget(std::vector<asio::ip::address> node) override {
    detector_->retarget(std::move(node));
  }
  void stop() override { detector_->stop(); }
  PingReading reading() const override {
    PingReading r;
    r.level = detector_->node_level();
    r.isolated = detector_->isolated();
    r.rtt = detector_->last_rtt();
    r.probes = counted_->sent();
    r.lost = counted_->lost();
    r.probe_rtt = counted_->last_rtt();
    return r;
  }
  std::string describe() const override { return detector_->node_prober().describe(); }

 private:
  DetectorPing(std::unique_ptr<probe::PingDetector> d, CountingProber* counted)
      : detector_(std::move(d)), counted_(counted) {}
  std::unique_ptr<probe::PingDetector> detector_;
  CountingProber* counted_;  // owned by the detector
};

class AsioWaker : public Waker {
 public:
  explicit AsioWaker(asio::io_context& io) : timer_(io) {}
  void wake_at(chat::TimePoint at, std::function<void()> fn) override {
    timer_.expires_at(at);  // cancels a pending wait: its handler sees an error
    timer_.async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  }
  void cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

}  // namespace

std::int64_t system_wall_ns() {
  return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
}

DaemonPorts real_ports(asio::io_context& io) {
  static const chat::SteadyClock steady;
  DaemonPorts p;
  p.clock = &steady;
  p.wall_ns = system_wall_ns;
  p.post = [&io](std::function<void()> fn) { asio::post(io, std::move(fn)); };
  p.make_console = [&io](const clist::Node& node, tty::ConsoleHandlers h, tty::ConsoleContext ctx) {
    ctx.io = &io;
    return tty::make_console(node.console, std::move(h), ctx);
  };
  p.make_ping = [&io](const clist::PingConfig& cfg, PingSource::Handler on_event) {
    return DetectorPing::open(io, cfg, std::move(on_event));
  };
  p.waker = std::make_unique<AsioWaker>(io);
  return p;
}

}  // namespace clusterd
