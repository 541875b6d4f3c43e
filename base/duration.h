// Durations as people write them: "250ms", "20s", "10m", "1h30m". One spelling
// for chat scripts, cluster configs and console URIs. Parsing only; no clocks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace clusterd {

using Duration = std::chrono::nanoseconds;

/// Parses "250ms", "20s", "10m", "1h30m" (units ms, s, m, h; no spaces);
/// nullopt when it is not a duration or exceeds 10000h, so that a deadline
/// `now + d` can never overflow.
std::optional<Duration> parse_duration(std::string_view s);

/// "250ms", "20s", "10m", "1h30m": the shortest exact spelling (to the ms).
std::string format_duration(Duration d);

}  // namespace clusterd
