// Delivery vocabulary shared by the channels, the spool and the outbox: what
// one attempt on one channel came to, and an Envelope (a notification plus
// where it stands on each channel), which is what the spool stores.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "alarm/alarm.h"
#include "base/result.h"

namespace clusterd::alarm {

/// What one attempt came to. Temporary failures are retried with backoff
/// (connection refused, timeouts, SMTP 4xx, HTTP 5xx/408/429, a command's exit
/// 75); permanent ones are not (SMTP 5xx, HTTP 4xx, a command that cannot run,
/// a certificate that does not verify) and are reported through the other channels.
enum class Outcome { Accepted, Temporary, Permanent };
std::string_view outcome_name(Outcome o);

struct Delivery {
  Outcome outcome = Outcome::Temporary;
  std::string detail;  ///< one line for logs: "250 OK", "451 try later", "timed out after 2s"
};

enum class ChannelStatus { Pending, Accepted, Failed };
std::string_view channel_status_name(ChannelStatus s);

/// Where one notification stands on one channel.
struct ChannelRecord {
  std::string channel;  ///< "email", "webhook-1", "command-1", ...
  ChannelStatus status = ChannelStatus::Pending;
  int attempts = 0;
  std::string last_error;  ///< detail of the last failed attempt
};

/// A notification and its per-channel state: one spool file.
struct Envelope {
  Notification notification;
  std::vector<ChannelRecord> channels;
  bool finished() const;  ///< no channel still Pending
};

}  // namespace clusterd::alarm
