// Durations as people write them: "250ms", "20s", "10m", "1h30m". One spelling
// and one parser for chat scripts, cluster configs, console URIs, command-line
// options (clusterctl, crashtest) and nodesim's options. Parsing only; no clocks.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.h"

namespace clusterd {

using Duration = std::chrono::nanoseconds;

/// Parses "250ms", "20s", "10m", "1h30m" (units ms, s, m, h; whole numbers;
/// no spaces; "0s" for zero). Error::invalid ("expected a duration such as
/// ..., got 'X'") when it is not a duration or exceeds 10000h, so that a
/// deadline `now + d` can never overflow. Callers that name the key or flag
/// in their own message need only ok().
Result<Duration> parse_duration(std::string_view s);

/// "250ms", "20s", "10m", "1h30m": the shortest exact spelling (to the ms).
std::string format_duration(Duration d);

}  // namespace clusterd
