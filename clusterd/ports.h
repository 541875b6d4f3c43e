// The daemon's ports: everything it needs from the outside world, as small
// interfaces, so the real Daemon runs either on Asio with real consoles,
// probes and timers (real_ports), or in virtual time with fakes
// (tests/clusterd/daemon_test.cc drives whole failovers that way).
//
//   Daemon ──> Waker       one timer, re-armed to the earliest deadline
//          ──> PingSource  the active node's ping and the reference address
//          ──> consoles    tty::Console per node (make_console)
//          ──> post        runs a callback on the daemon's thread later
//                          (alarm delivery results come from worker threads)
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/result.h"
#include "chat/clock.h"
#include "clist/cluster_config.h"
#include "probe/tracker.h"
#include "tty/console.h"

namespace clusterd {

/// What the ping detector knows now, for status and metrics.
struct PingReading {
  probe::Reach level = probe::Reach::Unknown;  ///< the active node's
  bool isolated = false;                       ///< the reference address is unreachable
  std::optional<Duration> rtt;                 ///< the active node's last round trip
  std::uint64_t probes = 0, lost = 0;          ///< totals since start (metrics)
  std::optional<Duration> probe_rtt;           ///< metrics: the last answer since the last retarget
};

class PingSource {
 public:
  using Handler = std::function<void(probe::ProbeEvent kind, const std::string& detail)>;
  virtual ~PingSource() = default;
  /// Starts probing the active node's addresses (and the reference's).
  virtual void start(std::vector<boost::asio::ip::address> node,
                     std::vector<boost::asio::ip::address> reference) = 0;
  /// A takeover: probe the new active node from now on.
  virtual void retarget(std::vector<boost::asio::ip::address> node) = 0;
  virtual void stop() = 0;
  virtual PingReading reading() const = 0;
  /// One line for the start-up log ("icmp", "tcp port 22").
  virtual std::string describe() const = 0;
};

/// The daemon's one timer. wake_at replaces any earlier wake-up.
class Waker {
 public:
  virtual ~Waker() = default;
  virtual void wake_at(chat::TimePoint at, std::function<void()> fn) = 0;
  virtual void cancel() = 0;
};

struct DaemonPorts {
  const chat::Clock* clock = nullptr;  ///< must outlive the daemon
  std::function<std::int64_t()> wall_ns;
  std::function<void(std::function<void()>)> post;
  std::function<std::unique_ptr<tty::Console>(const clist::Node&, tty::ConsoleHandlers,
                                              tty::ConsoleContext)>
      make_console;
  std::function<Result<std::unique_ptr<PingSource>>(const clist::PingConfig&, PingSource::Handler)>
      make_ping;
  std::unique_ptr<Waker> waker;
  /// Bind run/NAME.sock (tests in virtual time call Daemon::control instead).
  bool control_socket = true;
};

/// The real world on `io`: the steady and system clocks, tty consoles, the
/// ICMP or TCP PingDetector, an Asio steady_timer. `io` must outlive them.
DaemonPorts real_ports(boost::asio::io_context& io);

/// UTC ns since the epoch, from the system clock.
std::int64_t system_wall_ns();

}  // namespace clusterd
