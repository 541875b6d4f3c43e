// Watch: the active node's tracker and the reference tracker together, and
// the isolation rule between them (DESIGN.md §5: "monitor isolated: alarm, no
// fencing"). Sans-I/O like the trackers; PingDetector drives it.
//
// The rule: `ping.down` is reported only while the reference answers (its
// level is up and its latest probe was not missed), and only for a node miss
// counted after the reference was last seen answering. When the monitor's own
// link fails, node and reference probes stop together; without the rule the
// node's `ping.down` could reach the script before `monitor.isolated` and
// start a fence. A node that goes down while the reference is missing is
// held: reported (marked `held`) at its next miss once the reference answers
// again, or never if the node answers first. The second half matters when
// the link comes back: the reference's answer may arrive a moment before the
// node's, and the node's old misses must not be reported then. `ping.up`,
// `monitor.isolated` and `monitor.ok` are never held. Without a reference
// there is no rule.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "probe/tracker.h"

namespace clusterd::probe {

class Watch {
 public:
  /// `reference` nullopt: no reference address is watched.
  Watch(TrackerConfig node, std::optional<TrackerConfig> reference);

  /// The trackers, fed directly by the caller. reference() is null without one.
  PingTracker& node() { return node_; }
  const PingTracker& node() const { return node_; }
  ReferenceTracker* reference() { return reference_.get(); }
  const ReferenceTracker* reference() const { return reference_.get(); }

  /// Starts both trackers at `now`; nothing reported yet.
  void start(TimePoint now);
  void stop();
  /// The active node changed (a takeover): its tracker starts again from
  /// Unknown, and the next answer or run of misses is reported even if it
  /// repeats the last level reported. The reference carries on.
  void retarget(TimePoint now);

  /// Advances both trackers (the reference first). Returns the expired
  /// sequence numbers of the node and of the reference.
  struct Expired {
    std::vector<std::uint16_t> node, reference;
  };
  Expired advance_to(TimePoint now);
  /// The earlier of the two trackers' deadlines.
  std::optional<TimePoint> next_deadline() const;

  /// The events to report now, in order: reference changes first, then the
  /// node's, with the rule above applied. Call after every input.
  std::vector<Change> take_events(TimePoint now);

  /// The last node level reported (Unknown before the first, after retarget).
  Reach reported_node() const { return reported_node_; }
  bool isolated() const { return reported_ref_ == Reach::Down; }

 private:
  bool reference_answers() const;

  PingTracker node_;
  std::unique_ptr<ReferenceTracker> reference_;
  Reach reported_node_ = Reach::Unknown;
  Reach reported_ref_ = Reach::Unknown;
  bool ref_answered_ = false;                 // reference_answers() at the last take_events
  std::optional<TimePoint> answering_since_;  // when it last started answering
};

}  // namespace clusterd::probe
