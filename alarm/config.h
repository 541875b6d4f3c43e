// AlarmConfig: the `[alarms]` table of a cluster config, as the daemon's TOML
// reader fills it (docs/alarms.md lists every key and its default). Plain
// values plus the one parser the reader needs for `page` entries; no file
// is read here and no secret is resolved here (the Alarms service does that).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/duration.h"
#include "base/result.h"

namespace clusterd::alarm {

using namespace std::chrono_literals;

/// How an `smtp://` URL uses TLS. `smtps://` is always implicit TLS.
enum class StartTls {
  Off,      ///< plain SMTP (loopback relays)
  Try,      ///< STARTTLS when the server offers it
  Require,  ///< STARTTLS or no delivery
};

/// One pager target: a webhook URL or a command's argv.
struct PageTarget {
  std::string url;                ///< http:// or https://; empty for a command
  std::vector<std::string> argv;  ///< non-empty for a command
};

/// "https://hooks.example/alert" (webhook) or "exec:/usr/local/bin/page-oncall
/// --team ops" (argv split on blanks; no shell, no quoting).
Result<PageTarget> parse_page_target(std::string_view spec);

struct AlarmConfig {
  std::string cluster;  ///< the cluster's name (Subject, Message-ID, spool dir)

  // Email.
  std::vector<std::string> email;  ///< recipients; empty: no email channel
  std::string smtp = "smtp://localhost:25";
  StartTls starttls = StartTls::Try;
  std::string from;         ///< empty: "clusterd@" + the host name
  std::string smtp_user;    ///< empty: no AUTH
  std::string smtp_secret;  ///< name of the password in the secrets file
  std::string ca_file;      ///< extra CA bundle for smtps/STARTTLS/https; empty: system CAs

  // Pager.
  std::vector<PageTarget> page;

  // Timing.
  Duration timeout = 30s;                ///< one delivery attempt, connection included
  Duration retry_first = 10s;            ///< first retry after a temporary failure
  Duration retry_cap = 10min;            ///< backoff doubles up to this
  Duration retry_for = 24h;              ///< then a notification counts as failed for good
  Duration reminder = 1h;                ///< while a condition lasts; 0: no reminders
  Duration escalate_after = 15min;       ///< unacknowledged critical alarms; needs escalate_to
  std::vector<std::string> escalate_to;  ///< email addresses
  std::size_t rate_limit = 20;           ///< notifications per rate_window; 0: no limit
  Duration rate_window = 10min;

  // External heartbeat ("monitor alive").
  std::string heartbeat_url;
  std::vector<std::string> heartbeat_command;
  Duration heartbeat_interval = 5min;
};

}  // namespace clusterd::alarm
