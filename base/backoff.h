// Retry delays that double from `first` up to `cap`: the first retry comes
// quickly (a terminal server that restarted is back within a second, a mail
// relay's hiccup passes), later ones back off so that a peer that stays dead
// is not hammered. Used by console reconnects (tty/) and alarm delivery
// (alarm/). Pure arithmetic: the caller owns the timer and the clock.
#pragma once

#include <algorithm>

#include "base/duration.h"

namespace clusterd {

class Backoff {
 public:
  /// A `cap` below `first` is raised to `first`.
  Backoff(Duration first, Duration cap) : first_(first), cap_(std::max(cap, first)) {}

  /// The delay after `failures` failed attempts (1 for the first failure):
  /// first, 2*first, 4*first, ... capped at cap. For callers that keep the
  /// count themselves (alarm delivery keeps it in the spool, across restarts).
  Duration after(int failures) const {
    Duration d = first_;
    for (int i = 1; i < failures && d < cap_; ++i) d *= 2;
    return std::min(d, cap_);
  }

  /// The delay before the next attempt, counting this call as one more
  /// failure: first, then doubling up to the cap.
  Duration next() {
    failures_ = std::min(failures_ + 1, kSaturated);
    return after(failures_);
  }

  /// After a link that stayed up: the next failure retries after `first` again.
  void reset() { failures_ = 0; }

  /// Skip to the cap (a refusal an operator must fix, e.g. a changed host key).
  void saturate() { failures_ = kSaturated; }

 private:
  // Enough doublings to reach any cap from any nonzero first (2^62 > 10000h
  // in nanoseconds); counting stops here so it never overflows.
  static constexpr int kSaturated = 64;

  Duration first_, cap_;
  int failures_ = 0;
};

}  // namespace clusterd
