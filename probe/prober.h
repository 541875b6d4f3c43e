// Prober: one way of asking "are you there?" of a set of addresses (ICMP
// echo, TCP connect). A prober only sends and listens; when a probe counts as
// missed, and what a run of misses means, is the trackers' business
// (tracker.h). Runs on one io_context thread.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/duration.h"

namespace clusterd::probe {

/// An answer to probe `seq` from one of the targets.
struct ProbeReply {
  std::uint16_t seq = 0;
  boost::asio::ip::address from;
  Duration rtt{};
  const char* how = "";  // "echo reply", "connected", "refused"
};

struct ProberHandlers {
  /// An answer arrived. Called once per target that answers; the tracker
  /// counts the first and ignores the rest.
  std::function<void(const ProbeReply&)> on_reply;
  /// Probe `seq` failed for every target before its timeout (no route,
  /// send error, host unreachable): a miss now. `why` is one line.
  std::function<void(std::uint16_t seq, const std::string& why)> on_failed;
};

/// Handlers are always called from the io_context, never from inside a call
/// to the prober, and never after close() or destruction.
class Prober {
 public:
  virtual ~Prober() = default;
  virtual void set_handlers(ProberHandlers handlers) = 0;
  /// The addresses each probe goes to (any answer from any of them = alive).
  /// Probes in flight to the old addresses are dropped.
  virtual void set_targets(std::vector<boost::asio::ip::address> targets) = 0;
  virtual const std::vector<boost::asio::ip::address>& targets() const = 0;
  /// Sends probe `seq` to every target.
  virtual void send(std::uint16_t seq) = 0;
  /// Probe `seq` has timed out: drop what is kept for it (a TCP connect in
  /// progress is aborted); a late answer is no longer reported.
  virtual void forget(std::uint16_t seq) = 0;
  /// Stops listening and closes sockets; no handler is called after.
  virtual void close() = 0;
  /// "icmp raw socket", "tcp port 22": for logs and event details.
  virtual std::string describe() const = 0;
};

/// "198.18.1.2, 198.18.3.2".
std::string join_addresses(const std::vector<boost::asio::ip::address>& addresses);

}  // namespace clusterd::probe
