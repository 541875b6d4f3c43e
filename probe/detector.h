// PingDetector: the network detectors of one cluster on its io_context. Owns
// the probers (the active node's, and optionally the reference address's),
// a Watch (the two trackers and the isolation rule) and one steady_timer
// re-armed to Watch::next_deadline(). Reports `ping.down` / `ping.up` /
// `monitor.isolated` / `monitor.ok` with a one-line detail. Decides nothing
// about fencing; the chat script does.
//
//   timer fires --> advance_to(now): expired probes are misses, forgotten
//               --> probes due are sent (prober.send, tracker.on_sent)
//   prober answers / fails --> tracker.on_reply / on_timeout
//   after each: Watch::take_events(now) --> on_event(kind, detail)
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "probe/prober.h"
#include "probe/watch.h"

namespace clusterd::probe {

struct DetectorConfig {
  TrackerConfig node;                      // the active node: interval, misses, timeout
  std::optional<TrackerConfig> reference;  // nullopt: no reference address watched
};

class PingDetector {
 public:
  using EventHandler = std::function<void(ProbeEvent kind, const std::string& detail)>;

  /// `node` is required; `reference` may be null (then config.reference is
  /// ignored). `io` must outlive the detector. `on_event` is called from the
  /// io_context, never from inside a call to the detector, and never after
  /// stop() or destruction.
  PingDetector(boost::asio::io_context& io, std::unique_ptr<Prober> node,
               std::unique_ptr<Prober> reference, DetectorConfig config, EventHandler on_event);
  ~PingDetector();
  PingDetector(const PingDetector&) = delete;
  PingDetector& operator=(const PingDetector&) = delete;

  /// Starts probing now: `node_targets` (the active node's addresses) and
  /// `reference_targets` (the monitor's reference address; ignored without
  /// a reference prober). Calling it again starts over.
  void start(std::vector<boost::asio::ip::address> node_targets,
             std::vector<boost::asio::ip::address> reference_targets = {});
  /// Stops probing; no event is reported after. start() may follow.
  void stop();
  /// The active node changed (a takeover): probe `node_targets` from now on.
  /// The node's level starts again from unknown, so the new node's first
  /// answer (or run of misses) is reported; the reference carries on.
  void retarget(std::vector<boost::asio::ip::address> node_targets);

  Reach node_level() const { return watch_.node().level(); }
  bool isolated() const { return watch_.isolated(); }
  /// The active node's last round trip; nullopt before the first answer.
  std::optional<Duration> last_rtt() const { return watch_.node().last_rtt(); }
  const Prober& node_prober() const { return *node_; }

 private:
  enum class Which { Node, Reference };
  void tick();
  void arm();
  void send_if_due(Which which, TimePoint now);
  void on_reply(Which which, const ProbeReply& r);
  void on_failed(Which which, std::uint16_t seq, const std::string& why);
  void report(TimePoint now);
  std::string describe(const Change& c) const;
  ReachTracker* tracker(Which which);

  boost::asio::io_context& io_;
  std::unique_ptr<Prober> node_, reference_;
  Watch watch_;
  EventHandler on_event_;
  boost::asio::steady_timer timer_;
  bool running_ = false;
  std::uint16_t seq_ = 0;  // one counter for both probers: a seq is never reused soon
  struct Last {
    boost::asio::ip::address from;
    const char* how = "";  // of the last answer: "echo reply", "connected", "refused"
    std::string why;       // the last failure, if any
  } last_node_, last_ref_;
  std::shared_ptr<int> token_ = std::make_shared<int>(0);
};

}  // namespace clusterd::probe
