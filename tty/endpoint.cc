#include "tty/endpoint.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "base/escape.h"

namespace clusterd::tty {
namespace {

// Keys every scheme accepts, then each scheme's own.
const std::vector<std::string_view> kCommonKeys = {
    "break",     "break_duration", "connect_timeout", "retry",
    "retry_max", "probe",          "probe_timeout",   "write_timeout"};

// A Linux pseudo-terminal keeps 8 data bits and no parity whatever it is
// told (drivers/tty/pty.c, pty_set_termios: c_cflag &= ~(CSIZE | PARENB);
// c_cflag |= CS8 | CREAD), so other values would be silently ignored.
constexpr const char* kPtyIs8N =
    "a pty is always 8 data bits without parity (the kernel's pty driver ignores data and "
    "parity); they apply to serial: only";

std::vector<std::string_view> scheme_keys(Scheme s) {
  switch (s) {
    case Scheme::Serial:
    case Scheme::Pty:
      return {"baud", "data", "parity", "stop", "flow"};
    case Scheme::Telnet:
      return {"rfc2217", "secret"};
    case Scheme::Ssh:
      return {"identity", "known_hosts", "secret"};
    case Scheme::Exec:
    case Scheme::Tcp:
      return {};
  }
  return {};
}

std::string join(const std::vector<std::string_view>& v) {
  std::string out;
  for (auto k : v) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename T>
bool parse_uint(std::string_view s, T lo, T hi, T& out) {
  if (s.empty()) return false;
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return false;
  if (v < lo || v > hi) return false;
  out = static_cast<T>(v);
  return true;
}

// Splits an exec command line into words: blanks separate, '...' and "..."
// quote (no escapes inside single quotes, \" and \\ inside double quotes).
// No shell is ever involved, so nothing else is special.
Result<std::vector<std::string>> split_words(std::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else if (c == '\'' || c == '"') {
      in_word = true;
      std::size_t j = i + 1;
      for (; j < s.size() && s[j] != c; ++j) {
        if (c == '"' && s[j] == '\\' && j + 1 < s.size() && (s[j + 1] == '"' || s[j + 1] == '\\'))
          ++j;
        cur += s[j];
      }
      if (j >= s.size()) return Error::invalid(std::string("unterminated ") + c + " quote");
      i = j;
    } else {
      in_word = true;
      cur += c;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

class Parser {
 public:
  explicit Parser(std::string_view uri) : uri_(uri) {}

  Result<Endpoint> run() {
    e_.uri = std::string(uri_);
    auto colon = uri_.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail("no scheme: write serial:, telnet://, ssh://, exec:, pty: or tcp://");
    }
    std::string_view scheme = uri_.substr(0, colon);
    std::string_view rest = uri_.substr(colon + 1);
    if (scheme == "serial") {
      e_.scheme = Scheme::Serial;
    } else if (scheme == "telnet") {
      e_.scheme = Scheme::Telnet;
    } else if (scheme == "ssh") {
      e_.scheme = Scheme::Ssh;
      e_.port = 22;
    } else if (scheme == "exec") {
      e_.scheme = Scheme::Exec;
    } else if (scheme == "pty") {
      e_.scheme = Scheme::Pty;
    } else if (scheme == "tcp") {
      e_.scheme = Scheme::Tcp;
    } else {
      return fail("unknown scheme '" + std::string(scheme) +
                  "' (known: serial, telnet, ssh, exec, pty, tcp)");
    }
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    bool networked =
        e_.scheme == Scheme::Telnet || e_.scheme == Scheme::Ssh || e_.scheme == Scheme::Tcp;
    if (networked) {
      if (rest.substr(0, 2) != "//")
        return fail("expected '//' after '" + std::string(scheme) + ":'");
      if (auto r = authority(rest.substr(2)); !r.ok()) return r.error();
    } else {
      if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
      auto decoded = percent_decode(rest);
      if (!decoded.ok()) return fail(decoded.error().message);
      if (e_.scheme == Scheme::Exec) {
        auto words = split_words(*decoded);
        if (!words.ok()) return fail("command: " + words.error().message);
        if (words->empty())
          return fail("exec: needs a command, e.g. exec:ipmitool -I lanplus -H bmc1 sol activate");
        e_.argv = std::move(words.value());
      } else {
        if (decoded->empty() || decoded->front() != '/') {
          return fail("path '" + *decoded + "' must be absolute, e.g. " + std::string(scheme) +
                      ":/dev/ttyS0");
        }
        e_.path = std::move(decoded.value());
      }
    }
    if (!query.empty()) {
      if (auto r = params(query); !r.ok()) return r.error();
    }
    if (e_.scheme == Scheme::Telnet && !e_.rfc2217 && e_.break_style == BreakStyle::Rfc2217) {
      return fail("break=rfc2217 needs rfc2217=1");
    }
    if (e_.scheme == Scheme::Ssh && e_.user.empty()) {
      return fail("ssh needs a user: ssh://user@host[:port][/command]");
    }
    if (e_.retry_max < e_.retry) return fail("retry_max is shorter than retry");
    return std::move(e_);
  }

 private:
  Error fail(const std::string& what) const {
    return Error::invalid(redact_uri(uri_) + ": " + what);
  }

  Result<void> authority(std::string_view a) {
    std::string_view path;
    if (auto slash = a.find('/'); slash != std::string_view::npos) {
      path = a.substr(slash + 1);
      a = a.substr(0, slash);
    }
    if (auto at = a.rfind('@'); at != std::string_view::npos) {
      auto user = percent_decode(a.substr(0, at));
      if (!user.ok()) return fail("user: " + user.error().message);
      if (user->empty()) return fail("empty user before '@'");
      if (user->find(':') != std::string::npos) {
        return fail(
            "user must not carry a password; put it in the secrets file and name it with "
            "?secret=NAME");
      }
      e_.user = std::move(user.value());
      a = a.substr(at + 1);
    }
    std::string_view host = a, port;
    if (!a.empty() && a.front() == '[') {
      auto close = a.find(']');
      if (close == std::string_view::npos) return fail("unterminated '[' in host");
      host = a.substr(1, close - 1);
      auto after = a.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') return fail("expected ':port' after ']'");
        port = after.substr(1);
        if (port.empty()) return fail("empty port after ':'");
      }
    } else if (auto c = a.rfind(':'); c != std::string_view::npos) {
      host = a.substr(0, c);
      port = a.substr(c + 1);
      if (port.empty()) return fail("empty port after ':'");
    }
    if (host.empty()) return fail("no host");
    e_.host = std::string(host);
    if (!port.empty()) {
      if (!parse_uint<std::uint16_t>(port, 1, 65535, e_.port)) {
        return fail("port '" + std::string(port) + "' is not a number 1-65535");
      }
    } else if (e_.scheme != Scheme::Ssh) {
      return fail("no port: write " + std::string(scheme_name(e_.scheme)) + "://" + e_.host +
                  ":PORT");
    }
    if (!path.empty()) {
      if (e_.scheme != Scheme::Ssh)
        return fail("a path after host:port is only for ssh (the remote command)");
      auto cmd = percent_decode(path);
      if (!cmd.ok()) return fail("command: " + cmd.error().message);
      e_.command = std::move(cmd.value());
    }
    return {};
  }

  Result<void> duration(std::string_view key, std::string_view value, Duration& out, bool zero_ok) {
    auto d = parse_duration(value);
    if (!d || (!zero_ok && d->count() == 0)) {
      return fail(std::string(key) + "='" + std::string(value) +
                  "' is not a duration (e.g. 250ms, 1s, 30s)");
    }
    out = *d;
    return {};
  }

  Result<void> params(std::string_view query) {
    std::map<std::string, bool> seen;
    auto own = scheme_keys(e_.scheme);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (item.empty()) continue;
      auto eq = item.find('=');
      if (eq == std::string_view::npos) return fail("'" + std::string(item) + "' is not key=value");
      std::string key(item.substr(0, eq));
      auto value_r = percent_decode(item.substr(eq + 1));
      if (!value_r.ok()) return fail(key + ": " + value_r.error().message);
      const std::string& value = *value_r;
      bool known = std::find(kCommonKeys.begin(), kCommonKeys.end(), key) != kCommonKeys.end() ||
                   std::find(own.begin(), own.end(), key) != own.end();
      if (!known) {
        auto all = own;
        all.insert(all.end(), kCommonKeys.begin(), kCommonKeys.end());
        return fail("unknown key '" + key + "' for " + scheme_name(e_.scheme) +
                    " (known: " + join(all) + ")");
      }
      if (seen[key]) return fail("key '" + key + "' given twice");
      seen[key] = true;
      if (auto r = param(key, value); !r.ok()) return r.error();
    }
    return {};
  }

  Result<void> param(const std::string& key, const std::string& value) {
    if (key == "break") return break_param(value);
    if (key == "break_duration") return duration(key, value, e_.break_duration, false);
    if (key == "connect_timeout") return duration(key, value, e_.connect_timeout, false);
    if (key == "retry") return duration(key, value, e_.retry, false);
    if (key == "retry_max") return duration(key, value, e_.retry_max, false);
    if (key == "probe") return duration(key, value, e_.probe, true);
    if (key == "probe_timeout") return duration(key, value, e_.probe_timeout, false);
    if (key == "write_timeout") return duration(key, value, e_.write_timeout, false);
    if (key == "baud") {
      if (!parse_uint<unsigned>(value, 50, 4'000'000, e_.serial.baud))
        return fail("baud '" + value + "' is not a rate");
      return {};
    }
    if (key == "data") {
      if (!parse_uint<unsigned>(value, 5, 8, e_.serial.data_bits))
        return fail("data '" + value + "' is not 5-8");
      if (e_.scheme == Scheme::Pty && e_.serial.data_bits != 8) return fail(kPtyIs8N);
      return {};
    }
    if (key == "stop") {
      if (!parse_uint<unsigned>(value, 1, 2, e_.serial.stop_bits))
        return fail("stop '" + value + "' is not 1 or 2");
      return {};
    }
    if (key == "parity") {
      if (value == "none")
        e_.serial.parity = Parity::None;
      else if (value == "odd")
        e_.serial.parity = Parity::Odd;
      else if (value == "even")
        e_.serial.parity = Parity::Even;
      else
        return fail("parity '" + value + "' is not none, odd or even");
      if (e_.scheme == Scheme::Pty && e_.serial.parity != Parity::None) return fail(kPtyIs8N);
      return {};
    }
    if (key == "flow") {
      if (value == "none")
        e_.serial.flow = Flow::None;
      else if (value == "xonxoff")
        e_.serial.flow = Flow::XonXoff;
      else if (value == "rtscts")
        e_.serial.flow = Flow::RtsCts;
      else
        return fail("flow '" + value + "' is not none, xonxoff or rtscts");
      return {};
    }
    if (key == "rfc2217") {
      if (value != "0" && value != "1") return fail("rfc2217 '" + value + "' is not 0 or 1");
      e_.rfc2217 = value == "1";
      if (e_.rfc2217 && e_.break_style == BreakStyle::Default) e_.break_style = BreakStyle::Rfc2217;
      return {};
    }
    if (key == "secret") {
      if (value.empty()) return fail("secret needs a name");
      e_.secret = value;
      return {};
    }
    if (key == "identity") {
      e_.identity = value;
      return {};
    }
    if (key == "known_hosts") {
      e_.known_hosts = value;
      return {};
    }
    return fail("unhandled key '" + key + "'");
  }

  Result<void> break_param(const std::string& v) {
    auto only = [&](Scheme s, BreakStyle b) -> Result<void> {
      if (e_.scheme != s) return fail("break=" + v + " is only for " + scheme_name(s));
      e_.break_style = b;
      return {};
    };
    if (v == "iac") return only(Scheme::Telnet, BreakStyle::Iac);
    if (v == "rfc2217") return only(Scheme::Telnet, BreakStyle::Rfc2217);
    if (v == "ssh") return only(Scheme::Ssh, BreakStyle::SshRequest);
    if (v == "line") {
      if (e_.scheme != Scheme::Serial && e_.scheme != Scheme::Pty)
        return fail("break=line is only for serial and pty");
      e_.break_style = BreakStyle::Line;
      return {};
    }
    if (v == "none") {
      e_.break_style = BreakStyle::None;
      return {};
    }
    std::size_t bad = 0;
    auto bytes = unescape(v, &bad);
    if (!bytes || bytes->empty()) {
      return fail("break='" + v +
                  "' is neither iac, rfc2217, ssh, line, none nor an escape sequence "
                  "(e.g. ~B, or \\r~\\x02 for the Solaris alternate break)");
    }
    e_.break_style = BreakStyle::Escape;
    e_.break_escape = std::move(*bytes);
    return {};
  }

  std::string_view uri_;
  Endpoint e_;
};

}  // namespace

const char* scheme_name(Scheme s) {
  switch (s) {
    case Scheme::Serial:
      return "serial";
    case Scheme::Telnet:
      return "telnet";
    case Scheme::Ssh:
      return "ssh";
    case Scheme::Exec:
      return "exec";
    case Scheme::Pty:
      return "pty";
    case Scheme::Tcp:
      return "tcp";
  }
  return "?";
}

std::string redact_uri(std::string_view uri) {
  std::string out(uri);
  auto scheme_end = out.find("://");
  if (scheme_end == std::string::npos) return out;
  std::size_t start = scheme_end + 3;
  std::size_t end = out.find_first_of("/?", start);
  if (end == std::string::npos) end = out.size();
  auto at = out.rfind('@', end);
  if (at == std::string::npos || at < start) return out;
  auto colon = out.find(':', start);
  if (colon == std::string::npos || colon > at) return out;
  out.replace(colon + 1, at - colon - 1, "***");
  return out;
}

Result<Endpoint> parse_endpoint(std::string_view uri) { return Parser(uri).run(); }

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return Error::invalid("'%' at offset " + std::to_string(i) + " needs two hex digits");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

BreakStyle effective_break(const Endpoint& e) {
  if (e.break_style != BreakStyle::Default) return e.break_style;
  switch (e.scheme) {
    case Scheme::Serial:
    case Scheme::Pty:
      return BreakStyle::Line;
    case Scheme::Telnet:
      return e.rfc2217 ? BreakStyle::Rfc2217 : BreakStyle::Iac;
    case Scheme::Ssh:
      return BreakStyle::SshRequest;
    case Scheme::Exec:
    case Scheme::Tcp:
      return BreakStyle::None;
  }
  return BreakStyle::None;
}

std::string break_word(const Endpoint& e) {
  auto ms = " " + format_duration(e.break_duration);
  switch (effective_break(e)) {
    case BreakStyle::Line:
      return "line" + ms;
    case BreakStyle::Iac:
      return "iac";
    case BreakStyle::Rfc2217:
      return "rfc2217" + ms;
    case BreakStyle::SshRequest:
      return "ssh" + ms;
    case BreakStyle::Escape:
      return "escape";
    default:
      return "none";
  }
}

std::string describe_break(const Endpoint& e) {
  auto ms = format_duration(e.break_duration);
  switch (effective_break(e)) {
    case BreakStyle::Line:
      if (e.scheme == Scheme::Pty) {
        return "line break of " + ms +
               " (tcsendbreak); a pseudo-terminal drops it: "
               "use ?break=\\r~\\x02 for the Solaris alternate break";
      }
      return "line break of " + ms + " (libserialport sp_start_break/sp_end_break)";
    case BreakStyle::Iac:
      return "telnet IAC BRK";
    case BreakStyle::Rfc2217:
      return "RFC 2217 SET-CONTROL break on, " + ms + ", break off";
    case BreakStyle::SshRequest:
      return "ssh break request (RFC 4335), " + ms;
    case BreakStyle::Escape:
      return "escape sequence \"" + escape(e.break_escape) + "\" written to the console";
    case BreakStyle::None:
      return std::string("none: ") + scheme_name(e.scheme) +
             " cannot send BREAK (configure ?break=ESCAPE)";
    case BreakStyle::Default:
      break;
  }
  return "none";
}

}  // namespace clusterd::tty
