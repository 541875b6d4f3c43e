// CountingProber: the probe counts behind clusterd_ping_probes_total and
// clusterd_ping_lost_total, and the rtt behind clusterd_ping_rtt_seconds. The
// detector and its trackers keep levels (up, down), not totals, so the daemon
// puts this decorator between the detector and the real prober of the active
// node. It forwards every call and every answer unchanged and decides nothing.
//
//   PingDetector --send/forget/set_targets--> CountingProber --> IcmpProber | TcpConnectProber
//   PingDetector <--on_reply/on_failed------- CountingProber <--
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "probe/prober.h"

namespace clusterd {

/// Counts probes the way ReachTracker judges them. A probe is lost when the
/// tracker counts it as missed: it timed out (the detector then calls
/// forget(), even when a late answer came) or it failed at once while still
/// waiting. An answer settles its probe and every older one still waiting,
/// as in the tracker. Probes dropped by set_targets (a takeover) are neither
/// answered nor lost.
class CountingProber : public probe::Prober {
 public:
  /// Owns `inner`, the real prober.
  explicit CountingProber(std::unique_ptr<probe::Prober> inner) : inner_(std::move(inner)) {}

  void set_handlers(probe::ProberHandlers handlers) override;
  void set_targets(std::vector<boost::asio::ip::address> targets) override;
  const std::vector<boost::asio::ip::address>& targets() const override {
    return inner_->targets();
  }
  void send(std::uint16_t seq) override;
  void forget(std::uint16_t seq) override;
  void close() override { inner_->close(); }
  std::string describe() const override { return inner_->describe(); }

  std::uint64_t sent() const { return sent_; }
  std::uint64_t lost() const { return lost_; }
  /// The round trip of the last probe answered since the last set_targets:
  /// the current active node's, never the one before a takeover.
  std::optional<Duration> last_rtt() const { return last_rtt_; }

 private:
  bool drop(std::uint16_t seq);            // true if `seq` was waiting
  bool settle_through(std::uint16_t seq);  // drops `seq` and every older one

  std::unique_ptr<probe::Prober> inner_;
  probe::ProberHandlers handlers_;
  std::deque<std::uint16_t> waiting_;  // sent, not yet answered or lost; oldest first
  std::uint64_t sent_ = 0, lost_ = 0;
  std::optional<Duration> last_rtt_;
};

}  // namespace clusterd
