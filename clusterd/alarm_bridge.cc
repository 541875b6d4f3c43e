#include "clusterd/alarm_bridge.h"

#include "base/duration.h"
#include "base/escape.h"

namespace clusterd {

namespace {
alarm::Severity to_alarm(chat::AlarmSeverity s) {
  switch (s) {
    case chat::AlarmSeverity::Notice:
      return alarm::Severity::Notice;
    case chat::AlarmSeverity::Warning:
      return alarm::Severity::Warning;
    case chat::AlarmSeverity::Critical:
      return alarm::Severity::Critical;
  }
  return alarm::Severity::Critical;
}
}  // namespace

AlarmBridge::AlarmBridge(Context context, alarm::AlarmService* service, Timeline& timeline)
    : ctx_(std::move(context)), service_(service), timeline_(timeline) {}

void AlarmBridge::raise(chat::AlarmSeverity severity, const std::string& text,
                        const std::string& state) {
  ++raised_;
  last_ = std::string(chat::severity_name(severity)) + ": " + text;
  if (!service_) return;
  alarm::Alarm a;
  if (severity != chat::AlarmSeverity::Notice && !state.empty()) {
    a.key = ctx_.cluster + "/" + state;
    open_.insert(a.key);
  }
  a.cluster = ctx_.cluster;
  a.node = ctx_.active_node ? ctx_.active_node() : "";
  a.severity = to_alarm(severity);
  a.text = text;
  a.time_ns = ctx_.wall_ns();
  a.state = state;
  a.timeline = timeline_.last(20);
  std::string id = service_->raise(std::move(a), ctx_.now());
  if (!id.empty()) timeline_.add("alarm id " + id);
}

void AlarmBridge::rest() {
  if (!service_ || open_.empty()) return;
  for (const auto& key : open_) service_->clear(key, ctx_.now());
  open_.clear();
}

void AlarmBridge::delivered(const alarm::DeliveryEvent& e) {
  if (e.type == alarm::DeliveryEvent::Type::SpoolError) {
    // Delivery goes on from memory; what is at stake is the next restart.
    timeline_.add("alarm " + (e.alarm_id.empty() ? e.message_id : e.alarm_id) + " " +
                  std::string(alarm::kind_name(e.kind)) + ": SPOOL ERROR (" + escape(e.detail) +
                  "): a restart now may lose or resend it");
    return;
  }
  // Heartbeats come every few minutes: only their failures are news.
  if (e.kind == alarm::NoticeKind::Heartbeat && e.outcome == alarm::Outcome::Accepted) return;
  std::string line = "alarm " + (e.alarm_id.empty() ? e.message_id : e.alarm_id) + " " +
                     std::string(alarm::kind_name(e.kind)) + " via " + e.channel + ": ";
  switch (e.outcome) {
    case alarm::Outcome::Accepted:
      line += "delivered";
      break;
    case alarm::Outcome::Temporary:
      line += "attempt " + std::to_string(e.attempt) + " failed";
      line += e.retry_in ? ", retry in " + format_duration(*e.retry_in) : ", not retried";
      break;
    case alarm::Outcome::Permanent:
      line += "FAILED for good";
      break;
  }
  // The detail is a server's reply: outside text, escaped like console bytes.
  if (!e.detail.empty()) line += " (" + escape(e.detail) + ")";
  timeline_.add(line);
}

}  // namespace clusterd
