// Site isolation by lease (docs/bcp.md "A site the monitor cannot see"):
// both halves of the rule, sans-I/O, on the caller's monotonic clock.
//
// At each site a lease keeper (`clusterd-ship lease-keeper`) halts its node
// when no renewal has reached it for T, the lease. The monitor renews every
// T/3 (`ship_renew`, usually over ssh). When renewals stop getting through
// (the site is dark, or the monitor's path to it is cut), the monitor may
// fence that node "by lease" only once 2T have passed since the last moment
// a renewal could have reached the keeper: the end of the last renewal it
// ran, whether that one said ok or not (a renewal whose answer was lost may
// still have arrived), and never while one runs. The second T is the margin
// for the two clocks' rates and for the keeper's own halt.
#pragma once

#include <algorithm>
#include <optional>

#include "base/duration.h"
#include "chat/clock.h"

namespace clusterd::repl {

using chat::TimePoint;

/// The keeper's side: when to halt the node.
class LeaseKeeper {
 public:
  /// Armed at `start` for `grace`: a keeper that starts holds no renewal of its
  /// own yet (lease_first_term() says how long the node may run).
  LeaseKeeper(Duration ttl, Duration grace, TimePoint start)
      : ttl_(ttl), deadline_(start + grace) {}
  /// A renewal seen now: armed again for the lease. Returns true when it
  /// comes after a halt (the node stays halted; nothing boots it).
  bool renewed(TimePoint now) {
    deadline_ = now + ttl_;
    const bool after_halt = halted_;
    halted_ = false;
    return after_halt;
  }
  /// True when the lease ran out: halt the node now. Again every lease while
  /// no renewal comes (a node started again at its site is halted again).
  bool due(TimePoint now) {
    if (now < deadline_) return false;
    halted_ = true;
    deadline_ = now + ttl_;
    return true;
  }
  TimePoint deadline() const { return deadline_; }
  bool halted() const { return halted_; }

 private:
  Duration ttl_;
  TimePoint deadline_;
  bool halted_ = false;
};

/// A starting keeper's first term: what is left of the lease since the lease
/// file was last renewed (`age` ago: the site's renewals are written even while
/// no keeper runs), or `grace` when there is no file, whichever is shorter. A
/// keeper that restarts must not give its node more than the lease it had.
inline Duration lease_first_term(Duration ttl, Duration grace, std::optional<Duration> age) {
  if (!age) return grace;
  const Duration left = *age < Duration::zero() ? ttl : ttl - *age;
  return std::clamp(left, Duration::zero(), grace);
}

/// What a renewal said (its exit status).
enum class RenewResult {
  Ok,        ///< exit 0: the keeper holds the renewal
  NoKeeper,  ///< exit 3: the site answered, but no keeper runs there
  Failed,    ///< anything else (ssh could not reach the site, a timeout, too late)
};
inline RenewResult renew_result(int status) {
  return status == 0 ? RenewResult::Ok : status == 3 ? RenewResult::NoKeeper : RenewResult::Failed;
}

/// The monitor's side, per node: may it be fenced by lease yet?
class LeaseWatch {
 public:
  LeaseWatch() = default;
  /// A monitor that starts (or restarts) does not know what its previous self
  /// renewed: the last contact is now.
  LeaseWatch(Duration ttl, TimePoint start) : ttl_(ttl), contact_(start) {}

  /// A renewal starts; it may land at the site until `not_after` (it is told
  /// so: `lease-renew --not-after`, and killed then).
  void started(TimePoint now, TimePoint not_after) {
    running_ = true;
    contact_ = now;
    not_after_ = not_after;
  }
  void ended(TimePoint now, RenewResult r) {
    running_ = false;
    contact_ = std::max(now, not_after_);
    if (r == RenewResult::Ok) kept_ = true, ok_at_ = now;
    if (r == RenewResult::NoKeeper) kept_ = false;
  }
  bool running() const { return running_; }
  /// True once a renewal said the keeper holds it; false again when one
  /// reached the site and found no keeper there. Never kept: nobody is known
  /// to halt that node, so no fence by lease.
  bool kept() const { return kept_; }
  /// The moment from which a fence by lease is allowed (unless a renewal runs).
  TimePoint expires_at() const { return contact_ + 2 * ttl_; }
  bool expired(TimePoint now) const { return !running_ && kept_ && now >= expires_at(); }
  /// The latest the keeper has halted the node by: its lease plus a second for
  /// its poll and the halt command (docs/bcp.md: HALT must stop writes at once).
  TimePoint halted_by() const { return contact_ + ttl_ + std::chrono::seconds(1); }
  TimePoint contact() const { return contact_; }
  std::optional<TimePoint> last_ok() const { return ok_at_; }
  Duration ttl() const { return ttl_; }

 private:
  Duration ttl_{};
  TimePoint contact_{};
  TimePoint not_after_{};
  std::optional<TimePoint> ok_at_;
  bool running_ = false;
  bool kept_ = false;  // a keeper confirmed by a renewal in this monitor's life
};

}  // namespace clusterd::repl
