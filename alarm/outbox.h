// Outbox: the retry schedule for notifications in flight. Each (notification,
// channel) pair is tried at once, then after each temporary failure again
// after a backoff that doubles from `first` up to `cap`, until the channel
// accepts, refuses for good, or `retry_for` has passed since the notification
// was added. Sans-I/O: times are arguments. Not thread-safe; the Deliverer
// guards it with its mutex. It stores nothing on disk (the Deliverer spools).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/delivery.h"
#include "base/backoff.h"
#include "base/duration.h"

namespace clusterd::alarm {

/// Retries back off as base/backoff.h does, from `first` up to `cap`.
struct RetryPolicy {
  Duration first{};
  Duration cap{};
  Duration retry_for{};  ///< 0: retry for ever
};

/// What on_result() changed.
struct ResultEffect {
  Envelope envelope;                  ///< the entry after the update (persist or remove it)
  bool finished = false;              ///< no channel pending any more: remove it from the spool
  bool failed_for_good = false;       ///< this channel refused (or retry_for ran out)
  std::optional<TimePoint> retry_at;  ///< when this channel is tried again
};

class Outbox {
 public:
  explicit Outbox(RetryPolicy policy) : policy_(policy) {}

  /// Adds an envelope; its Pending channels are due at `now`. `retry` false:
  /// a temporary failure ends that channel as Failed (the heartbeat, which
  /// the next beat replaces). Replaces an entry with the same message_id.
  void add(Envelope e, TimePoint now, bool retry = true);

  /// The oldest notification due on `channel` by `now`, marked in flight so no
  /// other taker gets it until on_result(); nullopt if none is due.
  std::optional<Notification> take(std::string_view channel, TimePoint now);

  /// Records one attempt's outcome. Unknown ids (removed meanwhile) give nullopt.
  std::optional<ResultEffect> on_result(std::string_view message_id, std::string_view channel,
                                        const Delivery& d, TimePoint now);

  /// When `channel` next has something due (nullopt: nothing pending for it;
  /// in-flight entries are not counted).
  std::optional<TimePoint> next_deadline(std::string_view channel) const;

  /// Snapshot of every entry, oldest first.
  std::vector<Envelope> entries() const;
  std::size_t size() const { return entries_.size(); }
  const Envelope* find(std::string_view message_id) const;

 private:
  struct Slot {
    TimePoint next_try{};
    bool in_flight = false;
  };
  struct Entry {
    Envelope envelope;
    std::vector<Slot> slots;  // parallel to envelope.channels
    TimePoint added{};
    std::uint64_t order = 0;
    bool retry = true;
  };
  RetryPolicy policy_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::uint64_t order_ = 0;
};

}  // namespace clusterd::alarm
