// AlarmBook: what to send, and when, for the alarms of one cluster. It
// de-duplicates repeats of a condition, sends reminders while a condition
// lasts, a resolved notice when it clears, escalates unacknowledged critical
// alarms, holds back notifications beyond the rate limit (and later says how
// many), and says when the external heartbeat is due. Sans-I/O: the caller
// passes `now`, sends what comes back, and wakes it at next_deadline(). It
// knows nothing of channels, the spool or retries (Outbox/Deliverer do).
//
//   raise(key K) ──► Open ──ack──► Acknowledged ──clear(K)──► Resolved
//                     │  ▲ raise(K) again: repeats++ (no message)
//                     │  └─ every `reminder`: Reminder (Open only)
//                     ├─ critical, `escalate_after` passed, no ack: Escalation (once)
//                     └─ clear(K) ──► Resolved: Resolved notice
//   One-shot alarms (no key) stay Open until acknowledged; no reminders, no resolved.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "base/duration.h"

namespace clusterd::alarm {

struct BookPolicy {
  Duration reminder{};         ///< 0: no reminders
  Duration escalate_after{};   ///< 0: no escalation
  std::size_t rate_limit = 0;  ///< notifications per rate_window; 0: unlimited
  Duration rate_window{};
  Duration heartbeat{};       ///< 0: no heartbeat
  std::uint32_t id_seed = 0;  ///< first value of the id counter (random in the daemon)
  std::size_t history = 200;  ///< closed alarms kept for list()
};

enum class AlarmState { Open, Acknowledged, Resolved };
std::string_view state_name(AlarmState s);

/// One alarm as list() reports it.
struct AlarmStatus {
  Alarm alarm;
  AlarmState state = AlarmState::Open;
  int repeats = 0;        ///< raises of the same condition after the first
  int notifications = 0;  ///< made about it so far (raised, reminders, ...)
  bool escalated = false;
};

/// What a call produced: notifications to send now, and whether to send the heartbeat.
struct BookOutput {
  std::vector<Notification> send;
  bool heartbeat = false;
};

class AlarmBook {
 public:
  /// The first heartbeat is due at `start`.
  AlarmBook(BookPolicy policy, TimePoint start);

  /// Records `a` (sanitized here). A new alarm yields a Raised notification
  /// (unless rate limited); a repeat of an open condition or of a known id
  /// yields nothing but counts. An empty id is assigned from a.time_ns.
  BookOutput raise(Alarm a, TimePoint now, std::string* id_out = nullptr);

  /// The condition `key` cleared: a Resolved notice if it was open or acknowledged.
  BookOutput clear(std::string_view key, TimePoint now);

  /// Stops reminders and escalation for alarm `id`. False if no such open alarm.
  bool ack(std::string_view id, TimePoint now);

  /// Everything due by `now`: reminders, escalations, the suppressed-summary, heartbeat.
  BookOutput advance_to(TimePoint now);

  /// The earliest time advance_to() has something to do; nullopt: nothing scheduled.
  std::optional<TimePoint> next_deadline() const;

  /// Open and acknowledged alarms, then the most recent closed ones; oldest first.
  std::vector<AlarmStatus> list() const;
  const AlarmStatus* find(std::string_view id) const;

 private:
  struct Record {
    AlarmStatus status;
    std::uint64_t order = 0;
    TimePoint raised_at{};
    std::optional<TimePoint> next_reminder;
    std::optional<TimePoint> escalate_at;
  };
  Notification make(Record& r, NoticeKind kind, std::string note);
  void emit(BookOutput& out, Notification n, TimePoint now);
  void prune_window(TimePoint now);
  void prune_history();
  std::string next_id(std::int64_t time_ns);
  std::string counter_hex();

  BookPolicy policy_;
  std::map<std::string, Record, std::less<>> records_;         // by alarm id
  std::map<std::string, std::string, std::less<>> open_keys_;  // condition key -> alarm id
  std::uint64_t order_ = 0;
  std::uint32_t id_counter_;
  std::deque<TimePoint> window_;  // send times within the rate window
  int suppressed_ = 0;
  std::string suppressed_note_;
  std::string suppressed_cluster_;
  std::optional<TimePoint> next_heartbeat_;
};

}  // namespace clusterd::alarm
