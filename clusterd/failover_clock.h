// FailoverClock: how long the last failover took, from the input that took
// the chat script out of its initial state to the takeover. The runtime keeps
// no timing of its own; the daemon tells this clock where each input ends
// and when the role binding announces a takeover. A failover resumed after a
// restart began before this process: its start is unknown, and the value is
// cleared rather than made up.
#pragma once

#include <optional>

#include "base/duration.h"
#include "chat/clock.h"

namespace clusterd {

class FailoverClock {
 public:
  /// At start: `at_initial` false means a failover is resumed (no start).
  void started(bool at_initial) { was_initial_ = at_initial; }
  /// Where every input ends.
  void after_input(bool at_initial, chat::TimePoint now) {
    if (was_initial_ && !at_initial) left_initial_ = now;
    if (at_initial) left_initial_.reset();
    was_initial_ = at_initial;
  }
  /// The takeover, during an input (before that input's after_input()).
  /// Returns the failover's duration when its start is known.
  std::optional<Duration> takeover(chat::TimePoint now) {
    // Left the initial state in this very input: it started now.
    if (was_initial_ && !left_initial_) left_initial_ = now;
    last_.reset();
    if (left_initial_) last_ = now - *left_initial_;
    return last_;
  }
  std::optional<Duration> last() const { return last_; }

 private:
  bool was_initial_ = true;
  std::optional<chat::TimePoint> left_initial_;
  std::optional<Duration> last_;
};

}  // namespace clusterd
