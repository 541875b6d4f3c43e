// The replication model of a BCP cluster (docs/bcp.md): two sites, each with
// its own disk, the active site's record log shipped to the passive one over
// IP. Sans-I/O: the caller feeds what the shippers report and `now`; the
// Tracker keeps the source head, the newest complete and verified replica
// point, the write rate and the epoch, and answers the failover gate's
// question: how many records would a promotion now lose, at least and at
// most.
//
// Times: `now` is the monitor's steady clock (observations and rates);
// `time_ns` inside a Point is the source site's wall clock when it wrote the
// point's newest record (ages, compared with the monitor's wall clock, so a
// point dated in the future is caught rather than called fresh).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "chat/clock.h"

namespace clusterd::repl {

using chat::TimePoint;

/// A position in the record log.
struct Point {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::int64_t time_ns = 0;  ///< source wall clock of the newest record; 0 = none
  std::uint64_t hash = 0;    ///< running hash of the log prefix [0, bytes)
  std::uint64_t epoch = 0;
};

struct GateConfig {
  std::uint64_t max_loss = 50;  ///< records; a promotion losing at most this goes alone
  Duration gate_timeout = std::chrono::minutes(5);          ///< 0 = wait for an operator forever
  Duration observe_slack = std::chrono::milliseconds(500);  ///< head report delay allowed for
  Duration rate_window = std::chrono::minutes(5);           ///< how far back the peak rate looks
  Duration future_tolerance = std::chrono::seconds(2);      ///< clock skew allowed between sites
};

/// The expected loss of a promotion: records (and bytes) the source wrote
/// that the replica point does not have. `lo` is what is known to be
/// unshipped; `hi` adds what the source may have written, at its peak rate,
/// between the last head report and the moment it is known to have stopped.
struct LossRange {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::uint64_t bytes_lo = 0;
  std::uint64_t bytes_hi = 0;
  double unseen_s = 0;  ///< the window [last head report − slack, stopped] in seconds
};

enum class Gate {
  Promote,    ///< hi ≤ max_loss: go
  Accepted,   ///< an operator accepted the loss
  TimedOut,   ///< gate_timeout passed: go, with the numbers in a critical alarm
  Hold,       ///< hi > max_loss: wait for --accept-loss or the timeout
  NoReplica,  ///< no verified replica point at all: nothing to promote
};
const char* gate_name(Gate g);

struct GateAnswer {
  Gate gate = Gate::Hold;
  LossRange loss;
  std::string text;  ///< one line for the alarm and the log
};

/// What `status` reports (JSON and metrics).
struct Status {
  bool have_head = false;
  bool have_replica = false;
  Point head;
  Point replica;
  double lag_s = 0;  ///< head.time_ns − replica.time_ns (0 when caught up)
  std::uint64_t lag_records = 0;
  std::uint64_t lag_bytes = 0;
  double replica_age_s = 0;           ///< wall now − replica.time_ns
  double head_report_age_s = 0;       ///< since the last head report (monitor clock)
  double rate_per_s = 0;              ///< peak records/s over rate_window
  double throughput_bytes_per_s = 0;  ///< shipped bytes/s, last minute
  bool replica_in_future = false;     ///< an alarm: never "fresh"
  bool diverged = false;              ///< the replica's hash is not the source's at that point
  std::string last_error;
  std::uint64_t epoch = 0;
  std::string json() const;
};

class Tracker {
 public:
  explicit Tracker(GateConfig cfg = {}) : cfg_(cfg) {}

  /// The source reported its head (also when unchanged: it proves the head
  /// was still there at `now`).
  void on_head(const Point& head, TimePoint now);
  /// A replica point became complete and verified at the passive site.
  /// Returns false (and records an error) when it is refused: an older
  /// epoch, or a point behind the one already held.
  bool on_replica(const Point& replica, TimePoint now);
  /// The source's hash at `bytes` (for the divergence check).
  void on_source_hash(std::uint64_t bytes, std::uint64_t hash);
  void on_error(std::string text, TimePoint now);

  /// The loss range if the source is known to have stopped writing at
  /// `stopped` (a confirmed fence, or a lease expiry).
  LossRange expected_loss(TimePoint stopped) const;
  /// The gate: `since` is when the gate was first asked (for the timeout),
  /// `accepted` whether an operator gave --accept-loss.
  GateAnswer gate(TimePoint stopped, TimePoint since, TimePoint now, bool accepted) const;
  /// The passive site was promoted: a new epoch, from now on the only one accepted.
  std::uint64_t promote();
  void set_epoch(std::uint64_t e) { epoch_ = e; }
  std::uint64_t epoch() const { return epoch_; }

  Status status(TimePoint now, std::int64_t wall_now_ns) const;
  double peak_rate(TimePoint now) const;
  /// When the source last reported its head (monitor clock); nullopt: never.
  std::optional<TimePoint> head_reported_at() const {
    return head_ ? std::optional<TimePoint>(head_at_) : std::nullopt;
  }
  bool has_replica() const { return replica_.has_value(); }
  const GateConfig& config() const { return cfg_; }

 private:
  struct Sample {
    TimePoint at;
    std::uint64_t records;
    std::uint64_t bytes;
  };
  GateConfig cfg_;
  std::optional<Point> head_;
  TimePoint head_at_{};
  std::optional<TimePoint> first_head_at_;  ///< for the lag of a replica with no time yet
  std::optional<Point> replica_;
  TimePoint replica_at_{};
  std::deque<Sample> samples_;  ///< head reports, at most one per 250 ms, for rate_window
  std::deque<Sample> shipped_;  ///< replica points, for throughput
  std::optional<std::pair<std::uint64_t, std::uint64_t>> source_hash_;
  std::string last_error_;
  std::uint64_t epoch_ = 1;
};

/// One line a shipper prints on its stdout, parsed. The shippers speak
/// `KEY k=v k=v…` lines (docs/bcp.md "The shipper protocol"):
///   head records=N bytes=B time_ns=T hash=H epoch=E
///   replica records=N bytes=B time_ns=T hash=H epoch=E
///   error text…
/// Anything else is ignored (and counted by the caller).
struct ShipLine {
  enum Kind { Head, Replica, Error, Other } kind = Other;
  Point point;
  std::string text;
};
ShipLine parse_ship_line(std::string_view line);
std::string format_point(const char* kind, const Point& p);

/// The running hash of a log prefix: FNV-1a 64, extended byte by byte, so
/// both sites can compute it as the log grows. Not cryptographic: it finds
/// two prefixes that differ by accident (a divergent tail), not an attacker.
inline std::uint64_t hash_extend(std::uint64_t h, std::string_view bytes) {
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}
inline constexpr std::uint64_t kHashSeed = 1469598103934665603ULL;

}  // namespace clusterd::repl
