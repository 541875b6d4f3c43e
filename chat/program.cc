// The names and small helpers program.h declares: how channels, events,
// severities and power operations are spelled in scripts and timelines, a
// value as text, and a state's index by name. Nothing here compiles.
#include "chat/program.h"

#include "base/duration.h"

namespace clusterd::chat {

const char* channel_name(Channel c) {
  switch (c) {
    case Channel::Active:
      return "active";
    case Channel::Standby:
      return "standby";
    case Channel::Sh:
      return "sh";
  }
  return "?";
}

const char* event_name(EventKind k) {
  switch (k) {
    case EventKind::PingDown:
      return "ping.down";
    case EventKind::PingUp:
      return "ping.up";
    case EventKind::MonitorIsolated:
      return "monitor.isolated";
    case EventKind::MonitorOk:
      return "monitor.ok";
    case EventKind::ConsoleLost:
      return "console.lost";
    case EventKind::ConsoleUp:
      return "console.up";
    case EventKind::ShExit:
      return "sh.exit";
    case EventKind::ControlSwitchover:
      return "control.switchover";
    case EventKind::ControlMaintenance:
      return "control.maintenance";
    case EventKind::FenceRefused:
      return "fence.refused";
    case EventKind::PowerOff:
      return "power.off";
    case EventKind::PowerOn:
      return "power.on";
    case EventKind::PowerFailed:
      return "power.failed";
    case EventKind::LeaseExpired:
      return "lease.expired";
    case EventKind::LeaseHeld:
      return "lease.held";
  }
  return "?";
}

std::optional<EventKind> event_from_name(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(kLastEvent); ++k) {
    if (name == event_name(static_cast<EventKind>(k))) return static_cast<EventKind>(k);
  }
  return std::nullopt;
}

const char* severity_name(AlarmSeverity s) {
  switch (s) {
    case AlarmSeverity::Notice:
      return "notice";
    case AlarmSeverity::Warning:
      return "warning";
    case AlarmSeverity::Critical:
      return "critical";
  }
  return "?";
}

const char* power_op_name(PowerOp p) {
  switch (p) {
    case PowerOp::Off:
      return "off";
    case PowerOp::On:
      return "on";
    case PowerOp::Cycle:
      return "cycle";
  }
  return "?";
}

std::string to_string(const Value& v) {
  switch (v.kind) {
    case Value::Kind::String:
      return v.string;
    case Value::Kind::Integer:
      return std::to_string(v.integer);
    case Value::Kind::Interval:
      return format_duration(v.duration);
  }
  return {};
}

int Program::find_state(std::string_view name) const {
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (states[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace clusterd::chat
