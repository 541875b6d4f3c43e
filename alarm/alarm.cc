#include "alarm/alarm.h"

#include <array>
#include <utility>

#include "base/escape.h"

namespace clusterd::alarm {

namespace {
constexpr std::array<std::string_view, 3> kSeverity = {"notice", "warning", "critical"};
constexpr std::array<std::string_view, 8> kKind = {"raised",     "reminder",        "resolved",
                                                   "escalation", "delivery-failed", "suppressed",
                                                   "test",       "heartbeat"};

bool is_csi_final(unsigned char c) { return c >= 0x40 && c <= 0x7e; }

// Returns the length of the escape sequence that starts at text[i] (an ESC or
// a C1 CSI 0x9b), or 0 if it is not one we recognise.
std::size_t sequence_length(std::string_view text, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  if (at(i) == 0x9b) {  // 8-bit CSI
    std::size_t k = i + 1;
    while (k < text.size() && !is_csi_final(at(k))) ++k;
    return (k < text.size() ? k + 1 : k) - i;
  }
  if (at(i) != 0x1b || i + 1 >= text.size()) return at(i) == 0x1b ? 1 : 0;
  unsigned char next = at(i + 1);
  if (next == '[') {  // CSI: parameters and intermediates, then a final byte
    std::size_t k = i + 2;
    while (k < text.size() && !is_csi_final(at(k))) ++k;
    return (k < text.size() ? k + 1 : k) - i;
  }
  if (next == ']' || next == 'P' || next == '_' || next == '^') {  // OSC/DCS/APC/PM: to BEL or ST
    std::size_t k = i + 2;
    while (k < text.size()) {
      if (at(k) == 0x07) return k + 1 - i;
      if (at(k) == 0x1b && k + 1 < text.size() && at(k + 1) == '\\') return k + 2 - i;
      ++k;
    }
    return k - i;
  }
  if (next == '(' || next == ')' || next == '#') return std::min<std::size_t>(3, text.size() - i);
  return 2;  // ESC c, ESC 7, ESC =, ...
}
}  // namespace

std::string_view severity_name(Severity s) { return kSeverity[static_cast<std::size_t>(s)]; }

std::optional<Severity> parse_severity(std::string_view s) {
  for (std::size_t i = 0; i < kSeverity.size(); ++i)
    if (kSeverity[i] == s) return static_cast<Severity>(i);
  return std::nullopt;
}

std::string_view kind_name(NoticeKind k) { return kKind[static_cast<std::size_t>(k)]; }

std::optional<NoticeKind> parse_kind(std::string_view s) {
  for (std::size_t i = 0; i < kKind.size(); ++i)
    if (kKind[i] == s) return static_cast<NoticeKind>(i);
  return std::nullopt;
}

std::string sanitize_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0, plain = 0;
  while (i < text.size()) {
    std::size_t n = sequence_length(text, i);
    if (n == 0) {
      ++i;
      continue;
    }
    escape_to(out, text.substr(plain, i - plain));
    i += n;
    plain = i;
  }
  escape_to(out, text.substr(plain));
  return out;
}

std::string sanitize_lines(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += sanitize_text(line);
    if (end == std::string_view::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string safe_token(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out;
}

Alarm sanitized(Alarm a) {
  a.id = safe_token(a.id);
  a.key = sanitize_text(a.key);
  a.cluster = safe_token(a.cluster);
  a.node = sanitize_text(a.node);
  a.text = sanitize_text(a.text);
  a.state = sanitize_text(a.state);
  a.trigger = sanitize_text(a.trigger);
  a.timeline = sanitize_lines(a.timeline);
  return a;
}

}  // namespace clusterd::alarm
