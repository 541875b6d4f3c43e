// The `[alarms]` table → alarm::AlarmConfig. Key names and defaults are
// docs/alarms.md's table; the defaults themselves live in alarm/config.h, so
// a key left out keeps the alarm module's own default.
#include <filesystem>

#include "clist/toml_reader.h"

namespace clusterd::clist {

namespace {

constexpr std::string_view kPath = "alarms";

bool looks_like_email(std::string_view s) {
  auto at = s.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < s.size() &&
         s.find_first_of(" \t<>,\r\n") == std::string_view::npos;
}

// A list of addresses; a bad one is reported at its element.
void emails(TomlReader& rd, const toml::table& t, std::string_view key,
            std::vector<std::string>& out) {
  auto list = rd.strings(t, key, kPath);
  if (!list) return;
  const toml::array& a = *t.get(key)->as_array();
  bool ok = true;
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (!looks_like_email((*list)[i])) {
      rd.error(a[i].source(), TomlReader::join(kPath, key) + "[" + std::to_string(i) + "]: '" +
                                  (*list)[i] + "' is not an email address (user@domain)");
      ok = false;
    }
  }
  if (ok) out = std::move(*list);
}

// False when the key is present but wrong (reported).
bool duration(TomlReader& rd, const toml::table& t, std::string_view key, bool zero_ok,
              Duration& out) {
  if (!t.get(key)) return true;
  auto d = rd.duration(t, key, kPath, zero_ok);
  if (d) out = *d;
  return d.has_value();
}

}  // namespace

void read_alarms(TomlReader& rd, const toml::table& t, const std::string& home,
                 alarm::AlarmConfig& out, std::vector<SecretUse>& secrets) {
  rd.known_keys(t, kPath,
                {"email",       "smtp",           "starttls",          "from",
                 "smtp_user",   "smtp_secret",    "ca_file",           "page",
                 "timeout",     "retry_first",    "retry_cap",         "retry_for",
                 "reminder",    "escalate_after", "escalate_to",       "rate_limit",
                 "rate_window", "heartbeat_url",  "heartbeat_command", "heartbeat_interval"});
  emails(rd, t, "email", out.email);
  emails(rd, t, "escalate_to", out.escalate_to);

  if (auto s = rd.string(t, "smtp", kPath)) {
    if (s->starts_with("smtp://") || s->starts_with("smtps://")) {
      out.smtp = *s;
    } else {
      rd.error(t.get("smtp")->source(),
               "alarms.smtp: '" + *s +
                   "' must start with smtp:// or smtps:// (e.g. smtp://mail.example:25)");
    }
  }
  if (auto s = rd.choice(t, "starttls", kPath, {"try", "require", "off"})) {
    out.starttls = *s == "try"       ? alarm::StartTls::Try
                   : *s == "require" ? alarm::StartTls::Require
                                     : alarm::StartTls::Off;
  }
  if (auto s = rd.string(t, "from", kPath)) {
    if (looks_like_email(*s)) {
      out.from = *s;
    } else {
      rd.error(t.get("from")->source(),
               "alarms.from: '" + *s + "' is not an email address (user@domain)");
    }
  }
  // smtp_user and smtp_secret go together: AUTH with a password that is
  // nowhere to be found would only fail at 3 a.m., when the alarm matters.
  auto user = rd.string(t, "smtp_user", kPath);
  auto secret = rd.string(t, "smtp_secret", kPath);
  if (user) {
    if (user->empty()) {
      rd.error(t.get("smtp_user")->source(),
               "alarms.smtp_user: empty; leave the key out for no AUTH");
    } else if (!t.get("smtp_secret")) {
      rd.error(t.get("smtp_user")->source(),
               "alarms.smtp_user: needs alarms.smtp_secret, the name of the SMTP password in the "
               "secrets file");
    }
    out.smtp_user = *user;
  }
  if (secret) {
    if (secret->empty()) {
      rd.error(t.get("smtp_secret")->source(), "alarms.smtp_secret: empty; give the secret's name");
    } else if (!t.get("smtp_user")) {
      rd.error(t.get("smtp_secret")->source(),
               "alarms.smtp_secret: only used with alarms.smtp_user");
    } else {
      secrets.push_back({*secret, "alarms.smtp_secret", t.get("smtp_secret")->source()});
    }
    out.smtp_secret = *secret;
  }
  if (auto s = rd.string(t, "ca_file", kPath)) {
    std::filesystem::path p(*s);
    out.ca_file = p.is_absolute() || s->empty() ? *s : (std::filesystem::path(home) / p).string();
  }
  if (auto list = rd.strings(t, "page", kPath)) {
    const toml::array& a = *t.get("page")->as_array();
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto target = alarm::parse_page_target((*list)[i]);
      if (target) {
        out.page.push_back(std::move(*target));
      } else {
        rd.error(a[i].source(),
                 "alarms.page[" + std::to_string(i) + "]: " + target.error().message);
      }
    }
  }
  duration(rd, t, "timeout", false, out.timeout);
  bool first_ok = duration(rd, t, "retry_first", false, out.retry_first);
  bool cap_ok = duration(rd, t, "retry_cap", false, out.retry_cap);
  duration(rd, t, "retry_for", true, out.retry_for);
  duration(rd, t, "reminder", true, out.reminder);
  duration(rd, t, "escalate_after", false, out.escalate_after);
  duration(rd, t, "rate_window", false, out.rate_window);
  duration(rd, t, "heartbeat_interval", false, out.heartbeat_interval);
  if (first_ok && cap_ok && out.retry_cap < out.retry_first) {
    if (const toml::node* cap = t.get("retry_cap")) {
      rd.error(cap->source(), "alarms.retry_cap: " + format_duration(out.retry_cap) +
                                  " is shorter than alarms.retry_first (" +
                                  format_duration(out.retry_first) + ")");
    } else {
      rd.error(t.get("retry_first")->source(),
               "alarms.retry_first: " + format_duration(out.retry_first) +
                   " is longer than alarms.retry_cap (" + format_duration(out.retry_cap) +
                   ", the default)");
    }
  }
  if (auto n = rd.integer(t, "rate_limit", kPath, 0, 1'000'000)) {
    out.rate_limit = static_cast<std::size_t>(*n);
  }
  if (auto s = rd.string(t, "heartbeat_url", kPath)) {
    if (s->starts_with("http://") || s->starts_with("https://")) {
      out.heartbeat_url = *s;
    } else {
      rd.error(t.get("heartbeat_url")->source(),
               "alarms.heartbeat_url: '" + *s + "' must start with http:// or https://");
    }
  }
  if (auto argv = rd.argv(t, "heartbeat_command", kPath)) out.heartbeat_command = std::move(*argv);
}

}  // namespace clusterd::clist
