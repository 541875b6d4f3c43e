// Deliverer: takes notifications off the caller's thread and gets them out.
// submit() writes the envelope to the spool (fsync'd) and returns; one worker
// thread per channel then tries it, so a mail server that hangs for its whole
// timeout delays neither the daemon nor the pager. Results are written back
// to the spool; a notification leaves the spool when every channel accepted
// or refused it for good, and a refusal is reported through the others.
//
//   daemon thread                   worker "email"      worker "webhook-1" ...
//   submit(n) ─► spool.write ─► Outbox ◄── take/send/on_result ──► spool.write|remove
//                                  (mutex mu_; workers sleep on cv_ until next_deadline)
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alarm/channel.h"
#include "alarm/outbox.h"
#include "alarm/spool.h"

namespace clusterd::alarm {

/// One attempt's outcome, or a spool failure, for the daemon's log and timeline.
struct DeliveryEvent {
  enum class Type {
    Attempt,     ///< one attempt on `channel`: outcome, attempt, final, retry_in
    SpoolError,  ///< the spool could not record (or load) a notification: `detail` says
                 ///< what; delivery goes on from memory, but a crash now may lose it or
                 ///< send it again. `channel` is empty.
  };
  Type type = Type::Attempt;
  std::string message_id;
  std::string alarm_id;
  NoticeKind kind = NoticeKind::Raised;
  std::string channel;
  Outcome outcome = Outcome::Accepted;
  int attempt = 0;
  std::string detail;
  bool final = false;                ///< accepted, or failed for good
  std::optional<Duration> retry_in;  ///< when a temporary failure is retried
};
using EventFn = std::function<void(const DeliveryEvent&)>;

class Deliverer {
 public:
  /// `spool` nullopt: nothing is persisted (tests of channels only). `on_event`
  /// runs with the Deliverer's lock held, on a worker thread (or, for a spool
  /// error in submit(), on the caller's): it must be quick and must not call
  /// back into the Deliverer. Channels' send() must be safe to call
  /// concurrently with itself (test_alarm() does; ours are).
  Deliverer(std::vector<std::unique_ptr<Channel>> channels, std::optional<Spool> spool,
            RetryPolicy retry, EventFn on_event = {});
  ~Deliverer();  ///< stop()
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  /// Loads what an earlier run left in the spool (due at once; channels that
  /// no longer exist are dropped from each envelope) and starts the workers.
  /// Returns the spool's problems (files torn, unreadable or left over, and
  /// removals that failed), one line each; they are not events.
  std::vector<std::string> start();

  /// Spools `n` for `channels` (unknown names are ignored) and wakes their
  /// workers. Heartbeats are neither spooled nor retried. Error::io if the
  /// spool write failed (also a SpoolError event); the notification is still
  /// queued in memory. Every later spool write or removal that fails is a
  /// SpoolError event.
  Result<void> submit(Notification n, const std::vector<std::string>& channels);

  /// Stops the workers after their current attempt; what is pending stays spooled.
  void stop();

  /// Names of all channels, in construction order.
  std::vector<std::string> channel_names() const;
  Channel* channel(std::string_view name) const;

  /// Envelopes still pending, oldest first; and the last finished ones (up to 200).
  std::vector<Envelope> pending() const;
  std::vector<Envelope> finished() const;

  /// Waits until nothing is pending or `timeout` passes; true if idle (tests, shutdown).
  bool wait_idle(Duration timeout);

 private:
  void run(Channel& ch);
  void submit_locked(Envelope e, bool durable, TimePoint now);
  void handle_result(const Notification& n, Channel& ch, const Delivery& d);
  // With mu_ held: a SpoolError event about `n`.
  void spool_error(const Notification& n, const std::string& detail);

  std::vector<std::unique_ptr<Channel>> channels_;
  std::optional<Spool> spool_;
  EventFn on_event_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // workers: new work or stop
  std::condition_variable idle_cv_;  // wait_idle
  Outbox outbox_;
  std::deque<Envelope> finished_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

}  // namespace clusterd::alarm
