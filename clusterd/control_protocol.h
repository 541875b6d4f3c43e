// The control protocol: what a request line on the control socket means and
// what the reply says (clusterctl's side is clusterd/clusterctl.cc; the
// socket is clusterd/control.h). One line in:
//   status [--json] | metrics | timeline [N | --since DURATION]
//   switchover | maintenance | alarms | ack ID | reload | idle
// The reply's first line is "ok" or "error: MESSAGE"; the payload follows.
// Parsing and replies only: the daemon does the work behind ControlTarget.
// Anything a client sent that is quoted back is escaped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clusterd {

/// What the protocol asks of the daemon.
class ControlTarget {
 public:
  virtual ~ControlTarget() = default;
  virtual std::string status(bool json) const = 0;
  virtual std::string metrics() const = 0;
  virtual std::string timeline_last(std::size_t lines) const = 0;
  virtual std::string timeline_since(std::int64_t cutoff_ns) const = 0;
  /// UTC ns now, for `timeline --since`.
  virtual std::int64_t wall_ns() const = 0;
  virtual void switchover() = 0;
  /// True when the cluster is in BCP mode (`switchover --site` needs it).
  virtual bool bcp() const = 0;
  virtual void maintenance() = 0;
  /// One line per alarm: ID, severity, delivery, text (tab-separated, escaped).
  virtual std::string alarm_list() const = 0;
  virtual bool ack(std::string_view id) = 0;
  /// "ok ..." or "error: ..."; nullopt when reload is not available.
  virtual std::optional<std::string> reload() = 0;
  /// No failover under way (Daemon::idle): a fleet agent hands a cluster
  /// over to another host only then.
  virtual bool idle() const = 0;
  /// BCP: `clusterctl failover NAME --accept-loss`; "ok WHAT" or "error: WHY".
  virtual std::string accept_loss() = 0;
};

/// The whole reply to one request line.
std::string answer_control(std::string_view request, ControlTarget& target);

}  // namespace clusterd
