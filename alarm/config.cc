#include "alarm/config.h"

#include <unistd.h>

#include "alarm/channel.h"

namespace clusterd::alarm {

Result<PageTarget> parse_page_target(std::string_view spec) {
  PageTarget t;
  if (spec.starts_with("http://") || spec.starts_with("https://")) {
    t.url = std::string(spec);
    return t;
  }
  if (spec.starts_with("exec:")) {
    std::string_view rest = spec.substr(5);
    std::size_t i = 0;
    while (i < rest.size()) {
      while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
      std::size_t j = i;
      while (j < rest.size() && rest[j] != ' ' && rest[j] != '\t') ++j;
      if (j > i) t.argv.emplace_back(rest.substr(i, j - i));
      i = j;
    }
    if (t.argv.empty()) return Error::invalid("page target 'exec:' names no command");
    return t;
  }
  return Error::invalid("page target '" + std::string(spec) +
                        "' is neither http(s)://URL nor exec:COMMAND");
}

namespace {
std::string default_from() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "clusterd@localhost";
  return std::string("clusterd@") + host;
}
}  // namespace

Result<std::vector<std::unique_ptr<Channel>>> make_channels(const AlarmConfig& cfg,
                                                            const SecretSource& secrets) {
  std::vector<std::unique_ptr<Channel>> out;
  if (!cfg.email.empty() || !cfg.escalate_to.empty()) {
    if (!cfg.smtp.starts_with("smtp://") && !cfg.smtp.starts_with("smtps://"))
      return Error::invalid("alarms.smtp '" + cfg.smtp + "' must start with smtp:// or smtps://");
    SmtpOptions o;
    o.url = cfg.smtp;
    o.starttls = cfg.starttls;
    o.from = cfg.from.empty() ? default_from() : cfg.from;
    o.to = cfg.email;
    o.escalate_to = cfg.escalate_to;
    o.user = cfg.smtp_user;
    o.ca_file = cfg.ca_file;
    o.timeout = cfg.timeout;
    if (!cfg.smtp_user.empty()) {
      if (cfg.smtp_secret.empty())
        return Error::invalid("alarms.smtp_user is set but alarms.smtp_secret names no secret");
      Result<std::string> pw = secrets.secret(cfg.smtp_secret);
      if (!pw) return pw.error();
      o.password = std::move(*pw);
    }
    out.push_back(make_smtp_channel("email", std::move(o)));
  }
  int webhooks = 0, commands = 0;
  for (const PageTarget& t : cfg.page) {
    if (!t.url.empty()) {
      out.push_back(
          make_webhook_channel("webhook-" + std::to_string(++webhooks),
                               {.url = t.url, .ca_file = cfg.ca_file, .timeout = cfg.timeout}));
    } else if (!t.argv.empty()) {
      out.push_back(make_command_channel("command-" + std::to_string(++commands),
                                         {.argv = t.argv, .timeout = cfg.timeout}));
    }
  }
  return out;
}

std::vector<std::unique_ptr<Channel>> make_heartbeat_channels(const AlarmConfig& cfg) {
  std::vector<std::unique_ptr<Channel>> out;
  if (!cfg.heartbeat_url.empty())
    out.push_back(make_webhook_channel(
        "heartbeat-url",
        {.url = cfg.heartbeat_url, .ca_file = cfg.ca_file, .timeout = cfg.timeout}));
  if (!cfg.heartbeat_command.empty())
    out.push_back(make_command_channel("heartbeat-command",
                                       {.argv = cfg.heartbeat_command, .timeout = cfg.timeout}));
  return out;
}

}  // namespace clusterd::alarm
