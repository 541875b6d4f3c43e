// What a notification looks like on the wire: the email (RFC 5322 headers and
// a plain-text body), the webhook's JSON, the text and environment a pager
// command gets. Pure functions over an already sanitized Notification; the
// header builders still refuse CR/LF of their own accord (defence in depth).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"

namespace clusterd::alarm {

/// "[clusterd c1] CRITICAL: fencing alpha: panic" (kind words for reminders,
/// "RESOLVED", "ESCALATION", ...). At most ~200 bytes, one line.
std::string subject_line(const Notification& n);

/// The plain-text body: summary lines (alarm id, cluster, node, severity,
/// state, trigger, raised at, note) then the timeline excerpt. Lines end in
/// "\n"; format_email() turns them into CRLF.
std::string plain_body(const Notification& n);

/// "Sun, 22 Nov 2026 01:02:03 +0000".
std::string rfc5322_date(std::int64_t ns_since_epoch);

struct EmailEnvelope {
  std::string from;
  std::vector<std::string> to;
};

/// The whole message with CRLF line ends: Date, From, To, Subject,
/// Message-ID <n.message_id>, Auto-Submitted, X-Clusterd-Alarm, MIME headers,
/// then the body (lines wrapped at 900 bytes). Header values lose any CR, LF
/// or other control byte that might still be there.
std::string format_email(const Notification& n, const EmailEnvelope& env);

/// One JSON object: message_id, kind, id, key, cluster, node, severity, text,
/// state, trigger, note, time (UTC), notice_time, subject, timeline.
std::string format_json(const Notification& n);

/// "NAME=value" entries a pager command gets on top of its clean environment:
/// CLUSTERD_ALARM_ID, CLUSTERD_MESSAGE_ID, CLUSTERD_KIND, CLUSTERD_CLUSTER,
/// CLUSTERD_NODE, CLUSTERD_SEVERITY, CLUSTERD_SUBJECT.
std::vector<std::string> command_env(const Notification& n);

/// JSON string literal for `s` (quotes included).
std::string json_string(std::string_view s);

}  // namespace clusterd::alarm
