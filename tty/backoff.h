// Reconnect delays: the first retry comes quickly (a terminal server that
// restarted is back within a second), later ones double up to a cap so a port
// that stays dead is not hammered. Pure arithmetic: the caller owns the timer.
#pragma once

#include <algorithm>

#include "base/duration.h"

namespace clusterd::tty {

class Backoff {
 public:
  Backoff(Duration first, Duration cap) : first_(first), cap_(std::max(cap, first)), next_(first) {}

  /// The delay before the next attempt; each call doubles the following one,
  /// up to the cap.
  Duration next() {
    Duration d = next_;
    next_ = std::min(next_ * 2, cap_);
    return d;
  }

  /// After a link that stayed up: the next failure retries after `first` again.
  void reset() { next_ = first_; }

  /// Skip to the cap (a refusal an operator must fix, e.g. a changed host key).
  void saturate() { next_ = cap_; }

 private:
  Duration first_, cap_, next_;
};

}  // namespace clusterd::tty
