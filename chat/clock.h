// Time for the chat core. The interpreter never reads a clock: callers pass
// `now`. Code outside chat/ that must ask for the time takes a Clock&, so
// tests and `chatc replay` run in virtual time.
#pragma once

#include <chrono>

#include "base/duration.h"  // Duration

namespace clusterd::chat {

using TimePoint = std::chrono::steady_clock::time_point;

/// The source of `now` for code that needs one. The daemon uses the steady
/// clock; tests use a VirtualClock they advance by hand.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

/// The real monotonic clock.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

/// A clock that moves only when told to.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint now() const override { return now_; }
  void advance(Duration d) { now_ += d; }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

}  // namespace clusterd::chat
