// Time stamps as written in transcripts, event lists and timelines: absolute
// UTC ("2026-11-22T01:02:03.456789Z") or relative to the start of a replay
// ("+12.5", "+12.5s", "+250ms"). Parsing only; no clock is read here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace clusterd {

/// A parsed stamp: nanoseconds since the Unix epoch (absolute) or since the
/// replay origin (relative).
struct Stamp {
  std::int64_t ns = 0;
  bool relative = false;
};

/// Parses one stamp token. Errors name the token and what was expected.
Result<Stamp> parse_stamp(std::string_view token);

/// "2026-11-22T01:02:03.456789Z" (microseconds) for `ns` since the epoch.
std::string format_utc(std::int64_t ns_since_epoch);

/// "+12.345s" (milliseconds; "-" for negative offsets).
std::string format_offset(std::int64_t ns);

}  // namespace clusterd
