#include "alarm/message.h"

#include "base/escape.h"

#include <cstdio>
#include <ctime>

#include "base/timestamp.h"

namespace clusterd::alarm {

namespace {
// Anything below 0x20 or 0x7f in a header value is dropped: a header line
// must never end early, whatever an upstream bug let through.
std::string header_value(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) out += c;
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string kind_label(const Notification& n) {
  switch (n.kind) {
    case NoticeKind::Raised:
      return upper(severity_name(n.alarm.severity));
    case NoticeKind::Reminder:
      return "REMINDER " + upper(severity_name(n.alarm.severity));
    case NoticeKind::Resolved:
      return "RESOLVED";
    case NoticeKind::Escalation:
      return "ESCALATION " + upper(severity_name(n.alarm.severity));
    case NoticeKind::DeliveryFailed:
      return "DELIVERY FAILED";
    case NoticeKind::Suppressed:
      return "RATE LIMITED";
    case NoticeKind::Test:
      return "TEST";
    case NoticeKind::Heartbeat:
      return "ALIVE";
  }
  return "?";
}
}  // namespace

std::string subject_line(const Notification& n) {
  std::string s = "[clusterd " + n.alarm.cluster + "] " + kind_label(n) + ": " + n.alarm.text;
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return header_value(s);
}

std::string plain_body(const Notification& n) {
  const Alarm& a = n.alarm;
  std::string b;
  b += a.text + "\n\n";
  if (!n.note.empty()) b += "Note:     " + n.note + "\n";
  b += "Alarm:    " + a.id + "\n";
  b += "Kind:     " + std::string(kind_name(n.kind)) + "\n";
  b += "Cluster:  " + a.cluster + "\n";
  if (!a.node.empty()) b += "Node:     " + a.node + "\n";
  b += "Severity: " + std::string(severity_name(a.severity)) + "\n";
  if (!a.state.empty()) b += "State:    " + a.state + "\n";
  if (!a.trigger.empty()) b += "Trigger:  " + a.trigger + "\n";
  if (a.time_ns != 0) b += "Raised:   " + format_utc(a.time_ns) + "\n";
  if (!a.key.empty()) b += "Condition: " + a.key + "\n";
  if (!a.timeline.empty()) {
    b += "\nTimeline:\n";
    b += a.timeline;
    if (b.back() != '\n') b += '\n';
  }
  if (n.kind != NoticeKind::Test && n.kind != NoticeKind::Heartbeat &&
      a.severity == Severity::Critical)
    b += "\nAcknowledge: clusterctl ack " + a.cluster + " " + a.id + "\n";
  return b;
}

std::string rfc5322_date(std::int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string format_email(const Notification& n, const EmailEnvelope& env) {
  std::string m;
  auto header = [&](std::string_view name, std::string_view value) {
    m += name;
    m += ": ";
    m += header_value(value);
    m += "\r\n";
  };
  header("Date", rfc5322_date(n.time_ns));
  header("From", env.from);
  std::string to;
  for (const auto& r : env.to) to += (to.empty() ? "" : ", ") + r;
  header("To", to);
  header("Subject", subject_line(n));
  header("Message-ID", "<" + n.message_id + ">");
  header("Auto-Submitted", "auto-generated");
  header("X-Clusterd-Alarm", n.alarm.id);
  header("X-Clusterd-Kind", kind_name(n.kind));
  header("X-Clusterd-Severity", severity_name(n.alarm.severity));
  header("MIME-Version", "1.0");
  header("Content-Type", "text/plain; charset=us-ascii");
  header("Content-Transfer-Encoding", "7bit");
  m += "\r\n";
  // Body: CRLF line ends and no line over 998 bytes (RFC 5322 2.1.1). libcurl
  // does the dot-stuffing of lines that start with '.'.
  std::string body = plain_body(n);
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + start, end - start);
    do {
      std::string_view part = line.substr(0, 900);
      m += part;
      m += "\r\n";
      line.remove_prefix(part.size());
    } while (!line.empty());
    start = end + 1;
  }
  return m;
}

std::string json_string(std::string_view s) { return "\"" + json_escape(s) + "\""; }

std::string format_json(const Notification& n) {
  const Alarm& a = n.alarm;
  std::string j = "{";
  auto kv = [&](std::string_view k, std::string_view v) {
    if (j.size() > 1) j += ",";
    j += json_string(k) + ":" + json_string(v);
  };
  kv("message_id", n.message_id);
  kv("kind", kind_name(n.kind));
  kv("id", a.id);
  kv("key", a.key);
  kv("cluster", a.cluster);
  kv("node", a.node);
  kv("severity", severity_name(a.severity));
  kv("text", a.text);
  kv("state", a.state);
  kv("trigger", a.trigger);
  kv("note", n.note);
  kv("time", a.time_ns ? format_utc(a.time_ns) : "");
  kv("notice_time", format_utc(n.time_ns));
  kv("subject", subject_line(n));
  kv("timeline", a.timeline);
  return j + "}";
}

std::vector<std::string> command_env(const Notification& n) {
  return {
      "CLUSTERD_ALARM_ID=" + n.alarm.id,
      "CLUSTERD_MESSAGE_ID=" + n.message_id,
      "CLUSTERD_KIND=" + std::string(kind_name(n.kind)),
      "CLUSTERD_CLUSTER=" + n.alarm.cluster,
      "CLUSTERD_NODE=" + n.alarm.node,
      "CLUSTERD_SEVERITY=" + std::string(severity_name(n.alarm.severity)),
      "CLUSTERD_SUBJECT=" + subject_line(n),
  };
}

}  // namespace clusterd::alarm
