// Reachability trackers: the sans-I/O core of the network detectors. A
// tracker is told when a probe was sent, answered or failed, and decides
// when the next one is due, when an unanswered one counts as missed, and
// when the level changes (`ping.down` / `ping.up` for the active node,
// `monitor.isolated` / `monitor.ok` for the reference address). It never
// touches a socket or a clock: time is always an argument.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "base/duration.h"

namespace clusterd::probe {

using TimePoint = std::chrono::steady_clock::time_point;

/// The level events the detectors report (chat's `ping.down`, …).
enum class ProbeEvent : std::uint8_t { PingDown, PingUp, MonitorIsolated, MonitorOk };
/// "ping.down", "ping.up", "monitor.isolated", "monitor.ok".
const char* probe_event_name(ProbeEvent e);

/// What is known of a target: nothing yet, answering, or not answering.
enum class Reach : std::uint8_t { Unknown, Up, Down };
const char* reach_name(Reach r);

struct TrackerConfig {
  Duration interval = std::chrono::seconds(1);  // one probe per interval
  int misses = 3;                               // consecutive misses that make it Down (>= 1)
  Duration timeout = Duration::zero();          // per-probe answer time; zero: = interval
};

/// A level change, with what the caller needs to describe it.
struct Change {
  ProbeEvent event = ProbeEvent::PingDown;
  TimePoint at{};
  int misses = 0;               // consecutive misses at the change (0 for an up)
  std::optional<Duration> rtt;  // up: the answer's round trip; down: the last one seen
  bool held = false;            // Watch: reported late (the reference was not answering)
};

/// One target's probe schedule and level. Down after `misses` consecutive
/// probes without an answer; Up after one answer. Starts Unknown, so the first
/// answer (or the first run of misses) is always reported.
///
///   Unknown --answer--> Up --`misses` misses in a row--> Down --answer--> Up
///   Unknown --`misses` misses in a row--> Down
///
/// A probe is missed when the prober reports that it failed (on_timeout) or
/// when `timeout` passes after it was sent (advance_to). An answer to a probe
/// already counted as missed or arriving after its timeout, to one never
/// sent, or a second answer to the same probe changes nothing. An answer to probe N also settles
/// every older probe still waiting (they can only matter when timeout > interval).
class ReachTracker {
 public:
  /// `up` and `down` are the events this tracker reports. config.misses < 1
  /// counts as 1, a zero timeout means the interval.
  ReachTracker(TrackerConfig config, ProbeEvent up, ProbeEvent down);

  /// Begins (or begins again, as after a re-target): level Unknown, no
  /// misses, nothing waiting, the first probe due at `now`.
  void start(TimePoint now);
  /// Stops scheduling; nothing is due until start() again.
  void stop();
  bool running() const { return running_; }

  /// True when the next probe is due at or before `now`.
  bool send_due(TimePoint now) const;
  /// Probe `seq` went out at `at`; the next one is due one interval later.
  void on_sent(std::uint16_t seq, TimePoint at);
  /// Probe `seq` was answered at `at` after `rtt`.
  void on_reply(std::uint16_t seq, TimePoint at, Duration rtt);
  /// Probe `seq` failed at `at` (unreachable, refused to send, …): a miss now.
  void on_timeout(std::uint16_t seq, TimePoint at);
  /// Counts every probe whose timeout has passed by `now` as missed, and
  /// returns their sequence numbers (the caller drops their state).
  std::vector<std::uint16_t> advance_to(TimePoint now);
  /// The earliest of the next probe and the oldest waiting probe's timeout;
  /// nullopt when stopped.
  std::optional<TimePoint> next_deadline() const;

  /// The level changes since the last call, oldest first.
  std::vector<Change> take_changes();

  Reach level() const { return level_; }
  int consecutive_misses() const { return misses_; }
  std::optional<Duration> last_rtt() const { return last_rtt_; }
  /// When the latest miss was counted; nullopt before the first.
  std::optional<TimePoint> last_miss_at() const { return last_miss_at_; }
  const TrackerConfig& config() const { return config_; }

 private:
  struct Waiting {
    std::uint16_t seq;
    TimePoint deadline;
  };
  void miss(TimePoint at);

  TrackerConfig config_;
  ProbeEvent up_, down_;
  bool running_ = false;
  Reach level_ = Reach::Unknown;
  int misses_ = 0;
  TimePoint next_send_{};
  std::deque<Waiting> waiting_;  // sent, not yet answered or missed; oldest first
  std::optional<Duration> last_rtt_;
  std::optional<TimePoint> last_miss_at_;
  std::vector<Change> changes_;
};

/// The active node's addresses: reports `ping.up` / `ping.down`.
class PingTracker final : public ReachTracker {
 public:
  explicit PingTracker(TrackerConfig config)
      : ReachTracker(config, ProbeEvent::PingUp, ProbeEvent::PingDown) {}
};

/// The reference address on the monitor's own network: reports
/// `monitor.ok` / `monitor.isolated`.
class ReferenceTracker final : public ReachTracker {
 public:
  explicit ReferenceTracker(TrackerConfig config)
      : ReachTracker(config, ProbeEvent::MonitorOk, ProbeEvent::MonitorIsolated) {}
};

/// "0.041ms", "12.3ms", "1.204s": a round trip as people read it.
std::string format_rtt(Duration rtt);

}  // namespace clusterd::probe
