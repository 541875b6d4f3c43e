// Channel: one way out for notifications (email, a webhook, a pager command).
// send() blocks for at most the channel's timeout and is called only from the
// Deliverer's worker thread for that channel (or from test_alarm()); channels
// never retry on their own, never touch the spool, and never throw.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alarm/config.h"
#include "alarm/delivery.h"
#include "base/secrets.h"

namespace clusterd::alarm {

class Channel {
 public:
  virtual ~Channel() = default;
  /// Stable across restarts ("email", "webhook-1", "command-2"): the spool records state by it.
  virtual const std::string& name() const = 0;
  /// One attempt. Temporary/Permanent as described at Outcome.
  virtual Delivery send(const Notification& n) = 0;
};

/// Email via libcurl SMTP (smtp:// with STARTTLS per StartTls, or smtps://).
struct SmtpOptions {
  std::string url;  ///< smtp://host:port or smtps://host:port
  StartTls starttls = StartTls::Try;
  std::string from;
  std::vector<std::string> to;           ///< everything but escalations
  std::vector<std::string> escalate_to;  ///< Escalation notifications (and to, if this is empty)
  std::string user;                      ///< empty: no AUTH
  std::string password;
  std::string ca_file;  ///< empty: the system's CAs
  Duration timeout = std::chrono::seconds(30);
};
std::unique_ptr<Channel> make_smtp_channel(std::string name, SmtpOptions options);

/// HTTP POST of format_json() via libcurl; 2xx accepted.
struct WebhookOptions {
  std::string url;
  std::string ca_file;
  Duration timeout = std::chrono::seconds(30);
};
std::unique_ptr<Channel> make_webhook_channel(std::string name, WebhookOptions options);

/// A command (argv, no shell) with plain_body() on stdin and command_env() in
/// a clean environment (PATH, HOME, LANG, TZ only besides). Exit 0 accepted,
/// 75 (EX_TEMPFAIL) or any other non-zero status or a timeout temporary, a
/// command that cannot be started permanent. Output is kept for the detail.
struct CommandOptions {
  std::vector<std::string> argv;
  Duration timeout = std::chrono::seconds(30);
};
std::unique_ptr<Channel> make_command_channel(std::string name, CommandOptions options);

/// Every channel of `cfg`, named "email", "webhook-N", "command-N" (N from 1 in
/// `page` order). The SMTP password comes from `secrets` (cfg.smtp_secret);
/// Error names the missing secret or a bad setting.
Result<std::vector<std::unique_ptr<Channel>>> make_channels(const AlarmConfig& cfg,
                                                            const SecretSource& secrets);

/// The heartbeat's channels ("heartbeat-url", "heartbeat-command"); empty if none configured.
std::vector<std::unique_ptr<Channel>> make_heartbeat_channels(const AlarmConfig& cfg);

}  // namespace clusterd::alarm
