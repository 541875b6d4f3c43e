// Fingerprint: a 64-bit hash of a component's state, for `chatc verify`'s
// state hashing (docs/verify.md). Times go in relative to `now`, so two states
// that differ only in when they happened hash the same. Not cryptographic:
// two different states colliding would prune a branch, at odds of 2^-64 per
// pair.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace clusterd {

class Fingerprint {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  void add(std::uint64_t v) {
    // splitmix64's finalizer over the running value.
    h_ ^= v + 0x9e3779b97f4a7c15ULL + (h_ << 6) + (h_ >> 2);
    h_ = (h_ ^ (h_ >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h_ = (h_ ^ (h_ >> 27)) * 0x94d049bb133111ebULL;
    h_ ^= h_ >> 31;
  }
  void add_int(std::int64_t v) { add(static_cast<std::uint64_t>(v)); }
  void add_bool(bool b) { add(b ? 1 : 2); }
  void add(std::string_view s) {
    std::uint64_t f = 1469598103934665603ULL;  // FNV-1a
    for (char c : s) f = (f ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    add(f);
    add(s.size());
  }
  /// A point in time as its distance from `now` (ns); absent is its own value.
  void add_time(const std::optional<TimePoint>& t, TimePoint now) {
    if (!t) return add(0xabcdefULL);
    add_int(std::chrono::duration_cast<std::chrono::nanoseconds>(*t - now).count());
  }
  /// A point in the past as its age, with every age past `cap` the same: for
  /// times that only count up to a bound (a silence against its window).
  void add_age(const std::optional<TimePoint>& t, TimePoint now,
               std::chrono::nanoseconds cap = std::chrono::minutes(5)) {
    if (t && now - *t > cap) return add(0xa9edULL);
    add_time(t, now);
  }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0x243f6a8885a308d3ULL;
};

}  // namespace clusterd
