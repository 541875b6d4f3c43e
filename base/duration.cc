#include "base/duration.h"

#include <cctype>
#include <cstdint>

namespace clusterd {

namespace {
Error not_a_duration(std::string_view s) {
  return Error::invalid("expected a duration such as 250ms, 20s, 10m or 1h30m, got '" +
                        std::string(s) + "'");
}
}  // namespace

Result<Duration> parse_duration(std::string_view s) {
  // Deadlines are `entered + after` in nanoseconds: keep every duration far
  // from overflow (10000h is over a year, more than any console wait).
  constexpr std::int64_t kMaxMs = 10'000LL * 3'600'000;
  if (s.empty()) return not_a_duration(s);
  std::int64_t total_ms = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::int64_t num = 0;
    std::size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (num > 1'000'000'000'000LL) return not_a_duration(s);
      num = num * 10 + (s[i++] - '0');
      ++digits;
    }
    if (digits == 0 || i >= s.size()) return not_a_duration(s);
    if (s.substr(i, 2) == "ms") {
      total_ms += num;
      i += 2;
    } else if (s[i] == 's' || s[i] == 'm' || s[i] == 'h') {
      total_ms += num * (s[i] == 's' ? 1000 : s[i] == 'm' ? 60'000 : 3'600'000);
      ++i;
    } else {
      return not_a_duration(s);
    }
    if (total_ms > kMaxMs) return not_a_duration(s);
  }
  return Duration(std::chrono::milliseconds(total_ms));
}

std::string format_duration(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms % 1000) return std::to_string(ms) + "ms";
  auto s = ms / 1000;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s) out += std::to_string(s) + "s";
  return out;
}

}  // namespace clusterd
