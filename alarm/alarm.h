// The alarm record and the notifications made from it. An Alarm is one event
// or condition the daemon raised (`alarm critical "fencing $active"`); a
// Notification is one message about it that goes out through the channels
// (the first report, a reminder, the resolved notice, an escalation, ...).
// Values only: no I/O, no clock. Text that came from a console is made safe
// here, once, so every channel can put it in a header, a JSON string or an
// environment variable without further thought.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clusterd::alarm {

using TimePoint = std::chrono::steady_clock::time_point;

enum class Severity { Notice, Warning, Critical };

/// "notice", "warning", "critical".
std::string_view severity_name(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

/// One alarm as the daemon raises it.
struct Alarm {
  /// Stable per event: raising the same id twice is one alarm. Empty: the
  /// AlarmBook assigns one ("20261122-010203-0007").
  std::string id;
  /// The condition this alarm reports ("standby.silent"). Alarms with a key
  /// are conditions: repeats are de-duplicated, reminders go out while it
  /// lasts, and clear(key) sends a resolved notice. Empty: a one-shot event
  /// ("takeover complete"), sent once.
  std::string key;
  std::string cluster;
  std::string node;
  Severity severity = Severity::Warning;
  std::string text;
  std::int64_t time_ns = 0;  ///< wall clock (UTC ns since the epoch) when raised
  std::string state;         ///< the script state that raised it
  std::string trigger;       ///< what fired ("on active /panic/", "after 30s")
  std::string timeline;      ///< excerpt that led to it; may hold several lines
};

/// What a Notification says about its alarm.
enum class NoticeKind {
  Raised,          ///< first report of an alarm
  Reminder,        ///< the condition still holds
  Resolved,        ///< the condition cleared
  Escalation,      ///< critical, not acknowledged in time: to the escalation list
  DeliveryFailed,  ///< another channel refused a notification for good
  Suppressed,      ///< summary of notifications the rate limit held back
  Test,            ///< `clusterd --test-alarm`
  Heartbeat,       ///< "monitor alive" (not spooled, never retried)
};
std::string_view kind_name(NoticeKind k);
std::optional<NoticeKind> parse_kind(std::string_view s);

/// One message about an alarm. `message_id` is unique per notification and
/// stays the same on every resend (it is the spool file name and the email
/// Message-ID), so a resend after a crash is recognisable as one.
struct Notification {
  std::string message_id;
  NoticeKind kind = NoticeKind::Raised;
  Alarm alarm;
  std::string note;          ///< one line: "still present, 12 repeats", "no ack after 15m"
  std::int64_t time_ns = 0;  ///< when this notification was made (Date header)
};

/// Console text made safe for any channel: ANSI/VT escape sequences (CSI,
/// OSC, two-byte ESC x) are removed, every other control byte (CR, LF, NUL,
/// DEL, ...) and every non-ASCII byte is written as base escape() writes it
/// (`\r`, `\n`, `\x07`). The result is printable ASCII on one line: it can
/// create no mail header, no JSON break and no terminal effect.
std::string sanitize_text(std::string_view console_text);

/// sanitize_text() per line: keeps line breaks (as "\n") between lines made
/// safe one by one, for the timeline excerpt in a message body.
std::string sanitize_lines(std::string_view text);

/// `s` reduced to [A-Za-z0-9._-] (others become '_'), at most 64 bytes, for
/// file names, Message-ID parts and environment values that name things.
std::string safe_token(std::string_view s);

/// `a` with id and cluster through safe_token(), the timeline through
/// sanitize_lines() and every other text field through sanitize_text().
Alarm sanitized(Alarm a);

}  // namespace clusterd::alarm
