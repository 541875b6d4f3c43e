// AlarmBridge: where the runtime's alarms meet the alarm service, and where
// the service's delivery results come back to the cluster's timeline
// (DESIGN.md §5a: sent, retried, failed are part of an incident's story).
//   - A warning or critical alarm is a condition of the script state that
//     raised it: raised again from that state it is one alarm with reminders;
//     rest() (the script back in its initial state) resolves them all.
//   - Notices are one-shot events.
//   - delivered() must run on the daemon's thread: the service reports from
//     its worker threads, so the daemon posts each event over.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "alarm/deliverer.h"
#include "alarm/service.h"
#include "chat/clock.h"
#include "clusterd/runtime.h"
#include "clusterd/timeline.h"

namespace clusterd {

class AlarmBridge : public AlarmSink {
 public:
  struct Context {
    std::string cluster;
    std::function<chat::TimePoint()> now;
    std::function<std::int64_t()> wall_ns;
    std::function<std::string()> active_node;  ///< "" before the runtime exists
  };
  /// `service` may be null (no alarm service: counted and shown only).
  AlarmBridge(Context context, alarm::AlarmService* service, Timeline& timeline);

  void raise(chat::AlarmSeverity severity, const std::string& text,
             const std::string& state) override;
  /// The script rests in its initial state: every open condition resolves.
  void rest();
  /// One delivery attempt's outcome, or a spool error, as a timeline line.
  void delivered(const alarm::DeliveryEvent& e);

  std::uint64_t raised() const { return raised_; }
  /// "critical: TEXT" of the last alarm; "" before the first.
  const std::string& last() const { return last_; }

 private:
  Context ctx_;
  alarm::AlarmService* service_;
  Timeline& timeline_;
  std::set<std::string> open_;
  std::uint64_t raised_ = 0;
  std::string last_;
};

}  // namespace clusterd
