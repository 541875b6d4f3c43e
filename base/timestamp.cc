#include "base/timestamp.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace clusterd {

namespace {

// Reads digits at s[pos..pos+n) as a number; false when any is not a digit.
bool read_fixed(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// "12", "12.5", "0.000001": seconds with an optional fraction (up to ns) -> ns.
bool read_seconds(std::string_view s, std::int64_t& ns) {
  std::size_t i = 0;
  std::int64_t whole = 0;
  if (s.empty()) return false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    if (whole > 1'000'000'000'000LL) return false;  // > 31000 years: not a stamp
    whole = whole * 10 + (s[i++] - '0');
  }
  if (i == 0) return false;
  std::int64_t frac = 0, scale = 1'000'000'000;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits++ < 9) {
        scale /= 10;
        frac += (s[i] - '0') * scale;
      }
      ++i;
    }
    if (digits == 0) return false;
  }
  if (i != s.size()) return false;
  ns = whole * 1'000'000'000 + frac;
  return true;
}

Result<Stamp> parse_relative(std::string_view token) {
  std::string_view body = token.substr(1);
  const bool millis = body.ends_with("ms");
  if (millis) {
    body.remove_suffix(2);
  } else if (body.ends_with("s")) {
    body.remove_suffix(1);
  }
  std::int64_t ns = 0;  // the number read as seconds
  if (!read_seconds(body, ns)) {
    return Error::invalid("bad relative time '" + std::string(token) +
                          "' (expected +SECONDS or +MILLISECONDSms, e.g. +12.5s, +250ms)");
  }
  return Stamp{millis ? ns / 1000 : ns, true};
}

}  // namespace

Result<Stamp> parse_stamp(std::string_view token) {
  if (!token.empty() && token[0] == '+') return parse_relative(token);
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  int y, mo, d, h, mi, s;
  bool shape = token.size() >= 20 && read_fixed(token, 0, 4, y) && token[4] == '-' &&
               read_fixed(token, 5, 2, mo) && token[7] == '-' && read_fixed(token, 8, 2, d) &&
               token[10] == 'T' && read_fixed(token, 11, 2, h) && token[13] == ':' &&
               read_fixed(token, 14, 2, mi) && token[16] == ':' && read_fixed(token, 17, 2, s) &&
               token.back() == 'Z';
  std::int64_t sub_ns = 0;
  if (shape && token.size() > 20) {
    std::string_view frac = token.substr(19, token.size() - 20);  // ".ffffff"
    shape = frac.size() >= 2 && frac[0] == '.' && read_seconds("0" + std::string(frac), sub_ns);
  }
  if (!shape || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return Error::invalid("bad time '" + std::string(token) +
                          "' (expected 2026-11-22T01:02:03.456Z or +SECONDS)");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::int64_t secs = static_cast<std::int64_t>(timegm(&tm));
  return Stamp{secs * 1'000'000'000 + sub_ns, false};
}

std::string format_utc(std::int64_t ns) {
  std::int64_t secs = ns / 1'000'000'000;
  std::int64_t rem = ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(rem / 1000));
  return buf;
}

std::string format_offset(std::int64_t ns) {
  char buf[48];
  const char* sign = ns < 0 ? "-" : "+";
  std::int64_t a = ns < 0 ? -ns : ns;
  std::int64_t ms = a / 1'000'000;
  std::snprintf(buf, sizeof buf, "%s%lld.%03llds", sign, static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

}  // namespace clusterd
