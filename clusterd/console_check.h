// `clusterctl console URI`: checks one console endpoint before it goes into a
// cluster config. Connects once (no retries), shows the traffic live with
// control characters escaped, sends what it is told, says how BREAK is
// delivered, and waits for an expected pattern.
//
// Exit status: 0 the pattern arrived in time (or none was asked for), 1 it did
// not, 2 the connection or authentication failed (the reason is printed, e.g.
// the offered host-key fingerprint), 64 bad usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "base/duration.h"

namespace clusterd {

struct ConsoleCheckOptions {
  std::string uri;
  std::vector<std::string> send;  ///< escaped text (`\r`, `\x02`), sent in order after connecting
  std::string expect;             ///< RE2 pattern, matched within a line; empty: none
  Duration timeout = std::chrono::seconds(10);
  bool send_break = false;  ///< BREAK right after connecting, before `send`
  std::string log;          ///< transcript file; empty: none
  std::string secrets;      ///< secrets file for ?secret=NAME
  bool quiet = false;       ///< no traffic on stdout, only the verdict
};

/// Runs the check; `out` gets the traffic, `err` the progress and verdict.
int run_console_check(const ConsoleCheckOptions& o, std::ostream& out, std::ostream& err);

}  // namespace clusterd
